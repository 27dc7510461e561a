"""Azurite (Microsoft's blob storage emulator) on loopback for tests, reusable by third parties.

Load it with ``pytest_plugins = ["dvcremote_azure.testing"]``. ``azurite`` is one
in-memory blob service for the session; ``azure_container`` creates a fresh container
per test, because Azure (and Azurite) never create containers implicitly. ``make_azure``
gives dvcremote-testing's remote suites fresh containers as :class:`AzureCloud`.
``azure_open_unreachable`` / ``azure_open_refused`` / ``azure_open_missing_container``
are openers for the unavailable-storage suites.

The ``azurite-blob`` executable is looked up in ``$AZURITE_BIN``, then in the
plugin's own ``node_modules`` (``npm ci --prefix plugins/azure``), then on ``PATH``.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dvcremote.backend import Capability
from dvcremote_testing.cloud import Cloud
from dvcremote_testing.servers import ProcessServer, backend_opener, closed_port_url

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
    #: The emulator's process: kill, freeze or restart it (same port).
    process: AzuriteProcess | None = field(default=None, repr=False)

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
        proc, self.process = self.process, None
        if proc is not None:
            proc.stop()


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


class AzuriteProcess(ProcessServer):
    """``azurite-blob`` (node), in memory, on a loopback port. After a ``restart`` the
    containers named in ``keep_containers`` are created again, empty."""

    label = "azurite"
    start_timeout_s = _START_TIMEOUT

    def __init__(self, workdir: str | os.PathLike[str], executable: str) -> None:
        super().__init__(workdir)
        self.executable = executable
        self.keep_containers: list[str] = []

    def command(self, port: int) -> list[str]:
        return [
            self.executable,
            "--blobHost", self.host,
            "--blobPort", str(port),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
        ]

    def started(self) -> None:
        server = AzuriteServer(self.host, self.port, str(self.workdir), str(self.log))
        for name in self.keep_containers:
            server.create_container(name)


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
    process = AzuriteProcess(workdir, exe)
    process.start()
    return AzuriteServer(
        process.host, process.port, str(process.workdir), str(process.log), process=process
    )


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


# -------------------------------------------------------- the remote suites' Cloud
#: Where ``make_azure`` puts a remote inside its fresh container (as ``azure_url``):
#: a prefix, so the remote's root is not the container itself.
REMOTE_PREFIX = "root"


class AzureCloud(Cloud):
    """A path in a container, seen through azure-storage-blob's ``ContainerClient``.

    Never adlfs and never the plugin: the remote suites check what the repository did
    with it, so a bug in the plugin cannot hide behind the same bug in the check. Blob
    storage has no folders; a "folder" is every blob whose name starts with it and ``/``.
    """

    def __init__(
        self,
        server: AzuriteServer,
        container: str,
        prefix: str = "",
        path: str = "",
        *,
        client: Any = None,
    ) -> None:
        super().__init__(path)
        self.server = server
        self.container = container
        self.prefix = prefix.strip("/")
        self._owns_client = client is None
        if client is None:
            from azure.storage.blob import ContainerClient

            client = ContainerClient.from_connection_string(server.connection_string, container)
        self.client = client
        self._probed: tuple[str, frozenset[Capability], dict[str, str]] | None = None

    @property
    def blob_name(self) -> str:
        """This path's blob name (the container's root is ``""``)."""
        return "/".join(part for part in (self.prefix, self.path) if part)

    @property
    def url(self) -> str:
        return f"azure://{self.container}/{self.blob_name}".rstrip("/")

    @property
    def config(self) -> dict[str, Any]:
        return {"url": self.url, **self.server.options()}

    def _probe(self) -> tuple[str, frozenset[Capability], dict[str, str]]:
        # Each probe opens a backend (an adlfs client): once per Cloud is enough.
        if self._probed is None:
            self._probed = super()._probe()
        return self._probed

    def close(self) -> None:
        if self._owns_client:
            self._owns_client = False
            self.client.close()

    def _child(self, path: str) -> AzureCloud:
        return AzureCloud(self.server, self.container, self.prefix, path, client=self.client)

    def _folder_prefix(self) -> str:
        return f"{self.blob_name}/" if self.blob_name else ""

    # -- out-of-band operations
    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def is_file(self) -> bool:
        return bool(self.blob_name) and bool(self.client.get_blob_client(self.blob_name).exists())

    def is_dir(self) -> bool:
        if not self.blob_name:
            return bool(self.client.exists())
        below = self.client.list_blobs(name_starts_with=self._folder_prefix(), results_per_page=1)
        return next(iter(below), None) is not None

    def read_bytes(self) -> bytes:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            data: bytes = self.client.download_blob(self.blob_name).readall()
        except ResourceNotFoundError as exc:
            raise FileNotFoundError(self.url) from exc
        return data

    def write_bytes(self, data: bytes) -> None:
        self.client.upload_blob(self.blob_name, data, overwrite=True)

    def unlink(self, missing_ok: bool = False) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self.client.delete_blob(self.blob_name)
        except ResourceNotFoundError as exc:
            if not missing_ok:
                raise FileNotFoundError(self.url) from exc

    def rmdir(self, recursive: bool = True) -> None:
        names = [b.name for b in self.client.list_blobs(name_starts_with=self._folder_prefix())]
        if names and not recursive:
            raise OSError(errno.ENOTEMPTY, "folder not empty", self.url)
        for start in range(0, len(names), 256):  # a batch holds at most 256 deletes
            self.client.delete_blobs(*names[start : start + 256])

    def iterdir(self) -> Iterator[Cloud]:
        prefix = self._folder_prefix()
        names = {
            item.name[len(prefix) :].rstrip("/")
            for item in self.client.walk_blobs(name_starts_with=prefix or None, delimiter="/")
        }
        names.discard("")  # a "folder/" marker blob is not a child
        for name in sorted(names):
            yield self / name


MakeAzureCloud = Callable[[], AzureCloud]


@pytest.fixture
def make_azure(azurite: AzuriteServer) -> Iterator[MakeAzureCloud]:
    """``make_remote(typ="azure")``: a Cloud under a prefix of a new, empty container.

    No ``make_azure_version_aware``: Azurite keeps no blob versions, so the version-aware
    and worktree suites skip for lack of VERSIONING, the backend's note saying why.
    """
    made: list[AzureCloud] = []

    def _make_azure() -> AzureCloud:
        made.append(AzureCloud(azurite, azurite.create_container(), REMOTE_PREFIX))
        return made[-1]

    yield _make_azure
    for cloud in made:
        cloud.close()
        azurite.delete_container(cloud.container)


# ------------------------------------------------------ unavailable storage
#: A well-formed account key Azurite will not accept (it checks shared-key signatures).
WRONG_ACCOUNT_KEY = "ZHZjcmVtb3RlLXdyb25nLWFjY291bnQta2V5LTVmMGUxOWE0LWR2Y3JlbW90ZQ=="
#: No retries, short timeouts: an unreachable endpoint fails within seconds.
FAST_FAILURE = {"retries": 0, "connect_timeout": 2, "read_timeout": 5}

AzureOpener = Callable[..., Any]


@pytest.fixture
def azure_open_unreachable(azurite: AzuriteServer) -> Iterator[AzureOpener]:
    """``(**options) -> AzureBackend`` on a loopback port where nothing listens."""
    endpoint = f"{closed_port_url()}/{azurite.account_name}"
    down = connection_string(endpoint, azurite.account_name, azurite.account_key)
    with _azure_backends("azure://data/root", {"connection_string": down, **FAST_FAILURE}) as make:
        yield make


@pytest.fixture
def azure_open_refused(azurite: AzuriteServer, azure_url: str) -> Iterator[AzureOpener]:
    """``(**options) -> AzureBackend`` signing with a wrong account key (the container exists)."""
    wrong = connection_string(azurite.blob_endpoint, azurite.account_name, WRONG_ACCOUNT_KEY)
    with _azure_backends(azure_url, {"connection_string": wrong, **FAST_FAILURE}) as make:
        yield make


@pytest.fixture
def azure_open_missing_container(azurite: AzuriteServer) -> Iterator[AzureOpener]:
    """``(**options) -> AzureBackend`` on a container that does not exist."""
    url = f"azure://missing-{uuid.uuid4().hex[:20]}/root"
    with _azure_backends(url, {**azurite.options(), **FAST_FAILURE}) as make:
        yield make


def _azure_backends(url: str, defaults: dict[str, Any]) -> AbstractContextManager[AzureOpener]:
    """An opener of backends on ``url`` (options added to ``defaults``), closed on exit."""
    from dvcremote_azure.backend import AzureBackend

    return backend_opener(AzureBackend.from_url, url, defaults)


# ------------------------------------------------- a server that dies or freezes
#: The fault suite's settings: no retry (the SDK waits 15 s before its first), short timeouts.
FAULT_OPTIONS = {"retries": 0, "connect_timeout": 2, "read_timeout": 3}


@pytest.fixture
def azure_fault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteServer]:
    """Azurite for one test; ``process.restart()`` brings its containers back, empty."""
    server = start_azurite(tmp_path_factory.mktemp("azurite-fault"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def azure_open_fault_backend(azure_fault_server: AzuriteServer) -> Iterator[AzureOpener]:
    """``(**options) -> AzureBackend`` on a fresh container of the fault server."""
    container = azure_fault_server.create_container()
    assert azure_fault_server.process is not None
    azure_fault_server.process.keep_containers.append(container)
    url = f"azure://{container}/{REMOTE_PREFIX}"
    with _azure_backends(url, {**azure_fault_server.options(), **FAULT_OPTIONS}) as make:
        yield make
