"""History-wide commands on version-aware and worktree remotes (a versioned local directory).

History: c0 tracks data/ {a: a0, b: b0}, foo=foo0 and scratch, never pushed; scratch.dvc
is deleted; push; v1 commits the .dvc files with their recorded versions; then data/b
is deleted, data/a and foo change, push, v2. The remote's current files are v2's (a
worktree remote no longer shows data/b), so v1 can only come back through the version
ids v1 recorded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dvcremote.backends.local import LocalBackend
from dvcremote.cli import EXIT_FAILED, main
from dvcremote.errors import VersionNotFound
from dvcremote.objects import Obj
from dvcremote.repo import Repo
from dvcremote.scm import Git

from .histbuild import md5, objects_under, write


@dataclass
class Versioned:
    root: Path
    store: Path
    repo: Repo
    git: Git
    shas: dict[str, str]

    def current(self) -> dict[str, bytes]:
        """The remote's current files (not the worktree remote's own ``.dvc/`` folder)."""
        backend = LocalBackend.from_url(str(self.store), versioning=True)
        try:
            return {
                info.path: backend.read_bytes(info.path)
                for info in backend.list_files("", recursive=True)
                if not info.path.startswith(".dvc/")
            }
        finally:
            backend.close()

    def clear_cache(self) -> None:
        shutil.rmtree(self.root / ".dvc" / "cache")


@pytest.fixture(params=["version_aware", "worktree"])
def versioned(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Versioned]:
    root = tmp_path / "project"
    store = tmp_path / "store"
    store.mkdir()
    Git.init(root).close()
    monkeypatch.chdir(root)
    repo = Repo.init(root)
    git = repo.git
    assert git is not None
    repo.remote_add("store", str(store), default=True, versioning=True, **{request.param: True})
    git.add([".dvc/config"])
    shas = {"init": git.commit("init")}

    write(root, "data/a", "a0")
    write(root, "data/b", "b0")
    write(root, "foo", "foo0")
    write(root, "scratch", "scratch")
    repo.add(["data", "foo", "scratch"])
    git.add(["data.dvc", "foo.dvc", "scratch.dvc", ".gitignore"])
    shas["c0"] = git.commit("c0: tracked, not pushed")
    git.remove(["scratch.dvc"])
    assert repo.push().ok
    git.add(["data.dvc", "foo.dvc"])
    shas["v1"] = git.commit("v1: pushed, versions recorded")
    git.tag("v1")

    (root / "data" / "b").unlink()
    write(root, "data/a", "a2")
    write(root, "foo", "foo2")
    repo.add(["data", "foo"])
    assert repo.push().ok
    git.add(["data.dvc", "foo.dvc"])
    shas["v2"] = git.commit("v2: data/b deleted, a and foo changed")
    yield Versioned(root, store, repo, git, shas)
    repo.close()


V1 = {md5("a0"), md5("b0"), md5("foo0")}
V2 = {md5("a2"), md5("foo2")}


def _file_objects(root: Path) -> set[str]:
    return {o for o in objects_under(root / ".dvc" / "cache") if not o.endswith(".dir")}


def test_pull_rev_uses_the_versions_that_revision_recorded(versioned: Versioned) -> None:
    v = versioned
    if v.repo.config.remote("store").worktree:
        assert "data/b" not in v.current()  # hidden on the remote by v2's push
    assert v.current()["foo"] == b"foo2"  # v1's foo is only an older version now
    v.clear_cache()
    shutil.rmtree(v.root / "data")
    repo = Repo(v.root)
    try:
        result = repo.pull(revs="v1")
    finally:
        repo.close()
    assert result.ok, result.failed
    assert _file_objects(v.root) == V1 | V2
    # The workspace is v2's...
    assert (v.root / "data" / "a").read_text() == "a2"
    assert not (v.root / "data" / "b").exists()
    # ...and v1 checks out from the cache alone: the deleted file is back.
    v.git.checkout("v1")
    repo = Repo(v.root)
    try:
        assert repo.checkout(force=True).ok
    finally:
        repo.close()
    assert (v.root / "data" / "b").read_text() == "b0"
    assert (v.root / "foo").read_text() == "foo0"


def test_fetch_all_commits(versioned: Versioned) -> None:
    v = versioned
    v.clear_cache()
    repo = Repo(v.root)
    try:
        summary = repo.fetch(all_commits=True)
    finally:
        repo.close()
    # c0's files have no recorded version, but v1 recorded the same objects: all arrive.
    # scratch was never pushed anywhere: missing. c0's data.dvc names its directory by
    # manifest id only; a worktree remote keeps manifests, a version-aware one does not.
    assert _file_objects(v.root) == V1 | V2
    c0_dir = _dir_oid(v.git.read_file(v.shas["c0"], "data.dvc"))
    if v.repo.config.remote("store").worktree:
        assert summary.missing == {md5("scratch")}
    else:
        assert summary.missing == {md5("scratch"), c0_dir}
    assert not summary.failed


def _dir_oid(dvcfile: bytes) -> str:
    from dvcremote.dvcfile import loads

    oid = loads(dvcfile).outs[0].oid
    assert oid is not None and oid.endswith(".dir")
    return oid


def test_status_per_revision(versioned: Versioned) -> None:
    v = versioned
    v.clear_cache()
    repo = Repo(v.root)
    try:
        before = repo.status(cloud=True, revs="v1")
        assert before.deleted >= V1 | V2  # on the remote (recorded versions), not cached
        assert not before.new and not before.missing
        repo.fetch(revs="v1")
        after = repo.status(cloud=True, revs="v1")
        assert after.ok >= V1 | V2
        assert after.in_sync
        everything = repo.status(cloud=True, all_commits=True)
        assert md5("scratch") in everything.missing  # c0 only, never pushed, not cached
        c0_dir = _dir_oid(v.git.read_file(v.shas["c0"], "data.dvc"))
        assert everything.missing <= {md5("scratch"), c0_dir}
    finally:
        repo.close()


def test_push_history_records_nothing_and_reports_what_it_cannot_push(
    versioned: Versioned,
) -> None:
    v = versioned
    before = v.current()
    dvcfiles = {p: (v.root / p).read_bytes() for p in ("data.dvc", "foo.dvc")}
    summary = v.repo.push(all_commits=True)
    # scratch (c0 only) is in the cache but no commit records a version of it.
    assert set(summary.failed) == {md5("scratch")}
    error = summary.failed[md5("scratch")]
    assert isinstance(error, VersionNotFound)
    assert "scratch" in str(error) and v.shas["c0"][:12] in str(error)
    assert not summary.missing
    assert summary.transferred == frozenset()
    # Nothing uploaded for history: the current view is still the workspace's.
    assert v.current() == before
    assert {p: (v.root / p).read_bytes() for p in dvcfiles} == dvcfiles


def test_push_history_missing_from_the_cache_is_reported_not_raised(
    versioned: Versioned, capsys: pytest.CaptureFixture[str]
) -> None:
    v = versioned
    v.repo.cache.remove(Obj(md5("scratch")))
    summary = v.repo.push(all_commits=True)
    assert summary.missing == {md5("scratch")}
    assert not summary.failed
    assert main(["push", "-A"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "1 object not in the cache" in err
    assert "Traceback" not in err


def test_push_cli_names_the_unrecorded_file(
    versioned: Versioned, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push", "--rev", versioned.shas["c0"]]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "records no version" in err and "'scratch'" in err
    assert "Traceback" not in err


def test_push_workspace_still_records_its_versions(versioned: Versioned) -> None:
    """With history asked for, the workspace's outputs are pushed and recorded as usual."""
    v = versioned
    write(v.root, "foo", "foo3")
    v.repo.add(["foo"])
    summary = v.repo.push(revs="v1")
    assert summary.transferred == {md5("foo3")}
    assert summary.ok
    assert b"version_id" in (v.root / "foo.dvc").read_bytes()
    assert v.current()["foo"] == b"foo3"
