"""The unavailable-storage suites against Azurite: a closed port, a wrong account key
(Azurite checks shared-key signatures, as Azure does), a container that does not exist
(Azure never creates containers implicitly, and neither does dvc)."""

from __future__ import annotations

import pytest

from dvcremote_azure.testing import (
    WRONG_ACCOUNT_KEY,
    AzureOpener,
    azure_open_missing_container,
    azure_open_refused,
    azure_open_unreachable,
)
from dvcremote_testing.backend_tests import MissingStorageTests, UnavailableStorageTests

__all__ = ["azure_open_missing_container", "azure_open_refused", "azure_open_unreachable"]


@pytest.fixture
def backend_secrets() -> list[str]:
    return [WRONG_ACCOUNT_KEY]


class TestAzureUnavailable(UnavailableStorageTests, MissingStorageTests):
    @pytest.fixture
    def open_unreachable_backend(self, azure_open_unreachable: AzureOpener) -> AzureOpener:
        return azure_open_unreachable

    @pytest.fixture
    def open_refused_backend(self, azure_open_refused: AzureOpener) -> AzureOpener:
        return azure_open_refused

    @pytest.fixture
    def open_missing_storage_backend(
        self, azure_open_missing_container: AzureOpener
    ) -> AzureOpener:
        return azure_open_missing_container
