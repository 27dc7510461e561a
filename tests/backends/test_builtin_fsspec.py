"""The generic fsspec adapter, beyond the conformance suites.

Tiny plugins over real fsspec filesystems: the local disk (real folders, made and pruned
by the adapter), the same disk behind fsspec's async wrapper (so the gathered bulk paths
run), and fsspec's in-memory filesystem.
"""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fsspec.asyn import sync_wrapper
from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.backend.naming import TEMP_PREFIX
from dvcremote.errors import BackendError, NotAFile, NotFound
from dvcremote_testing.backend_tests import BackendConformance


class LocalFsBackend(FsspecBackend):
    """What an sftp-like plugin looks like: real folders, writes not atomic by themselves."""

    name = "fsspec-local"
    WRITES_ARE_ATOMIC = False
    CREATE_PARENTS = True
    PRUNE_EMPTY_FOLDERS = True


class AsyncLocalFileSystem(AsyncFileSystemWrapper):
    """The local disk as a real AsyncFileSystem (every call runs in a worker thread).

    fsspec's wrapper forwards neither ``open``, ``rmdir`` nor an atomic ``mv`` (its ``mv``
    is copy then delete); like sshfs, this one renames.
    """

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        return self.sync_fs._open(path, mode, **kwargs)

    async def _mv(self, path1: str, path2: str, **kwargs: Any) -> None:
        await asyncio.to_thread(self.sync_fs.mv, path1, path2, **kwargs)

    mv = sync_wrapper(_mv)

    async def _rmdir(self, path: str) -> None:
        await asyncio.to_thread(self.sync_fs.rmdir, path)

    rmdir = sync_wrapper(_rmdir)


class AsyncLocalFsBackend(LocalFsBackend):
    name = "fsspec-async"


def _root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fsspec-remote")


class TestFsspecLocalConformance(BackendConformance):
    @pytest.fixture
    def backend(self, tmp_path_factory: pytest.TempPathFactory) -> LocalFsBackend:
        return LocalFsBackend(LocalFileSystem(), str(_root(tmp_path_factory)))


class TestFsspecAsyncConformance(BackendConformance):
    @pytest.fixture
    def backend(self, tmp_path_factory: pytest.TempPathFactory) -> LocalFsBackend:
        fs = AsyncLocalFileSystem(LocalFileSystem(), asynchronous=False)
        return AsyncLocalFsBackend(fs, str(_root(tmp_path_factory)))


# ------------------------------------------------------------------- unit tests
class MemoryFsBackend(FsspecBackend):
    name = "fsspec-memory"
    WRITES_ARE_ATOMIC = False


@pytest.fixture
def memfs() -> Iterator[tuple[MemoryFsBackend, MemoryFileSystem, str]]:
    fs = MemoryFileSystem()
    root = f"/unit-{uuid.uuid4().hex}"
    yield MemoryFsBackend(fs, root), fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


@pytest.fixture(params=["sync", "async"])
def disk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LocalFsBackend, Path]:
    root = _root(tmp_path_factory)
    if request.param == "sync":
        return LocalFsBackend(LocalFileSystem(), str(root)), root
    fs = AsyncLocalFileSystem(LocalFileSystem(), asynchronous=False)
    return AsyncLocalFsBackend(fs, str(root)), root


def _local_sources(tmp_path: Path, count: int) -> dict[str, bytes]:
    out = {}
    for i in range(count):
        path = tmp_path / f"src{i}.bin"
        path.write_bytes(os.urandom(100 + i))
        out[str(path)] = path.read_bytes()
    return out


def _on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_a_failed_write_leaves_nothing_behind(
    memfs: tuple[MemoryFsBackend, MemoryFileSystem, str],
) -> None:
    backend, fs, root = memfs

    class Dies(io.RawIOBase):
        sent = False

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            if self.sent:
                raise RuntimeError("source died")
            self.sent = True
            b[:3] = b"abc"
            return 3

    with pytest.raises(BackendError):
        backend.write("d/f.bin", io.BufferedReader(Dies()))
    assert [k for k in fs.store if k.startswith(root)] == []


def test_listing_hides_staged_writes(
    memfs: tuple[MemoryFsBackend, MemoryFileSystem, str],
) -> None:
    backend, fs, root = memfs
    backend.write("d/real", b"r")
    fs.pipe_file(f"{root}/d/{TEMP_PREFIX}0123", b"half")
    assert [f.path for f in backend.list_files("d")] == ["d/real"]
    assert [f.path for f in backend.list_files("", recursive=True)] == ["d/real"]


def test_repr_and_errors_never_show_secrets() -> None:
    class Leaky(MemoryFileSystem):
        def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
            raise RuntimeError(f"auth failed for {path} with s3cr3t-key and tok-123")

    fs = Leaky(token="tok-123")
    backend = MemoryFsBackend(fs, "/x", password="s3cr3t-key", user="alice")
    assert "s3cr3t" not in repr(backend) and "tok-123" not in repr(backend)
    assert repr(backend) == "MemoryFsBackend(name='fsspec-memory', location='memory://x')"
    with pytest.raises(BackendError) as caught:
        backend.get_file_info("f")
    assert "s3cr3t-key" not in str(caught.value) and "tok-123" not in str(caught.value)
    assert "***" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_info_dicts_of_common_filesystems() -> None:
    backend = MemoryFsBackend(MemoryFileSystem(), "/x")
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    s3 = backend._to_file_info("k", {
        "name": "b/k", "size": 5, "type": "file", "ETag": '"abc"', "VersionId": "v1",
        "LastModified": when,
    })
    assert (s3.size, s3.etag, s3.version_id, s3.modified_at) == (5, "abc", "v1", when)
    unversioned = backend._to_file_info("k", {"size": 1, "VersionId": "null", "mtime": 0.0})
    assert unversioned.version_id is None
    assert unversioned.modified_at == datetime(1970, 1, 1, tzinfo=timezone.utc)
    azure = backend._to_file_info("k", {
        "size": 2, "etag": "0x8D", "version_id": "2024-01-01", "metadata": {"a": "b"},
        "last_modified": "2024-05-06T07:08:09Z",
    })
    assert (azure.etag, azure.version_id, azure.metadata) == ("0x8D", "2024-01-01", {"a": "b"})
    assert azure.modified_at == when


def test_upload_many_reports_each_item(
    disk: tuple[LocalFsBackend, Path], tmp_path: Path
) -> None:
    backend, root = disk
    sources = _local_sources(tmp_path, 4)
    pairs = [(src, f"up/{i}/{Path(src).name}") for i, src in enumerate(sources)]
    pairs.insert(2, (str(tmp_path / "missing.bin"), "up/missing.bin"))
    pairs.append((str(tmp_path), "up/folder"))
    seen: list[str] = []
    results = backend.upload_many(pairs, callback=lambda r: seen.append(r.dst))
    assert [r.dst for r in results] == [dst for _, dst in pairs]
    assert sorted(seen) == sorted(dst for _, dst in pairs)
    assert [r.ok for r in results] == [True, True, False, True, True, False]
    assert isinstance(results[2].error, NotFound)
    assert isinstance(results[5].error, NotAFile)
    for src, dst in pairs:
        if src in sources:
            assert backend.read_bytes(dst) == sources[src]
    assert not any(TEMP_PREFIX in p for p in _on_disk(root))
    assert not backend.exists("up/missing.bin")


def test_download_many_reports_each_item(
    disk: tuple[LocalFsBackend, Path], tmp_path: Path
) -> None:
    backend, _ = disk
    backend.write("d/a", b"aa")
    backend.write("d/sub/b", b"bb")
    out = tmp_path / "out"
    out.mkdir()
    results = backend.download_many([
        ("d/a", str(out / "a")), ("d/missing", str(out / "m")), ("d/sub", str(out / "s")),
    ])
    assert [r.ok for r in results] == [True, False, False]
    assert isinstance(results[1].error, NotFound)
    assert isinstance(results[2].error, NotAFile)
    assert (out / "a").read_bytes() == b"aa"


def test_bulk_metadata(disk: tuple[LocalFsBackend, Path]) -> None:
    backend, _ = disk
    backend.write("d/f", b"abc")
    assert backend.exists_many(["d/f", "d", "", "nope"]) == {
        "d/f": True, "d": True, "": True, "nope": False,
    }
    infos = backend.get_file_info_many(["d/f", "nope"])
    assert infos["nope"] is None
    assert infos["d/f"] is not None and infos["d/f"].size == 3
    with pytest.raises(NotAFile):
        backend.get_file_info_many(["d"])


def test_real_folders_left_empty_are_removed(disk: tuple[LocalFsBackend, Path]) -> None:
    backend, root = disk
    backend.write("a/b/c", b"1")
    backend.write("a/keep", b"2")
    backend.delete("a/b/c")
    assert _on_disk(root) == {"a", "a/keep"}
    backend.move("a/keep", "z/keep")
    assert _on_disk(root) == {"z", "z/keep"}
    assert root.is_dir()
