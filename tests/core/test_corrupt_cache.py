"""Cache objects whose content no longer matches their name are never pushed or checked
out: they are reported as CorruptObject and removed from the cache.

An object is changed in place the way it happens to users: through a hard link (or a
symlink) in the workspace after ``chmod u+w``, or in the cache by hand. Every test runs
against real folders and a real local-directory remote.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import cache_file, md5, remote_file, write_tree

from dvcremote import hashing
from dvcremote.errors import CorruptObject
from dvcremote.repo import Repo


def _set_link_type(root: Path, kind: str) -> Repo:
    with open(root / ".dvc" / "config", "a", encoding="utf-8") as f:
        f.write(f"[cache]\n    type = {kind}\n")
    return Repo(root)


def _write_in_place(path: Path, data: bytes) -> None:
    """Overwrite a (read-only) file's content in place, keeping its inode."""
    os.chmod(path, stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)
    with open(path, "r+b") as f:
        f.write(data)
        f.truncate()


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvcremote", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _every_object_matches_its_name(root: Path) -> None:
    for path in (root / ".dvc" / "cache" / "files" / "md5").rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            oid = (path.parent.name + path.name).removesuffix(".dir")
            assert md5(path.read_bytes()) == oid, f"{path} does not match its name"


@pytest.fixture
def tracked(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> Repo:
    write_tree(workspace, {"data": {"a": "aaa", "b": "bbb"}, "foo": "foo"})
    dvcrepo.add(["data", "foo"])
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    return dvcrepo


@pytest.mark.parametrize("target", ["foo", "data/a"])
def test_push_refuses_an_object_changed_in_the_cache(
    tracked: Repo, workspace: Path, remote_dir: Path, target: str
) -> None:
    oid = md5(target.rsplit("/", 1)[-1] * 3 if target == "data/a" else "foo")
    _write_in_place(cache_file(workspace, oid), b"garbage")
    summary = tracked.push()
    assert not summary.ok
    assert isinstance(summary.failed[oid], CorruptObject)
    assert oid in str(summary.failed[oid])
    assert not remote_file(remote_dir, oid).exists()  # never uploaded
    assert not cache_file(workspace, oid).exists()  # removed from the cache
    # the rest went up, but not the directory whose file is corrupt
    for ok in {"foo", "aaa", "bbb"} - {"foo" if target == "foo" else "aaa"}:
        assert remote_file(remote_dir, md5(ok)).read_bytes() == ok.encode()


def test_push_cli_names_the_corrupt_object_and_exits_3(
    tracked: Repo, workspace: Path, remote_dir: Path
) -> None:
    oid = md5("foo")
    _write_in_place(cache_file(workspace, oid), b"garbage")
    proc = _cli(workspace, "push")
    assert proc.returncode == 3
    assert f"ERROR: {oid}: cache object '{oid}' is corrupt" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not remote_file(remote_dir, oid).exists()


def test_push_of_an_object_changed_through_a_hardlink(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    repo = _set_link_type(workspace, "hardlink")
    write_tree(workspace, {"model.bin": b"v1" * 1000})
    repo.add("model.bin")
    oid = md5(b"v1" * 1000)
    assert (workspace / "model.bin").stat().st_ino == cache_file(workspace, oid).stat().st_ino
    _write_in_place(workspace / "model.bin", b"v2" * 1000)  # edits the cache object too
    repo.remote_add("store", str(remote_dir), default=True)
    summary = repo.push()
    assert isinstance(summary.failed[oid], CorruptObject)
    assert not remote_file(remote_dir, oid).exists()
    # the user's edited file is still there; only the cache entry went
    assert (workspace / "model.bin").read_bytes() == b"v2" * 1000


@pytest.mark.parametrize("target", ["foo", "data"])
def test_checkout_refuses_an_object_changed_in_the_cache(
    tracked: Repo, workspace: Path, target: str
) -> None:
    oid = md5("foo" if target == "foo" else "aaa")
    _write_in_place(cache_file(workspace, oid), b"garbage")
    import shutil

    shutil.rmtree(workspace / "data") if target == "data" else (workspace / "foo").unlink()
    result = tracked.checkout()
    path = "foo" if target == "foo" else "data/a"
    assert path in result.failed and "corrupt" in result.failed[path]
    assert not (workspace / path).exists()  # the bad bytes were not checked out
    assert not cache_file(workspace, oid).exists()
    if target == "data":
        assert (workspace / "data" / "b").read_bytes() == b"bbb"
    proc = _cli(workspace, "checkout")
    assert proc.returncode == 3 and "is not in the cache" in proc.stderr


def test_pull_replaces_a_corrupt_cache_object(
    tracked: Repo, workspace: Path, remote_dir: Path
) -> None:
    assert tracked.push().ok
    oid = md5("foo")
    _write_in_place(cache_file(workspace, oid), b"garbage")
    (workspace / "foo").unlink()
    result = tracked.pull()
    assert result.ok, result
    assert (workspace / "foo").read_bytes() == b"foo"
    _every_object_matches_its_name(workspace)


def test_checkout_trusts_an_unchanged_object_without_reading_it(
    tracked: Repo, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is stat-keyed: an object recorded at add time is not hashed again."""
    (workspace / "foo").unlink()
    calls: list[str] = []
    real = hashing.file_md5

    def counting(path: str | os.PathLike[str], name: str = hashing.MD5) -> str:
        calls.append(os.fspath(path))
        return real(path, name)

    monkeypatch.setattr("dvcremote.integrity.file_md5", counting)
    assert Repo(workspace).checkout().ok
    assert calls == []
    # ... and one whose stat changed is hashed (and found intact here)
    path = cache_file(workspace, md5("foo"))
    os.utime(path, ns=(1, 1))
    (workspace / "foo").unlink()
    assert Repo(workspace).checkout().ok
    assert calls == [str(path)]


# --------------------------------------------------------------- written to during add
def _rewrite_during_first_hash(monkeypatch: pytest.MonkeyPatch, path: Path, new: bytes) -> None:
    """Rewrite ``path`` in place (new mtime) the first time any hash gets data."""
    real = hashing._md5
    done: list[bool] = []

    class Hasher:
        def __init__(self) -> None:
            self.h = real()

        def update(self, data: bytes) -> None:
            self.h.update(data)
            if not done:
                done.append(True)
                with open(path, "r+b") as f:
                    f.write(new)
                st = path.stat()
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

        def hexdigest(self) -> str:
            return self.h.hexdigest()

    monkeypatch.setattr(hashing, "_md5", Hasher)


@pytest.mark.parametrize("kind", ["copy", "hardlink", "symlink"])
def test_file_rewritten_while_add_hashes_it(
    dvcrepo: Repo, workspace: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    size = 6 << 20  # streamed in chunks, not read whole
    old, new = b"o" * size, b"n" * size
    (workspace / "big").write_bytes(old)
    os.utime(workspace / "big", ns=(10**18, 10**18))
    repo = _set_link_type(workspace, kind)
    _rewrite_during_first_hash(monkeypatch, workspace / "big", new)
    result = repo.add("big")
    _every_object_matches_its_name(workspace)
    oid = result.outputs[0].oid
    assert cache_file(workspace, oid).exists()
    if kind != "copy":  # a link is kept only once the file held still while hashed
        assert oid == md5(new) and (workspace / "big").read_bytes() == new
