"""``repro`` options with the real dvc 3.67: ``--dry``, ``--downstream``, ``-P``, ``-R``,
``--glob``, ``-s`` pick and order the same stages on a branching pipeline, and
``--keep-going`` prints the same lines and leaves the same ``dvc.lock``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from interop_helpers import read_files, write_tree

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

Tool = Callable[..., Run]

#: a -> b, c -> d (a diamond), e alone, sub/dvc.yaml:s after e; written out of order.
PIPELINE = """\
stages:
  d:
    cmd: cat b.txt c.txt > d.txt
    deps: [b.txt, c.txt]
    outs: [d.txt]
  b:
    cmd: cat a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
  e:
    cmd: cat other > e.txt
    deps: [other]
    outs: [e.txt]
  a:
    cmd: cat in > a.txt
    deps: [in]
    outs: [a.txt]
  c:
    cmd: cat a.txt > c.txt
    deps: [a.txt]
    outs: [c.txt]
"""
SUB = "stages:\n  s:\n    cmd: cat ../e.txt > s.txt\n    deps: [../e.txt]\n    outs: [s.txt]\n"
#: Option sets whose stage order dvc fixes (dvc takes a small subset's independent
#: stages in Python's set order, which changes from run to run).
DRY_RUNS = [
    (),
    ("--downstream", "b"),
    ("-P",),
    ("-R", "sub"),
    ("-s", "--glob", "[bc]"),
    ("d",),
    ("-p", "sub/dvc.yaml:s"),
    ("--downstream", "e"),
]


def _dvcremote(*args: str, cwd: Path, check: bool = True) -> Run:
    return run_dvcremote(*args, cwd=cwd, check=check)


def _project(ws: Path, tool: Tool, pipeline: str = PIPELINE) -> Path:
    write_tree(ws, {"in": "in\n", "other": "o\n", "dvc.yaml": pipeline, "sub": {"dvc.yaml": SUB}})
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tool("init", "-q", cwd=ws)
    return ws


def _named(stdout: str) -> list[str]:
    """The stages a repro names, in order (dvc's ``--dry`` names a restorable stage
    twice: "is cached", then "Running stage")."""
    names: list[str] = []
    for line in stdout.splitlines():
        if line.startswith(("Running stage '", "Stage '")):
            name = line.split("'")[1]
            if not names or names[-1] != name:
                names.append(name)
    return names


def test_dry_selects_and_orders_stages_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    dvc: Tool = lambda *a, cwd: real_dvc(*a, cwd=cwd)  # noqa: E731
    named: dict[str, list[list[str]]] = {}
    for name, tool in (("dvc", dvc), ("ours", _dvcremote)):
        ws = _project(tmp_path / name, tool)
        tool("repro", "-P", cwd=ws)
        (ws / "in").write_text("changed\n")
        (ws / "other").write_text("changed\n")
        before = read_files(ws, skip=(".git", "tmp"))
        named[name] = [_named(tool("repro", "--dry", *args, cwd=ws).stdout) for args in DRY_RUNS]
        assert read_files(ws, skip=(".git", "tmp")) == before  # --dry changed nothing
    assert named["ours"] == named["dvc"]
    assert named["ours"][0] == ["a", "b", "c", "d", "e"]
    assert named["ours"][3] == ["e", "sub/dvc.yaml:s"]


def test_keep_going_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    failing = PIPELINE.replace("cat a.txt > b.txt", "exit 4")
    theirs = _project(tmp_path / "dvc", lambda *a, cwd: real_dvc(*a, cwd=cwd), failing)
    ours = _project(tmp_path / "ours", _dvcremote, failing)
    dvc_run = real_dvc("repro", "-k", cwd=theirs, check=False)
    our_run = _dvcremote("repro", "-k", cwd=ours, check=False)
    assert dvc_run.returncode != 0 and our_run.returncode != 0
    # The same lines: dvc logs its warnings to stderr, dvcremote to stdout in order.
    ours_out = our_run.stdout.splitlines()
    assert [line for line in ours_out if not line.startswith("WARNING")] == (
        dvc_run.stdout.splitlines()
    )
    assert [line for line in ours_out if line.startswith("WARNING")] + [
        our_run.stderr.strip().splitlines()[-1]  # -v: the traceback comes first
    ] == dvc_run.stderr.splitlines()
    assert "WARNING: Stage 'd' will be skipped due to this failure" in our_run.stdout
    assert "ERROR: failed to reproduce 'b'" in our_run.stderr
    assert (ours / "dvc.lock").read_bytes() == (theirs / "dvc.lock").read_bytes()
    assert not (ours / "d.txt").exists() and (ours / "e.txt").exists()
