"""Version-aware Azure remotes need blob versioning; Azurite keeps none, so there the
remote must refuse to start, clearly, and leave nothing behind."""

from __future__ import annotations

import pytest

from dvcremote.backend import Capability, open_backend
from dvcremote.errors import CapabilityNotSupported, ConfigError, VersioningNotEnabled
from dvcremote_azure.backend import AzureBackend, VersionedAzureBackend
from dvcremote_azure.testing import AzuriteServer


@pytest.mark.parametrize(
    "option", [{"version_aware": True}, {"version_aware": "true"}, {"worktree": True}],
    ids=["version_aware", "version_aware-string", "worktree"],
)
def test_version_aware_remote_on_unversioned_storage_is_refused(
    azurite: AzuriteServer, azure_container: str, option: dict[str, object]
) -> None:
    with pytest.raises(VersioningNotEnabled) as caught:
        open_backend(f"azure://{azure_container}/data", **option, **azurite.options())
    message = str(caught.value)
    assert "versioning is off" in message
    assert "devstoreaccount1" in message
    assert azurite.account_key not in message
    assert isinstance(caught.value, ConfigError)
    # The probe it wrote to find out is gone again.
    with azurite.service_client() as client:
        left = list(client.get_container_client(azure_container).list_blobs())
    assert left == []


def test_versioned_class_asks_for_versioning_itself(
    azurite: AzuriteServer, azure_container: str
) -> None:
    with pytest.raises(VersioningNotEnabled):
        VersionedAzureBackend.from_url(f"azure://{azure_container}", **azurite.options())


def test_plain_remote_does_not_declare_versioning(azure_backend: AzureBackend) -> None:
    assert Capability.VERSIONING not in AzureBackend.CAPABILITIES
    assert Capability.VERSIONING in VersionedAzureBackend.CAPABILITIES
    azure_backend.write("f.bin", b"x")
    with pytest.raises(CapabilityNotSupported, match="VERSIONING"):
        azure_backend.read_bytes("f.bin", version_id="2024-01-01T00:00:00.0000000Z")


def test_capability_notes_say_why_versioning_is_untested() -> None:
    for cls in (AzureBackend, VersionedAzureBackend):
        assert "Azurite" in cls.CAPABILITY_NOTES["VERSIONING"]
