"""A remote whose bucket does not exist is an error on every command, never "absent".

Before: ``status -c`` listed every object as ``new`` (exit 1, "out of sync"), and
``fetch``/``pull`` said the objects were "not in remote", because the existence checks
of the fsspec adapter answered False for any failure. The bucket is created, pushed to
and then deleted, as when it was removed or the remote's url names the wrong one.
"""

from __future__ import annotations

import shutil

import pytest

from dvcremote.cli import main
from dvcremote_s3.testing import S3Server
from dvcremote_testing.tmp_dir import TmpDir

KINDS = {"plain": {}, "version_aware": {"version_aware": True}, "worktree": {"worktree": True}}
COMMANDS = {
    "status-c": ["status", "-c"],
    "push": ["push"],
    "fetch": ["fetch"],
    "pull": ["pull"],
    "gc-c": ["gc", "-w", "-c", "-f"],  # content-addressed only: refused on the others anyway
}


def _cases() -> list[tuple[str, str]]:
    return [(k, c) for k in KINDS for c in COMMANDS if c != "gc-c" or k == "plain"]


@pytest.mark.parametrize(("kind", "command"), _cases())
def test_every_command_says_the_bucket_does_not_exist(
    tmp_dir: TmpDir,
    dvc: object,
    s3_server: S3Server,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    command: str,
) -> None:
    bucket = s3_server.create_bucket(versioned=kind != "plain")
    tmp_dir.dvc_gen({"data.txt": "hello", "images": {"a.png": "aaa", "b.png": "bbb"}})
    tmp_dir.add_remote(
        name="up",
        config={"url": f"s3://{bucket}/store", **s3_server.remote_options(), **KINDS[kind]},
    )
    assert main(["push"]) == 0
    s3_server.delete_bucket(bucket)
    if command in ("fetch", "pull"):
        shutil.rmtree(tmp_dir / ".dvc" / "cache")
        (tmp_dir / "data.txt").unlink()
        shutil.rmtree(tmp_dir / "images")
    capsys.readouterr()

    code = main(COMMANDS[command])

    out, err = capsys.readouterr()
    assert code == 3, (out, err)  # an error: not 0, and not status's 1 ("out of sync")
    assert f"bucket {bucket!r} does not exist" in err
    assert err.count("does not exist") == 1, "one error, not one per object"
    assert "new" not in out
    assert "not in remote" not in err and "missing" not in out + err
