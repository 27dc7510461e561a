"""Worktree remotes on versioned memory and local storage: push mirrors the workspace
(deletions included, history kept), manifests live under ``.dvc/files/md5``, and
``update`` brings changes made on the remote out of band back in."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from versioned_helpers import DATA_DIR, flatten, fresh, read_tree, remove, write_tree

from dvcremote import dvcfile
from dvcremote.cli import main
from dvcremote.errors import ConfigError
from dvcremote.remotes.worktree import WorktreeRemote
from dvcremote.update import UpdateResult

REMOTE = "upstream"
INSIDE = flatten(DATA_DIR)
FILES = {f"data_dir/{rel}": data for rel, data in INSIDE.items()}


def md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode() if isinstance(data, str) else data).hexdigest()


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    entries = sorted(({"md5": md5(d), "relpath": r} for r, d in files.items()),
                     key=lambda e: e["relpath"])
    return json.dumps(entries, sort_keys=True).encode()


def out_of(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = yaml.safe_load(path.read_text())["outs"][0]
    return out


def files_of(path: Path) -> dict[str, dict[str, Any]]:
    return {f["relpath"]: f for f in out_of(path)["files"]}


def vid(item: dict[str, Any]) -> str:
    assert list(item["cloud"]) == [REMOTE], item
    value: str = item["cloud"][REMOTE]["version_id"]
    return value


def change_in_dvcfile(workspace: Path, relpath: str, data: bytes | None) -> None:
    """What ``dvc add`` does to a pushed directory after one file changed (or went):
    that entry loses its record, the others keep theirs."""
    path = "data_dir.dvc"
    loaded = dvcfile.load(workspace, path)
    out = loaded.outs[0]
    entries = [dict(e) for e in out.files or ()]
    if data is None:
        entries = [e for e in entries if e["relpath"] != relpath]
    else:
        entries = [e for e in entries if e["relpath"] != relpath]
        entries.append({"relpath": relpath, "md5": md5(data), "size": len(data)})
    out.set_files(sorted(entries, key=lambda e: e["relpath"]))
    loaded.write(workspace)


@pytest.fixture
def tracked(repo: Any, workspace: Path, store: Any) -> Any:
    write_tree(workspace, {"foo": "foo", "data_dir": DATA_DIR})
    repo.add(["foo", "data_dir"])
    store.add_to(repo, REMOTE, worktree=True)
    return repo


def test_adapter_is_chosen_by_config(tracked: Any) -> None:
    with tracked.open_remote() as adapter:
        assert type(adapter) is WorktreeRemote


def test_push_mirrors_and_keeps_manifests_under_dvc(
    tracked: Any, workspace: Path, store: Any
) -> None:
    summary = tracked.push()
    assert summary.ok
    dir_id = md5(manifest_bytes(INSIDE)) + ".dir"
    assert summary.transferred == {md5("foo"), dir_id} | {md5(d) for d in FILES.values()}
    assert store.current() == {"foo": b"foo", **FILES}
    manifest = f".dvc/files/md5/{dir_id[:2]}/{dir_id[2:]}"
    assert store.backend.read_bytes(manifest) == manifest_bytes(INSIDE)
    for relpath, item in files_of(workspace / "data_dir.dvc").items():
        assert store.backend.read_bytes(f"data_dir/{relpath}", version_id=vid(item)) == (
            INSIDE[relpath]
        )

    versions = {p: store.versions(p) for p in [*store.current(), manifest]}
    summary = tracked.push()
    assert (summary.transferred, summary.up_to_date) == (frozenset(), 4)
    assert {p: store.versions(p) for p in versions} == versions


def test_removed_file_is_deleted_from_the_remote_and_older_revisions_still_pull(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    v1 = (workspace / "data_dir.dvc").read_bytes()
    old = vid(files_of(workspace / "data_dir.dvc")["data"])
    kept = {r: vid(i) for r, i in files_of(workspace / "data_dir.dvc").items() if r != "data"}

    remove(workspace / "data_dir" / "data")
    change_in_dvcfile(workspace, "data", None)
    summary = tracked.push()
    assert summary.ok and summary.transferred <= {md5(manifest_bytes(
        {r: d for r, d in INSIDE.items() if r != "data"})) + ".dir"}
    assert "data_dir/data" not in store.current()
    assert store.current()["data_dir/empty"] == b""
    assert old in store.versions("data_dir/data")  # hidden, not destroyed
    assert {r: vid(i) for r, i in files_of(workspace / "data_dir.dvc").items()} == kept

    # Back to the older revision of the .dvc file: the deleted file comes back.
    (workspace / "data_dir.dvc").write_bytes(v1)
    remove(workspace / ".dvc" / "cache")
    remove(workspace / "data_dir")
    repo = fresh(tracked)
    assert repo.pull(["data_dir"]).ok
    assert read_tree(workspace / "data_dir") == INSIDE


def test_changed_file_gets_a_new_version_unchanged_keep_theirs(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    pushed = (workspace / "data_dir.dvc").read_bytes()
    before = {r: vid(i) for r, i in files_of(workspace / "data_dir.dvc").items()}
    data = workspace / "data_dir" / "data"
    data.chmod(0o644)
    data.unlink()
    data.write_text("data, changed")
    tracked.add(["data_dir"])  # only to put the new content into the cache
    (workspace / "data_dir.dvc").write_bytes(pushed)
    change_in_dvcfile(workspace, "data", b"data, changed")

    summary = tracked.push()
    assert summary.ok
    assert md5("data, changed") in summary.transferred
    assert summary.transferred - {md5("data, changed")} <= {
        md5(manifest_bytes({**INSIDE, "data": b"data, changed"})) + ".dir"
    }
    after = {r: vid(i) for r, i in files_of(workspace / "data_dir.dvc").items()}
    assert after["data"] != before["data"]
    assert {r: v for r, v in after.items() if r != "data"} == {
        r: v for r, v in before.items() if r != "data"
    }
    assert store.current()["data_dir/data"] == b"data, changed"
    assert before["data"] in store.versions("data_dir/data")


def test_push_undoes_out_of_band_changes_to_tracked_files(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    old = vid(files_of(workspace / "data_dir.dvc")["data"])
    store.backend.write("data_dir/data", b"someone else's", overwrite=True)
    store.backend.delete("foo")

    summary = tracked.push()
    assert summary.transferred == {md5("data"), md5("foo")}
    assert store.current() == {"foo": b"foo", **FILES}
    new = vid(files_of(workspace / "data_dir.dvc")["data"])
    assert new != old
    assert store.backend.read_bytes("data_dir/data", version_id=new) == b"data"


def test_push_replaces_a_file_where_a_tracked_directory_goes(
    tracked: Any, workspace: Path, store: Any
) -> None:
    store.backend.write("data_dir", b"a file in the way")
    summary = tracked.push()
    assert summary.ok, summary.failed
    assert store.current() == {"foo": b"foo", **FILES}


def test_remote_manifest_expands_a_directory_the_cache_lacks(
    tracked: Any, workspace: Path, store: Any
) -> None:
    added = (workspace / "data_dir.dvc").read_bytes()  # md5: <id>.dir, no records
    assert out_of(workspace / "data_dir.dvc")["md5"].endswith(".dir")
    tracked.push()
    (workspace / "data_dir.dvc").write_bytes(added)
    remove(workspace / ".dvc" / "cache")

    repo = fresh(tracked)
    status = repo.status(["data_dir"], cloud=True)
    # Known file by file (the manifest came from .dvc/files/md5), none on record.
    assert status.paths == dict.fromkeys(FILES, "missing")
    assert status.missing == {md5(d) for d in FILES.values()}


# ---------------------------------------------------------------------------- update
def test_update_brings_out_of_band_changes_in(tracked: Any, workspace: Path, store: Any) -> None:
    tracked.push()
    before = files_of(workspace / "data_dir.dvc")
    foo_before = out_of(workspace / "foo.dvc")
    store.backend.write("foo", b"bar", overwrite=True)
    store.backend.write("data_dir/data", b"modified", overwrite=True)
    store.backend.write("data_dir/new_data", b"new data")
    store.backend.delete("data_dir/empty")

    result = tracked.update(["foo.dvc", "data_dir.dvc"])
    assert isinstance(result, UpdateResult)
    assert result.ok
    assert result.added == ("data_dir/new_data",)
    assert result.modified == ("data_dir/data", "foo")
    assert result.deleted == ("data_dir/empty",)
    assert result.unchanged == 1
    assert result.dvcfiles == ("data_dir.dvc", "foo.dvc")
    assert result.summary() == (
        "Updated data_dir.dvc, foo.dvc: 1 added, 2 modified, 1 deleted, 1 unchanged"
    )

    foo = out_of(workspace / "foo.dvc")
    assert (foo["md5"], foo["size"]) == (md5("bar"), 3)
    assert vid(foo) != vid(foo_before)
    assert list(foo) == list(foo_before)  # same keys, same places
    after = files_of(workspace / "data_dir.dvc")
    assert set(after) == {"data", "data_sub_dir/data_sub", "new_data"}
    assert after["data_sub_dir/data_sub"] == before["data_sub_dir/data_sub"]
    assert after["data"]["md5"] == md5("modified")
    assert store.backend.read_bytes("data_dir/data", version_id=vid(after["data"])) == (
        b"modified"
    )
    assert after["new_data"]["md5"] == md5("new data")
    assert list(after["new_data"]) == ["relpath", "md5", "size", "cloud"]

    assert read_tree(workspace) == {
        "foo": b"bar",
        "data_dir/data": b"modified",
        "data_dir/new_data": b"new data",
        "data_dir/data_sub_dir/data_sub": b"data_sub",
    }
    # What update recorded pulls back from scratch.
    remove(workspace / ".dvc" / "cache")
    remove(workspace / "foo")
    remove(workspace / "data_dir")
    repo = fresh(tracked)
    assert repo.pull().ok
    assert read_tree(workspace)["data_dir/new_data"] == b"new data"


def test_update_with_nothing_changed_rewrites_nothing(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    stamps = {n: (workspace / n).stat().st_mtime_ns for n in ("foo.dvc", "data_dir.dvc")}
    result = tracked.update()
    assert result.ok and not result.changed
    assert result.unchanged == 4
    assert result.summary() == "Nothing to update (0 added, 0 modified, 0 deleted, 4 unchanged)"
    assert {n: (workspace / n).stat().st_mtime_ns for n in stamps} == stamps


def test_update_leaves_an_output_alone_when_the_remote_has_nothing(
    tracked: Any, workspace: Path, store: Any
) -> None:
    tracked.push()
    dvcfiles = {n: (workspace / n).read_bytes() for n in ("foo.dvc", "data_dir.dvc")}
    store.backend.delete_folder("data_dir", recursive=True)
    store.backend.delete("foo")
    result = tracked.update()
    assert result.skipped == {
        "data_dir": "nothing under it on the remote; left as it is",
        "foo": "not on the remote; left as it is",
    }
    assert not result.changed
    assert {n: (workspace / n).read_bytes() for n in dvcfiles} == dvcfiles
    assert read_tree(workspace) == {"foo": b"foo", **FILES}


def test_update_from_the_cli_prints_a_summary(
    tracked: Any, workspace: Path, store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tracked.push()
    store.backend.write("data_dir/new_data", b"new data")
    capsys.readouterr()
    assert main(["update", "data_dir.dvc"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "Updated data_dir.dvc: 1 added, 0 modified, 0 deleted, 3 unchanged"
    assert (workspace / "data_dir" / "new_data").read_bytes() == b"new data"


def test_update_refuses_a_remote_that_is_not_a_worktree(
    repo: Any, workspace: Path, store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(workspace, {"foo": "foo"})
    repo.add(["foo"])
    store.add_to(repo, REMOTE, version_aware=True)
    repo.push()
    before = (workspace / "foo.dvc").read_bytes()
    with pytest.raises(ConfigError, match="update needs a worktree remote, and remote "
                       "'upstream' is version-aware"):
        repo.update()
    assert (workspace / "foo.dvc").read_bytes() == before
    capsys.readouterr()
    assert main(["update"]) == 3
    err = capsys.readouterr().err
    assert "ERROR: update needs a worktree remote" in err
    assert "Traceback" not in err


# ------------------------------------------------------------- deletions in the summary
def test_push_reports_what_it_deleted_on_the_remote(
    tracked: Any, workspace: Path, store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tracked.push().ok
    remove(workspace / "data_dir" / "data")
    tracked.add(["data_dir"])
    summary = tracked.push()
    assert summary.ok
    assert summary.deleted == {"data_dir/data"}
    assert summary.delete_failed == {}
    assert "data_dir/data" not in store.current()

    remove(workspace / "data_dir" / "empty")
    tracked.add(["data_dir"])
    capsys.readouterr()
    assert main(["push"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "1 deleted from the remote" in line, line
    assert "data_dir/empty" not in store.current()


def test_a_deletion_that_fails_is_reported_by_path(
    tracked: Any,
    workspace: Path,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dvcremote.errors import PermissionDenied
    from dvcremote.repo import Repo

    assert tracked.push().ok
    original = Repo.open_remote_backend

    def refusing(self: Repo, config: Any) -> Any:
        backend = original(self, config)
        real = backend.delete

        def delete(path: str, *, missing_ok: bool = False) -> None:
            if path == "data_dir/data":
                raise PermissionDenied(path=path, backend=backend.name)
            real(path, missing_ok=missing_ok)

        backend.delete = delete  # type: ignore[method-assign]
        return backend

    monkeypatch.setattr(Repo, "open_remote_backend", refusing)
    remove(workspace / "data_dir" / "data")
    tracked.add(["data_dir"])
    summary = tracked.push()
    assert not summary.ok
    assert summary.failed == {} and summary.deleted == frozenset()
    assert list(summary.delete_failed) == ["data_dir/data"]
    assert isinstance(summary.delete_failed["data_dir/data"], PermissionDenied)
    assert "data_dir/data" in store.current()  # still there, and said so

    capsys.readouterr()
    assert main(["push"]) == 3
    captured = capsys.readouterr()
    assert "ERROR: data_dir/data: " in captured.err
    assert captured.out.strip().splitlines()[-1].endswith("1 not deleted")


def test_update_result_has_one_home() -> None:
    from dvcremote import results, update

    assert update.UpdateResult is results.UpdateResult is UpdateResult


@pytest.mark.parametrize("mode", ["worktree", "version_aware"])
def test_push_refuses_a_cache_object_changed_in_place(
    repo: Any, workspace: Path, store: Any, mode: str
) -> None:
    """Neither a worktree nor a version-aware push uploads a cache object whose content
    no longer matches its name; it is reported as CorruptObject (issue 11 item 3)."""
    import os
    import stat

    from dvcremote.errors import CorruptObject

    write_tree(workspace, {"foo": "foo", "bar": "bar"})
    repo.add(["foo", "bar"])
    store.add_to(repo, REMOTE, **{mode: True})
    oid = md5("foo")
    obj = workspace / ".dvc" / "cache" / "files" / "md5" / oid[:2] / oid[2:]
    os.chmod(obj, stat.S_IMODE(obj.stat().st_mode) | stat.S_IWUSR)
    obj.write_bytes(b"garbage")
    summary = repo.push()
    assert not summary.ok
    assert isinstance(summary.failed[oid], CorruptObject)
    assert store.current() == {"bar": b"bar"}  # the corrupt bytes never went up
    assert not obj.exists()
