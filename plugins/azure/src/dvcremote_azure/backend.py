"""Azure Blob Storage as a dvcremote Backend: the core's fsspec adapter over adlfs.

Two classes, because capabilities are declared per class: ``AzureBackend`` for a plain
remote, and ``VersionedAzureBackend`` for a version-aware one, which needs a storage
account with blob versioning on. ``AzureBackend.from_url`` picks the class from the
``version_aware`` option. A blob appears whole when its upload commits, so writes are
atomic without a temp name; containers are never created implicitly.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, BinaryIO, ClassVar

from fsspec.asyn import sync

from dvcremote.backend import paths
from dvcremote.backend.base import Backend, ProgressCallback
from dvcremote.backend.capabilities import Capability
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.backend.naming import TEMP_PREFIX
from dvcremote.backend.types import FileInfo, TransferResult, WriteResult
from dvcremote.errors import (
    BackendError,
    ConfigError,
    NotFound,
    PermissionDenied,
    VersioningNotEnabled,
    VersionNotFound,
)
from dvcremote_azure.config import AZURE_KEYS, AZURE_SECRET_KEYS, AzureConfig, parse_config
from dvcremote_azure.errors import container_not_found, map_azure_error

_C = Capability

#: Writes up to this size are buffered and sent as one Put Blob: atomic, and safe when
#: several writers race for one name (block uploads commit a block list, which throws
#: away blocks other writers staged meanwhile). Larger writes stream as blocks.
SINGLE_PUT_LIMIT = 8 << 20
#: Reads fetch what is asked plus this much ahead (adlfs's default fetches 4 MiB blocks,
#: so peeking at a file's head would download megabytes).
READ_AHEAD = 256 << 10

#: adlfs's own bookkeeping in blob metadata, not the user's.
_ADLFS_METADATA = frozenset({"is_directory", "hdi_isfolder", "Hdi_isfolder"})

_VERSIONING_NOTE = (
    "only with version_aware=true (VersionedAzureBackend); untested: Azurite keeps no blob versions"
)


class AzureBackend(FsspecBackend):
    """A container (or a prefix in one) of an Azure storage account, through adlfs."""

    name: ClassVar[str] = "azure"
    CONFIG_KEYS: ClassVar[frozenset[str]] = AZURE_KEYS
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {
            _C.READ,
            _C.WRITE,
            _C.DELETE,
            _C.LIST,
            _C.MOVE,  # server-side copy + delete: blobs have no rename
            _C.COPY,  # server-side
            _C.METADATA,
            _C.ATOMIC_WRITE,  # a blob is published whole when its upload commits
            _C.SEEKABLE_READ,
            _C.LAZY_READ,  # ranged GETs as the stream is read
            _C.USER_METADATA,  # blob metadata
            _C.WRITE_RESULT_NATIVE,  # Put Blob / Put Block List / Copy Blob reply with the etag
            _C.EXCLUSIVE_CREATE,  # If-None-Match: * when not overwriting
        }
    )
    CAPABILITY_NOTES: ClassVar[dict[str, str]] = {"VERSIONING": _VERSIONING_NOTE}
    SECRET_OPTIONS: ClassVar[frozenset[str]] = Backend.SECRET_OPTIONS | AZURE_SECRET_KEYS
    WRITES_ARE_ATOMIC: ClassVar[bool] = True
    CREATE_PARENTS: ClassVar[bool] = False
    PRUNE_EMPTY_FOLDERS: ClassVar[bool] = False

    def __init__(self, config: AzureConfig, **options: Any) -> None:
        from adlfs import AzureBlobFileSystem

        self.config = config
        self._closed = False
        self._container_seen = False
        self._remember_secrets(options)
        self._secrets = tuple(
            sorted(set(self._secrets) | set(config.secret_parts), key=len, reverse=True)
        )
        try:
            fs = AzureBlobFileSystem(**config.fs_kwargs)
        except ValueError as exc:  # adlfs's "unable to connect to account for ..."
            raise ConfigError(
                "cannot set up the Azure client: give connection_string, or account_name "
                f"with account_key, sas_token or a service principal ({self.redact(str(exc))})"
            ) from None
        except ImportError as exc:  # the default credential chain lives in azure-identity
            raise ConfigError(
                f"Azure's default credentials need the {exc.name or 'azure-identity'} package; "
                "install it or give connection_string, account_key or sas_token"
            ) from None
        _limit_retries(fs, config.retries)
        _limit_waits(fs, config)
        super().__init__(fs, config.root, **options)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AzureBackend:
        """``azure://container[/path]`` plus DVC's Azure remote keys."""
        if cls is VersionedAzureBackend:
            options = {**options, "version_aware": True}
        config = parse_config(url, options)
        if not config.version_aware:
            return AzureBackend(config, **options)
        backend = VersionedAzureBackend(config, **options)
        try:
            backend.check_versioning()  # at once: an unversioned account is a config error
        except BaseException:
            backend.close()
            raise
        return backend

    # ------------------------------------------------------------- identity
    @property
    def location(self) -> str:
        return self.config.url

    def __repr__(self) -> str:
        account = f", account={self.config.account_name!r}" if self.config.account_name else ""
        return f"{type(self).__name__}(name={self.name!r}, location={self.location!r}{account})"

    def close(self) -> None:
        """Close the HTTP session now rather than when the filesystem is collected."""
        if self._closed:
            return
        self._closed = True
        client = getattr(self.fs, "service_client", None)
        if client is None:
            return
        try:
            sync(self.fs.loop, client.close, timeout=10)
        except Exception:  # noqa: BLE001 - closing must not fail the caller
            pass

    # --------------------------------------------------------------- errors
    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        mapped = map_azure_error(
            exc, path=path, backend=self.name, container=self.config.container,
            redact=self.redact,
        )
        if mapped is None and isinstance(exc, FileNotFoundError) and _says_no_container(exc):
            mapped = container_not_found(self.config.container, path=path, backend=self.name)
        return mapped if mapped is not None else super().map_error(exc, path)

    def _check_health(self) -> None:
        """The container must exist: listing a missing one would just look empty."""
        self._probe_container()
        super()._check_health()

    def _require_storage(self) -> None:
        """A missing container is a wrong remote, not an empty one (adlfs answers "no such
        blob" inside it). Asked on the first "absent" answer; a container seen once is
        assumed to stay. A container SAS may not read the container's properties: then
        nothing is decided (and not asked again)."""
        if self._container_seen:
            return
        try:
            self._probe_container()
        except Exception as exc:
            if not isinstance(self.map_error(exc, None), PermissionDenied):
                raise
            self._container_seen = True

    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        # adlfs's put into a missing container retries itself until RecursionError
        # (with assume_container_exists, see config.py): ask first, once per backend.
        self._require(_C.WRITE)
        if pairs:
            with self._guard(None):
                self._require_storage()
        return super().upload_many(pairs, jobs=jobs, callback=callback)

    def _probe_container(self) -> None:
        async def probe() -> None:
            async with self.fs.service_client.get_container_client(
                self.config.container
            ) as container:
                await container.get_container_properties()

        sync(self.fs.loop, probe)  # ContainerNotFound maps to StorageNotFound
        self._container_seen = True

    # ---------------------------------------------------------------- writes
    def _blob(self, path: str) -> str:
        return paths.join(self.config.prefix, path)

    def _blob_client(self, path: str) -> Any:
        return self.fs.service_client.get_blob_client(self.config.container, self._blob(path))

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        """Through the SDK, so the reply's etag (and version) is the write result, and
        ``overwrite=False`` is enforced by the service (If-None-Match), not by a lookup."""
        self._refuse_existing(path, overwrite)  # also refuses a folder's name
        source = _HashingReader(data)
        head = source.read(SINGLE_PUT_LIMIT + 1)
        body: bytes | _Joined = head if len(head) <= SINGLE_PUT_LIMIT else _Joined(head, source)
        meta = {"is_directory": "false", **(metadata or {})}  # adlfs's file marker

        async def upload() -> dict[str, Any]:
            async with self._blob_client(path) as client:
                reply: dict[str, Any] = await client.upload_blob(
                    body, overwrite=overwrite, metadata=meta, **self.config.request_kwargs
                )
                return reply

        reply = sync(self.fs.loop, upload)
        return WriteResult(
            path, source.size, etag=_etag(reply.get("etag")),
            version_id=reply.get("version_id"), digest=source.hexdigest(),
        )

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        """Server-side Copy Blob, waited for when the service runs it in the background."""
        info = self._check_source(src)
        self._refuse_existing(dst, overwrite)

        async def copy() -> dict[str, Any]:
            async with self._blob_client(src) as source, self._blob_client(dst) as target:
                reply: dict[str, Any] = await target.start_copy_from_url(
                    source.url, **self.config.request_kwargs
                )
                while reply.get("copy_status") == "pending":
                    await asyncio.sleep(0.2)
                    props = await target.get_blob_properties()
                    reply = {"copy_status": props.copy.status, "etag": props.etag,
                             "version_id": props.version_id}
                if reply.get("copy_status") not in (None, "success"):
                    raise OSError(f"copy ended with status {reply.get('copy_status')}")
                return reply

        reply = sync(self.fs.loop, copy)
        return WriteResult(
            dst, int(info.get("size") or 0), etag=_etag(reply.get("etag")),
            version_id=reply.get("version_id"),
        )

    # ----------------------------------------------------------------- reads
    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        return self._open_file(
            path, version_id, block_size=READ_AHEAD, cache_type="readahead"
        )

    # ----------------------------------------------------------------- info
    def _to_file_info(self, path: str, info: Mapping[str, Any]) -> FileInfo:
        meta = info.get("metadata") or {}
        user = {k: v for k, v in meta.items() if k not in _ADLFS_METADATA}
        return super()._to_file_info(path, {**info, "metadata": user})

    def _write_kwargs(self, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        # adlfs marks files with is_directory=false; keep that beside the user's keys.
        return {"metadata": {"is_directory": "false", **metadata}} if metadata else {}


class VersionedAzureBackend(AzureBackend):
    """Version-aware remote: every write keeps a blob version, readable by its id.

    The account must have blob versioning on. The data plane cannot ask whether it is,
    so :meth:`check_versioning` writes a probe blob under a temp name and deletes it (and
    its version) again: no version id back means versioning is off. ``from_url`` asks at
    once, so a remote opened on an unversioned account fails before it is used.
    """

    CAPABILITIES: ClassVar[frozenset[Capability]] = AzureBackend.CAPABILITIES | {_C.VERSIONING}
    CAPABILITY_NOTES: ClassVar[dict[str, str]] = {
        "VERSIONING": "needs blob versioning on the account (checked when opened); "
        "untested: Azurite keeps no blob versions",
    }

    def __init__(self, config: AzureConfig, **options: Any) -> None:
        super().__init__(config, **options)
        self._versioning_checked = False
        self._versioning_lock = threading.Lock()

    def check_versioning(self) -> None:
        """Raise ``VersioningNotEnabled`` unless a write here keeps a version (asked once:
        the probe is a write and two deletes)."""
        if self._versioning_checked:
            return
        with self._versioning_lock:
            if self._versioning_checked:
                return
            with self._guard(None):
                versioned = sync(self.fs.loop, self._probe_versioning)
            if not versioned:
                account = f" {self.config.account_name!r}" if self.config.account_name else ""
                raise VersioningNotEnabled(
                    f"blob versioning is off on storage account{account}: a version-aware "
                    "remote needs it (turn on versioning in the account's data protection "
                    "settings, or drop version_aware)",
                    backend=self.name,
                )
            self._versioning_checked = True

    async def _probe_versioning(self) -> bool:
        blob = paths.join(self.config.prefix, f"{TEMP_PREFIX}versioning-{secrets.token_hex(8)}")
        async with self.fs.service_client.get_blob_client(self.config.container, blob) as client:
            reply = await client.upload_blob(b"", overwrite=True)
            version = reply.get("version_id")
            await client.delete_blob()
            if version:
                await client.delete_blob(version_id=version)
        return bool(version)

    def _list_versions(self, path: str) -> Iterable[FileInfo]:
        name = paths.join(self.config.prefix, path)

        async def listing() -> list[FileInfo]:
            found = []
            async with self.fs.service_client.get_container_client(
                self.config.container
            ) as container:
                async for blob in container.list_blobs(
                    name_starts_with=name, include=["versions", "metadata"]
                ):
                    if blob.name != name:
                        continue  # a prefix match, not this file
                    found.append(FileInfo(
                        path=path,
                        size=int(blob.size or 0),
                        modified_at=blob.last_modified,
                        etag=(blob.etag or "").strip('"') or None,
                        version_id=blob.version_id,
                        is_latest=bool(blob.is_current_version),
                    ))
            return sorted(found, key=lambda i: i.version_id or "", reverse=True)

        versions: list[FileInfo] = sync(self.fs.loop, listing)
        if not versions:
            raise VersionNotFound(f"no versions of {path!r}", path=path, backend=self.name)
        return versions

    def _delete_version(self, path: str, version_id: str) -> None:
        name = paths.join(self.config.prefix, path)

        async def delete() -> None:
            async with self.fs.service_client.get_blob_client(
                self.config.container, name
            ) as client:
                await client.delete_blob(version_id=version_id)

        try:
            sync(self.fs.loop, delete)
        except Exception as exc:
            mapped = self.map_error(exc, path)
            if isinstance(mapped, NotFound):
                raise VersionNotFound(
                    path=path, backend=self.name, version_id=version_id
                ) from exc
            raise


class _HashingReader:
    """Reads a stream through, counting and hashing, so a write can report its digest."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._md5 = hashlib.md5()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            chunks = []
            while chunk := self._inner.read(1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        else:
            data = b""
            while len(data) < n:  # a pipe may hand out less than asked
                chunk = self._inner.read(n - len(data))
                if not chunk:
                    break
                data += chunk
        self._md5.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self._md5.hexdigest()


class _Joined:
    """Bytes already read, followed by the rest of a stream (a forward-only reader)."""

    def __init__(self, head: bytes, rest: _HashingReader) -> None:
        self._head = head
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n is None or n < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:n], self._head[n:]
            return data
        return self._rest.read(n)


def _etag(value: Any) -> str | None:
    return str(value).strip('"') or None if value else None


def _says_no_container(exc: FileNotFoundError) -> bool:
    return any("no such container" in str(arg).lower() for arg in exc.args)


#: Seconds to wait for a connection, and for a reply that stopped coming (a frozen
#: server): what every request gets unless the remote sets connect_timeout/read_timeout.
DEFAULT_CONNECT_TIMEOUT = 15
DEFAULT_READ_TIMEOUT = 60


def _limit_waits(fs: Any, config: AzureConfig) -> None:
    """Give EVERY request the remote's timeouts: adlfs passes them only to uploads and
    downloads, so an ``info`` against a frozen server waited the SDK's default per try.
    The transport all of the account's clients share is adjusted in place."""
    transport = getattr(getattr(fs, "service_client", None), "_pipeline", None)
    while transport is not None and not hasattr(transport, "connection_config"):
        transport = getattr(transport, "_transport", None)
    if transport is None:
        return
    waits = transport.connection_config
    waits.timeout = config.fs_kwargs.get("connection_timeout", DEFAULT_CONNECT_TIMEOUT)
    waits.read_timeout = config.fs_kwargs.get("read_timeout", DEFAULT_READ_TIMEOUT)


#: The SDK's storage retry waits 15 s, then 18 s, then 24 s (about 85 s in all before an
#: unreachable endpoint counts as down, per request in flight); ours 1, 3, 5 s (+-1 s).
RETRY_BACKOFF = {"initial_backoff": 1, "increment_base": 2, "random_jitter_range": 1}


def _limit_retries(fs: Any, retries: int | None) -> None:
    """Set how often the SDK retries (``retries``; None: its default count) and how long
    it waits between tries. adlfs builds the client itself and passes no retry settings,
    so the client's retry policy object is adjusted in place."""
    config = getattr(getattr(fs, "service_client", None), "_config", None)
    policy = getattr(config, "retry_policy", None)
    for attr, value in RETRY_BACKOFF.items():
        if hasattr(policy, attr):
            setattr(policy, attr, value)
    if retries is None:
        return
    for attr in ("total_retries", "connect_retries", "read_retries", "status_retries"):
        if hasattr(policy, attr):
            setattr(policy, attr, retries)
