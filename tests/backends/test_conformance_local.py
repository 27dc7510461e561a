"""The whole backend conformance suite against a plain local directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvcremote.backends.local import LocalBackend
from dvcremote_testing.backend_tests import BackendConformance


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LocalBackend]:
    root = tmp_path / "remote"
    root.mkdir()
    store = LocalBackend(root)
    yield store
    store.close()


class TestLocalBackend(BackendConformance):
    on_builtin_storage = True


class TestLocalBackendFromUrl(BackendConformance):
    """Built the way the registry builds it: from a URL, versioning switched off."""

    on_builtin_storage = True

    @pytest.fixture
    def backend(self, tmp_path: Path) -> LocalBackend:
        return LocalBackend.from_url(str(tmp_path), versioning=False)
