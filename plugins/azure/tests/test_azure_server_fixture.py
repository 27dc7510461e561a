"""The Azurite fixture itself: a fresh container per test, found by env var, stopped for good."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from dvcremote_azure import testing
from dvcremote_azure.testing import AzuriteServer, find_azurite, start_azurite


def _listening(server: AzuriteServer) -> bool:
    try:
        with socket.create_connection((server.host, server.port), timeout=1):
            return True
    except OSError:
        return False


def test_each_test_gets_a_fresh_empty_container(
    azurite: AzuriteServer, azure_container: str
) -> None:
    with azurite.service_client() as client:
        container = client.get_container_client(azure_container)
        assert container.exists()
        assert list(container.list_blobs()) == []
        container.upload_blob("left-behind.bin", b"x")


def test_containers_are_not_shared(azurite: AzuriteServer, azure_container: str) -> None:
    with azurite.service_client() as client:
        assert list(client.get_container_client(azure_container).list_blobs()) == []


def test_connection_string_names_the_loopback_endpoint(azurite: AzuriteServer) -> None:
    assert azurite.host == "127.0.0.1"
    assert f"BlobEndpoint=http://127.0.0.1:{azurite.port}/devstoreaccount1;" in (
        azurite.connection_string
    )


def test_azurite_bin_env_var_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "azurite-blob"
    monkeypatch.setenv(testing.AZURITE_ENV, str(fake))
    assert find_azurite() == str(fake)
    monkeypatch.delenv(testing.AZURITE_ENV)
    found = find_azurite()
    assert found is not None and found.endswith("azurite-blob")


def test_missing_executable_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(testing, "find_azurite", lambda: None)
    with pytest.raises(RuntimeError, match="npm ci --prefix plugins/azure"):
        start_azurite(tmp_path)


def test_stop_frees_the_port(tmp_path: Path) -> None:
    server = start_azurite(tmp_path)
    assert _listening(server)
    server.stop()
    assert not _listening(server)
    server.stop()  # idempotent
