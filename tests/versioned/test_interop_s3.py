"""A worktree remote shared with the real ``dvc`` on a versioned S3 bucket (moto on
loopback): what one tool pushes, the other pulls, at the recorded versions."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from versioned_helpers import DATA_DIR, flatten, read_tree, remove, write_tree

from dvcremote.repo import Repo
from dvcremote_testing.dvc import DvcRunner

REMOTE = "upstream"
DVCFILES = ("foo.dvc", "data_dir.dvc")
TRACKED = {"foo": b"foo", **{f"data_dir/{r}": d for r, d in flatten(DATA_DIR).items()}}


def dvc_workspace(dvc: DvcRunner, ws: Path, url: str, endpoint: str) -> None:
    """A fresh dvc repository whose default remote is a worktree remote at ``url``."""
    ws.mkdir(parents=True, exist_ok=True)
    dvc("init", "--no-scm", cwd=ws)
    (ws / ".dvc" / "config").write_text(
        f"[core]\n    no_scm = True\n    remote = {REMOTE}\n"
        f"['remote \"{REMOTE}\"']\n    url = {url}\n    endpointurl = {endpoint}\n"
        "    worktree = true\n"
    )


def test_dvc_and_dvcremote_pull_what_the_other_pushed(
    tmp_path: Path, s3_server: Any, monkeypatch: pytest.MonkeyPatch, dvc_pycache: Path
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

    dvc = DvcRunner(tmp_path / "dvc-home", dvc_pycache, s3.env(), timeout=600)
    theirs = tmp_path / "theirs"
    dvc_workspace(dvc, theirs, url, s3.endpoint_url)
    for name in DVCFILES:
        shutil.copyfile(ours / name, theirs / name)
    dvc("pull", cwd=theirs)
    assert read_tree(theirs) == TRACKED
    for name in DVCFILES:
        assert (theirs / name).read_bytes() == (ours / name).read_bytes()

    # dvc changes a file and pushes; dvcremote pulls that version, byte for byte.
    remove(theirs / "foo")
    (theirs / "foo").write_text("foo, by dvc")
    dvc("add", "foo", cwd=theirs)
    dvc("push", cwd=theirs)
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
