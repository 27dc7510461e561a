"""Failures against a real Azurite come out as the right dvcremote error, with no secret."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from dvcremote.backend import Backend
from dvcremote.errors import (
    BackendError,
    BackendUnavailable,
    NotFound,
    PermissionDenied,
    StorageNotFound,
)
from dvcremote_azure.backend import AzureBackend
from dvcremote_azure.testing import AzuriteServer, connection_string, start_azurite

#: A well-formed account key that is not the emulator's: distinctive, so leaks are visible.
WRONG_KEY = base64.b64encode(b"dvcremote-wrong-account-key-5f0e19a4" * 2).decode()

Op = Callable[[Backend], object]
OPERATIONS: list[tuple[str, Op]] = [
    ("exists", lambda b: b.exists("f.bin")),
    ("read_bytes", lambda b: b.read_bytes("f.bin")),
    ("get_file_info", lambda b: b.get_file_info("f.bin")),
    ("write", lambda b: b.write("new.bin", b"x")),
    ("list_files", lambda b: list(b.list_files("", recursive=True))),
    ("delete", lambda b: b.delete("f.bin")),
    ("exists_many", lambda b: b.exists_many(["f.bin", "g.bin"])),
]


def _text(exc: BaseException) -> str:
    return f"{exc} {exc!r} {exc.args}"


def _sas_connection_string(azurite: AzuriteServer, container: str, permission: str) -> str:
    sas = generate_container_sas(
        azurite.account_name, container, azurite.account_key,
        permission=ContainerSasPermissions.from_string(permission),
        expiry=datetime.now(timezone.utc) + timedelta(hours=1),
    )
    return f"BlobEndpoint={azurite.blob_endpoint};SharedAccessSignature={sas}"


@pytest.mark.parametrize(("label", "operation"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_wrong_account_key_is_permission_denied(
    azurite: AzuriteServer, azure_url: str, azure_backend: AzureBackend, label: str, operation: Op
) -> None:
    azure_backend.write("f.bin", b"kept")
    wrong = connection_string(azurite.blob_endpoint, azurite.account_name, WRONG_KEY)
    with AzureBackend.from_url(azure_url, connection_string=wrong) as backend:
        with pytest.raises(PermissionDenied) as caught:
            operation(backend)
        assert "403" in str(caught.value)
        assert WRONG_KEY not in _text(caught.value)
        assert wrong not in _text(caught.value)
        report = backend.check_health()
        assert report.ok is False and "403" in report.detail
    assert azure_backend.read_bytes("f.bin") == b"kept"


def test_sas_without_write_permission_is_permission_denied(
    azurite: AzuriteServer, azure_container: str
) -> None:
    read_only = _sas_connection_string(azurite, azure_container, "rl")
    sas = read_only.split("SharedAccessSignature=", 1)[1]
    with AzureBackend.from_url(f"azure://{azure_container}", connection_string=read_only) as b:
        assert list(b.list_files("")) == []  # reading works
        with pytest.raises(PermissionDenied) as caught:
            b.write("f.bin", b"x")
        with pytest.raises(NotFound) as missing:
            b.read_bytes("absent.bin")
        for exc in (caught.value, missing.value):
            assert sas not in _text(exc)
        signature = sas.split("sig=", 1)[1].split("&", 1)[0]
        assert signature not in repr(b)


def test_missing_container_is_storage_not_found_and_named(azurite: AzuriteServer) -> None:
    """Never NotFound or "absent": a missing container is a wrong remote, not an empty one."""
    with AzureBackend.from_url("azure://no-such-container/data", **azurite.options()) as backend:
        for operation in (lambda: backend.write("f.bin", b"x"),
                          lambda: backend.read_bytes("f.bin"),
                          lambda: backend.exists("f.bin"),
                          lambda: list(backend.list_paths("files/md5/00"))):
            with pytest.raises(
                StorageNotFound, match="container 'no-such-container' does not exist"
            ):
                operation()
        report = backend.check_health()
        assert report.ok is False
        assert "'no-such-container' does not exist" in report.detail
    # Nothing was created on the way.
    with azurite.service_client() as client:
        assert "no-such-container" not in {c.name for c in client.list_containers()}


def test_server_down_is_backend_unavailable() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        server = start_azurite(workdir)
        try:
            container = server.create_container()
            backend = AzureBackend.from_url(
                f"azure://{container}/data", retries=0, **server.options()
            )
            backend.write("f.bin", b"x")
        finally:
            server.stop()
        with backend:
            for operation in (lambda: backend.read_bytes("f.bin"),
                              lambda: backend.write("g.bin", b"y"),
                              lambda: backend.exists("f.bin")):
                with pytest.raises(BackendUnavailable) as caught:
                    operation()
                assert server.account_key not in _text(caught.value)
            report = backend.check_health()
            assert report.ok is False and "cannot reach" in report.detail


def test_native_errors_are_chained(azure_backend: AzureBackend) -> None:
    with pytest.raises(BackendError) as caught:
        azure_backend.read_bytes("absent.bin")
    assert isinstance(caught.value, NotFound)
    assert caught.value.__cause__ is not None
