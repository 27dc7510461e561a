"""How local work uses threads: small files inline, big ones hashed in parallel (downloads
from a local disk and hashing on add), every object verified, nothing left on failure."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import BinaryIO

import pytest

from dvcremote import staging, transfer
from dvcremote.backends.local import LocalBackend
from dvcremote.cache import LocalCache
from dvcremote.errors import IntegrityError
from dvcremote.hashing import CHUNK_SIZE
from dvcremote.objects import Obj
from dvcremote.state import StateDB

BIG = 2 * CHUNK_SIZE + 123  # more than the two chunks read before handing off


class _ThreadRecordingBackend(LocalBackend):
    """A local remote that notes which thread read each object to its end."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.finished_on: dict[str, str] = {}

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        inner = super()._open_read(path, version_id)
        record = self.finished_on

        class Stream:
            def read(self, size: int = -1) -> bytes:
                data = inner.read(size)
                if not data:
                    record[path] = threading.current_thread().name
                return data

            def close(self) -> None:
                inner.close()

        return Stream()  # type: ignore[return-value]


def _put(remote: Path, data: bytes, *, corrupt: bool = False) -> tuple[Obj, str]:
    oid = hashlib.md5(data).hexdigest()
    rel = f"files/md5/{oid[:2]}/{oid[2:]}"
    target = remote / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]) if corrupt else data)
    return Obj(oid), rel


def _leftovers(cache: Path) -> list[str]:
    return [str(p) for p in cache.rglob("*") if p.is_file() and p.name.startswith(".")]


Setup = tuple[_ThreadRecordingBackend, LocalCache, Path, Path]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    remote, cache_dir = tmp_path / "remote", tmp_path / "cache"
    remote.mkdir()
    return (
        _ThreadRecordingBackend(str(remote)),
        LocalCache(cache_dir, ["copy"]),
        remote,
        cache_dir,
    )


def test_small_objects_inline_big_ones_on_workers_all_verified(setup: Setup) -> None:
    backend, cache, remote, cache_dir = setup
    smalls = [_put(remote, os.urandom(100 + i)) for i in range(20)]
    bigs = [_put(remote, os.urandom(BIG + i)) for i in range(3)]
    items = [(obj, rel, None) for obj, rel in smalls + bigs]

    done, failed = transfer.download(backend, cache, items)

    assert failed == {}
    assert done == {obj for obj, _ in smalls + bigs}
    me = threading.current_thread().name
    assert {backend.finished_on[rel] for _, rel in smalls} == {me}
    assert all(backend.finished_on[rel] != me for _, rel in bigs)
    for obj, rel in smalls + bigs:
        assert Path(cache.path(obj)).read_bytes() == (remote / rel).read_bytes()
    assert _leftovers(cache_dir) == []


def test_an_explicit_job_count_uses_that_many_workers(setup: Setup) -> None:
    backend, cache, remote, _ = setup
    smalls = [_put(remote, os.urandom(100 + i)) for i in range(40)]
    done, failed = transfer.download(backend, cache, [(o, r, None) for o, r in smalls], jobs=4)
    assert failed == {} and len(done) == 40
    assert threading.current_thread().name not in set(backend.finished_on.values())


@pytest.mark.parametrize("size", [100, BIG], ids=["small", "big"])
def test_a_corrupt_object_is_refused_on_either_path(setup: Setup, size: int) -> None:
    backend, cache, remote, cache_dir = setup
    good = _put(remote, os.urandom(size))
    bad = _put(remote, os.urandom(size + 1), corrupt=True)

    done, failed = transfer.download(backend, cache, [(*good, None), (*bad, None)])

    assert done == {good[0]}
    assert isinstance(failed[bad[0]], IntegrityError)
    assert bad[1] in str(failed[bad[0]])
    assert not os.path.exists(cache.path(bad[0]))
    assert _leftovers(cache_dir) == []


# ------------------------------------------------------------------ hashing on add
def _workspace(tmp_path: Path) -> Path:
    data = tmp_path / "ws" / "data"
    data.mkdir(parents=True)
    for i in range(20):
        (data / f"small{i}.bin").write_bytes(os.urandom(1000 + i))
    for i in range(3):
        (data / f"big{i}.bin").write_bytes(os.urandom(staging.INLINE_MAX + 1 + i))
    return tmp_path / "ws"


def _read_threads(monkeypatch: pytest.MonkeyPatch) -> dict[int, set[str]]:
    """Size -> names of the threads that read a file of that size."""
    seen: dict[int, set[str]] = {}
    real = staging._read_all

    def spy(path: str, size: int) -> bytes:
        seen.setdefault(size, set()).add(threading.current_thread().name)
        return real(path, size)

    monkeypatch.setattr(staging, "_read_all", spy)
    return seen


@pytest.mark.parametrize("jobs", [None, 4])
def test_add_hashes_small_files_inline_unless_jobs_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int | None
) -> None:
    ws = _workspace(tmp_path)
    seen = _read_threads(monkeypatch)
    cache = LocalCache(tmp_path / "cache", ["copy"])
    stager = staging.Stager(str(ws), StateDB(tmp_path / "state.db"), cache, jobs=jobs)

    staged = stager.stage("data", commit=True)

    assert staged.nfiles == 23
    me = threading.current_thread().name
    small = set().union(*(names for size, names in seen.items() if size < 2000))
    big = set().union(*(names for size, names in seen.items() if size > staging.INLINE_MAX))
    assert me not in big
    assert small == {me} if jobs is None else me not in small
    assert staged.manifest is not None
    for rel, md5 in staged.manifest.entries:
        assert hashlib.md5((ws / "data" / rel).read_bytes()).hexdigest() == md5
        assert os.path.exists(cache.path(Obj(md5)))
