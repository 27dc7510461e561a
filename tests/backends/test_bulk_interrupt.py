"""Bulk transfers stop starting new work at the first exception (an interrupt, say)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dvcremote.backend.types import WriteResult
from dvcremote.backends.memory import MemoryBackend

ITEMS = 60
JOBS = 3
INTERRUPT_AT = 5  # the 5th upload to start raises


class InterruptingBackend(MemoryBackend):
    """Memory storage whose ``INTERRUPT_AT``-th upload raises KeyboardInterrupt while
    the first upload is still running: it finishes only when the last item starts
    (which must not happen), or after a grace period."""

    def __init__(self) -> None:
        super().__init__()  # a private store
        self.started: list[str] = []
        self._lock = threading.Lock()
        self._last_started = threading.Event()

    def upload_file(self, local_path: str, path: str, *, overwrite: bool = True) -> WriteResult:
        with self._lock:
            self.started.append(path)
            n = len(self.started)
        if path == f"f/{ITEMS - 1}":
            self._last_started.set()
        if n == 1:
            self._last_started.wait(timeout=1.0)
        if n == INTERRUPT_AT:
            raise KeyboardInterrupt
        return super().upload_file(local_path, path, overwrite=overwrite)


def test_an_interrupt_in_one_upload_cancels_the_uploads_not_started(tmp_path: Path) -> None:
    backend = InterruptingBackend()
    pairs = []
    for i in range(ITEMS):
        src = tmp_path / str(i)
        src.write_bytes(b"x")
        pairs.append((str(src), f"f/{i}"))

    with pytest.raises(KeyboardInterrupt):
        backend.upload_many(pairs, jobs=JOBS)

    # The interrupt was seen at once (not when its turn in result order came, after
    # the slow first upload): at most the other workers' items in flight also started.
    started = list(backend.started)
    assert len(started) <= INTERRUPT_AT + JOBS - 1, started
    assert f"f/{ITEMS - 1}" not in started
    # Nothing runs on after the call returned; what landed is what started, less
    # the interrupted one.
    landed = {info.path for info in backend.list_files("f")}
    assert backend.started == started
    assert landed == set(started) - {started[INTERRUPT_AT - 1]}
