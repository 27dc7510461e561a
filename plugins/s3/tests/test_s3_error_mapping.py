"""Unit test of the S3 error translation table, with hand-built botocore errors.

The same outcomes are checked against the real moto server in test_s3_errors.py;
this file covers codes that server cannot be made to produce (throttling, 5xx).
"""

from __future__ import annotations

import errno
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)

from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    IntegrityError,
    InvalidPath,
    NotFound,
    PermissionDenied,
    StorageNotFound,
    VersionNotFound,
)
from dvcremote_s3.errors import map_s3_error

SECRET = "s3cr3t-PLUM-7781-do-not-print"


def client_error(code: str, message: str = "", status: int = 400, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message, **extra},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "GetObject")  # type: ignore[arg-type]


def redact(text: str) -> str:
    return text.replace(SECRET, "***")


def mapped(exc: BaseException) -> BackendError | None:
    return map_s3_error(exc, path="a/b", backend="s3", redact=redact)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NoSuchKey", NotFound),
        ("NoSuchBucket", StorageNotFound),
        ("404", NotFound),
        ("NoSuchVersion", VersionNotFound),
        ("AccessDenied", PermissionDenied),
        ("InvalidAccessKeyId", PermissionDenied),
        ("SignatureDoesNotMatch", PermissionDenied),
        ("ExpiredToken", PermissionDenied),
        ("403", PermissionDenied),
        ("SlowDown", BackendUnavailable),
        ("ServiceUnavailable", BackendUnavailable),
        ("InternalError", BackendUnavailable),
        ("KeyTooLongError", InvalidPath),
        ("BadDigest", IntegrityError),
        ("InvalidDigest", IntegrityError),
        ("XAmzContentSHA256Mismatch", IntegrityError),
    ],
)
def test_s3_code_maps_to_error_class(code: str, expected: type[BackendError]) -> None:
    err = mapped(client_error(code, "server says no"))
    assert type(err) is expected
    assert err.path == "a/b"
    assert err.backend == "s3"


def test_s3_failed_precondition_depends_on_the_condition() -> None:
    create = mapped(client_error("PreconditionFailed", "no", 412, Condition="If-None-Match"))
    assert isinstance(create, AlreadyExists)
    pinned_read = mapped(client_error("PreconditionFailed", "no", 412, Condition="If-Match"))
    assert type(pinned_read) is BackendError
    assert "changed" in str(pinned_read)


def test_s3_unknown_code_is_a_plain_backend_error_naming_the_code() -> None:
    err = mapped(client_error("WeirdNewThing", "something odd"))
    assert type(err) is BackendError
    assert "WeirdNewThing" in str(err)
    assert "something odd" in str(err)


def test_s3_bad_version_id_argument_is_version_not_found() -> None:
    err = mapped(client_error("InvalidArgument", "Invalid version id specified"))
    assert isinstance(err, VersionNotFound)


def test_s3_other_invalid_argument_is_not_version_not_found() -> None:
    err = mapped(client_error("InvalidArgument", "Bad part number"))
    assert not isinstance(err, NotFound)


def test_s3_missing_bucket_names_the_bucket() -> None:
    err = mapped(client_error("NoSuchBucket", "gone", 404, BucketName="my-bkt"))
    assert isinstance(err, StorageNotFound)
    assert not isinstance(err, NotFound)  # never "absent": callers catch NotFound
    assert "my-bkt" in str(err)


def test_s3_error_found_behind_s3fs_translation() -> None:
    """s3fs raises FileNotFoundError for both bucket and key; the cause tells them apart."""
    outer = FileNotFoundError(errno.ENOENT, "The specified bucket does not exist")
    outer.__cause__ = client_error("NoSuchBucket", "gone", 404, BucketName="b1")
    err = mapped(outer)
    assert isinstance(err, StorageNotFound)
    assert "b1" in str(err)

    einval = OSError(errno.EINVAL, "Invalid version id specified")
    einval.__cause__ = client_error("InvalidArgument", "Invalid version id specified")
    assert isinstance(mapped(einval), VersionNotFound)


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1/bkt"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1/bkt"),
    ],
)
def test_s3_unreachable_endpoint_is_backend_unavailable(exc: Exception) -> None:
    err = mapped(exc)
    assert isinstance(err, BackendUnavailable)
    assert "127.0.0.1:1" in str(err)


def test_s3_unreachable_behind_a_wrapper_is_backend_unavailable() -> None:
    outer = RuntimeError("wrapped")
    outer.__cause__ = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert isinstance(mapped(outer), BackendUnavailable)


def test_s3_missing_credentials_is_permission_denied() -> None:
    assert isinstance(mapped(NoCredentialsError()), PermissionDenied)


def test_s3_unrelated_exception_is_left_to_the_caller() -> None:
    assert mapped(ValueError("nothing to do with S3")) is None


def test_s3_secret_in_server_message_is_redacted() -> None:
    err = mapped(client_error("SignatureDoesNotMatch", f"expected signature for {SECRET}", 403))
    assert isinstance(err, PermissionDenied)
    assert SECRET not in str(err)
    assert SECRET not in repr(err)
    assert "***" in str(err)
