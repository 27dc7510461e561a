"""Azurite (Microsoft's blob storage emulator) on loopback for tests, reusable by third parties.

Load it with ``pytest_plugins = ["dvcremote_azure.testing"]``. ``azurite`` is one
in-memory blob service for the session; ``azure_container`` creates a fresh container
per test, because Azure (and Azurite) never create containers implicitly.

The ``azurite-blob`` executable is looked up in ``$AZURITE_BIN``, then in the
plugin's own ``node_modules`` (``npm ci --prefix plugins/azure``), then on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AZURITE_ENV = "AZURITE_BIN"
#: The emulator's fixed development account (public, documented by Microsoft; not a secret).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

_START_TIMEOUT = 30.0


@dataclass
class AzuriteServer:
    host: str
    port: int
    workdir: str
    log: str
    account_name: str = ACCOUNT_NAME
    account_key: str = ACCOUNT_KEY
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def blob_endpoint(self) -> str:
        return f"http://{self.host}:{self.port}/{self.account_name}"

    @property
    def connection_string(self) -> str:
        return connection_string(self.blob_endpoint, self.account_name, self.account_key)

    def options(self) -> dict[str, Any]:
        """Remote config keys (DVC's names) that reach this emulator."""
        return {"connection_string": self.connection_string}

    def service_client(self) -> Any:
        """A plain azure-storage-blob client, for setting things up out of band."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def create_container(self, name: str | None = None) -> str:
        name = name or f"test-{uuid.uuid4().hex[:20]}"
        with self.service_client() as client:
            client.create_container(name)
        return name

    def delete_container(self, name: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with self.service_client() as client:
            try:
                client.delete_container(name)
            except ResourceNotFoundError:
                pass

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _stop_process_group(proc)


def connection_string(blob_endpoint: str, account_name: str, account_key: str) -> str:
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={account_name};AccountKey={account_key};BlobEndpoint={blob_endpoint};"
    )


def find_azurite() -> str | None:
    """Path of ``azurite-blob``, or None when it is not installed anywhere we look."""
    explicit = os.environ.get(AZURITE_ENV)
    if explicit:
        return explicit
    here = Path(__file__).resolve()
    for parent in here.parents:  # editable install: .../plugins/azure/src/dvcremote_azure
        candidate = parent / "node_modules" / ".bin" / "azurite-blob"
        if candidate.exists():
            return str(candidate)
        if (parent / "pyproject.toml").exists() and (parent / "package.json").exists():
            break
    return shutil.which("azurite-blob")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM node and anything it spawned, SIGKILL if it lingers."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_azurite(
    workdir: str | os.PathLike[str], *, executable: str | None = None
) -> AzuriteServer:
    """Start an in-memory blob service on 127.0.0.1; call ``stop()`` when done."""
    exe = executable or find_azurite()
    if exe is None:
        raise RuntimeError(
            "azurite-blob not found: run `npm ci --prefix plugins/azure` "
            f"or set ${AZURITE_ENV} to the azurite-blob executable"
        )
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    host, log = "127.0.0.1", wd / "azurite.log"
    last = ""
    for _ in range(5):  # the free port may be taken before node binds it
        port = _free_port(host)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [
                    exe,
                    "--blobHost", host,
                    "--blobPort", str(port),
                    "--inMemoryPersistence",
                    "--skipApiVersionCheck",
                    "--loose",
                    "--disableTelemetry",
                ],
                cwd=wd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _listening(host, port):
                return AzuriteServer(host, port, str(wd), str(log), _proc=proc)
            time.sleep(0.05)
        _stop_process_group(proc)
        last = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"could not start Azurite; log:\n{last}")


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteServer]:
    """One Azurite blob service for the session, stopped at the end."""
    workdir = tempfile.mkdtemp(prefix="dvcremote-azurite-")
    try:
        server = start_azurite(workdir)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def azure_container(azurite: AzuriteServer) -> Iterator[str]:
    """A fresh, empty container for one test, deleted afterwards."""
    name = azurite.create_container()
    yield name
    azurite.delete_container(name)


@pytest.fixture
def azure_url(azure_container: str) -> str:
    """``azure://<fresh container>/root`` (a prefix, so the root is not the container itself)."""
    return f"azure://{azure_container}/root"


@pytest.fixture
def azure_backend(azurite: AzuriteServer, azure_url: str) -> Iterator[Any]:
    """An :class:`~dvcremote_azure.backend.AzureBackend` on a fresh container, closed afterwards."""
    from dvcremote_azure.backend import AzureBackend

    backend = AzureBackend.from_url(azure_url, **azurite.options())
    try:
        yield backend
    finally:
        backend.close()
