"""Translate S3 failures (botocore, aiobotocore, s3fs) into dvcremote errors.

s3fs already turns most ``ClientError``s into ``OSError`` subclasses, but it keeps
the ``ClientError`` as ``__cause__`` and loses detail on the way (a missing bucket
and a missing key are both ``FileNotFoundError``; a bad version id is ``EINVAL``).
So the S3 error code is looked up first, wherever in the chain it sits.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from botocore.exceptions import (
    ReadTimeoutError as BotoReadTimeoutError,
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

Redact = Callable[[str], str]

#: S3 error codes (and bare HTTP statuses, which HEAD requests report) by outcome.
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
VERSION_NOT_FOUND_CODES = frozenset({"NoSuchVersion"})
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccountProblem",
        "AllAccessDisabled",
        "ExpiredToken",
        "Forbidden",
        "InvalidAccessKeyId",
        "InvalidSecurity",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
        "UnauthorizedAccess",
        "403",
    }
)
UNAVAILABLE_CODES = frozenset(
    {"InternalError", "RequestTimeout", "ServiceUnavailable", "SlowDown", "500", "503"}
)
INVALID_PATH_CODES = frozenset({"KeyTooLongError", "InvalidObjectName"})
EXISTS_CODES = frozenset({"BucketAlreadyExists", "BucketAlreadyOwnedByYou"})
#: A conditional request failed: "If-None-Match" guards a create, "If-Match" a read
#: pinned to one etag (the object was replaced meanwhile).
PRECONDITION_CODES = frozenset({"PreconditionFailed", "412"})
#: The body the server received does not match the Content-MD5 or signed SHA-256 sent
#: with it: nothing was stored.
DIGEST_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})

_UNREACHABLE = (
    BotoConnectionError,  # EndpointConnectionError, ConnectTimeoutError, SSL, proxy
    ConnectionClosedError,
    BotoReadTimeoutError,
)
_NO_CREDENTIALS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    ProfileNotFound,
)


def client_error_in(exc: BaseException) -> ClientError | None:
    """The botocore ``ClientError`` behind ``exc`` (itself, its cause or its context)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ClientError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def s3_error_code(error: ClientError) -> str:
    err = error.response.get("Error") or {}
    code = str(err.get("Code") or "")
    if not code:
        status = (error.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        code = str(status or "")
    return code


def _identity(text: str) -> str:
    return text


def map_s3_error(
    exc: BaseException,
    *,
    path: str | None,
    backend: str,
    redact: Redact = _identity,
) -> BackendError | None:
    """The dvcremote error for an S3 failure, or ``None`` to let the caller decide.

    ``redact`` scrubs secrets out of any server or SDK text that ends up in a message.
    """
    client_error = client_error_in(exc)
    if client_error is not None:
        return _from_client_error(client_error, path=path, backend=backend, redact=redact)
    if isinstance(exc, _UNREACHABLE) or _has_unreachable_cause(exc):
        detail = redact(f"cannot reach the S3 endpoint: {exc}")
        return BackendUnavailable(detail, path=path, backend=backend)
    if isinstance(exc, _NO_CREDENTIALS):
        detail = redact(f"no usable AWS credentials: {type(exc).__name__}")
        return PermissionDenied(detail, path=path, backend=backend)
    return None


def missing_bucket(bucket: str | None, *, path: str | None, backend: str) -> StorageNotFound:
    """Not a NotFound: a missing bucket is a wrong remote, never an empty one."""
    what = f"bucket {bucket!r}" if bucket else "the bucket"
    return StorageNotFound(
        f"{what} does not exist (dvc never creates buckets: create it, or fix the remote's url)",
        path=path,
        backend=backend,
    )


def _has_unreachable_cause(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc.__context__
    depth = 0
    while cause is not None and depth < 8:
        if isinstance(cause, _UNREACHABLE):
            return True
        cause = cause.__cause__ or cause.__context__
        depth += 1
    return False


def _from_client_error(
    error: ClientError, *, path: str | None, backend: str, redact: Redact
) -> BackendError | None:
    code = s3_error_code(error)
    err = error.response.get("Error") or {}
    server_message = str(err.get("Message") or "").strip()
    detail = redact(f"{code}: {server_message}" if server_message else code)
    if code in VERSION_NOT_FOUND_CODES or (
        code == "InvalidArgument" and "version" in server_message.lower()
    ):
        version_id = err.get("VersionId")
        return VersionNotFound(
            redact(f"version not found ({detail})"),
            path=path,
            backend=backend,
            version_id=str(version_id) if version_id else None,
        )
    if code == "NoSuchBucket":
        bucket = err.get("BucketName")
        return missing_bucket(redact(str(bucket)) if bucket else None, path=path, backend=backend)
    if code in NOT_FOUND_CODES:
        return NotFound(path=path, backend=backend)
    if code in DENIED_CODES:
        return PermissionDenied(f"access denied by S3 ({detail})", path=path, backend=backend)
    if code in UNAVAILABLE_CODES:
        return BackendUnavailable(f"S3 is unavailable ({detail})", path=path, backend=backend)
    if code in INVALID_PATH_CODES:
        return InvalidPath(f"S3 refused the key ({detail})", path=path, backend=backend)
    if code in EXISTS_CODES:
        return AlreadyExists(path=path, backend=backend)
    if code in DIGEST_CODES:
        return IntegrityError(
            f"S3 refused a body damaged on the way ({detail})", path=path, backend=backend
        )
    if code in PRECONDITION_CODES:
        if str(err.get("Condition") or "").lower() == "if-none-match":
            return AlreadyExists(path=path, backend=backend)
        return BackendError(
            f"the object changed while it was being read ({detail})", path=path, backend=backend
        )
    return BackendError(f"S3 error {detail}", path=path, backend=backend)
