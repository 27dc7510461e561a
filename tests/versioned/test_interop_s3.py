"""Version-aware and worktree remotes shared with the real ``dvc`` on a versioned S3 bucket
(moto on loopback): what one tool pushes, the other pulls, at the recorded versions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from versioned_helpers import DATA_DIR, flatten, read_tree, write_tree

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
            "DVC_SITE_CACHE_DIR": str(home / "site"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
        }

    def __call__(self, cwd: Path, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dvc", *args],
            cwd=cwd, env=self.env, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, f"dvc {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def workspace(self, ws: Path, url: str, endpoint: str, key: str) -> None:
        """A fresh dvc repository whose default remote is ``url`` with ``key = true``."""
        ws.mkdir(parents=True, exist_ok=True)
        self(ws, "init", "--no-scm")
        self(ws, "config", "core.site_cache_dir", str(self.home / "site"))
        self(ws, "remote", "add", "-d", REMOTE, url)
        self(ws, "remote", "modify", REMOTE, "endpointurl", endpoint)
        self(ws, "remote", "modify", REMOTE, key, "true")


@pytest.fixture
def s3(s3_server: Any) -> Any:
    pytest.importorskip("dvc_s3", reason="needs the real dvc's S3 support (dvc-s3)")
    return s3_server


@pytest.mark.parametrize("key", ["version_aware", "worktree"])
def test_dvc_pulls_what_dvcremote_pushed(
    tmp_path: Path, s3: Any, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.create_bucket(versioned=True)
    url = f"s3://{bucket}/project"
    ours = tmp_path / "ours"
    ours.mkdir()
    monkeypatch.chdir(ours)
    with Repo.init(ours, no_scm=True) as repo:
        write_tree(ours, {"foo": "foo", "data_dir": DATA_DIR})
        repo.add(["foo", "data_dir"])
        repo.remote_add(REMOTE, url, default=True, **{key: True}, **s3.remote_options())
        assert repo.push().ok
    # Someone overwrites and deletes current files: the recorded versions still serve.
    client = s3.client()
    client.put_object(Bucket=bucket, Key="project/data_dir/data", Body=b"overwritten")
    client.delete_object(Bucket=bucket, Key="project/foo")

    dvc = Dvc(tmp_path / "dvc-home", s3.env())
    theirs = tmp_path / "theirs"
    dvc.workspace(theirs, url, s3.endpoint_url, key)
    for name in DVCFILES:
        shutil.copyfile(ours / name, theirs / name)
    dvc(theirs, "pull")
    assert read_tree(theirs) == TRACKED
    for name in DVCFILES:
        assert (theirs / name).read_bytes() == (ours / name).read_bytes()


def test_dvcremote_pulls_what_dvc_pushed(
    tmp_path: Path, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.create_bucket(versioned=True)
    url = f"s3://{bucket}/project"
    dvc = Dvc(tmp_path / "dvc-home", s3.env())
    theirs = tmp_path / "theirs"
    dvc.workspace(theirs, url, s3.endpoint_url, "version_aware")
    write_tree(theirs, {"foo": "foo", "data_dir": DATA_DIR})
    dvc(theirs, "add", "foo", "data_dir")
    dvc(theirs, "push")
    s3.client().put_object(Bucket=bucket, Key="project/data_dir/data", Body=b"overwritten")

    ours = tmp_path / "ours"
    ours.mkdir()
    monkeypatch.chdir(ours)
    with Repo.init(ours, no_scm=True) as repo:
        repo.remote_add(REMOTE, url, default=True, version_aware=True, **s3.remote_options())
        for name in DVCFILES:
            shutil.copyfile(theirs / name, ours / name)
        assert repo.pull().ok
        assert read_tree(ours) == TRACKED
        assert repo.status(cloud=True).in_sync
        # A push with nothing to do leaves dvc's files exactly as dvc wrote them.
        summary = repo.push()
        assert summary.ok and not summary.transferred
    for name in DVCFILES:
        assert (ours / name).read_bytes() == (theirs / name).read_bytes()
