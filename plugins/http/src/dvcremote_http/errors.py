"""aiohttp's exceptions -> dvcremote errors. Kept apart so the mapping is unit-testable."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from dvcremote.errors import (
    BackendError,
    BackendUnavailable,
    NotFound,
    PermissionDenied,
)

Redact = Callable[[str], str]


def map_http_error(
    exc: BaseException, *, path: str | None, backend: str, redact: Redact
) -> BackendError | None:
    """The dvcremote error for an HTTP failure, or None to let the adapter decide."""
    if isinstance(exc, aiohttp.ClientResponseError):
        status = exc.status
        detail = redact(f"HTTP {status} {exc.message}".strip())
        if status in (401, 403):
            return PermissionDenied(detail, path=path, backend=backend)
        if status in (404, 410):
            return NotFound(path=path, backend=backend)
        if status in (408, 429) or status >= 500:
            return BackendUnavailable(detail, path=path, backend=backend)
        return BackendError(detail, path=path, backend=backend)
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ServerTimeoutError)):
        return BackendUnavailable(
            redact(f"{type(exc).__name__}: {exc}"), path=path, backend=backend
        )
    return None
