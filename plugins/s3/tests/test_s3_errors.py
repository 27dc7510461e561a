"""Error mapping against the real moto server: credentials, missing bucket, server down.

moto accepts any key by default; ``S3Server.enforce_credentials`` switches on its
signature and IAM checks, so wrong keys are refused the way AWS refuses them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dvcremote.backend import Backend, open_backend
from dvcremote.errors import (
    BackendError,
    BackendUnavailable,
    NotFound,
    PermissionDenied,
    StorageNotFound,
    VersioningNotEnabled,
)
from dvcremote_s3 import S3Backend
from dvcremote_s3.testing import BackendFactory, S3Server, closed_port_url

#: Distinctive, so that finding it anywhere in an error or repr is a real leak.
SECRET = f"dvcr-SECRET-{uuid.uuid4().hex}"
TOKEN = f"dvcr-TOKEN-{uuid.uuid4().hex}"

Operation = Callable[[Backend], Any]

OPERATIONS: dict[str, Operation] = {
    "write": lambda b: b.write("dir/file.bin", b"data", overwrite=True),
    "read": lambda b: b.read_bytes("dir/file.bin"),
    "info": lambda b: b.get_file_info("dir/file.bin"),
    "exists": lambda b: b.exists("dir/file.bin"),
    "list": lambda b: list(b.list_files("", recursive=True)),
    "list_folders": lambda b: list(b.list_folders("")),
    "delete": lambda b: b.delete("dir/file.bin"),
}


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The error and everything chained behind it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    for link in chain(exc):
        text = f"{link} {link!r} {link.args!r}"
        for secret in secrets:
            assert secret not in text, f"secret leaked in {type(link).__name__}: {text}"


@pytest.fixture
def fast_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """One attempt per request (botocore's own knob): a down server fails at once."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


# ------------------------------------------------------------ credentials
@pytest.fixture
def iam_user(s3_server: S3Server) -> dict[str, str]:
    """A user with a valid key and no policy at all: every S3 call is AccessDenied."""
    return s3_server.create_iam_user()


@pytest.mark.usefixtures("fast_failures")
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("who", ["unknown-key", "wrong-secret", "no-permission"])
def test_s3_refused_credentials_are_permission_denied(
    s3_server: S3Server,
    s3_bucket: str,
    s3_backend_factory: BackendFactory,
    iam_user: dict[str, str],
    who: str,
    operation: str,
) -> None:
    credentials = {
        "unknown-key": {"access_key_id": "AKIAUNKNOWNKEY000000", "secret_access_key": SECRET},
        "wrong-secret": {"access_key_id": iam_user["access_key_id"], "secret_access_key": SECRET},
        # a valid key of a user that may do nothing: AccessDenied
        "no-permission": dict(iam_user),
    }[who]
    backend = s3_backend_factory(s3_bucket, "pre", **credentials)
    with s3_server.enforce_credentials(), pytest.raises(PermissionDenied) as info:
        OPERATIONS[operation](backend)
    assert info.value.backend == "s3"
    assert_no_secret(info.value, SECRET, iam_user["secret_access_key"])
    # nothing reached the bucket
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


@pytest.mark.usefixtures("fast_failures")
def test_s3_health_reports_refused_credentials(
    s3_server: S3Server, s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(
        s3_bucket, access_key_id="AKIAUNKNOWNKEY000000", secret_access_key=SECRET
    )
    with s3_server.enforce_credentials():
        report = backend.check_health()
    assert report.ok is False
    assert "denied" in report.detail
    assert SECRET not in report.detail


# ---------------------------------------------------------- missing bucket
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_s3_missing_bucket_is_storage_not_found(
    s3_backend_factory: BackendFactory, operation: str
) -> None:
    """Never NotFound (or exists() False): a missing bucket is a wrong remote, not an
    empty one, and every operation says which bucket."""
    bucket = f"dvcr-missing-{uuid.uuid4().hex[:12]}"
    backend = s3_backend_factory(bucket)
    with pytest.raises(StorageNotFound) as info:
        OPERATIONS[operation](backend)
    assert not isinstance(info.value, NotFound)
    assert info.value.backend == "s3"
    assert f"bucket {bucket!r} does not exist" in str(info.value)


def test_s3_missing_bucket_health_says_why(s3_backend_factory: BackendFactory) -> None:
    bucket = f"dvcr-missing-{uuid.uuid4().hex[:12]}"
    backend = s3_backend_factory(bucket)
    report = backend.check_health()
    assert report.ok is False
    assert bucket in report.detail
    assert "does not exist" in report.detail


def test_s3_empty_prefix_in_existing_bucket_lists_nothing(
    s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    """The bucket check must not turn an empty (or missing) folder into an error."""
    backend = s3_backend_factory(s3_bucket, "nothing/here")
    assert list(backend.list_files("", recursive=True)) == []
    assert list(backend.list_folders("missing")) == []


# -------------------------------------------------------------- server down
@pytest.mark.usefixtures("fast_failures")
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_s3_server_down_is_backend_unavailable(operation: str) -> None:
    backend = open_backend(
        "s3://some-bucket/prefix",
        endpointurl=closed_port_url(),
        access_key_id="AKIADOWN",
        secret_access_key=SECRET,
        session_token=TOKEN,
        region="us-east-1",
    )
    try:
        with pytest.raises(BackendUnavailable) as info:
            OPERATIONS[operation](backend)
    finally:
        backend.close()
    assert info.value.backend == "s3"
    assert "127.0.0.1" in str(info.value), "the error should say where it tried"
    assert_no_secret(info.value, SECRET, TOKEN)


@pytest.mark.usefixtures("fast_failures")
def test_s3_server_down_bulk_and_health() -> None:
    backend = open_backend(
        "s3://some-bucket",
        endpointurl=closed_port_url(),
        access_key_id="AKIADOWN",
        secret_access_key=SECRET,
        region="us-east-1",
        version_aware=True,
    )
    report = backend.check_health()
    assert report.ok is False
    assert "reach" in report.detail
    with pytest.raises(BackendUnavailable):
        backend.exists_many(["a", "b"])
    with pytest.raises(BackendUnavailable):
        backend.get_file_info_many(["a", "b"])
    backend.close()


# ---------------------------------------------------------- repr & messages
def test_s3_repr_shows_no_secret(s3_server: S3Server) -> None:
    backend = open_backend(
        "s3://bkt/pre",
        endpointurl="http://user:" + SECRET + "@127.0.0.1:9/",
        access_key_id="AKIAVISIBLE",
        secret_access_key=SECRET,
        session_token=TOKEN,
        sse_customer_key="c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLi4uLi4uLi4=",
    )
    shown = f"{backend!r} {backend} {backend.location}"
    assert "s3://bkt/pre" in shown
    assert "127.0.0.1:9" in shown
    for secret in (SECRET, TOKEN, "c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLi4uLi4uLi4="):
        assert secret not in shown


def test_s3_secret_quoted_by_the_server_is_scrubbed(s3_bucket: str, s3_server: S3Server) -> None:
    """Whatever text reaches an error passes through the backend's redaction."""
    backend = S3Backend.from_url(
        f"s3://{s3_bucket}", **s3_server.remote_options(secret_access_key=SECRET)
    )
    native = RuntimeError(f"the server echoed {SECRET} back")
    converted = backend._convert(native, "x")
    assert isinstance(converted, BackendError)
    assert SECRET not in str(converted)
    backend.close()


# ------------------------------------------------------------- versioning off
def test_s3_version_aware_remote_on_unversioned_bucket_is_refused(
    s3_server: S3Server, s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(s3_bucket, version_aware=True)
    with pytest.raises(VersioningNotEnabled) as info:
        backend.write("file.bin", b"data")
    message = str(info.value)
    assert s3_bucket in message
    assert "versioning is off" in message
    # nothing was written
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0
    # every entry point refuses, bulk included
    with pytest.raises(VersioningNotEnabled):
        backend.exists_many(["file.bin"])
    with pytest.raises(VersioningNotEnabled):
        backend.upload_many([])
    assert backend.check_health().ok is False


def test_s3_versioning_suspended_is_refused_too(
    s3_server: S3Server, s3_versioned_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    s3_server.client().put_bucket_versioning(
        Bucket=s3_versioned_bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    backend = s3_backend_factory(s3_versioned_bucket, worktree=True)
    with pytest.raises(VersioningNotEnabled, match="suspended"):
        backend.read_bytes("file.bin")


def test_s3_version_aware_remote_works_without_permission_to_ask_about_versioning(
    s3_server: S3Server, s3_versioned_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    """Users often lack s3:GetBucketVersioning; writes' version ids carry the proof."""
    user = s3_server.create_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetBucketVersioning", "Resource": "*"},
            ],
        },
    )
    backend = s3_backend_factory(s3_versioned_bucket, version_aware=True, **user)
    as_user = s3_server.client(
        aws_access_key_id=user["access_key_id"], aws_secret_access_key=user["secret_access_key"]
    )
    with s3_server.enforce_credentials():
        with pytest.raises(ClientError, match="AccessDenied"):
            as_user.get_bucket_versioning(Bucket=s3_versioned_bucket)
        v1 = backend.write("f.bin", b"one").version_id
        backend.write("f.bin", b"two", overwrite=True)
        assert v1 is not None
        assert backend.read_bytes("f.bin", version_id=v1) == b"one"


def test_s3_versioning_not_enabled_is_a_config_error_and_a_backend_error() -> None:
    from dvcremote.errors import ConfigError

    assert issubclass(VersioningNotEnabled, ConfigError)
    assert issubclass(VersioningNotEnabled, BackendError)
