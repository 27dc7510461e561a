"""``remove`` with the real dvc 3.67: the same ``dvc.yaml``, ``dvc.lock``, ``.gitignore``
and workspace files after each removal, and the same refusals."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from interop_helpers import read_files, write_tree

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

Tool = Callable[..., Run]

TREE = {
    "foo": "foo\n",
    "s": {
        "dvc.yaml": "stages:\n  fe:\n    foreach: [a, b]\n    do:\n"
        "      cmd: echo ${item} > ${item}.txt\n      outs:\n      - ${item}.txt\n"
    },
    "t": {
        "dvc.yaml": "# top\nvars:\n  - x: 1\nstages:\n  one:\n    cmd: echo 1 > one  # c\n"
        "    outs:\n    - one\n"
    },
}


def _dvcremote(*args: str, cwd: Path, check: bool = True) -> Run:
    return run_dvcremote(*args, cwd=cwd, check=check)


def _error(run: Run) -> str:
    return run.stderr.strip().splitlines()[-1] if run.returncode else ""


def _scenario(ws: Path, tool: Tool) -> list[tuple[str, dict[str, bytes]]]:
    write_tree(ws, TREE)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tool("init", "-q", cwd=ws)
    tool("add", "-q", "foo", cwd=ws)
    tool("stage", "add", "-q", "-n", "copy", "-d", "foo", "-o", "bar", "cp foo bar", cwd=ws)
    tool("stage", "add", "-q", "-n", "two", "-d", "bar", "-o", "baz", "cp bar baz", cwd=ws)
    text = (ws / "dvc.yaml").read_text()
    (ws / "dvc.yaml").write_text(text.replace("  copy:\n", "  copy:  # kept\n"))
    tool("repro", "-q", "-P", cwd=ws)
    seen = []
    for args in (
        ("two",),  # its output stays, unprotected
        ("s/dvc.yaml:fe",),  # a group is no stage
        ("s/dvc.yaml:fe@a",),  # parametrized
        ("foo",),  # a tracked file, not its .dvc file
        ("copy", "--outs"),  # the last stage: dvc.yaml and dvc.lock go
        ("t/dvc.yaml:one",),
        ("foo.dvc",),
    ):
        run = tool("remove", *args, cwd=ws, check=False)
        seen.append((_error(run), read_files(ws, skip=(".git", ".dvc"))))
    return seen


def test_remove_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    theirs = _scenario(
        tmp_path / "dvc", lambda *a, cwd, check=True: real_dvc(*a, cwd=cwd, check=check)
    )
    ours = _scenario(tmp_path / "ours", _dvcremote)
    # dvc drops fe@a's .gitignore entry before it refuses to remove it; dvcremote
    # refuses before changing anything.
    assert theirs[-1][1]["s/.gitignore"] == b"/b.txt\n"
    assert ours[-1][1]["s/.gitignore"] == b"/a.txt\n/b.txt\n"
    for _, files in (*ours, *theirs):
        files.pop("s/.gitignore")
    assert ours == theirs
    assert [error for error, _ in ours] == [
        "",
        "ERROR: Stage 'fe' not found inside 's/dvc.yaml' file",
        "ERROR: cannot remove a parametrized stage: 's/dvc.yaml:fe@a'",
        "ERROR: 'foo' is not a .dvc file. Do you mean 'foo.dvc'?:"
        " Stage 'foo' not found inside 'dvc.yaml' file",
        "",
        "",
        "",
    ]
    after_two = ours[0][1]
    assert b"two" not in after_two["dvc.yaml"] and b"# kept" in after_two["dvc.yaml"]
    assert after_two[".gitignore"] == b"/foo\n/bar\n" and after_two["baz"] == b"foo\n"
    final = ours[-1][1]
    assert "dvc.yaml" not in final and "dvc.lock" not in final and ".gitignore" not in final
    assert "bar" not in final and "t/dvc.yaml" not in final
