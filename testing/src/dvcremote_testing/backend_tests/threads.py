"""Thread safety: one backend object shared by many threads gives consistent results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from dvcremote.backend import Backend, Capability
from dvcremote.errors import AlreadyExists, NotFound
from dvcremote_testing.backend_tests._base import BackendSuite, paths, payload
from dvcremote_testing.markers import requires

C = Capability
T = TypeVar("T")

THREADS = 8


def _together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; re-raise failures."""
    barrier = threading.Barrier(count, timeout=30)

    def run(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@requires(C.READ, C.WRITE)
class ThreadSafetyTests(BackendSuite):
    def test_threads_writing_distinct_files(self, backend: Backend) -> None:
        def work(i: int) -> None:
            for j in range(6):
                data = payload(2000 + j, seed=i * 100 + j)
                backend.write(f"th/{i}/{j}.bin", data)
                assert backend.read_bytes(f"th/{i}/{j}.bin") == data

        _together(THREADS, work)
        for i in range(THREADS):
            for j in range(6):
                assert backend.read_bytes(f"th/{i}/{j}.bin") == payload(2000 + j, seed=i * 100 + j)

    @requires(C.LIST)
    def test_threads_creating_the_same_folders(self, backend: Backend) -> None:
        _together(THREADS, lambda i: backend.write(f"same/deep/folder/{i}.bin", bytes([i])))
        assert paths(backend.list_files("same/deep/folder")) == {
            f"same/deep/folder/{i}.bin" for i in range(THREADS)
        }

    def test_threads_overwriting_one_file(self, backend: Backend) -> None:
        blobs = [payload(64_000, seed=60 + i) for i in range(THREADS)]
        _together(THREADS, lambda i: backend.write("th/hot.bin", blobs[i], overwrite=True))
        assert backend.read_bytes("th/hot.bin") in blobs

    @requires(C.EXCLUSIVE_CREATE)
    def test_threads_racing_to_create_one_file(self, backend: Backend) -> None:
        """Exactly one creator wins; every other one is told ``AlreadyExists``."""
        blobs = [payload(64_000, seed=70 + i) for i in range(THREADS)]

        def work(i: int) -> bool:
            try:
                backend.write("th/race.bin", blobs[i])
            except AlreadyExists:
                return False
            return True

        won = _together(THREADS, work)
        assert sum(won) == 1, f"{sum(won)} of {THREADS} racing creates without overwrite won"
        winners = [blob for blob, w in zip(blobs, won, strict=True) if w]
        assert backend.read_bytes("th/race.bin") in winners

    def test_threads_reading_one_file(self, backend: Backend) -> None:
        data = payload(100_000, seed=80)
        backend.write("th/read.bin", data)
        assert all(_together(THREADS, lambda i: backend.read_bytes("th/read.bin") == data))

    @requires(C.ATOMIC_WRITE)
    def test_readers_never_see_a_partial_atomic_overwrite(self, backend: Backend) -> None:
        """An atomic overwrite replaces the file in one step: every read gets the whole old
        or the whole new content, and the path is never missing in between (no NotFound)."""
        old, new = payload(200_000, seed=81), payload(200_000, seed=82)
        backend.write("th/swap.bin", old)
        done = threading.Event()

        def work(i: int) -> tuple[set[bytes], int]:
            if i == 0:
                try:
                    for k in range(20):
                        backend.write_atomic("th/swap.bin", (new, old)[k % 2], overwrite=True)
                finally:
                    done.set()
                return set(), 0
            seen, missing = set(), 0
            while not done.is_set():
                try:
                    seen.add(backend.read_bytes("th/swap.bin"))
                except NotFound:
                    missing += 1
            return seen, missing

        results = _together(4, work)
        seen = set().union(*(s for s, _ in results))
        assert seen <= {old, new}, "a reader saw a mix or a part of the two contents"
        missing = sum(m for _, m in results)
        assert missing == 0, f"the file was missing {missing} time(s) during atomic overwrites"

    @requires(C.DELETE)
    def test_threads_deleting_one_file(self, backend: Backend) -> None:
        backend.write("th/doomed.bin", b"x")
        _together(THREADS, lambda i: backend.delete("th/doomed.bin", missing_ok=True))
        assert not backend.exists("th/doomed.bin")

    @requires(C.DELETE)
    def test_threads_deleting_without_missing_ok(self, backend: Backend) -> None:
        backend.write("th/once.bin", b"x")

        def work(i: int) -> bool:
            try:
                backend.delete("th/once.bin")
            except NotFound:
                return False
            return True

        assert sum(_together(THREADS, work)) >= 1
        assert not backend.exists("th/once.bin")

    @requires(C.VERSIONING)
    def test_threads_writing_versions_of_one_file(self, backend: Backend) -> None:
        def work(i: int) -> list[tuple[str | None, bytes]]:
            written = []
            for j in range(3):
                result = backend.write("th/v.bin", bytes([i, j]), overwrite=True)
                written.append((result.version_id, bytes([i, j])))
            return written

        written = [item for batch in _together(THREADS, work) for item in batch]
        ids = [v for v, _ in written]
        assert len(set(ids)) == len(ids) == THREADS * 3, "two writes got the same version id"
        assert {info.version_id for info in backend.list_versions("th/v.bin")} >= set(ids)
        for version_id, data in written:
            assert backend.read_bytes("th/v.bin", version_id=version_id) == data
        assert backend.read_bytes("th/v.bin") in {data for _, data in written}
