"""gc as DVC: a scope is required, the local cache is confirmed too, ``--dry``,
``--not-in-remote``, and the run cache (``runs/``) and ``fs/`` are never touched."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from core_helpers import cache_file, md5, remote_file, snapshot, write_tree

from dvcremote import dvcfile as dvcfile_mod
from dvcremote.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from dvcremote.errors import ConfirmationRequired, InvalidArgument
from dvcremote.gc import SCOPE_REQUIRED
from dvcremote.repo import Repo


def _setup(repo: Repo, ws: Path, remote_dir: Path) -> None:
    """``kept`` and ``local`` (``push: false``) in use and pushed as far as allowed;
    ``old`` in the cache and on the remote, used by nothing any more."""
    write_tree(ws, {"kept": "kept", "local": "local", "old": "old"})
    repo.add(["kept", "local", "old"])
    dvcfile = dvcfile_mod.load(ws, "local.dvc")
    dvcfile.outs[0].raw["push"] = False
    dvcfile.write(ws)
    repo.remote_add("store", str(remote_dir), default=True)
    assert repo.push().ok
    (ws / "old.dvc").unlink()
    assert remote_file(remote_dir, md5("old")).is_file()
    assert not remote_file(remote_dir, md5("local")).exists()


class _Terminal(io.StringIO):
    """A stdin that is a terminal, answering with ``text`` (then EOF)."""

    def isatty(self) -> bool:
        return True


def test_gc_without_a_scope_is_refused_as_dvc(
    dvcrepo: Repo, workspace: Path, remote_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(dvcrepo, workspace, remote_dir)
    before = snapshot(workspace.parent)
    for kwargs in ({}, {"force": True}, {"cloud": True, "force": True}):
        with pytest.raises(InvalidArgument, match=r"-w\|--workspace"):
            dvcrepo.gc(**kwargs)  # type: ignore[arg-type]
    capsys.readouterr()
    for argv in (["gc"], ["gc", "-f"], ["gc", "-c", "-f"]):
        assert main(argv) == EXIT_USAGE
        assert capsys.readouterr().err.splitlines() == [f"ERROR: {SCOPE_REQUIRED}"]
    with pytest.raises(InvalidArgument, match="mutually exclusive"):
        dvcrepo.gc(workspace=True, cloud=True, not_in_remote=True, force=True)
    assert snapshot(workspace.parent) == before


def test_gc_of_the_local_cache_asks_first(
    dvcrepo: Repo,
    workspace: Path,
    remote_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _setup(dvcrepo, workspace, remote_dir)
    before = snapshot(workspace)
    with pytest.raises(ConfirmationRequired):
        dvcrepo.gc(workspace=True)
    asked: list[str] = []
    with pytest.raises(ConfirmationRequired, match="not confirmed"):
        dvcrepo.gc(workspace=True, confirm=lambda m: asked.append(m) is None and False)
    assert asked == [
        "This will remove all cache except items used in the workspace of the current repo."
    ]
    for stdin in (io.StringIO("y\n"), _Terminal(""), _Terminal("n\n")):
        monkeypatch.setattr(sys, "stdin", stdin)  # a pipe, then EOF, then "no"
        assert main(["gc", "-w"]) == EXIT_FAILED
        err = capsys.readouterr().err
        assert err.startswith("WARNING: This will remove all cache except items used in")
    assert snapshot(workspace) == before
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert main(["gc", "-w"]) == EXIT_OK
    assert "Removed 1 object from the cache" in capsys.readouterr().out
    assert not cache_file(workspace, md5("old")).exists()
    assert cache_file(workspace, md5("kept")).is_file()


def test_gc_dry_deletes_nothing_and_lists_what_would_go(
    dvcrepo: Repo, workspace: Path, remote_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(dvcrepo, workspace, remote_dir)
    before = snapshot(workspace.parent)
    results = dvcrepo.gc(workspace=True, cloud=True, dry=True)  # --dry needs no -f
    assert [(r.where, r.removed, r.dry) for r in results] == [
        ("cache", {md5("old")}, True),
        ("store", {md5("old")}, True),
    ]
    assert main(["gc", "-w", "-c", "--dry"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"Would remove {md5('old')} from the cache" in out
    assert f"Would remove {md5('old')} from remote 'store'" in out
    assert snapshot(workspace.parent) == before


def test_gc_not_in_remote_keeps_only_what_the_remote_lacks(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    _setup(dvcrepo, workspace, remote_dir)
    (result,) = dvcrepo.gc(workspace=True, not_in_remote=True, force=True)
    assert result.removed == {md5("old"), md5("kept")}
    assert cache_file(workspace, md5("local")).is_file()  # push: false, not on the remote
    assert remote_file(remote_dir, md5("kept")).is_file()  # the remote is untouched


def test_gc_never_touches_the_run_cache_or_fs(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    """``runs/<k2>/<key>/<value>`` (dvc-pipelines.md section 4) in the cache and on the
    remote, and ``fs/`` (partial imports), survive gc and gc -c."""
    _setup(dvcrepo, workspace, remote_dir)
    key, value = "ab" + "c" * 62, "d" * 64
    extra = [
        workspace / ".dvc" / "cache" / "runs" / "ab" / key / value,
        workspace / ".dvc" / "cache" / "fs" / "local" / ("e" * 32),
        remote_dir / "runs" / "ab" / key / value,
    ]
    for path in extra:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("cmd: x\n")
    results = dvcrepo.gc(workspace=True, cloud=True, force=True)
    assert [r.removed for r in results] == [{md5("old")}, {md5("old")}]
    assert all(p.read_text() == "cmd: x\n" for p in extra)
