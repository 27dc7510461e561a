"""The whole backend conformance suite against the in-process memory backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from dvcremote.backends.memory import MemoryBackend
from dvcremote_testing.backend_tests import BackendConformance


@pytest.fixture
def backend() -> Iterator[MemoryBackend]:
    bucket = f"conformance-{uuid.uuid4().hex}"
    store = MemoryBackend.from_url(f"memory://{bucket}")
    yield store
    store.close()
    MemoryBackend.drop_store(bucket)


class TestMemoryBackend(BackendConformance):
    on_builtin_storage = True


@pytest.fixture
def prefixed_backend() -> Iterator[MemoryBackend]:
    bucket = f"conformance-{uuid.uuid4().hex}"
    store = MemoryBackend.from_url(f"memory://{bucket}/some/prefix")
    yield store
    MemoryBackend.drop_store(bucket)


class TestMemoryBackendUnderAPrefix(BackendConformance):
    """A backend rooted below a bucket's top must behave exactly the same."""

    on_builtin_storage = True

    @pytest.fixture
    def backend(self, prefixed_backend: MemoryBackend) -> MemoryBackend:
        return prefixed_backend
