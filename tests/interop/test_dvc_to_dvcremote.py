"""What the real dvc wrote (``.dvc`` files, config, a local remote), dvcremote reads; and
``status -c`` of both tools agrees, in sync and out of it."""

from __future__ import annotations

from pathlib import Path

from interop_helpers import (
    clone_workspace,
    dvcfiles,
    flatten,
    md5,
    object_path,
    pushed_workspace,
    sample_tree,
    workspace_data,
)

from dvcremote.repo import Repo
from dvcremote_testing.dvc import DvcRunner, run_dvcremote


def test_dvcremote_pulls_what_dvc_pushed(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws, remote = pushed_workspace(tmp_path, real_dvc)
    written = dvcfiles(ws)
    clone = clone_workspace(ws, tmp_path / "clone")

    run_dvcremote("pull", cwd=clone)

    assert workspace_data(clone) == flatten(sample_tree())
    assert dvcfiles(clone) == written, "dvcremote rewrote dvc's .dvc files"
    status = run_dvcremote("status", "-c", "--json-objects", cwd=clone).json()
    assert status["paths"] == {} and status["new"] == status["missing"] == status["deleted"] == []
    assert real_dvc.json("status", "-c", cwd=clone) == {}
    # dvc accepts the cache and the workspace dvcremote restored as its own.
    assert real_dvc.json("status", cwd=clone) == {}
    # and every object dvcremote fetched sits where dvc put it on the remote
    cached = {
        p.relative_to(clone / ".dvc" / "cache").as_posix()
        for p in (clone / ".dvc" / "cache").rglob("*")
        if p.is_file()
    }
    assert cached == {p.relative_to(remote).as_posix() for p in remote.rglob("*") if p.is_file()}


def test_status_cloud_agrees_with_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """Each of DVC's four states, in one repository, reported the same by both tools."""
    ws, remote = pushed_workspace(tmp_path, real_dvc)
    clone = clone_workspace(ws, tmp_path / "clone")
    run_dvcremote("pull", cwd=clone)
    tree = flatten(sample_tree())
    cache = clone / ".dvc" / "cache"
    dir_oid = Repo(clone).outputs(["data.dvc"])[0].oid
    assert dir_oid is not None and dir_oid.endswith(".dir")

    # new: in the cache only (a file output, and a directory with one of its files)
    object_path(remote, md5(tree["foo"])).unlink()
    object_path(remote, dir_oid).unlink()
    object_path(remote, md5(tree["data/a.txt"])).unlink()
    # deleted: on the remote only
    object_path(cache, md5(tree["model.bin"])).unlink()
    # missing: in neither
    object_path(cache, md5(tree["crlf.txt"])).unlink()
    object_path(remote, md5(tree["crlf.txt"])).unlink()

    expected = {
        "foo": "new",
        "data": "new",
        "data/a.txt": "new",
        "model.bin": "deleted",
        "crlf.txt": "missing",
    }
    assert real_dvc.json("status", "-c", cwd=clone) == expected
    ours = run_dvcremote("status", "-c", "--json-objects", cwd=clone, check=False)
    assert ours.returncode == 1, ours.describe()  # documented: not in sync
    assert ours.json()["paths"] == expected

    with Repo(clone) as repo:
        status = repo.status(cloud=True)
    assert status.new == {md5(tree["foo"]), dir_oid, md5(tree["data/a.txt"])}
    assert status.deleted == {md5(tree["model.bin"])}
    assert status.missing == {md5(tree["crlf.txt"])}
    assert md5(tree["data/empty"]) in status.ok and not status.in_sync
    assert sorted(ours.json()["new"]) == sorted(status.new)
