"""The fsspec adapter over a filesystem whose storage is gone: every public method raises
the typed error; none answers "absent" (fsspec's own ``exists``/``isfile``/``isdir``
answer False for any failure, so the adapter must not use them)."""

from __future__ import annotations

import pytest

from dvcremote.backend.fsspec import FsspecBackend
from dvcremote_testing.backend_tests import UnavailableStorageTests
from dvcremote_testing.backend_tests.unavailable import Opener
from dvcremote_testing.downfs import DownFileSystem


class TestFsspecAdapterUnavailable(UnavailableStorageTests):
    @pytest.fixture
    def open_unreachable_backend(self) -> Opener:
        return lambda: FsspecBackend(DownFileSystem(), "/remote")

    @pytest.fixture
    def open_refused_backend(self) -> Opener:
        return lambda: FsspecBackend(
            DownFileSystem(lambda: PermissionError(13, "Permission denied")), "/remote"
        )
