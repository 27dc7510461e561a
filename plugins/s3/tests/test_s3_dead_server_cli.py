"""``dvcremote push`` while moto is killed half way: one ERROR line and exit code 3
within the hang guard (not minutes of retries per remaining object), and once the
server is back, the same command finishes the job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dvcremote_s3.testing import MotoProcess, s3_fault_server
from dvcremote_testing.servers import act_when

__all__ = ["s3_fault_server"]

FILES = 400
KILL_AFTER = 20
#: A guard against a hang, not a measurement: before the fix this push ran for minutes.
HANG_GUARD_S = 240


def _cli(workspace: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dvcremote", *args], cwd=workspace, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _run(workspace: Path, *args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = _cli(workspace, *args, env=env)
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    return proc.returncode, out, err


def test_push_to_a_killed_server_fails_at_once_and_the_rerun_finishes(
    s3_fault_server: MotoProcess, tmp_path: Path
) -> None:
    server, bucket = s3_fault_server.server, s3_fault_server.keep_buckets[0]
    env = {**os.environ, "AWS_MAX_ATTEMPTS": "2", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    workspace = tmp_path / "ws"
    (workspace / "data").mkdir(parents=True)
    for i in range(FILES):
        (workspace / "data" / f"{i:03d}.txt").write_text(f"file {i}\n" * 50)
    setup = [
        ("init",), ("add", "data"), ("remote", "add", "-d", "s3r", f"s3://{bucket}/remote"),
        ("remote", "modify", "s3r", "endpointurl", server.endpoint_url),
        ("remote", "modify", "s3r", "access_key_id", server.access_key_id),
        ("remote", "modify", "--local", "s3r", "secret_access_key", server.secret_access_key),
        ("remote", "modify", "s3r", "region", server.region),
        ("remote", "modify", "s3r", "connect_timeout", "2"),
        ("remote", "modify", "s3r", "read_timeout", "2"),
    ]
    for args in setup:
        code, _, err = _run(workspace, *args, env=env)
        assert code == 0, (args, err)

    def landed() -> int:
        reply = server.client().list_objects_v2(Bucket=bucket, Prefix="remote/")
        return int(reply.get("KeyCount", 0))

    with act_when(lambda: landed() >= KILL_AFTER, s3_fault_server.kill) as killed:
        code, _, err = _run(workspace, "push", "-j", "4", env=env)
    assert killed.is_set(), "the push finished before the server could be killed"
    errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert code == 3, err
    assert len(errors) == 1, err
    assert "cannot reach" in errors[0] or "unavailable" in errors[0], err
    assert "Traceback" not in err and server.secret_access_key not in err

    s3_fault_server.restart()  # moto forgot everything: the bucket is back, empty
    code, out, err = _run(workspace, "push", env=env)
    assert code == 0, err
    assert landed() == FILES + 1, out  # every file and the directory's manifest
