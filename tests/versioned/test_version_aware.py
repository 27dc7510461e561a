"""Version-aware remotes on versioned memory and local storage: push records versions,
fetch reads exactly those versions (verified), status works, a second remote
records its own ids."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from versioned_helpers import DATA_DIR, flatten, fresh, read_tree, remove, write_tree

from dvcremote.errors import IntegrityError
from dvcremote.remotes.version_aware import VersionAwareRemote
from dvcremote.results import StatusResult

REMOTE = "upstream"
INSIDE = flatten(DATA_DIR)
FILES = {f"data_dir/{rel}": data for rel, data in INSIDE.items()}


def md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode() if isinstance(data, str) else data).hexdigest()


def out_of(path: Path) -> dict[str, Any]:
    outs = yaml.safe_load(path.read_text())["outs"]
    assert len(outs) == 1
    out: dict[str, Any] = outs[0]
    return out


def files_of(path: Path) -> dict[str, dict[str, Any]]:
    return {f["relpath"]: f for f in out_of(path)["files"]}


def record(item: dict[str, Any], remote: str = REMOTE) -> dict[str, str]:
    assert list(item["cloud"]) == [remote], item
    rec: dict[str, str] = item["cloud"][remote]
    return rec


@pytest.fixture
def tracked(repo: Any, workspace: Path, store: Any) -> Any:
    """foo and data_dir tracked, the store added as the default version-aware remote."""
    write_tree(workspace, {"foo": "foo", "data_dir": DATA_DIR})
    repo.add(["foo", "data_dir"])
    store.add_to(repo, REMOTE, version_aware=True)
    return repo


def test_adapter_is_chosen_by_config(tracked: Any) -> None:
    with tracked.open_remote() as adapter:
        assert type(adapter) is VersionAwareRemote


def test_push_records_each_files_version(tracked: Any, workspace: Path, store: Any) -> None:
    summary = tracked.push()
    assert summary.ok
    assert summary.transferred == {md5("foo")} | {md5(d) for d in FILES.values()}

    # Files live at their workspace paths, readable by anyone.
    assert store.current() == {"foo": b"foo", **FILES}

    foo = out_of(workspace / "foo.dvc")
    assert (foo["md5"], foo["size"], foo["path"]) == (md5("foo"), 3, "foo")
    rec = record(foo)
    assert list(rec) == ["etag", "version_id"]
    assert store.backend.read_bytes("foo", version_id=rec["version_id"]) == b"foo"

    out = out_of(workspace / "data_dir.dvc")
    assert list(out) == ["hash", "path", "files"]
    for relpath, item in files_of(workspace / "data_dir.dvc").items():
        assert (item["md5"], item["size"]) == (md5(INSIDE[relpath]), len(INSIDE[relpath]))
        vid = record(item)["version_id"]
        assert vid in store.versions(f"data_dir/{relpath}")
        assert store.backend.read_bytes(f"data_dir/{relpath}", version_id=vid) == INSIDE[relpath]


def test_second_push_moves_nothing_and_rewrites_nothing(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    before = {n: ((workspace / n).read_bytes(), (workspace / n).stat().st_mtime_ns)
              for n in ("foo.dvc", "data_dir.dvc")}
    versions = {p: store.versions(p) for p in store.current()}

    summary = tracked.push()
    assert summary.ok
    assert summary.transferred == frozenset()
    assert summary.up_to_date == 4
    after = {n: ((workspace / n).read_bytes(), (workspace / n).stat().st_mtime_ns)
             for n in ("foo.dvc", "data_dir.dvc")}
    assert after == before
    assert {p: store.versions(p) for p in store.current()} == versions


def test_adding_again_keeps_the_records_of_unchanged_files(
    tracked: Any, workspace: Path, store: Any
) -> None:
    """As ``dvc add`` does: only changed content loses its record, so the next push
    uploads only that (a versioned remote keeps every upload as a new version)."""
    assert tracked.push().ok
    foo_before = (workspace / "foo.dvc").read_bytes()
    records = {rel: record(item) for rel, item in files_of(workspace / "data_dir.dvc").items()}
    versions = {p: store.versions(p) for p in store.current()}
    changed = workspace / "data_dir" / "data"
    remove(changed)
    changed.write_text("data, changed")

    tracked.add(["foo", "data_dir"])
    assert (workspace / "foo.dvc").read_bytes() == foo_before  # same bytes: record kept
    after = files_of(workspace / "data_dir.dvc")
    assert list(out_of(workspace / "data_dir.dvc")) == ["hash", "path", "files"]
    assert after["data"] == {"relpath": "data", "md5": md5("data, changed"), "size": 13}
    for rel in set(INSIDE) - {"data"}:
        assert record(after[rel]) == records[rel]

    summary = tracked.push()
    assert summary.ok
    assert summary.transferred == {md5("data, changed")}
    grown = {p for p in versions if store.versions(p) != versions[p]}
    assert grown == {"data_dir/data"}
    assert record(files_of(workspace / "data_dir.dvc")["data"])["version_id"] in store.versions(
        "data_dir/data"
    )


def test_pull_reads_the_recorded_versions(tracked: Any, workspace: Path, store: Any) -> None:
    tracked.push()
    dvcfiles = {n: (workspace / n).read_bytes() for n in ("foo.dvc", "data_dir.dvc")}
    # Someone overwrites one current file and deletes two others.
    store.backend.write("data_dir/data", b"overwritten", overwrite=True)
    store.backend.delete("data_dir/data_sub_dir/data_sub")
    store.backend.delete("foo")
    remove(workspace / ".dvc" / "cache")
    remove(workspace / "foo")
    remove(workspace / "data_dir")

    repo = fresh(tracked)
    result = repo.pull()
    assert result.ok, result
    assert len(result.transferred) == 4
    assert read_tree(workspace) == {"foo": b"foo", **FILES}
    assert {n: (workspace / n).read_bytes() for n in dvcfiles} == dvcfiles


def test_fetch_verifies_each_version_against_its_md5(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    # Point the record of data_dir/data at a version holding other bytes.
    store.backend.write("data_dir/data", b"not the data", overwrite=True)
    wrong = store.backend.get_file_info("data_dir/data").version_id
    dvc = workspace / "data_dir.dvc"
    right = record(files_of(dvc)["data"])["version_id"]
    dvc.write_text(dvc.read_text().replace(right, wrong))
    remove(workspace / ".dvc" / "cache")
    remove(workspace / "data_dir")

    repo = fresh(tracked)
    result = repo.pull(["data_dir"])
    assert not result.ok
    error = result.fetch.failed[md5("data")]
    assert isinstance(error, IntegrityError)
    assert md5("data") in str(error)
    cache = workspace / ".dvc" / "cache" / "files" / "md5"
    assert not (cache / md5("data")[:2] / md5("data")[2:]).exists()
    assert b"not the data" not in read_tree(workspace).values()
    # The others arrived; the file whose version was wrong was not checked out.
    assert read_tree(workspace / "data_dir") == {
        "empty": b"", "data_sub_dir/data_sub": b"data_sub"
    }


def test_status_works_on_version_aware_remotes(tracked: Any, workspace: Path, store: Any) -> None:
    ids = {md5("foo")} | {md5(d) for d in FILES.values()}
    status = tracked.status(cloud=True)
    assert isinstance(status, StatusResult)
    assert (status.new, status.ok, status.deleted, status.missing) == (ids, set(), set(), set())
    assert status.paths == {"foo": "new", **dict.fromkeys(FILES, "new")}
    assert not status.in_sync

    tracked.push()
    status = tracked.status(cloud=True)
    assert (status.ok, status.new) == (ids, set())
    assert status.in_sync

    # The current file changes: the recorded version is still there.
    store.backend.write("foo", b"someone else's", overwrite=True)
    assert tracked.status(cloud=True).ok == ids

    # The recorded version itself is destroyed: the cache still has it -> new.
    vid = record(out_of(workspace / "foo.dvc"))["version_id"]
    store.backend.delete_version("foo", vid)
    status = tracked.status(cloud=True)
    assert (status.new, status.ok) == ({md5("foo")}, ids - {md5("foo")})
    assert status.paths["foo"] == "new"

    # Cache cleared: what only the remote has is deleted, what neither has is missing.
    remove(workspace / ".dvc" / "cache")
    repo = fresh(tracked)
    status = repo.status(cloud=True)
    assert status.deleted == ids - {md5("foo")}
    assert status.missing == {md5("foo")}
    assert status.paths["foo"] == "missing"
    assert status.paths["data_dir/data"] == "deleted"


def test_push_uploads_again_a_version_that_is_gone(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    old = record(out_of(workspace / "foo.dvc"))["version_id"]
    store.backend.delete_version("foo", old)
    summary = tracked.push()
    assert summary.transferred == {md5("foo")}
    new = record(out_of(workspace / "foo.dvc"))["version_id"]
    assert new != old
    assert store.backend.read_bytes("foo", version_id=new) == b"foo"


def test_push_without_cache_reports_missing(tracked: Any, workspace: Path) -> None:
    remove(workspace / ".dvc" / "cache")
    repo = fresh(tracked)
    summary = repo.push(["foo"])
    assert summary.missing == {md5("foo")}
    assert not summary.ok
    assert "cloud" not in out_of(workspace / "foo.dvc")


def test_a_second_remote_records_its_own_versions(
    tracked: Any, workspace: Path, store: Any, make_store: Any
) -> None:
    """DVC only renames the ``cloud:`` key (its #9947), leaving the first remote's ids
    under the second one's name; here the second remote's own ids replace them."""
    tracked.push()
    first = record(out_of(workspace / "foo.dvc"))["version_id"]
    other = make_store(store.kind)
    other.add_to(tracked, "second", version_aware=True)

    summary = tracked.push(remote="second")
    assert summary.ok and len(summary.transferred) == 4
    foo = out_of(workspace / "foo.dvc")
    assert list(foo["cloud"]) == ["second"]  # one remote per record, as DVC writes
    vid = foo["cloud"]["second"]["version_id"]
    assert vid != first
    assert other.backend.read_bytes("foo", version_id=vid) == b"foo"
    for relpath, item in files_of(workspace / "data_dir.dvc").items():
        rec = record(item, "second")
        data = other.backend.read_bytes(f"data_dir/{relpath}", version_id=rec["version_id"])
        assert data == INSIDE[relpath]

    remove(workspace / ".dvc" / "cache")
    remove(workspace / "foo")
    remove(workspace / "data_dir")
    repo = fresh(tracked)
    assert repo.pull(remote="second").ok
    assert read_tree(workspace) == {"foo": b"foo", **FILES}
    # The first remote's records were replaced: it has the data, but not on record.
    status = repo.status(cloud=True, remote=REMOTE)
    assert status.new == {md5("foo")} | {md5(d) for d in FILES.values()}


def test_outputs_in_subfolders_keep_their_paths(repo: Any, workspace: Path, store: Any) -> None:
    write_tree(workspace, {"sub": {"deeper": {"file.bin": b"\x00\x01"}, "d": {"x": "x"}}})
    repo.add(["sub/deeper/file.bin", "sub/d"])
    store.add_to(repo, REMOTE, version_aware=True)
    assert repo.push().ok
    assert store.current() == {"sub/deeper/file.bin": b"\x00\x01", "sub/d/x": b"x"}
    out = out_of(workspace / "sub" / "deeper" / "file.bin.dvc")
    assert out["path"] == "file.bin"


def test_an_interrupted_push_keeps_the_versions_it_made(
    tracked: Any, workspace: Path, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvcremote.config import RemoteConfig
    from dvcremote_testing.spy import Interrupted, SpyBackend

    original = RemoteConfig.open_backend
    with monkeypatch.context() as patch:
        patch.setattr(
            RemoteConfig, "open_backend", lambda self: SpyBackend(original(self), interrupt_after=2)
        )
        with pytest.raises(Interrupted):
            tracked.push(jobs=1)

    def recorded() -> dict[str, str]:
        found = {}
        foo = out_of(workspace / "foo.dvc")
        if "cloud" in foo:
            found["foo"] = record(foo)["version_id"]
        data_dir = out_of(workspace / "data_dir.dvc")
        for item in data_dir.get("files", []):
            if "cloud" in item:
                found[f"data_dir/{item['relpath']}"] = record(item)["version_id"]
        return found

    first = recorded()
    assert len(first) == 2
    for path, version in first.items():
        assert store.backend.read_bytes(path, version_id=version) == {"foo": b"foo", **FILES}[path]

    summary = fresh(tracked).push()
    assert summary.ok and len(summary.transferred) == 2
    second = recorded()
    assert len(second) == 4
    assert {p: second[p] for p in first} == first
