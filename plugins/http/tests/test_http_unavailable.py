"""The unavailable-storage suites over HTTP: a closed port, a password the server refuses.

A missing folder on a web server is indistinguishable from missing objects (404), so
there is no missing-storage case.
"""

from __future__ import annotations

import pytest

from dvcremote_http.testing import WRONG_PASSWORD, HTTPOpener
from dvcremote_testing.backend_tests import UnavailableStorageTests


@pytest.fixture
def backend_secrets() -> list[str]:
    return [WRONG_PASSWORD]


class TestHTTPUnavailable(UnavailableStorageTests):
    @pytest.fixture
    def open_unreachable_backend(self, http_open_unreachable: HTTPOpener) -> HTTPOpener:
        return http_open_unreachable

    @pytest.fixture
    def open_refused_backend(self, http_open_refused: HTTPOpener) -> HTTPOpener:
        return http_open_refused
