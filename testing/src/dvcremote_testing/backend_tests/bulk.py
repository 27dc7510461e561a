"""Bulk operations: many paths in one call, failures per item returned, callbacks per item."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from dvcremote.backend import Backend, Capability, FileInfo, TransferResult
from dvcremote.errors import BackendError, InvalidPath, NotFound
from dvcremote_testing.backend_tests._base import BackendSuite, everything, payload
from dvcremote_testing.markers import requires

C = Capability


class _Calls:
    """A thread-safe progress callback that remembers every result it was given."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.results: list[TransferResult] = []

    def __call__(self, result: TransferResult) -> None:
        with self._lock:
            self.results.append(result)


def _local_files(folder: Path, count: int) -> dict[str, bytes]:
    files = {}
    for i in range(count):
        data = payload(1000 + i, seed=40 + i)
        (folder / f"src{i}.bin").write_bytes(data)
        files[str(folder / f"src{i}.bin")] = data
    return files


@requires(C.WRITE)
class BulkTests(BackendSuite):
    @pytest.mark.parametrize("jobs", [None, 1, 3])
    def test_exists_many(self, backend: Backend, jobs: int | None) -> None:
        backend.write("bulk/a.bin", b"a")
        backend.write("bulk/sub/b.bin", b"b")
        asked = ["bulk/a.bin", "bulk/sub/b.bin", "bulk/sub", "bulk/none.bin", "none/x", ""]
        assert backend.exists_many(asked, jobs=jobs) == {
            "bulk/a.bin": True, "bulk/sub/b.bin": True, "bulk/sub": True,
            "bulk/none.bin": False, "none/x": False, "": True,
        }

    def test_exists_many_of_nothing(self, backend: Backend) -> None:
        assert backend.exists_many([]) == {}

    def test_exists_many_of_many(self, backend: Backend) -> None:
        present = [f"many/{i:03d}" for i in range(0, 40, 2)]
        for path in present:
            backend.write(path, b"x")
        result = backend.exists_many([f"many/{i:03d}" for i in range(40)])
        assert {p for p, ok in result.items() if ok} == set(present)
        assert len(result) == 40

    @requires(C.METADATA)
    def test_get_file_info_many(self, backend: Backend) -> None:
        backend.write("bulk/a.bin", b"aaa")
        backend.write("bulk/b.bin", b"b")
        infos = backend.get_file_info_many(["bulk/a.bin", "bulk/missing.bin", "bulk/b.bin"])
        assert set(infos) == {"bulk/a.bin", "bulk/missing.bin", "bulk/b.bin"}
        assert infos["bulk/missing.bin"] is None
        a, b = infos["bulk/a.bin"], infos["bulk/b.bin"]
        assert isinstance(a, FileInfo)
        assert isinstance(b, FileInfo)
        assert (a.path, a.size, b.path, b.size) == ("bulk/a.bin", 3, "bulk/b.bin", 1)

    @requires(C.READ)
    @pytest.mark.parametrize("jobs", [None, 1])
    def test_upload_many(
        self, backend: Backend, conformance_scratch: Path, jobs: int | None
    ) -> None:
        files = _local_files(conformance_scratch, 6)
        pairs = [(src, f"up/{Path(src).name}") for src in files]
        calls = _Calls()
        results = backend.upload_many(pairs, jobs=jobs, callback=calls)
        assert sorted((r.src, r.dst) for r in results) == sorted(pairs)
        assert all(r.ok and r.error is None for r in results)
        for r in results:
            assert r.write is not None
            assert (r.write.path, r.write.size) == (r.dst, len(files[r.src]))
            assert backend.read_bytes(r.dst) == files[r.src]
        assert Counter(r.dst for r in calls.results) == Counter(dst for _, dst in pairs)

    @requires(C.READ)
    def test_upload_many_returns_failures_instead_of_raising(
        self, backend: Backend, conformance_scratch: Path
    ) -> None:
        files = _local_files(conformance_scratch, 3)
        pairs = [(src, f"up/{Path(src).name}") for src in files]
        pairs.insert(1, (str(conformance_scratch / "vanished.bin"), "up/vanished.bin"))
        calls = _Calls()
        results = backend.upload_many(pairs, callback=calls)
        assert len(results) == 4
        failed = [r for r in results if not r.ok]
        assert [r.dst for r in failed] == ["up/vanished.bin"]
        assert isinstance(failed[0].error, BackendError)
        assert not backend.exists("up/vanished.bin")
        for src, dst in pairs:
            if dst != "up/vanished.bin":
                assert backend.read_bytes(dst) == files[src]
        assert sorted(r.dst for r in calls.results) == sorted(dst for _, dst in pairs)

    @requires(C.LIST)
    def test_upload_many_checks_every_path_first(
        self, backend: Backend, conformance_scratch: Path
    ) -> None:
        files = _local_files(conformance_scratch, 2)
        pairs = [(src, f"up/{Path(src).name}") for src in files] + [(next(iter(files)), "../x")]
        calls = _Calls()
        with pytest.raises(InvalidPath):
            backend.upload_many(pairs, callback=calls)
        assert everything(backend) == (set(), set())
        assert calls.results == []

    def test_upload_many_of_nothing(self, backend: Backend) -> None:
        calls = _Calls()
        assert backend.upload_many([], callback=calls) == []
        assert calls.results == []

    @requires(C.READ)
    @pytest.mark.parametrize("jobs", [None, 1])
    def test_download_many(
        self, backend: Backend, conformance_scratch: Path, jobs: int | None
    ) -> None:
        stored = {f"down/{i}.bin": payload(500 + i, seed=50 + i) for i in range(5)}
        for path, data in stored.items():
            backend.write(path, data)
        items = [(path, str(conformance_scratch / Path(path).name)) for path in stored]
        calls = _Calls()
        results = backend.download_many(items, jobs=jobs, callback=calls)
        assert sorted((r.src, r.dst) for r in results) == sorted(items)
        assert all(r.ok for r in results)
        for path, local in items:
            assert Path(local).read_bytes() == stored[path]
        assert Counter(r.src for r in calls.results) == Counter(list(stored))

    @requires(C.READ)
    def test_download_many_returns_failures_instead_of_raising(
        self, backend: Backend, conformance_scratch: Path
    ) -> None:
        backend.write("down/here.bin", b"here")
        items = [
            ("down/missing.bin", str(conformance_scratch / "missing.bin")),
            ("down/here.bin", str(conformance_scratch / "here.bin")),
        ]
        calls = _Calls()
        results = {r.src: r for r in backend.download_many(items, callback=calls)}
        assert results["down/here.bin"].ok
        assert isinstance(results["down/missing.bin"].error, NotFound)
        assert (conformance_scratch / "here.bin").read_bytes() == b"here"
        assert sorted(r.src for r in calls.results) == ["down/here.bin", "down/missing.bin"]

    @requires(C.READ)
    def test_download_many_checks_every_path_first(
        self, backend: Backend, conformance_scratch: Path
    ) -> None:
        backend.write("down/ok.bin", b"ok")
        calls = _Calls()
        with pytest.raises(InvalidPath):
            backend.download_many(
                [
                    ("down/ok.bin", str(conformance_scratch / "ok")),
                    ("a/../b", str(conformance_scratch / "bad")),
                ],
                callback=calls,
            )
        assert not (conformance_scratch / "ok").exists()
        assert calls.results == []
