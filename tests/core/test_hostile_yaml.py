"""Hostile YAML in ``.dvc`` files (issue 11 item 7): deep nesting must not crash the
process (it overflowed PyYAML's C stack: SIGSEGV, exit 139) and an alias bomb must
not hang a command; both are a clear error naming the file, with nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import snapshot

from dvcremote import yamlio
from dvcremote.dvcfile import loads
from dvcremote.errors import DvcFileError
from dvcremote.repo import Repo


def _cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A generous timeout only guards against a hang; nothing here measures time.
    return subprocess.run(
        [sys.executable, "-m", "dvcremote", *args],
        cwd=workspace, capture_output=True, text=True, timeout=300, check=False,
    )


def _alias_bomb(levels: int = 9) -> str:
    lines = ["  meta:", "    l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


DEEP = {
    "flow": "  meta: " + "[" * 200_000 + "]" * 200_000 + "\n",
    "block": "  meta:\n" + "".join(" " * (4 + i) + f"k{i}:\n" for i in range(150)) + "\n",
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_nesting_is_an_error_not_a_crash(
    dvcrepo: Repo, workspace: Path, shape: str
) -> None:
    (workspace / "foo").write_text("foo")
    (workspace / "deep.dvc").write_text(
        "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  path: foo\n" + DEEP[shape]
    )
    before = snapshot(workspace)
    for command in (["status"], ["pull"], ["checkout"]):
        proc = _cli(workspace, *command)
        assert proc.returncode == 3, (command, proc.returncode, proc.stderr[-500:])
        assert "ERROR: cannot use 'deep.dvc'" in proc.stderr
        assert f"nested deeper than {yamlio.MAX_DEPTH} levels" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert snapshot(workspace) == before


def test_alias_bomb_in_meta_fails_add_with_an_error(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "foo").write_text("foo")
    (workspace / "foo.dvc").write_text(
        "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n"
        "  path: foo\n" + _alias_bomb()
    )
    before = snapshot(workspace)
    proc = _cli(workspace, "add", "foo")
    assert proc.returncode == 3, proc.stderr[-500:]
    assert "ERROR: cannot use 'foo.dvc'" in proc.stderr and "alias bomb" in proc.stderr
    assert snapshot(workspace) == before  # foo.dvc as it was, no cache object


def test_bounds_are_typed_errors_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    head = "outs:\n- path: foo\n"
    # The root mapping, ``outs``, its item: 3 levels before ``meta``.
    deepest_ok = "  meta: " + "[" * (yamlio.MAX_DEPTH - 3) + "]" * (yamlio.MAX_DEPTH - 3)
    assert loads(head + deepest_ok + "\n", "ok.dvc").outs[0].path == "foo"
    too_deep = "  meta: " + "[" * (yamlio.MAX_DEPTH - 2) + "]" * (yamlio.MAX_DEPTH - 2)
    with pytest.raises(DvcFileError, match=r"cannot use 'sub/x\.dvc': refused: nested"):
        loads(head + too_deep + "\n", "sub/x.dvc")
    with pytest.raises(DvcFileError, match=r"'x\.dvc': refused: aliases expand"):
        loads(head + _alias_bomb(6), "x.dvc")
    monkeypatch.setattr(yamlio, "MAX_BYTES", 16)
    with pytest.raises(DvcFileError, match=r"'x\.dvc': refused: \d+ bytes is more than"):
        loads(head, "x.dvc")


def test_modest_anchor_reuse_still_loads_and_round_trips() -> None:
    """Anchors reused a few times are fine (DVC's own loader accepts them)."""
    text = (
        "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n"
        "  path: foo\n  meta:\n    a: &tags [x, y, z]\n    b: *tags\n    c: *tags\n"
    )
    parsed = loads(text, "foo.dvc")
    assert parsed.outs[0].raw["meta"]["c"] == ["x", "y", "z"]
    assert parsed.dumps() == text.encode()  # unchanged: written back as read
    parsed.outs[0].set_hash("37b51d194a7513e45b56f6524f2d51f2", 3)
    again = loads(parsed.dumps(), "foo.dvc")
    assert again.outs[0].raw["meta"] == parsed.outs[0].raw["meta"]
