"""gc: unreferenced objects go, referenced ones (directory contents included) stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import cache_file, md5, remote_file, write_tree

from dvcremote.errors import ConfirmationRequired, ObjectMissing
from dvcremote.repo import Repo


def _setup(repo: Repo, workspace: Path, remote_dir: Path) -> tuple[str, str]:
    write_tree(workspace, {"data": {"x": "x1", "y": "y1"}, "foo": "foo1"})
    old_dir = repo.add(["data", "foo"]).outputs[0].oid
    repo.remote_add("store", str(remote_dir), default=True)
    repo.push()
    write_tree(workspace, {"data": {"x": "x2", "y": "y1"}, "foo": "foo2"})
    new_dir = repo.add(["data", "foo"]).outputs[0].oid
    repo.push()
    return old_dir, new_dir


def test_gc_keeps_what_is_used_and_removes_the_rest(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    old_dir, new_dir = _setup(dvcrepo, workspace, remote_dir)
    (result,) = dvcrepo.gc(workspace=True, force=True)
    assert result.where == "cache"
    assert result.removed == {old_dir, md5("x1"), md5("foo1")}
    for oid in (new_dir, md5("x2"), md5("y1"), md5("foo2")):
        assert cache_file(workspace, oid).is_file()
    for oid in result.removed:
        assert not cache_file(workspace, oid).exists()
    assert remote_file(remote_dir, old_dir).exists()  # without -c the remote is untouched
    assert dvcrepo.gc(workspace=True, force=True)[0].removed == frozenset()


def test_gc_cloud_needs_confirmation(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> None:
    old_dir, _ = _setup(dvcrepo, workspace, remote_dir)
    with pytest.raises(ConfirmationRequired):
        dvcrepo.gc(workspace=True, cloud=True)
    asked: list[str] = []
    with pytest.raises(ConfirmationRequired, match="not confirmed"):
        dvcrepo.gc(workspace=True, cloud=True, confirm=lambda msg: asked.append(msg) is not None)
    assert asked and "store" in asked[0]
    assert remote_file(remote_dir, old_dir).exists()
    assert cache_file(workspace, old_dir).exists()  # refused before deleting anything

    results = dvcrepo.gc(workspace=True, cloud=True, confirm=lambda msg: True)
    assert [r.where for r in results] == ["cache", "store"]
    assert results[1].removed == {old_dir, md5("x1"), md5("foo1")}
    assert not remote_file(remote_dir, old_dir).exists()
    assert remote_file(remote_dir, md5("y1")).exists()
    assert dvcrepo.status(cloud=True).in_sync


def test_gc_refuses_when_a_manifest_is_unknown(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    _, new_dir = _setup(dvcrepo, workspace, remote_dir)
    manifest = cache_file(workspace, new_dir)
    manifest.chmod(0o644)
    manifest.unlink()
    before = sorted(p for p in (workspace / ".dvc" / "cache").rglob("*") if p.is_file())
    with pytest.raises(ObjectMissing, match="Nothing was deleted"):
        Repo(workspace).gc(workspace=True, force=True)
    after = sorted(p for p in (workspace / ".dvc" / "cache").rglob("*") if p.is_file())
    assert before == after
