"""Unit tests of the Azure error table: the only place SDK exceptions are constructed by hand."""

from __future__ import annotations

import pytest
from azure.core import exceptions as az

from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    NotFound,
    PermissionDenied,
    StorageNotFound,
)
from dvcremote_azure.errors import map_azure_error

SECRET = "azure-secret-Mx90-do-not-show"


def _http(cls: type[az.HttpResponseError], status: int, code: str) -> az.HttpResponseError:
    exc = cls(message=f"{code} body with {SECRET}")
    exc.status_code = status
    exc.error_code = code
    return exc


def _chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


CASES = [
    ("auth 403", _http(az.HttpResponseError, 403, "AuthorizationFailure"), PermissionDenied),
    ("auth 401", _http(az.ClientAuthenticationError, 401, "InvalidAuthenticationInfo"),
     PermissionDenied),
    ("no container", _http(az.ResourceNotFoundError, 404, "ContainerNotFound"), StorageNotFound),
    ("no blob", _http(az.ResourceNotFoundError, 404, "BlobNotFound"), NotFound),
    ("no blob via adlfs", _chained(FileNotFoundError("x"),
                                   _http(az.ResourceNotFoundError, 404, "BlobNotFound")), NotFound),
    ("exists", _http(az.ResourceExistsError, 409, "BlobAlreadyExists"), AlreadyExists),
    ("busy", _http(az.HttpResponseError, 503, "ServerBusy"), BackendUnavailable),
    ("down", az.ServiceRequestError("Cannot connect to host 127.0.0.1:1"), BackendUnavailable),
    ("reset", az.ServiceResponseError("Connection reset"), BackendUnavailable),
]


@pytest.mark.parametrize(("label", "exc", "expected"), CASES, ids=[c[0] for c in CASES])
def test_maps_to_the_dvcremote_error(label: str, exc: BaseException, expected: type) -> None:
    mapped = map_azure_error(exc, path="a/b.bin", backend="azure", container="box")
    assert type(mapped) is expected
    assert mapped is not None
    assert (mapped.path, mapped.backend) == ("a/b.bin", "azure")
    assert SECRET not in str(mapped), "the response body must not be copied into the message"


def test_missing_container_is_named() -> None:
    exc = _http(az.ResourceNotFoundError, 404, "ContainerNotFound")
    mapped = map_azure_error(exc, path="", backend="azure", container="my-box")
    assert isinstance(mapped, StorageNotFound)
    assert not isinstance(mapped, NotFound)  # never "absent": the callers catch NotFound
    assert "'my-box' does not exist" in str(mapped)


@pytest.mark.parametrize(
    "exc",
    [_http(az.HttpResponseError, 400, "InvalidQueryParameterValue"), ValueError("nope")],
    ids=["bad request", "value error"],
)
def test_unknown_failures_are_left_to_the_generic_mapping(exc: BaseException) -> None:
    assert map_azure_error(exc, path="x", backend="azure") is None


def test_connection_messages_are_redacted() -> None:
    exc = az.ServiceRequestError(f"cannot connect to https://acct.blob?sig={SECRET}")
    mapped = map_azure_error(
        exc, path="p", backend="azure", redact=lambda t: t.replace(SECRET, "***")
    )
    assert isinstance(mapped, BackendError)
    assert SECRET not in str(mapped)
