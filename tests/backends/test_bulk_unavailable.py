"""A storage that becomes unreachable half way stops the whole bulk transfer.

Before, each remaining item was tried against the dead server (and waited out its
retries): 60 objects took 244 s against a killed moto. The real servers are killed in
the plugins' fault suites (``ServerFaultTests``); this is the core's own executor and
its streaming downloads, on the built-in memory backend, where every attempt counts.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import IO, Any, BinaryIO

import pytest

from dvcremote import transfer
from dvcremote.backends.memory import MemoryBackend
from dvcremote.cache import LocalCache
from dvcremote.errors import BackendUnavailable
from dvcremote.objects import Obj

ITEMS = 60
JOBS = 4
DIES_AFTER = 5


class DyingBackend(MemoryBackend):
    """Memory storage whose server "dies" after ``DIES_AFTER`` transfers: every later
    read or write raises ConnectionRefusedError, and is counted."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0
        self.after_death = 0
        self.alive = True
        self.counting = False  # set once the test's own setup is written
        self._lock = threading.Lock()

    def _attempt(self) -> None:
        if not self.counting:
            return
        with self._lock:
            self.attempts += 1
            if self.attempts > DIES_AFTER:
                self.alive = False
            if not self.alive:
                self.after_death += 1
                raise ConnectionRefusedError("connection refused")

    def _write(self, path: str, data: IO[bytes], **kwargs: Any) -> Any:
        self._attempt()
        return super()._write(path, data, **kwargs)

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        self._attempt()
        return super()._open_read(path, version_id)


@pytest.mark.parametrize("jobs", [1, JOBS])
def test_upload_many_stops_at_the_first_unreachable_error(tmp_path: Path, jobs: int) -> None:
    backend = DyingBackend()
    pairs = []
    for i in range(ITEMS):
        (tmp_path / str(i)).write_bytes(b"x%d" % i)
        pairs.append((str(tmp_path / str(i)), f"f/{i}"))
    backend.counting = True
    with pytest.raises(BackendUnavailable):
        backend.upload_many(pairs, jobs=jobs)
    assert backend.after_death <= jobs, backend.after_death  # the ones in flight, at most


@pytest.mark.parametrize("jobs", [None, 1, JOBS])
def test_download_stops_at_the_first_unreachable_error(
    tmp_path: Path, jobs: int | None
) -> None:
    backend = DyingBackend()
    items = []
    for i in range(ITEMS):
        data = b"object %d" % i
        oid = hashlib.md5(data).hexdigest()
        path = f"files/md5/{oid[:2]}/{oid[2:]}"
        backend.write(path, data)
        items.append((Obj(oid), path, None))
    cache = LocalCache(str(tmp_path / "cache"), ["copy"])
    backend.counting = True
    with pytest.raises(BackendUnavailable):
        transfer.download(backend, cache, items, jobs=jobs)
    assert backend.after_death <= (jobs or 1), backend.after_death
    for obj, _, _ in items:  # what is in the cache is whole and verified
        if cache.exists(obj):
            assert hashlib.md5(Path(cache.path(obj)).read_bytes()).hexdigest() == obj.md5
