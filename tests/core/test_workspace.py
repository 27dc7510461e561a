"""add, checkout, workspace status, link types and the stat-keyed hash cache."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from core_helpers import cache_file, md5, read_tree, write_tree

from dvcremote import staging
from dvcremote.config import Config
from dvcremote.repo import Repo

DATA = {"a.txt": "alpha", "sub": {"b.bin": b"\x00\x01beta", "deeper": {"c": "gamma"}}, "empty": ""}


def _dir_oid(tree: dict[str, bytes]) -> str:
    from dvcremote.manifest import Manifest

    return Manifest.build((rel, md5(data)) for rel, data in tree.items()).oid


def test_add_file_and_dir_writes_dvc_files_and_cache(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo", "data": DATA})
    result = dvcrepo.add(["foo", "data"])
    files = read_tree(workspace / "data")
    dir_oid = _dir_oid(files)
    assert [(o.path, o.oid, o.nfiles) for o in result.outputs] == [
        ("foo", md5("foo"), None),
        ("data", dir_oid, 4),
    ]
    assert (workspace / "foo.dvc").read_bytes() == (
        b"outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n"
    )
    total = sum(len(v) for v in files.values())
    assert (workspace / "data.dvc").read_text() == (
        f"outs:\n- md5: {dir_oid}\n  size: {total}\n  nfiles: 4\n  hash: md5\n  path: data\n"
    )
    for data in [b"foo", *files.values()]:
        obj = cache_file(workspace, md5(data))
        assert obj.read_bytes() == data
        assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    assert cache_file(workspace, dir_oid).is_file()
    # The workspace keeps its files (default link types: reflink, else copy).
    assert read_tree(workspace / "data") == files
    assert not (workspace / ".gitignore").exists()  # outside git, as dvc --no-scm


def test_add_streams_big_files_hashing_the_copy(
    dvcrepo: Repo, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "SMALL_FILE", 1024)
    (workspace / ".dvc" / "config").write_text("[cache]\n    type = copy\n")
    dvcrepo = Repo(workspace)
    big = os.urandom(3 << 20)
    (workspace / "big.bin").write_bytes(big)
    result = dvcrepo.add("big.bin")
    assert result.outputs[0].oid == md5(big)
    assert cache_file(workspace, md5(big)).read_bytes() == big
    assert not list(dvcrepo.cache.stray_tmp_files())


def test_readd_unchanged_hashes_nothing(
    dvcrepo: Repo, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(workspace, {"data": {f"f{i}": f"content {i}" for i in range(50)}})
    dvcrepo.add("data")
    before = (workspace / "data.dvc").stat().st_mtime_ns
    calls: list[int] = []
    real = staging.bytes_md5
    monkeypatch.setattr(staging, "bytes_md5", lambda d, n="md5": calls.append(1) or real(d, n))
    again = Repo(workspace).add("data")
    assert calls == []  # every file was known to the state
    assert (workspace / "data.dvc").stat().st_mtime_ns == before  # not rewritten
    # One changed file is the only one hashed again.
    (workspace / "data" / "f3").write_text("changed")
    third = Repo(workspace).add("data")
    assert len(calls) == 1
    assert third.outputs[0].oid != again.outputs[0].oid


@pytest.mark.parametrize("link", ["copy", "hardlink"])
def test_readd_restores_a_cache_object_deleted_behind_its_back(
    workspace: Path, link: str
) -> None:
    """Re-adding an unchanged directory whose .dir is cached skips listing the cache,
    but must still put back a file object removed from the cache since."""
    repo = Repo.init(workspace)
    repo.config.set("cache", "type", link)
    contents = {f"f{i}": f"content {i}" for i in range(20)}
    write_tree(workspace, {"data": contents})
    oid = repo.add("data").outputs[0].oid
    repo.close()
    gone = cache_file(workspace, md5("content 7"))
    os.chmod(gone.parent, 0o755)
    gone.unlink()
    again = Repo(workspace)
    assert again.add("data").outputs[0].oid == oid
    assert gone.read_text() == "content 7"
    assert all(cache_file(workspace, md5(text)).read_text() == text for text in contents.values())


def test_state_survives_a_damaged_db(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "foo").write_text("foo")
    dvcrepo.add("foo")
    dvcrepo.close()
    db = workspace / ".dvc" / "tmp" / "dvcremote" / "state.sqlite"
    db.write_bytes(b"this is not sqlite" * 100)
    assert Repo(workspace).add("foo").outputs[0].oid == md5("foo")


@pytest.mark.parametrize("link", ["hardlink", "symlink", "copy"])
def test_link_types_on_add_and_checkout(workspace: Path, link: str) -> None:
    repo = Repo.init(workspace)
    repo.config.set("cache", "type", link)
    repo = Repo(workspace)
    write_tree(workspace, {"data": {"x": "xx", "y": "yy"}, "foo": "foo"})
    repo.add(["data", "foo"])
    obj = cache_file(workspace, md5("xx"))

    def check() -> None:
        ws = workspace / "data" / "x"
        assert ws.read_text() == "xx"
        if link == "hardlink":
            assert ws.stat().st_ino == obj.stat().st_ino
        elif link == "symlink":
            assert ws.is_symlink() and os.path.realpath(ws) == str(obj)
        else:
            assert not ws.is_symlink() and ws.stat().st_ino != obj.stat().st_ino
            assert os.access(ws, os.W_OK)

    check()
    for p in (workspace / "data" / "x", workspace / "data" / "y", workspace / "foo"):
        p.unlink()
    result = repo.checkout()
    assert sorted(result.added) == ["data/x", "data/y", "foo"] and result.ok
    check()
    assert repo.workspace_status().clean


def test_checkout_restores_and_reports(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"data": DATA})
    dvcrepo.add("data")
    (workspace / "data" / "a.txt").unlink()
    (workspace / "data" / "sub" / "deeper" / "c").write_text("locally modified")
    result = dvcrepo.checkout()
    # The deleted file comes back; the modified one is kept: its content is nowhere else.
    assert result.added == ("data/a.txt",)
    assert set(result.failed) == {"data/sub/deeper/c"}
    assert "local changes kept" in result.failed["data/sub/deeper/c"]
    assert (workspace / "data" / "sub" / "deeper" / "c").read_text() == "locally modified"
    assert dvcrepo.workspace_status().changes == {"data": "modified"}
    forced = dvcrepo.checkout(force=True)
    assert forced.modified == ("data/sub/deeper/c",) and forced.ok
    assert (workspace / "data" / "sub" / "deeper" / "c").read_text() == "gamma"
    assert dvcrepo.workspace_status().clean


def test_checkout_removes_extra_files_only_when_safe(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"data": {"keep": "k"}, "foo": "foo"})
    dvcrepo.add(["data", "foo"])
    (workspace / "data" / "cached-extra").write_text("foo")  # same content as tracked foo
    (workspace / "data" / "precious").write_text("only copy")
    result = dvcrepo.checkout()
    assert result.deleted == ("data/cached-extra",)
    assert "untracked file kept" in result.failed["data/precious"]
    assert (workspace / "data" / "precious").read_text() == "only copy"


def test_checkout_reports_objects_not_in_cache(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo"})
    dvcrepo.add("foo")
    (workspace / "foo").unlink()
    path = cache_file(workspace, md5("foo"))
    path.chmod(0o644)
    path.unlink()
    result = dvcrepo.checkout()
    assert not result.ok and "not in the cache" in result.failed["foo"]
    assert dvcrepo.workspace_status().changes == {"foo": "not in cache"}  # as dvc


def test_workspace_status_states(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo", "bar": "bar", "baz": "baz"})
    dvcrepo.add(["foo", "bar", "baz"])
    (workspace / "foo").write_text("changed")
    (workspace / "bar").unlink()
    c = cache_file(workspace, md5("baz"))
    c.chmod(0o644)
    c.unlink()
    assert dvcrepo.workspace_status().changes == {
        "bar": "deleted",
        "baz": "not in cache",
        "foo": "modified",
    }


def test_add_tracks_symlinked_files_but_not_outside_paths(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    (workspace / "link").symlink_to(outside)
    from dvcremote.errors import PathOutsideRepo

    with pytest.raises(PathOutsideRepo):
        dvcrepo.add("link")
    assert not (workspace / "link.dvc").exists()
    assert (outside / "secret").read_text() == "s"


def test_config_cache_dir_is_honoured(workspace: Path, tmp_path: Path) -> None:
    repo = Repo.init(workspace)
    Config(repo.dvc_dir).set("cache", "dir", str(tmp_path / "elsewhere"))
    repo = Repo(workspace)
    (workspace / "foo").write_text("foo")
    repo.add("foo")
    assert (tmp_path / "elsewhere" / "files" / "md5" / "ac" / md5("foo")[2:]).is_file()


@pytest.mark.parametrize("kind", ["hardlink", "symlink"])
def test_readd_of_linked_files_leaves_no_temp_file(
    dvcrepo: Repo, workspace: Path, kind: str
) -> None:
    """Re-adding files already linked to the cache (touched, so hashed again) replaces
    nothing with itself and leaves no temp file in the tracked folder (issue 11 item 5)."""
    (workspace / ".dvc" / "config").write_text(f"[cache]\n    type = {kind}\n")
    repo = Repo(workspace)
    files = {f"f{i}": f"content {i}" for i in range(4)}
    write_tree(workspace, {"data": files})
    repo.add("data")
    for p in (workspace / "data").iterdir():
        os.utime(p, ns=(10**18, 10**18))  # through a symlink: the cache object's mtime
    repo.add("data")
    repo.close()
    names = [p.name for p in (workspace / "data").rglob("*")]
    assert sorted(names) == sorted(files)
    assert read_tree(workspace / "data") == {k: v.encode() for k, v in files.items()}
    place = workspace / ".dvc" / "tmp" / "dvcremote" / "place"
    assert not place.exists() or list(place.iterdir()) == []
    for name in files:
        path = workspace / "data" / name
        target = cache_file(workspace, md5(files[name]))
        if kind == "hardlink":
            assert path.stat().st_ino == target.stat().st_ino
        else:
            assert path.is_symlink() and path.resolve() == target
