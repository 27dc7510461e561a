"""The whole backend conformance suite against a local directory that keeps every version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvcremote.backend import Backend, Capability
from dvcremote.backends.local import LocalBackend
from dvcremote_testing.backend_tests import BackendConformance


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    store = LocalBackend.from_url(str(tmp_path), versioning=True)
    assert Capability.VERSIONING in store.capabilities
    yield store
    store.close()


class TestVersionedLocalBackend(BackendConformance):
    on_builtin_storage = True
