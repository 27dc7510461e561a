"""The Backend contract: the one interface between dvcremote and any storage.

Public methods validate paths, check capabilities and normalise errors; storage
plugins implement the ``_``-prefixed hooks and never see a bad path or leak an
SDK exception, because every hook call goes through :meth:`Backend._guard`.
"""

from __future__ import annotations

import errno
import io
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from types import TracebackType
from typing import IO, Any, BinaryIO, ClassVar, Literal, NoReturn, cast

from dvcremote.backend import paths
from dvcremote.backend.capabilities import Capability
from dvcremote.backend.types import (
    FileInfo,
    FolderInfo,
    HealthReport,
    TransferResult,
    WriteResult,
)
from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    CapabilityNotSupported,
    DirectoryNotEmpty,
    InvalidPath,
    LocalIOError,
    NotAFile,
    NotAFolder,
    NotFound,
    PermissionDenied,
    StorageFull,
    VersioningNotEnabled,
)

Data = bytes | bytearray | memoryview | IO[bytes]
ProgressCallback = Callable[[TransferResult], None]

#: Default worker count for bulk operations that fall back to threads.
DEFAULT_JOBS = 4 * (os.cpu_count() or 1)

_C = Capability


class Backend(ABC):
    """Abstract storage. Subclass it, set ``name`` and ``CAPABILITIES``, implement the hooks.

    Besides the ``_``-hooks, a plugin may override these contract methods:

    - ``from_url(url, **options)``: build from a remote URL and its config keys.
    - ``map_error(exc, path)``: translate its SDK's exceptions (fall back to ``super()``).
    - ``check_versioning()``: where versioning depends on the storage rather than
      the class (an S3 bucket, an Azure account), ask the storage and raise
      ``VersioningNotEnabled`` if it keeps no versions. Version-aware and worktree
      remotes call it before anything is written; cache the answer, it may be
      called often. The default trusts ``VERSIONING`` in the capabilities.
    - the bulk methods (``exists_many``, ``upload_many``, ...), for batched calls.
    """

    #: Short identifier of the storage kind ("local", "s3", ...), used in errors.
    name: ClassVar[str] = "backend"
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    #: Capability name -> one line of why (shown in the matrix, doctor and skip reasons).
    CAPABILITY_NOTES: ClassVar[Mapping[str, str]] = {}
    #: The remote config keys ``from_url`` takes besides the generic ones (``url``,
    #: ``jobs``, ``version_aware``, ``worktree``, ...). ``remote add``/``modify``
    #: refuse any other key, so a typo never reaches ``.dvc/config``.
    CONFIG_KEYS: ClassVar[frozenset[str]] = frozenset()
    #: Constructor option names whose values must never be shown (repr, errors).
    SECRET_OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {"password", "secret_access_key", "session_token", "account_key",
         "connection_string", "sas_token", "token", "passphrase", "client_secret"}
    )

    #: True where one small read or write is a few system calls (a local disk, memory):
    #: there, threads only contend for the GIL, so bulk calls without ``jobs`` run
    #: small items in one thread (big downloads are still hashed in parallel).
    #: Network storages keep the default, False: threads hide each request's latency.
    SMALL_IO_IN_ONE_THREAD: ClassVar[bool] = False

    _secrets: tuple[str, ...] = ()

    # ----------------------------------------------------------------- identity
    @classmethod
    def from_url(cls, url: str, **options: Any) -> Backend:
        """Build from a remote URL and its config keys (what the registry calls)."""
        raise NotImplementedError(f"{cls.__name__} does not implement from_url")

    @property
    def capabilities(self) -> frozenset[Capability]:
        return type(self).CAPABILITIES

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def location(self) -> str:
        """Where the backend points, without credentials (shown in repr and docs)."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, location={self.location!r})"

    def _remember_secrets(self, options: Mapping[str, Any]) -> None:
        """Record secret option values so they are scrubbed from error messages."""
        found = [str(v) for k, v in options.items() if k in self.SECRET_OPTIONS and v]
        self._secrets = tuple(sorted(set(self._secrets) | set(found), key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------ housekeeping
    def close(self) -> None:
        """Release connections; the backend must not be used afterwards."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_versioning(self) -> None:
        """Raise ``VersioningNotEnabled`` unless writes here keep versions now.

        Declaring ``VERSIONING`` says the class can keep versions; storage that can
        have it switched off overrides this to ask (see the class docstring).
        """
        if not self.supports(_C.VERSIONING):
            raise VersioningNotEnabled(
                f"the storage keeps no versions (no {_C.VERSIONING} capability)",
                backend=self.name,
            )

    def check_health(self) -> HealthReport:
        """Probe the storage; never raises, reports what went wrong instead."""
        start = time.perf_counter()
        try:
            with self._guard(paths.ROOT):
                self._check_health()
        except BackendError as exc:
            return HealthReport(False, self.name, time.perf_counter() - start, str(exc))
        return HealthReport(True, self.name, time.perf_counter() - start, "ok")

    # -------------------------------------------------------- checks & errors
    def _path(self, path: str) -> str:
        return paths.normalize(path, backend=self.name)

    def _require(self, capability: Capability, path: str | None = None) -> None:
        if capability not in self.capabilities:
            raise CapabilityNotSupported(capability.value, path=path, backend=self.name)

    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        """Translate a storage exception; plugins override and fall back to ``super()``."""
        if isinstance(exc, FileNotFoundError):
            return NotFound(path=path, backend=self.name)
        if isinstance(exc, FileExistsError):
            return AlreadyExists(path=path, backend=self.name)
        if isinstance(exc, PermissionError):
            return PermissionDenied(path=path, backend=self.name)
        if isinstance(exc, IsADirectoryError):
            return NotAFile("is a folder", path=path, backend=self.name)
        if isinstance(exc, NotADirectoryError):
            return NotAFolder(path=path, backend=self.name)
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return BackendUnavailable(self.redact(str(exc)) or None, path=path, backend=self.name)
        if isinstance(exc, OSError):
            if exc.errno == errno.ENOTEMPTY:
                return DirectoryNotEmpty(path=path, backend=self.name)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return StorageFull(path=path, backend=self.name)
            if exc.errno == errno.ENAMETOOLONG:
                return InvalidPath("name too long", path=path, backend=self.name)
        return None

    def _convert(self, exc: BaseException, path: str | None) -> BackendError:
        if isinstance(exc, BackendError):
            if exc.backend is None:
                exc.backend = self.name
            if exc.path is None:
                exc.path = path
            exc.args = (exc._render(),)
            return exc
        mapped = self.map_error(exc, path)
        if mapped is None:
            detail = self.redact(f"{type(exc).__name__}: {exc}")
            mapped = BackendError(detail, path=path, backend=self.name)
        return mapped

    def _guard(self, path: str | None) -> AbstractContextManager[None]:
        """Run plugin code so that only dvcremote errors come out, cause chained."""
        return _Guard(self, path)

    def _reraise(self, exc: Exception, path: str | None) -> NoReturn:
        """Raise ``exc`` as a dvcremote error (what leaving a ``_guard`` block does)."""
        if isinstance(exc, BackendError):
            raise self._convert(exc, path)
        raise self._convert(exc, path) from exc

    def _guard_iter(self, path: str, items: Iterator[Any]) -> Iterator[Any]:
        while True:
            with self._guard(path):
                try:
                    item = next(items)
                except StopIteration:
                    return
            yield item

    def _guard_all(self, path: str, items: Iterator[Any]) -> Iterator[Any]:
        """Like ``_guard_iter`` with one guard for the whole run: cheap per item."""
        with self._guard(path):
            yield from items

    # ------------------------------------------------------------------ reads
    def exists(self, path: str, *, version_id: str | None = None) -> bool:
        """True for an existing file or folder; never raises NotFound."""
        p = self._path(path)
        if version_id is not None:
            self._require(_C.VERSIONING, p)
        if p == paths.ROOT and version_id is None:
            return True
        try:  # outside the guard, so a native not-found the guard maps is caught too
            with self._guard(p):
                return self._exists(p, version_id)
        except NotFound:
            return False

    def is_file(self, path: str) -> bool:
        p = self._path(path)
        if p == paths.ROOT:
            return False
        try:
            with self._guard(p):
                return self._is_file(p)
        except NotFound:
            return False

    def is_folder(self, path: str) -> bool:
        p = self._path(path)
        if p == paths.ROOT:
            return True
        try:
            with self._guard(p):
                return self._is_folder(p)
        except NotFound:
            return False

    def read(self, path: str, *, version_id: str | None = None) -> BinaryIO:
        """A binary stream of the file; close it when done."""
        p = self._path(path)
        self._require(_C.READ, p)
        if version_id is not None:
            self._require(_C.VERSIONING, p)
        if p == paths.ROOT:
            raise NotAFile("the root is a folder", path=p, backend=self.name)
        with self._guard(p):
            stream = self._open_read(p, version_id)
        return cast(BinaryIO, _GuardedReader(self, p, stream))

    def read_bytes(self, path: str, *, version_id: str | None = None) -> bytes:
        with self.read(path, version_id=version_id) as stream:
            return stream.read()

    def get_file_info(self, path: str, *, version_id: str | None = None) -> FileInfo:
        p = self._path(path)
        self._require(_C.METADATA, p)
        if version_id is not None:
            self._require(_C.VERSIONING, p)
        if p == paths.ROOT:
            raise NotAFile("the root is a folder", path=p, backend=self.name)
        with self._guard(p):
            return self._file_info(p, version_id)

    def get_folder_info(self, path: str) -> FolderInfo:
        p = self._path(path)
        self._require(_C.METADATA, p)
        if p == paths.ROOT:
            return FolderInfo(path=paths.ROOT)
        with self._guard(p):
            return self._folder_info(p)

    def list_files(self, path: str = "", *, recursive: bool = False) -> Iterator[FileInfo]:
        """Files under a folder (paths relative to the backend root); nothing if it is missing."""
        p = self._path(path)
        self._require(_C.LIST, p)
        with self._guard(p):  # a hook that is not a generator does its I/O right here
            items = iter(self._list_files(p, recursive))
        return self._guard_iter(p, items)

    def list_paths(self, path: str = "", *, recursive: bool = False) -> Iterator[str]:
        """The paths ``list_files`` would give, without their metadata (cheaper to list)."""
        p = self._path(path)
        self._require(_C.LIST, p)
        with self._guard(p):
            items = iter(self._list_paths(p, recursive))
        return self._guard_all(p, items)

    def list_folders(self, path: str = "") -> Iterator[FolderInfo]:
        p = self._path(path)
        self._require(_C.LIST, p)
        with self._guard(p):
            items = iter(self._list_folders(p))
        return self._guard_iter(p, items)

    # ----------------------------------------------------------------- writes
    def write(
        self,
        path: str,
        data: Data,
        *,
        overwrite: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> WriteResult:
        p = self._check_write(path, metadata)
        with self._guard(p):
            return self._write(p, _as_stream(data), overwrite=overwrite, metadata=metadata)

    def write_atomic(
        self,
        path: str,
        data: Data,
        *,
        overwrite: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> WriteResult:
        """Like ``write``, but the file appears complete or not at all."""
        p = self._check_write(path, metadata)
        self._require(_C.ATOMIC_WRITE, p)
        with self._guard(p):
            return self._write_atomic(p, _as_stream(data), overwrite=overwrite, metadata=metadata)

    def open_atomic(
        self,
        path: str,
        *,
        overwrite: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> AtomicWriter:
        """A writable file that is published on clean close and discarded on error."""
        p = self._check_write(path, metadata)
        self._require(_C.ATOMIC_WRITE, p)
        return AtomicWriter(self, p, overwrite=overwrite, metadata=metadata)

    def _check_write(self, path: str, metadata: Mapping[str, str] | None) -> str:
        p = self._path(path)
        self._require(_C.WRITE, p)
        if metadata:
            self._require(_C.USER_METADATA, p)
        if p == paths.ROOT:
            raise InvalidPath("cannot write to the root", path=p, backend=self.name)
        return p

    def delete(self, path: str, *, missing_ok: bool = False) -> None:
        """Remove a file (on versioned storage: hide its current version)."""
        p = self._path(path)
        self._require(_C.DELETE, p)
        if p == paths.ROOT:
            raise NotAFile("the root is a folder", path=p, backend=self.name)
        try:
            with self._guard(p):
                self._delete(p)
        except NotFound:
            if not missing_ok:
                raise

    def delete_folder(
        self, path: str, *, recursive: bool = False, missing_ok: bool = False
    ) -> None:
        p = self._path(path)
        self._require(_C.DELETE, p)
        if p == paths.ROOT:
            raise InvalidPath("cannot delete the root", path=p, backend=self.name)
        try:
            with self._guard(p):
                self._delete_folder(p, recursive)
        except NotFound:
            if not missing_ok:
                raise

    def move(self, src: str, dst: str, *, overwrite: bool = False) -> None:
        s, d = self._path(src), self._path(dst)
        self._require(_C.MOVE, s)
        if paths.ROOT in (s, d):
            raise InvalidPath("cannot move the root", path=s, backend=self.name)
        with self._guard(s):
            self._move(s, d, overwrite=overwrite)

    def copy(self, src: str, dst: str, *, overwrite: bool = False) -> WriteResult:
        s, d = self._path(src), self._path(dst)
        self._require(_C.COPY, s)
        if paths.ROOT in (s, d):
            raise InvalidPath("cannot copy the root", path=s, backend=self.name)
        with self._guard(s):
            return self._copy(s, d, overwrite=overwrite)

    # ------------------------------------------------------------- versioning
    def list_versions(self, path: str) -> list[FileInfo]:
        """Every kept version of a file, newest first; ``is_latest`` marks the current one."""
        p = self._path(path)
        self._require(_C.VERSIONING, p)
        with self._guard(p):
            return list(self._list_versions(p))

    def delete_version(self, path: str, version_id: str) -> None:
        """Remove one version for good."""
        p = self._path(path)
        self._require(_C.VERSIONING, p)
        with self._guard(p):
            self._delete_version(p, version_id)

    # ------------------------------------------------------------------- bulk
    def exists_many(self, path_list: Iterable[str], *, jobs: int | None = None) -> dict[str, bool]:
        """Existence of many paths; plugins override with a batched or listing-based call."""
        items = [self._path(p) for p in path_list]
        return dict(zip(items, self._map(self.exists, items, jobs)))

    def get_file_info_many(
        self, path_list: Iterable[str], *, jobs: int | None = None
    ) -> dict[str, FileInfo | None]:
        """Info of many files; ``None`` for a missing one."""
        items = [self._path(p) for p in path_list]
        self._require(_C.METADATA)

        def one(p: str) -> FileInfo | None:
            try:
                return self.get_file_info(p)
            except NotFound:
                return None

        return dict(zip(items, self._map(one, items, jobs)))

    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        """Upload ``(local_path, remote_path)`` pairs; each lands whole or not at all.

        Failures are returned, not raised, so that one bad file does not stop a push;
        except ``BackendUnavailable``, which stops the whole call (no item starts after
        it) and is raised: every other item would fail the same way, slowly.
        """
        self._require(_C.WRITE)
        checked = [(src, self._path(dst)) for src, dst in pairs]

        def one(pair: tuple[str, str]) -> TransferResult:
            src, dst = pair
            try:
                res = self.upload_file(src, dst)
                out = TransferResult(src, dst, write=res)
            except BackendError as exc:
                out = TransferResult(src, dst, error=exc)
            except OSError as exc:
                # Backend calls are guarded already, so this is the local side
                # (unreadable source): typed, but not blamed on the remote.
                out = TransferResult(src, dst, error=_local_error(exc, src))
            if callback:
                callback(out)
            return out

        return self._map(one, checked, jobs)

    def download_many(
        self,
        items: Sequence[tuple[str, str] | tuple[str, str, str | None]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        """Download ``(remote_path, local_path[, version_id])`` items; failures are returned,
        except ``BackendUnavailable``, which stops the call and is raised (as in upload_many)."""
        self._require(_C.READ)
        items = [(self._path(item[0]), *item[1:]) for item in items]  # bad input: raise, no I/O

        def one(item: tuple[str, ...]) -> TransferResult:
            src, dst = item[0], item[1]
            version_id = item[2] if len(item) > 2 else None
            try:
                self.download_file(src, dst, version_id=version_id)
                out = TransferResult(src, dst)
            except BackendError as exc:
                out = TransferResult(src, dst, error=exc)
            except OSError as exc:
                # Local side (destination unwritable): not the remote's fault.
                out = TransferResult(src, dst, error=_local_error(exc, dst))
            if callback:
                callback(out)
            return out

        return self._map(one, list(items), jobs)

    def upload_file(self, local_path: str, path: str, *, overwrite: bool = True) -> WriteResult:
        """Upload one local file, atomically where the backend can."""
        with open(local_path, "rb") as f:
            if _C.ATOMIC_WRITE in self.capabilities:
                return self.write_atomic(path, f, overwrite=overwrite)
            return self.write(path, f, overwrite=overwrite)

    def download_file(self, path: str, local_path: str, *, version_id: str | None = None) -> None:
        """Download one file to ``local_path`` (the caller decides about temp names)."""
        with self.read(path, version_id=version_id) as src, open(local_path, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)

    def _map(self, fn: Callable[[Any], Any], items: list[Any], jobs: int | None) -> list[Any]:
        """``fn`` over ``items`` on threads, results in order.

        The first exception, raised by any item (not only the next in order) or in
        this thread (Ctrl-C), stops the run: no item starts after it, the running
        ones end, and it is re-raised. An interrupted push starts no new upload.
        So does a transfer result failed with ``BackendUnavailable``: the storage is
        gone, and trying every remaining item against it would only wait out each
        one's retries and timeouts (minutes for a big push).
        """
        if jobs is None and self.SMALL_IO_IN_ONE_THREAD:
            jobs = 1
        if len(items) <= 1 or jobs == 1:
            return [_unless_unavailable(fn(i)) for i in items]
        stop = threading.Event()

        def run(item: Any) -> Any:
            if stop.is_set():
                return None  # never returned: the run raises
            try:
                return _unless_unavailable(fn(item))
            except BaseException:
                stop.set()
                raise

        def run_chunk(chunk: list[Any]) -> list[Any]:
            return [run(item) for item in chunk]

        workers = min(jobs or DEFAULT_JOBS, len(items))
        # One future per chunk, not per item: per-item futures cost more than a
        # small local copy. Chunks stay small so the threads share the work evenly.
        size = max(1, min(64, len(items) // (workers * 4)))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(run_chunk, chunk) for chunk in chunks]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            if pending or stop.is_set():  # give the first error, not the next result
                next(f for f in futures if f in done and f.exception() is not None).result()
            return [result for f in futures for result in f.result()]
        except BaseException:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)

    # ------------------------------------------------------------------ hooks
    # Paths reaching hooks are normalised and never the root unless stated.

    def _exists(self, path: str, version_id: str | None) -> bool:
        try:
            if version_id is not None:
                self._file_info(path, version_id)
                return True
            return self._is_file(path) or self._is_folder(path)
        except NotFound:
            return False

    def _is_file(self, path: str) -> bool:
        try:
            self._file_info(path, None)
            return True
        except (NotFound, NotAFile):
            return False

    def _is_folder(self, path: str) -> bool:
        try:
            self._folder_info(path)
            return True
        except (NotFound, NotAFolder):
            return False

    @abstractmethod
    def _open_read(self, path: str, version_id: str | None) -> BinaryIO: ...

    @abstractmethod
    def _file_info(self, path: str, version_id: str | None) -> FileInfo: ...

    @abstractmethod
    def _folder_info(self, path: str) -> FolderInfo: ...

    @abstractmethod
    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        """May be given the root (``""``)."""

    def _list_paths(self, path: str, recursive: bool) -> Iterable[str]:
        """May be given the root; override where names come cheaper than file info."""
        return (info.path for info in self._list_files(path, recursive))

    @abstractmethod
    def _list_folders(self, path: str) -> Iterable[FolderInfo]:
        """May be given the root (``""``)."""

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        raise NotImplementedError

    def _write_atomic(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        """Object stores publish a write whole, so by default this is ``_write``."""
        return self._write(path, data, overwrite=overwrite, metadata=metadata)

    def _delete(self, path: str) -> None:
        raise NotImplementedError

    def _delete_folder(self, path: str, recursive: bool) -> None:
        raise NotImplementedError

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        with self._open_read(src, None) as stream:
            return self._write(dst, stream, overwrite=overwrite, metadata=None)

    def _move(self, src: str, dst: str, *, overwrite: bool) -> None:
        self._copy(src, dst, overwrite=overwrite)
        self._delete(src)

    def _list_versions(self, path: str) -> Iterable[FileInfo]:
        raise NotImplementedError

    def _delete_version(self, path: str, version_id: str) -> None:
        raise NotImplementedError

    def _check_health(self) -> None:
        """Raise if the storage cannot be used; the default lists the root."""
        if _C.LIST in self.capabilities:
            next(iter(self._list_folders(paths.ROOT)), None)
        else:
            self._exists(".dvcremote-health", None)


def _unless_unavailable(result: Any) -> Any:
    """``result``, unless it is a transfer that found the storage unreachable: raised."""
    if isinstance(result, TransferResult) and isinstance(result.error, BackendUnavailable):
        raise result.error
    return result


def _local_error(exc: OSError, path: str) -> LocalIOError:
    err = LocalIOError(f"{exc.strerror or type(exc).__name__}", path=path)
    err.__cause__ = exc
    return err


def _as_stream(data: Data) -> IO[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(data))
    if not hasattr(data, "read"):
        raise TypeError(f"data must be bytes or a binary stream, not {type(data).__name__}")
    return data


class _Guard:
    """The context manager behind ``Backend._guard``: a class, not a generator, because
    bulk operations enter one per item and a generator-based one costs several times more."""

    __slots__ = ("_backend", "_path")

    def __init__(self, backend: Backend, path: str | None) -> None:
        self._backend = backend
        self._path = path

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if isinstance(exc, Exception):  # KeyboardInterrupt and friends pass through
            self._backend._reraise(exc, self._path)
        return False


class _GuardedReader(io.RawIOBase):
    """Wraps a plugin's stream so errors raised while reading are normalised too.

    Each call catches inline (no context manager): small objects are read in a
    couple of calls, and this wrapper is on every download's path."""

    def __init__(self, backend: Backend, path: str, inner: IO[bytes]) -> None:
        super().__init__()
        self._backend = backend
        self._path = path
        self._inner = inner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        try:
            return bool(self._inner.seekable())
        except Exception as exc:  # noqa: BLE001 - normalised, not swallowed
            self._backend._reraise(exc, self._path)

    def readinto(self, b: Any) -> int:
        try:
            data = self._inner.read(len(b))
        except Exception as exc:  # noqa: BLE001
            self._backend._reraise(exc, self._path)
        n = len(data)
        b[:n] = data
        return n

    def read(self, size: int | None = -1) -> bytes:
        try:
            return self._inner.read(-1 if size is None else size)
        except Exception as exc:  # noqa: BLE001
            self._backend._reraise(exc, self._path)

    def readall(self) -> bytes:
        return self.read(-1)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return self._inner.seek(offset, whence)
        except Exception as exc:  # noqa: BLE001
            self._backend._reraise(exc, self._path)

    def tell(self) -> int:
        try:
            return self._inner.tell()
        except Exception as exc:  # noqa: BLE001
            self._backend._reraise(exc, self._path)

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            except Exception as exc:  # noqa: BLE001
                self._backend._reraise(exc, self._path)
            finally:
                super().close()


class AtomicWriter(io.RawIOBase):
    """Returned by :meth:`Backend.open_atomic`; ``result`` is set once published."""

    def __init__(
        self,
        backend: Backend,
        path: str,
        *,
        overwrite: bool,
        metadata: Mapping[str, str] | None,
    ) -> None:
        super().__init__()
        self._backend = backend
        self.path = path
        self._overwrite = overwrite
        self._metadata = metadata
        import tempfile  # only writers need it; the CLI's start-up counts every module

        # Lives as long as the writer: closed by close()/discard().
        self._buffer = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
        self.result: WriteResult | None = None

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        return self._buffer.write(b)

    def discard(self) -> None:
        self._buffer.close()
        super().close()

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._buffer.seek(0)
            self.result = self._backend.write_atomic(
                self.path, self._buffer, overwrite=self._overwrite, metadata=self._metadata
            )
        finally:
            self.discard()

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.discard()
        else:
            self.close()
