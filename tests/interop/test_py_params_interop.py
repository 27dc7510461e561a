"""Python params files (``params.py``) with the real dvc 3.67: read without running them,
the same ``dvc.lock`` bytes, and a change seen alike by ``repro`` and ``status``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from interop_helpers import write_tree

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

Tool = Callable[..., Run]

PARAMS_PY = (
    "import os\n"
    "LR = 0.1\n"
    "NAME: str = 'model'\n"
    "LAYERS = [1, 2, 3]\n"
    "OPTS = {'fast': True, 'depth': 4}\n"
    "SKIPPED = os.getcwd()  # not a literal: dvc leaves it out\n"
    "open('ran', 'w')  # never executed\n"
    "class Train:\n"
    "    epochs = 3\n"
    "    seed = 1\n"
)
DVC_YAML = (
    "stages:\n"
    "  train:\n"
    "    cmd: echo trained > model\n"
    "    params:\n"
    "    - params.py:\n"
    "      - LR\n"
    "      - Train\n"
    "      - OPTS.depth\n"
    "    - p.cfg:\n"  # an unknown suffix is read as YAML, as dvc
    "      - k\n"
    "    outs:\n"
    "    - model\n"
    "  all:\n"
    "    cmd: echo all > whole\n"
    "    params:\n"
    "    - params.py:\n"
    "    outs:\n"
    "    - whole\n"
)


def _dvcremote(*args: str, cwd: Path) -> Run:
    return run_dvcremote(*args, cwd=cwd)


def _blocks(status: str) -> set[str]:
    """``status`` text as one string per stage (a line without a tab starts one)."""
    blocks: list[str] = []
    for line in status.splitlines():
        if line.startswith("\t") and blocks:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return set(blocks)


def _project(ws: Path, tool: Tool) -> Path:
    write_tree(ws, {"params.py": PARAMS_PY, "p.cfg": "k: 1\n", "dvc.yaml": DVC_YAML})
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tool("init", "-q", cwd=ws)
    tool("repro", cwd=ws)
    return ws


def test_py_params_same_lock_and_never_run(tmp_path: Path, real_dvc: DvcRunner) -> None:
    theirs = _project(tmp_path / "dvc", lambda *a, cwd: real_dvc(*a, cwd=cwd))
    ours = _project(tmp_path / "ours", _dvcremote)
    lock = (ours / "dvc.lock").read_text()
    assert lock == (theirs / "dvc.lock").read_text()
    assert "LR: 0.1" in lock and "OPTS.depth: 4" in lock and "epochs: 3" in lock
    assert not (ours / "ran").exists()
    # Each finds the other's work up to date.
    assert "Running stage" not in real_dvc("repro", cwd=ours).stdout
    assert "Running stage" not in _dvcremote("repro", cwd=theirs).stdout


def test_py_params_change_seen_alike(tmp_path: Path, real_dvc: DvcRunner) -> None:
    dvc: Tool = lambda *a, cwd: real_dvc(*a, cwd=cwd)  # noqa: E731
    runs = {}
    for name, tool in (("dvc", dvc), ("ours", _dvcremote)):
        ws = _project(tmp_path / name, tool)
        (ws / "params.py").write_text(PARAMS_PY.replace("epochs = 3", "epochs = 4"))
        # Both say so alike (dvcremote's status exits 1 on a change; it lists stages
        # by name, dvc in dvc.yaml order, so the blocks are compared as a set).
        ours_status = run_dvcremote("status", cwd=ws, check=False).stdout
        assert _blocks(ours_status) == _blocks(real_dvc("status", cwd=ws).stdout)
        assert "params.py:" in ours_status and "Train" in ours_status
        runs[name] = tool("repro", cwd=ws).stdout
    ran = {
        name: sorted(line for line in out.splitlines() if line.startswith("Running stage"))
        for name, out in runs.items()
    }
    assert ran["ours"] == ran["dvc"] == ["Running stage 'all':", "Running stage 'train':"]
    assert (tmp_path / "ours" / "dvc.lock").read_bytes() == (
        tmp_path / "dvc" / "dvc.lock"
    ).read_bytes()
