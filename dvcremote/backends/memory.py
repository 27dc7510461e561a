"""In-process storage with versioning, for fast tests.

Stores are named: every ``MemoryBackend.from_url("memory://bucket/prefix")`` with the
same bucket sees the same data, so a test can look at what a repo pushed through a
second instance. Call :meth:`MemoryBackend.drop_store` (or ``reset_stores``) between tests.

Folders behave like a real directory tree (a file cannot sit under a file) but, as on
object stores, a folder exists only while a current file lives under it.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, BinaryIO, ClassVar

from dvcremote.backend import paths
from dvcremote.backend.base import Backend
from dvcremote.backend.capabilities import ALL_CAPABILITIES, Capability
from dvcremote.backend.naming import new_version_id
from dvcremote.backend.streams import read_hashing
from dvcremote.backend.types import FileInfo, FolderInfo, WriteResult
from dvcremote.backends.options import reject_unknown
from dvcremote.errors import (
    AlreadyExists,
    ConfigError,
    DirectoryNotEmpty,
    NotAFile,
    NotAFolder,
    NotFound,
    VersionNotFound,
)


@dataclass(frozen=True)
class _Version:
    version_id: str
    data: bytes
    etag: str
    modified_at: datetime
    metadata: Mapping[str, str] | None


@dataclass
class _Entry:
    versions: list[_Version] = field(default_factory=list)  # oldest first
    current: _Version | None = None


class _Store:
    """One bucket: every key's version history plus a count of live files per folder."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.entries: dict[str, _Entry] = {}
        self.folders: dict[str, int] = {}

    def current(self, key: str) -> _Version | None:
        entry = self.entries.get(key)
        return entry.current if entry else None

    def is_folder(self, key: str) -> bool:
        return key == "" or key in self.folders

    def set_current(self, key: str, version: _Version | None) -> None:
        entry = self.entries.setdefault(key, _Entry())
        was_live = entry.current is not None
        entry.current = version
        if was_live != (version is not None):
            step = 1 if version is not None else -1
            folder = paths.parent(key)
            while folder:
                count = self.folders.get(folder, 0) + step
                if count:
                    self.folders[folder] = count
                else:
                    del self.folders[folder]
                folder = paths.parent(folder)


_STORES: dict[str, _Store] = {}
_STORES_LOCK = threading.Lock()


def _store(name: str) -> _Store:
    with _STORES_LOCK:
        return _STORES.setdefault(name, _Store())


class MemoryBackend(Backend):
    """Every capability, including versioning; ``etag`` and ``digest`` are the content md5."""

    name: ClassVar[str] = "memory"
    CAPABILITIES: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES
    SMALL_IO_IN_ONE_THREAD: ClassVar[bool] = True

    def __init__(self, bucket: str | None = None, prefix: str = "") -> None:
        """``bucket=None`` gives a private store that no other instance can see."""
        self._shared = bucket is not None
        self.bucket = bucket or f"private-{uuid.uuid4().hex[:12]}"
        self.prefix = paths.normalize(prefix, backend=self.name)
        self._store = _store(self.bucket) if bucket is not None else _Store()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MemoryBackend:
        """``memory://bucket/optional/prefix``; the same bucket name means the same data."""
        reject_unknown(cls.name, options, ())
        if not url.startswith("memory://"):
            raise ConfigError(f"a memory URL starts with memory://, not {url!r}")
        bucket, _, prefix = url[len("memory://"):].strip("/").partition("/")
        if not bucket:
            raise ConfigError(f"a memory URL names a bucket: memory://BUCKET[/PREFIX], not {url!r}")
        return cls(bucket, prefix)

    @classmethod
    def drop_store(cls, bucket: str) -> None:
        """Forget a bucket's data; instances still holding it keep the old (detached) data."""
        with _STORES_LOCK:
            _STORES.pop(bucket, None)

    @classmethod
    def reset_stores(cls) -> None:
        with _STORES_LOCK:
            _STORES.clear()

    @property
    def location(self) -> str:
        return f"memory://{paths.join(self.bucket, self.prefix)}"

    # --------------------------------------------------------------- helpers
    def _key(self, path: str) -> str:
        return paths.join(self.prefix, path)

    def _rel(self, key: str) -> str:
        return key[len(self.prefix) + 1:] if self.prefix else key

    def _info(self, path: str, v: _Version, is_latest: bool | None = None) -> FileInfo:
        return FileInfo(
            path=path, size=len(v.data), modified_at=v.modified_at, etag=v.etag,
            version_id=v.version_id, is_latest=is_latest,
            metadata=dict(v.metadata) if v.metadata else None,
        )

    def _find(self, path: str, version_id: str | None) -> _Version:
        """The current version, or the given one; callers hold the lock."""
        key = self._key(path)
        entry = self._store.entries.get(key)
        if version_id is None:
            if entry and entry.current:
                return entry.current
            if self._store.is_folder(key):
                raise NotAFile("is a folder", path=path, backend=self.name)
            raise NotFound(path=path, backend=self.name)
        for v in entry.versions if entry else ():
            if v.version_id == version_id:
                return v
        raise VersionNotFound(path=path, backend=self.name, version_id=version_id)

    def _check_target(self, path: str, overwrite: bool) -> None:
        key = self._key(path)
        folder = paths.parent(key)
        while folder and folder != self.prefix:
            if self._store.current(folder):
                raise NotAFolder(f"parent {self._rel(folder)!r} is a file", path=path,
                                 backend=self.name)
            folder = paths.parent(folder)
        if self._store.is_folder(key):
            raise NotAFile("is a folder", path=path, backend=self.name)
        if not overwrite and self._store.current(key):
            raise AlreadyExists(path=path, backend=self.name)

    def _put(
        self, path: str, data: bytes, etag: str, overwrite: bool,
        metadata: Mapping[str, str] | None,
    ) -> WriteResult:
        v = _Version(new_version_id(), data, etag, datetime.now(timezone.utc),
                     dict(metadata) if metadata else None)
        with self._store.lock:
            self._check_target(path, overwrite)
            key = self._key(path)
            self._store.entries.setdefault(key, _Entry()).versions.append(v)
            self._store.set_current(key, v)
        return WriteResult(path, len(data), etag=etag, version_id=v.version_id, digest=etag)

    # ----------------------------------------------------------------- hooks
    def _exists(self, path: str, version_id: str | None) -> bool:
        with self._store.lock:
            if version_id is not None:
                try:
                    self._find(path, version_id)
                    return True
                except NotFound:
                    return False
            key = self._key(path)
            return self._store.current(key) is not None or self._store.is_folder(key)

    def _is_file(self, path: str) -> bool:
        with self._store.lock:
            return self._store.current(self._key(path)) is not None

    def _is_folder(self, path: str) -> bool:
        with self._store.lock:
            return self._store.is_folder(self._key(path))

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        with self._store.lock:
            return io.BytesIO(self._find(path, version_id).data)

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        with self._store.lock:
            return self._info(path, self._find(path, version_id))

    def _folder_info(self, path: str) -> FolderInfo:
        with self._store.lock:
            key = self._key(path)
            if self._store.is_folder(key):
                return FolderInfo(path)
            if self._store.current(key):
                raise NotAFolder("is a file", path=path, backend=self.name)
        raise NotFound(path=path, backend=self.name)

    def _live_under(self, path: str) -> list[tuple[str, _Version]]:
        start = self._key(path)
        pre = f"{start}/" if start else ""
        with self._store.lock:
            return sorted(
                (self._rel(k), e.current) for k, e in self._store.entries.items()
                if e.current is not None and k.startswith(pre)
            )

    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        depth = path.count("/") + 1 if path else 0
        for rel, v in self._live_under(path):
            if recursive or rel.count("/") == depth:
                yield self._info(rel, v)

    def _list_paths(self, path: str, recursive: bool) -> Iterable[str]:
        depth = path.count("/") + 1 if path else 0
        return [rel for rel, _ in self._live_under(path) if recursive or rel.count("/") == depth]

    def _list_folders(self, path: str) -> Iterable[FolderInfo]:
        start = self._key(path)
        pre = f"{start}/" if start else ""
        with self._store.lock:
            found = sorted(
                self._rel(k) for k in self._store.folders
                if k.startswith(pre) and "/" not in k[len(pre):]
            )
        return [FolderInfo(p) for p in found]

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        with self._store.lock:  # fail early, before reading a possibly long stream
            self._check_target(path, overwrite)
        content, etag = read_hashing(data)
        return self._put(path, content, etag, overwrite, metadata)

    def _delete(self, path: str) -> None:
        with self._store.lock:
            self._find(path, None)
            self._store.set_current(self._key(path), None)

    def _delete_folder(self, path: str, recursive: bool) -> None:
        with self._store.lock:
            key = self._key(path)
            if not self._store.is_folder(key):
                if self._store.current(key):
                    raise NotAFolder("is a file", path=path, backend=self.name)
                raise NotFound(path=path, backend=self.name)
            if not recursive:
                raise DirectoryNotEmpty(path=path, backend=self.name)
            for rel, _ in self._live_under(path):
                self._store.set_current(self._key(rel), None)

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        with self._store.lock:
            v = self._find(src, None)
            return self._put(dst, v.data, v.etag, overwrite, v.metadata)

    def _move(self, src: str, dst: str, *, overwrite: bool) -> None:
        with self._store.lock:
            if src == dst:
                self._find(src, None)
                if not overwrite:
                    raise AlreadyExists(path=dst, backend=self.name)
                return
            self._copy(src, dst, overwrite=overwrite)
            self._store.set_current(self._key(src), None)

    def _list_versions(self, path: str) -> Iterator[FileInfo]:
        with self._store.lock:
            entry = self._store.entries.get(self._key(path))
            if entry is None:
                return iter(())
            current = entry.current
            return iter([self._info(path, v, v is current) for v in reversed(entry.versions)])

    def _delete_version(self, path: str, version_id: str) -> None:
        """As on S3: removing the current version makes the next newest one current."""
        with self._store.lock:
            v = self._find(path, version_id)
            key = self._key(path)
            entry = self._store.entries[key]
            entry.versions.remove(v)
            if entry.current is v:
                self._store.set_current(key, entry.versions[-1] if entry.versions else None)
            if not entry.versions and entry.current is None:
                del self._store.entries[key]

    def _check_health(self) -> None:
        with _STORES_LOCK:
            if self._shared and _STORES.get(self.bucket) is not self._store:
                raise NotFound("the memory store was dropped", path="", backend=self.name)
