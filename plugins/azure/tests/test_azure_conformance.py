"""The whole backend conformance suite against Azurite.

VERSIONING is not declared by ``AzureBackend``, so the versioning topics skip by that
capability, their reasons carrying the class's ``CAPABILITY_NOTES``: Azurite keeps no
blob versions (see test_azure_versioning.py for the error a version-aware remote gets
there instead).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dvcremote_azure.backend import AzureBackend
from dvcremote_azure.testing import AzuriteServer
from dvcremote_testing.backend_tests import (
    BackendConformance,
    BulkTests,
    ErrorTests,
    ListingTests,
    ReadWriteTests,
)


@pytest.fixture
def backend_secrets(azurite: AzuriteServer) -> list[str]:
    return [azurite.connection_string, azurite.account_key]


class TestAzureConformance(BackendConformance):
    @pytest.fixture
    def backend(self, azure_backend: AzureBackend) -> AzureBackend:
        return azure_backend


class TestAzureContainerRootConformance(ReadWriteTests, ListingTests, ErrorTests, BulkTests):
    """The remote's root is the container itself (``azure://container``), no prefix: the
    topics where mapping paths to blob names matters."""

    @pytest.fixture
    def backend(self, azurite: AzuriteServer, azure_container: str) -> Iterator[AzureBackend]:
        backend = AzureBackend.from_url(f"azure://{azure_container}", **azurite.options())
        yield backend
        backend.close()
