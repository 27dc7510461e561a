"""Every remote suite against Azurite (Microsoft's blob storage emulator) on loopback.

The repository pushes and pulls through the plugin (adlfs); each test looks at the
container through ``AzureCloud``, azure-storage-blob's ``ContainerClient``, never through
the plugin. Azurite keeps no blob versions, so the version-aware and worktree suites
skip for lack of VERSIONING, the reason saying so (test_azure_versioning.py checks the
error a version-aware remote gets there instead).
"""

from __future__ import annotations

import pytest

from dvcremote_azure.testing import AzureCloud, AzuriteServer, make_azure
from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree

# A module-level fixture (this package's conftest is not the place to add it).
__all__ = ["make_azure"]


@pytest.fixture
def remote(make_remote) -> AzureCloud:
    return make_remote(name="upstream", typ="azure")


@pytest.fixture
def remote_version_aware(make_remote_version_aware) -> AzureCloud:
    return make_remote_version_aware(name="upstream", typ="azure")


@pytest.fixture
def remote_worktree(make_remote_worktree) -> AzureCloud:
    return make_remote_worktree(name="upstream", typ="azure")


class TestAzureRemote(TestRemote):
    pass


class TestAzureRemoteVersionAware(TestRemoteVersionAware):
    pass


class TestAzureRemoteWorktree(TestRemoteWorktree):
    pass


def test_remote_is_a_container_prefix(remote: AzureCloud, azurite: AzuriteServer) -> None:
    """The suites' remote is a prefix of its own container, and the SDK's view sees
    exactly what is there (nothing outside the prefix)."""
    assert remote.prefix and remote.url == f"azure://{remote.container}/{remote.prefix}"
    (remote / "a" / "b").write_bytes(b"x")
    assert [c.name for c in remote.iterdir()] == ["a"]
    assert (remote / "a").is_dir() and not (remote / "a").is_file()
    assert (remote / "a" / "b").is_file() and (remote / "a" / "b").read_bytes() == b"x"
    with azurite.service_client() as client:
        names = [b.name for b in client.get_container_client(remote.container).list_blobs()]
    assert names == [f"{remote.prefix}/a/b"]
