"""The Azurite fixtures come from the plugin's own importable module (as a third party
would load them with ``pytest_plugins = ["dvcremote_azure.testing"]``; a non-root conftest
may not declare ``pytest_plugins``, so they are imported here)."""

from __future__ import annotations

from dvcremote_azure.testing import azure_backend, azure_container, azure_url, azurite

__all__ = ["azure_backend", "azure_container", "azure_url", "azurite"]
