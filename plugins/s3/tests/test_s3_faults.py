"""The fault suite against moto in a child process: killed or frozen mid-transfer."""

from __future__ import annotations

import pytest

from dvcremote_s3.testing import MotoProcess, S3Opener, s3_fault_server, s3_open_fault_backend
from dvcremote_testing.backend_tests import ServerFaultTests

__all__ = ["s3_fault_server", "s3_open_fault_backend"]


class TestS3ServerFaults(ServerFaultTests):
    @pytest.fixture
    def fault_server(self, s3_fault_server: MotoProcess) -> MotoProcess:
        return s3_fault_server

    @pytest.fixture
    def open_fault_backend(self, s3_open_fault_backend: S3Opener) -> S3Opener:
        return s3_open_fault_backend
