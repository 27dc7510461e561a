"""The fault suite against Azurite: killed or frozen mid-transfer."""

from __future__ import annotations

import pytest

from dvcremote_azure.testing import (
    AzureOpener,
    AzuriteProcess,
    AzuriteServer,
    azure_fault_server,
    azure_open_fault_backend,
)
from dvcremote_testing.backend_tests import ServerFaultTests

__all__ = ["azure_fault_server", "azure_open_fault_backend"]


class TestAzureServerFaults(ServerFaultTests):
    @pytest.fixture
    def fault_server(self, azure_fault_server: AzuriteServer) -> AzuriteProcess:
        assert azure_fault_server.process is not None
        return azure_fault_server.process

    @pytest.fixture
    def open_fault_backend(self, azure_open_fault_backend: AzureOpener) -> AzureOpener:
        return azure_open_fault_backend
