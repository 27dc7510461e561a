"""Pipelines with the real dvc 3.67: ``stage add`` and ``repro`` by each tool write the same
``dvc.yaml``, ``.gitignore`` and ``dvc.lock`` bytes, and what one reproduced the other
finds up to date.

The pipeline covers what the lock format has: a directory dep and out, params (a
subtree, a flat dotted key, a JSON list), a ``cache: false`` metric, an executable
output (``isexec``), a stage with ``wdir`` and a ``persist`` output, a list ``cmd``,
and an existing ``dvc.yaml`` with comments.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from interop_helpers import write_tree

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

Tool = Callable[..., Run]

TREE = {
    "data": {"a": "a\n", "b": "b\n"},
    "params.yaml": "lr: 0.1\ntrain:\n  epochs: 3\n  seed: 1\nother: x\n",
    "p2.json": '{"k": 1, "z": [1, 2]}',
    "sub": {"in.txt": "in\n"},
    "dvc.yaml": "# the pipeline\nstages:\n  first:  # comes first\n    cmd: echo 1 > one\n"
    "    outs:\n    - one\n",
}
#: ``stage add`` command lines (shell words).
STAGES = [
    "-n prep -d data -p lr,train -p p2.json:z -o prepared -M metrics.json"
    """ 'mkdir -p prepared && cat data/a data/b > prepared/ab"""
    """ && echo "{\\"acc\\": 1}" > metrics.json'""",
    "-n exe -d prepared -p train.epochs -o run.sh"
    """ 'printf "#!/bin/sh\\necho hi\\n" > run.sh && chmod +x run.sh'""",
    "-n sub -w sub -d in.txt -d ../run.sh -o out.txt --outs-persist log.txt"
    " 'cat in.txt > out.txt; echo x >> log.txt'",
    "-n multi -d sub/out.txt -O m1 -o m2 --desc 'two lines' python -c 'print(1)'",
]


def _dvc(real_dvc: DvcRunner) -> Tool:
    return lambda *args, cwd: real_dvc(*args, cwd=cwd)


def _dvcremote(*args: str, cwd: Path) -> Run:
    return run_dvcremote(*args, cwd=cwd)


def _project(ws: Path, tool: Tool) -> Path:
    write_tree(ws, TREE)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tool("init", "-q", cwd=ws)
    for args in STAGES:
        tool("stage", "add", *shlex.split(args), cwd=ws)
    # A list cmd, written by hand as users do.
    text = (ws / "dvc.yaml").read_text()
    (ws / "dvc.yaml").write_text(
        text.replace(
            "    cmd: python -c print(1)\n", "    cmd:\n    - echo 1 > m1\n    - echo 2 > m2\n"
        )
    )
    return ws


def _files(ws: Path) -> dict[str, bytes]:
    names = ("dvc.yaml", "dvc.lock", ".gitignore", "sub/.gitignore")
    return {n: (ws / n).read_bytes() for n in names if (ws / n).exists()}


def _repro(tool: Tool, ws: Path, *args: str) -> Run:
    return tool("repro", *args, cwd=ws)


def test_stage_add_writes_the_same_bytes(tmp_path: Path, real_dvc: DvcRunner) -> None:
    theirs = _project(tmp_path / "dvc", _dvc(real_dvc))
    ours = _project(tmp_path / "ours", _dvcremote)
    assert _files(ours) == _files(theirs)
    assert "first:  # comes first" in (ours / "dvc.yaml").read_text()


def test_repro_writes_the_same_lock(tmp_path: Path, real_dvc: DvcRunner) -> None:
    dvc = _dvc(real_dvc)
    theirs = _project(tmp_path / "dvc", dvc)
    ours = _project(tmp_path / "ours", _dvcremote)
    _repro(dvc, theirs, "--all-pipelines")
    run = _repro(_dvcremote, ours)
    assert _files(ours) == _files(theirs)
    assert "isexec: true" in (ours / "dvc.lock").read_text()
    assert "Running stage 'multi':\n> echo 1 > m1\n> echo 2 > m2\n" in run.stdout
    assert (ours / "run.sh").stat().st_mode & 0o100


def test_each_finds_the_other_up_to_date(tmp_path: Path, real_dvc: DvcRunner) -> None:
    dvc = _dvc(real_dvc)
    theirs = _project(tmp_path / "dvc", dvc)
    ours = _project(tmp_path / "ours", _dvcremote)
    _repro(dvc, theirs)
    _repro(_dvcremote, ours)
    # dvc's status and repro on dvcremote's work: nothing to do.
    assert "Data and pipelines are up to date." in real_dvc("status", cwd=ours).stdout
    again = real_dvc("repro", cwd=ours).stdout
    assert "Running stage" not in again and "didn't change, skipping" in again
    # dvcremote's repro on dvc's work: nothing to do either.
    before = _files(theirs)
    ours_again = _repro(_dvcremote, theirs).stdout
    assert "Running stage" not in ours_again
    assert "Stage 'multi' didn't change, skipping" in ours_again
    assert _files(theirs) == before


def test_changes_seen_alike(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """A params change re-runs from ``prep`` on; the new locks are the same bytes."""
    dvc = _dvc(real_dvc)
    theirs = _project(tmp_path / "dvc", dvc)
    ours = _project(tmp_path / "ours", _dvcremote)
    for ws, tool in ((theirs, dvc), (ours, _dvcremote)):
        _repro(tool, ws)
        (ws / "params.yaml").write_text("lr: 0.2\ntrain:\n  epochs: 3\n  seed: 1\nother: y\n")
    theirs_run = _repro(dvc, theirs).stdout
    ours_run = _repro(_dvcremote, ours).stdout
    assert _ran(ours_run) == _ran(theirs_run) == ["prep"]
    assert _files(ours) == _files(theirs)


def _ran(stdout: str) -> list[str]:
    return [line.split("'")[1] for line in stdout.splitlines() if line.startswith("Running stage")]


def _run_twice(tool: Tool, ws: Path) -> None:
    """A stage run on ``in`` = one, then two: the run cache holds both results."""
    write_tree(ws, {"in": "one"})
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tool("init", "-q", cwd=ws)
    tool("stage", "add", "-n", "copy", "-d", "in", "-o", "out", "cp in out", cwd=ws)
    tool("repro", cwd=ws)
    (ws / "in").write_text("two")
    tool("repro", cwd=ws)
    (ws / "in").write_text("one")


def test_run_cache_made_by_dvc_restores_in_dvcremote(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = tmp_path / "ws"
    _run_twice(_dvc(real_dvc), ws)
    run = _repro(_dvcremote, ws)
    assert "Stage 'copy' is cached - skipping run, checking out outputs" in run.stdout
    assert "Running stage" not in run.stdout
    assert (ws / "out").read_text() == "one"
    assert "Data and pipelines are up to date." in real_dvc("status", cwd=ws).stdout


def test_run_cache_made_by_dvcremote_restores_in_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = tmp_path / "ws"
    _run_twice(_dvcremote, ws)
    run = real_dvc("repro", cwd=ws)
    assert "Stage 'copy' is cached - skipping run, checking out outputs" in run.stdout
    assert "Running stage" not in run.stdout
    assert (ws / "out").read_text() == "one"


TEMPLATED = (
    "vars:\n- suffix: txt\n  n: 3\nstages:\n  fe:\n    foreach: [a, b]\n    do:\n"
    "      cmd: echo ${item} ${n} > ${item}.${suffix}\n      outs:\n      - ${item}.${suffix}\n"
    "  mx:\n    matrix:\n      x: [1, 2]\n      y: [p, q]\n"
    "    cmd: cat a.txt > m${item.x}${item.y}\n    deps:\n    - a.txt\n    params:\n    - lr\n"
    "    outs:\n    - m${item.x}${item.y}\n"
)


def test_templated_pipeline_same_lock(tmp_path: Path, real_dvc: DvcRunner) -> None:
    for name, tool in (("dvc", _dvc(real_dvc)), ("ours", _dvcremote)):
        ws = tmp_path / name
        write_tree(ws, {"dvc.yaml": TEMPLATED, "params.yaml": "lr: 1\n"})
        subprocess.run(["git", "init", "-q", str(ws)], check=True)
        tool("init", "-q", cwd=ws)
        tool("repro", cwd=ws)
    assert _files(tmp_path / "ours") == _files(tmp_path / "dvc")
    assert "mx@2-q:" in (tmp_path / "ours" / "dvc.lock").read_text()
    again = real_dvc("repro", cwd=tmp_path / "ours").stdout
    assert "Running stage" not in again
