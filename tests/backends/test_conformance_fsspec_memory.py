"""The whole backend conformance suite against the generic fsspec adapter.

The adapter is exercised through the smallest plugin one can write on it: a subclass over
fsspec's in-memory filesystem, which publishes writes as they happen (so the adapter must
stage them) and needs no folders made.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import BinaryIO

import pytest
from fsspec.implementations.memory import MemoryFileSystem

from dvcremote.backend import Capability
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote_testing.backend_tests import BackendConformance


class MemoryFsBackend(FsspecBackend):
    name = "fsspec-memory"
    CAPABILITIES = FsspecBackend.CAPABILITIES - {Capability.LAZY_READ}
    WRITES_ARE_ATOMIC = False

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        # MemoryFileSystem hands every reader the same BytesIO (one shared position),
        # so concurrent readers would steal each other's bytes: read a private copy.
        try:
            return io.BytesIO(self.fs.cat_file(self._full(path)))
        except FileNotFoundError as exc:
            raise self._not_found(path, version_id) from exc


@pytest.fixture
def backend() -> Iterator[MemoryFsBackend]:
    fs = MemoryFileSystem()
    root = f"/conformance-{uuid.uuid4().hex}"
    store = MemoryFsBackend(fs, root)
    yield store
    store.close()
    if fs.exists(root):
        fs.rm(root, recursive=True)


class TestFsspecMemoryBackend(BackendConformance):
    pass
