"""The whole backend conformance suite against real S3 (moto's server on loopback).

Each test gets a fresh bucket (``s3_bucket`` / ``s3_versioned_bucket``), so every
location starts empty; the plain suite also runs under a key prefix, because a
remote is often ``s3://bucket/some/prefix`` and paths must not leak out of it.
"""

from __future__ import annotations

import pytest

from dvcremote.backend import Capability
from dvcremote_s3 import S3Backend, S3VersionedBackend
from dvcremote_s3.testing import BackendFactory, MotoProcess, S3Server
from dvcremote_testing.backend_tests import BackendConformance


@pytest.fixture(scope="session")
def s3_server(s3_process_server: MotoProcess) -> S3Server:
    """moto in its own process: the streaming suite checks this process's memory with
    tracemalloc, and an in-process server's copy of the object would count against us.
    """
    return s3_process_server.server


@pytest.fixture
def backend_secrets(s3_server: S3Server) -> list[str]:
    return [s3_server.secret_access_key]


class TestS3Backend(BackendConformance):
    @pytest.fixture
    def backend(self, s3_backend: S3Backend) -> S3Backend:
        assert type(s3_backend) is S3Backend
        return s3_backend


class TestS3BackendUnderPrefix(BackendConformance):
    @pytest.fixture
    def backend(self, s3_bucket: str, s3_backend_factory: BackendFactory) -> S3Backend:
        return s3_backend_factory(s3_bucket, "team/datasets")


class TestS3VersionedBackend(BackendConformance):
    @pytest.fixture
    def backend(self, s3_versioned_backend: S3Backend) -> S3Backend:
        assert type(s3_versioned_backend) is S3VersionedBackend
        assert Capability.VERSIONING in s3_versioned_backend.capabilities
        return s3_versioned_backend
