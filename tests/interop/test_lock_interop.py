"""dvc and dvcremote take the same repository lock (``.dvc/tmp/lock``): each waits for,
or refuses to run beside, the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from interop_helpers import write_tree

from dvcremote.repo import Repo
from dvcremote_testing.dvc import DvcRunner, run_dvcremote

#: Holds dvc's own repository lock (dvc.repo.Repo.lock) until stdin closes.
_DVC_HOLDS_LOCK = (
    "from dvc.repo import Repo\n"
    "repo = Repo('.')\n"
    "repo.lock.lock()\n"
    "print('locked', flush=True)\n"
    "import sys; sys.stdin.read()\n"
    "repo.lock.unlock()\n"
)


def _dvc_workspace(tmp_path: Path, real_dvc: DvcRunner) -> Path:
    ws = tmp_path / "ws"
    write_tree(ws, {"data": {"a": "alpha"}, "other": "beta"})
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    real_dvc("init", "-q", cwd=ws)
    return ws


def test_dvc_refuses_to_run_while_dvcremote_writes(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = _dvc_workspace(tmp_path, real_dvc)
    repo = Repo(ws)
    with repo.locked():
        refused = real_dvc("add", "data", cwd=ws, check=False)
    assert refused.returncode != 0
    assert "Unable to acquire lock" in refused.stderr + refused.stdout, refused.describe()
    assert not (ws / "data.dvc").exists()
    real_dvc("add", "data", cwd=ws)  # free again once dvcremote is done


def test_dvcremote_refuses_then_waits_while_dvc_holds_the_lock(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = _dvc_workspace(tmp_path, real_dvc)
    holder = subprocess.Popen(
        [sys.executable, "-c", _DVC_HOLDS_LOCK],
        cwd=ws,
        env=real_dvc.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        refused = run_dvcremote("add", "other", cwd=ws, check=False)
        assert refused.returncode == 3
        assert "another dvcremote/dvc command is running (lock: .dvc/tmp/lock)" in refused.stderr
        assert not (ws / "other.dvc").exists()
    finally:
        holder.communicate(input="", timeout=120)
    assert holder.returncode == 0
    run_dvcremote("add", "--wait", "60", "other", cwd=ws)
    assert (ws / "other.dvc").is_file()
    real_dvc("status", cwd=ws)
