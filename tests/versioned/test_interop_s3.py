"""A worktree remote shared with the real ``dvc`` on a versioned S3 bucket (moto on
loopback): what one tool pushes, the other pulls, at the recorded versions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from versioned_helpers import DATA_DIR, flatten, read_tree, remove, write_tree

from dvcremote.repo import Repo

REMOTE = "upstream"
DVCFILES = ("foo.dvc", "data_dir.dvc")
TRACKED = {"foo": b"foo", **{f"data_dir/{r}": d for r, d in flatten(DATA_DIR).items()}}


class Dvc:
    """The real dvc of this interpreter, writing nothing outside the test's tmp dir."""

    def __init__(self, home: Path, s3_env: dict[str, str]) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.env = {
            **os.environ,
            **s3_env,
            "DVC_NO_ANALYTICS": "1",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
        }

    def __call__(self, cwd: Path, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "dvc", *args],
            cwd=cwd, env=self.env, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, f"dvc {' '.join(args)}:\n{done.stdout}\n{done.stderr}"

    def workspace(self, ws: Path, url: str, endpoint: str) -> None:
        """A fresh dvc repository whose default remote is a worktree remote at ``url``."""
        ws.mkdir(parents=True, exist_ok=True)
        self(ws, "init", "--no-scm")
        (ws / ".dvc" / "config").write_text(
            f"[core]\n    no_scm = True\n    remote = {REMOTE}\n"
            f"    site_cache_dir = {self.home / 'site'}\n"
            f"['remote \"{REMOTE}\"']\n    url = {url}\n    endpointurl = {endpoint}\n"
            "    worktree = true\n"
        )


def test_dvc_and_dvcremote_pull_what_the_other_pushed(
    tmp_path: Path, s3_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dvc_s3", reason="needs the real dvc's S3 support (dvc-s3)")
    s3 = s3_server
    bucket = s3.create_bucket(versioned=True)
    url = f"s3://{bucket}/project"
    ours = tmp_path / "ours"
    ours.mkdir()
    monkeypatch.chdir(ours)
    repo = Repo.init(ours, no_scm=True)
    write_tree(ours, {"foo": "foo", "data_dir": DATA_DIR})
    repo.add(["foo", "data_dir"])
    repo.remote_add(REMOTE, url, default=True, worktree=True, **s3.remote_options())
    assert repo.push().ok
    # Someone overwrites and deletes current files: the recorded versions still serve.
    client = s3.client()
    client.put_object(Bucket=bucket, Key="project/data_dir/data", Body=b"overwritten")
    client.delete_object(Bucket=bucket, Key="project/foo")

    dvc = Dvc(tmp_path / "dvc-home", s3.env())
    theirs = tmp_path / "theirs"
    dvc.workspace(theirs, url, s3.endpoint_url)
    for name in DVCFILES:
        shutil.copyfile(ours / name, theirs / name)
    dvc(theirs, "pull")
    assert read_tree(theirs) == TRACKED
    for name in DVCFILES:
        assert (theirs / name).read_bytes() == (ours / name).read_bytes()

    # dvc changes a file and pushes; dvcremote pulls that version, byte for byte.
    remove(theirs / "foo")
    (theirs / "foo").write_text("foo, by dvc")
    dvc(theirs, "add", "foo")
    dvc(theirs, "push")
    client.put_object(Bucket=bucket, Key="project/foo", Body=b"overwritten again")
    shutil.copyfile(theirs / "foo.dvc", ours / "foo.dvc")
    remove(ours / "foo")
    repo.close()
    repo = Repo(ours)
    assert repo.pull(["foo"]).ok
    assert (ours / "foo").read_bytes() == b"foo, by dvc"
    status = repo.status(["foo"], cloud=True)
    assert status.in_sync
    repo.close()
