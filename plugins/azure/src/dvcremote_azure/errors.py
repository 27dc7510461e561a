"""Translating Azure SDK and adlfs failures into dvcremote errors.

Azure reports the kind of failure in a status code plus an error code; we keep our
messages to those (the response body can be long and is of no use to the user), and
follow explicit exception chains because adlfs re-raises some SDK errors as OSErrors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from azure.core import exceptions as az

from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    NotFound,
    PermissionDenied,
    StorageNotFound,
)

Redact = Callable[[str], str]

_AUTH_HINT = "check account_name, account_key, sas_token or connection_string"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__  # explicit chaining only: a context may be unrelated


def error_code(exc: BaseException) -> str:
    """Azure's error code (``ContainerNotFound``, ``AuthenticationFailed``, ...) or ``""``."""
    code = getattr(exc, "error_code", None)
    if code is None:
        return ""
    return str(getattr(code, "value", code))


def map_azure_error(
    exc: BaseException,
    *,
    path: str | None,
    backend: str,
    container: str | None = None,
    redact: Redact = str,
) -> BackendError | None:
    """The dvcremote error for an Azure failure, or None to let the generic mapping decide."""
    for err in _chain(exc):
        mapped = _map_one(err, path=path, backend=backend, container=container, redact=redact)
        if mapped is not None:
            return mapped
    return None


def _map_one(
    exc: BaseException,
    *,
    path: str | None,
    backend: str,
    container: str | None,
    redact: Redact,
) -> BackendError | None:
    if isinstance(exc, az.HttpResponseError):
        return _map_http(exc, path=path, backend=backend, container=container)
    if isinstance(exc, (az.ServiceRequestError, az.ServiceResponseError)):
        return BackendUnavailable(
            "cannot reach Azure storage: " + redact(_first_line(exc)), path=path, backend=backend
        )
    if type(exc).__module__.startswith("aiohttp") and isinstance(exc, (OSError, ConnectionError)):
        return BackendUnavailable(
            "cannot reach Azure storage: " + redact(_first_line(exc)), path=path, backend=backend
        )
    return None


def _map_http(
    exc: az.HttpResponseError, *, path: str | None, backend: str, container: str | None
) -> BackendError | None:
    status = exc.status_code or 0
    code = error_code(exc)
    label = f"{status} {code}".strip()
    if isinstance(exc, az.ClientAuthenticationError) or status in (401, 403):
        return PermissionDenied(
            f"Azure refused the request ({label}): {_AUTH_HINT}", path=path, backend=backend
        )
    if code == "ContainerNotFound":
        return container_not_found(container, path=path, backend=backend)
    if isinstance(exc, az.ResourceNotFoundError) or status == 404:
        return NotFound(path=path, backend=backend)
    if code in ("BlobAlreadyExists", "ContainerAlreadyExists"):
        return AlreadyExists(path=path, backend=backend)
    if status in (500, 502, 503, 504):
        return BackendUnavailable(
            f"Azure storage is unavailable ({label})", path=path, backend=backend
        )
    return None


def container_not_found(
    container: str | None, *, path: str | None, backend: str
) -> StorageNotFound:
    """Not a NotFound: nothing can be "missing" from a container that is not there."""
    where = f"container {container!r}" if container else "the container"
    return StorageNotFound(
        f"{where} does not exist (Azure never creates containers implicitly)",
        path=path,
        backend=backend,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
