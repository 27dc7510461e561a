"""``commit`` with the real dvc 3.67: the same refusals, ``dvc.lock``, ``.dvc`` and
run-cache files, and each tool's commit is up to date for the other."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from interop_helpers import read_files

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

Tool = Callable[..., Run]


def _dvcremote(*args: str, cwd: Path, check: bool = True) -> Run:
    return run_dvcremote(*args, cwd=cwd, check=check)


def _error(run: Run) -> str:
    """The run's last stderr line (dvcremote -v prints a traceback first)."""
    return run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""


def _scenario(ws: Path, tool: Tool) -> list[str]:
    """A stage whose output was made by hand, then changed data: what each commit said."""
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tool("init", "-q", cwd=ws)
    (ws / "foo").write_text("foo\n")
    tool("add", "-q", "foo", cwd=ws)
    tool("stage", "add", "-q", "-n", "copy", "-d", "foo", "-o", "bar", "cp foo bar", cwd=ws)
    (ws / "bar").write_text("foo\n")
    said = [_error(tool("commit", cwd=ws, check=False))]  # no lock entry: refused
    assert not (ws / "dvc.lock").exists()
    said.append(tool("commit", "-f", "copy", cwd=ws).stdout)
    said.append(tool("commit", cwd=ws).stdout)  # unchanged: nothing to ask
    (ws / "bar").write_text("changed\n")
    said.append(_error(tool("commit", cwd=ws, check=False)))
    (ws / "foo").write_text("changed2\n")
    said.append(_error(tool("commit", "foo.dvc", cwd=ws, check=False)))
    said.append(tool("commit", "-f", "foo.dvc", cwd=ws).stdout)
    said.append(tool("commit", "-f", cwd=ws).stdout)
    return said


def test_commit_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    theirs, ours = tmp_path / "dvc", tmp_path / "ours"
    dvc_said = _scenario(theirs, lambda *a, cwd, check=True: real_dvc(*a, cwd=cwd, check=check))
    our_said = _scenario(ours, _dvcremote)
    assert our_said == dvc_said
    assert our_said[0] == (
        "ERROR: failed to commit - unable to commit changed stage: 'copy'."
        " Use `-f|--force` to force."
    )
    skip = (".git", "tmp")
    assert read_files(ours, skip=skip) == read_files(theirs, skip=skip)  # incl. runs/, files/
    assert "Data and pipelines are up to date." in real_dvc("status", cwd=ours).stdout


def test_commit_after_no_commit_repro(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """``repro --no-commit`` then ``commit``: the outputs reach the cache, no question."""
    for name, tool in (
        ("dvc", lambda *a, cwd: real_dvc(*a, cwd=cwd)),
        ("ours", _dvcremote),
    ):
        ws = tmp_path / name
        ws.mkdir()
        subprocess.run(["git", "init", "-q", str(ws)], check=True)
        tool("init", "-q", cwd=ws)
        (ws / "foo").write_text("foo\n")
        tool("stage", "add", "-n", "copy", "-d", "foo", "-o", "bar", "cp foo bar", cwd=ws)
        tool("repro", "--no-commit", cwd=ws)
        tool("commit", cwd=ws)
    skip = (".git", "tmp")
    assert read_files(tmp_path / "ours", skip=skip) == read_files(tmp_path / "dvc", skip=skip)
    assert (tmp_path / "ours" / ".dvc" / "cache" / "files" / "md5" / "d3").is_dir()
