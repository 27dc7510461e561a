"""Storage that is down or refuses the credentials: every method raises the typed error.

An in-memory store is never down, so the backend is built on ``DownFileSystem`` (an
fsspec filesystem whose every call fails): this checks the plugin's own code paths
never answer "absent" for a failure. A plugin for a real server passes openers for it
instead (a closed port, a wrong secret): see the S3, SSH and Azure plugins.
"""

import pytest
from dvcremote_example import ExampleBackend

from dvcremote_testing.backend_tests import UnavailableStorageTests
from dvcremote_testing.downfs import DownFileSystem


class TestExampleUnavailable(UnavailableStorageTests):
    @pytest.fixture
    def open_unreachable_backend(self):
        return lambda: ExampleBackend(DownFileSystem(), "/dvcremote-example/bucket")

    @pytest.fixture
    def open_refused_backend(self):
        denied = DownFileSystem(lambda: PermissionError(13, "Permission denied"))
        return lambda: ExampleBackend(denied, "/dvcremote-example/bucket")
