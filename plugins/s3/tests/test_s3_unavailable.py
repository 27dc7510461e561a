"""The unavailable-storage suites against S3: moto on a closed port (server down), moto
checking signatures with a wrong secret (refused), and a bucket that does not exist.

moto accepts any credentials by default; ``s3_open_refused`` switches its checks on
for the test (``S3Server.enforce_credentials``), so the refusal is the server's own.
"""

from __future__ import annotations

import functools

import pytest

from dvcremote_s3.testing import (
    WRONG_SECRET,
    S3Opener,
    s3_open_missing_bucket,
    s3_open_refused,
    s3_open_unreachable,
)
from dvcremote_testing.backend_tests import MissingStorageTests, UnavailableStorageTests

# Module-level fixtures (this package's conftest is not the place to add them).
__all__ = ["s3_open_missing_bucket", "s3_open_refused", "s3_open_unreachable"]


@pytest.fixture
def backend_secrets() -> list[str]:
    return [WRONG_SECRET]


class TestS3Unavailable(UnavailableStorageTests, MissingStorageTests):
    @pytest.fixture
    def open_unreachable_backend(self, s3_open_unreachable: S3Opener) -> S3Opener:
        return s3_open_unreachable

    @pytest.fixture
    def open_refused_backend(self, s3_open_refused: S3Opener) -> S3Opener:
        return s3_open_refused

    @pytest.fixture
    def open_missing_storage_backend(self, s3_open_missing_bucket: S3Opener) -> S3Opener:
        return s3_open_missing_bucket


class TestS3VersionedUnavailable(UnavailableStorageTests, MissingStorageTests):
    """The version-aware class asks the bucket about versioning first: that question
    must not hide the failure either."""

    @pytest.fixture
    def open_unreachable_backend(self, s3_open_unreachable: S3Opener) -> S3Opener:
        return functools.partial(s3_open_unreachable, version_aware=True)

    @pytest.fixture
    def open_refused_backend(self, s3_open_refused: S3Opener) -> S3Opener:
        return functools.partial(s3_open_refused, version_aware=True)

    @pytest.fixture
    def open_missing_storage_backend(self, s3_open_missing_bucket: S3Opener) -> S3Opener:
        return functools.partial(s3_open_missing_bucket, version_aware=True)
