"""``dvcremote pull`` while sshd (and its sessions) is killed half way: one ERROR line
and exit code 3, nothing corrupt or partial in the cache, and once sshd is back the
same command finishes the job."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from dvcremote_ssh.testing import SSHServer, ssh_fault_server
from dvcremote_testing.servers import act_when

__all__ = ["ssh_fault_server"]

FILES = 300
KILL_AFTER = 20
#: A guard against a hang, not a measurement.
HANG_GUARD_S = 240


def _run(workspace: Path, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dvcremote", *args], cwd=workspace, capture_output=True,
        text=True, timeout=HANG_GUARD_S, check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _cached(workspace: Path) -> list[Path]:
    root = workspace / ".dvc" / "cache" / "files" / "md5"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_pull_from_a_killed_server_fails_at_once_and_the_rerun_finishes(
    ssh_fault_server: SSHServer, tmp_path: Path
) -> None:
    server = ssh_fault_server
    assert server.process is not None
    remote = Path(server.workdir) / "data" / "remote"
    workspace = tmp_path / "ws"
    (workspace / "data").mkdir(parents=True)
    for i in range(FILES):
        (workspace / "data" / f"{i:03d}.txt").write_text(f"file {i}\n" * 50)
    setup = [
        ("init",), ("add", "data"), ("remote", "add", "-d", "r", server.url(str(remote))),
        ("remote", "modify", "r", "keyfile", server.keyfile),
        ("remote", "modify", "r", "known_hosts", server.known_hosts),
        ("remote", "modify", "r", "timeout", "2"),
        ("remote", "modify", "r", "read_timeout", "3"),
        ("push",),
    ]
    for args in setup:
        code, _, err = _run(workspace, *args)
        assert code == 0, (args, err)
    shutil.rmtree(workspace / ".dvc" / "cache")
    shutil.rmtree(workspace / "data")

    with act_when(lambda: len(_cached(workspace)) >= KILL_AFTER, server.process.kill) as killed:
        code, _, err = _run(workspace, "pull", "-j", "4")
    assert killed.is_set(), "the pull finished before the server could be killed"
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert code == 3, err
    assert len(errors) == 1 and "SSH" in errors[0], err
    assert "Traceback" not in err
    kept = _cached(workspace)
    assert len(kept) < FILES + 1, "everything arrived: the server died too late"
    for path in kept:  # whole, verified objects only: the name is the content's md5
        name = path.parent.name + path.name.removesuffix(".dir")
        assert hashlib.md5(path.read_bytes()).hexdigest() == name, f"{path} is corrupt"

    server.process.restart()
    code, _, err = _run(workspace, "pull")
    assert code == 0, err
    for i in range(FILES):
        assert (workspace / "data" / f"{i:03d}.txt").read_text() == f"file {i}\n" * 50
