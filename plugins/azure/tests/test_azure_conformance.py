"""The whole backend conformance suite against Azurite.

VERSIONING is not declared by ``AzureBackend``, so the versioning topics skip by that
capability: Azurite keeps no blob versions (see test_azure_versioning.py for the error
a version-aware remote gets there instead).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dvcremote.backend import Backend
from dvcremote_azure.backend import AzureBackend
from dvcremote_azure.testing import AzuriteServer
from dvcremote_testing.backend_tests import (
    BackendConformance,
    BulkTests,
    ErrorTests,
    ListingTests,
    ReadWriteTests,
)
from dvcremote_testing.markers import rules_of, skip_reason


class _NotedSkips:
    """Skip reasons that also say WHY a capability is missing (the backend's
    ``CAPABILITY_NOTES``), replacing the suites' own skip-rule fixture of the same name."""

    @pytest.fixture(autouse=True)
    def _dvcremote_skip_rules(self, request: pytest.FixtureRequest, backend: Backend) -> None:
        reason = skip_reason(
            rules_of(request.function), backend_name=backend.name,
            capabilities=backend.capabilities,
        )
        if reason is not None:
            notes = getattr(type(backend), "CAPABILITY_NOTES", {})
            why = "; ".join(note for cap, note in notes.items() if str(cap) in reason)
            pytest.skip(f"{reason} ({why})" if why else reason)


@pytest.fixture
def backend_secrets(azurite: AzuriteServer) -> list[str]:
    return [azurite.connection_string, azurite.account_key]


class TestAzureConformance(_NotedSkips, BackendConformance):
    @pytest.fixture
    def backend(self, azure_backend: AzureBackend) -> AzureBackend:
        return azure_backend


class TestAzureContainerRootConformance(
    _NotedSkips, ReadWriteTests, ListingTests, ErrorTests, BulkTests
):
    """The remote's root is the container itself (``azure://container``), no prefix: the
    topics where mapping paths to blob names matters."""

    @pytest.fixture
    def backend(self, azurite: AzuriteServer, azure_container: str) -> Iterator[AzureBackend]:
        backend = AzureBackend.from_url(f"azure://{azure_container}", **azurite.options())
        yield backend
        backend.close()
