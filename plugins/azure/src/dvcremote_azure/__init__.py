"""Azure Blob Storage for dvcremote (``azure://`` and ``az://`` URLs), built on adlfs."""

from __future__ import annotations

from dvcremote_azure.backend import AzureBackend, VersionedAzureBackend

__all__ = ["AzureBackend", "VersionedAzureBackend"]
