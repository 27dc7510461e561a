"""aiohttp's errors -> dvcremote errors (a unit test of the mapping: built exceptions)."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

from dvcremote.errors import BackendError, BackendUnavailable, NotFound, PermissionDenied
from dvcremote_http.errors import map_http_error


def _response_error(status: int) -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(URL("http://h/x"), "GET", {}, URL("http://h/x"))  # type: ignore[arg-type]
    return aiohttp.ClientResponseError(info, (), status=status, message="msg")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, PermissionDenied),
        (403, PermissionDenied),
        (404, NotFound),
        (410, NotFound),
        (429, BackendUnavailable),
        (500, BackendUnavailable),
        (503, BackendUnavailable),
        (400, BackendError),
    ],
)
def test_statuses(status: int, expected: type[BackendError]) -> None:
    mapped = map_http_error(_response_error(status), path="p", backend="http", redact=str)
    assert type(mapped) is expected


def test_connection_errors_are_unavailable() -> None:
    exc = aiohttp.ServerDisconnectedError()
    assert isinstance(map_http_error(exc, path="p", backend="http", redact=str), BackendUnavailable)


def test_other_exceptions_are_left_to_the_adapter() -> None:
    assert map_http_error(ValueError("x"), path="p", backend="http", redact=str) is None
