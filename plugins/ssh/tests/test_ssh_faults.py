"""The fault suite against sshd: killed (with its sessions) or frozen mid-transfer."""

from __future__ import annotations

import pytest

from dvcremote_ssh.testing import (
    SshdProcess,
    SSHOpener,
    SSHServer,
    ssh_fault_server,
    ssh_open_fault_backend,
)
from dvcremote_testing.backend_tests import ServerFaultTests

__all__ = ["ssh_fault_server", "ssh_open_fault_backend"]


class TestSSHServerFaults(ServerFaultTests):
    @pytest.fixture
    def fault_server(self, ssh_fault_server: SSHServer) -> SshdProcess:
        assert ssh_fault_server.process is not None
        return ssh_fault_server.process

    @pytest.fixture
    def open_fault_backend(self, ssh_open_fault_backend: SSHOpener) -> SSHOpener:
        return ssh_open_fault_backend
