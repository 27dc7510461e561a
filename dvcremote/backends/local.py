"""A directory as a remote: plain ``os`` calls, atomic writes, no threads for metadata.

Rules beyond the contract:
- Every write goes to a temp file in the destination folder (``.dvcremote-tmp-*``, hidden
  from listings) and is published with one rename, so readers see the old file or the
  new one, never a part. ``overwrite=False`` publishes with ``link()``, which fails
  atomically when the name is taken. (Atomic against crashes of the writer, not against
  power loss: there is no fsync, as on DVC's own local remote.)
- Folders behave as on object stores: deleting or moving a folder's last file removes
  the folders it leaves empty (never the root), so a folder exists while it holds a file.
- The top-level name ``.dvcremote`` is reserved for bookkeeping (the versioned variant's
  version store) and is never listed; paths using it, or temp-file names, are refused.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import import_module
from typing import IO, Any, BinaryIO, ClassVar, cast

from dvcremote.backend import paths
from dvcremote.backend.base import Backend
from dvcremote.backend.capabilities import ALL_CAPABILITIES, Capability
from dvcremote.backend.naming import TEMP_PREFIX, is_temp_name, temp_name
from dvcremote.backend.streams import copy_hashing
from dvcremote.backend.types import FileInfo, FolderInfo, WriteResult
from dvcremote.backends.fastcopy import copy_fd, copy_into
from dvcremote.backends.options import as_bool, reject_unknown
from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    ConfigError,
    InvalidPath,
    NotAFile,
    NotAFolder,
    NotFound,
)

_C = Capability

#: Top-level folder of the root that holds the backend's own bookkeeping.
RESERVED = ".dvcremote"
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: link() failing with these means "no hard links on this filesystem", not "name taken".
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}


@dataclass(frozen=True)
class _Variant:
    """A subclass ``from_url`` picks by option, named rather than imported.

    The subclass imports this module, so this module must not import it back; loading
    it only when asked also keeps a plain local remote's start-up lean.
    """

    name: str
    target: str

    def load(self) -> type[LocalBackend]:
        module, _, attr = self.target.partition(":")
        found: type[LocalBackend] = getattr(import_module(module), attr)
        return found


VERSIONED_VARIANT = _Variant(
    "local-versioned", "dvcremote.backends.versioned_local:VersionedLocalBackend"
)
#: Where the versioned variant keeps every version; its presence makes a root versioned.
VERSIONS_FOLDER = f"{RESERVED}/versions"


def holds_versions(root: str) -> bool:
    """Whether ``root`` was written with versioning on."""
    return os.path.isdir(os.path.join(root, *VERSIONS_FOLDER.split("/")))


def url_to_path(url: str) -> str:
    """A plain path, ``~``, a relative path, or ``file://`` / ``local://`` URL -> absolute path."""
    text = os.fspath(url)
    for scheme in ("file://", "local://"):
        if text.lower().startswith(scheme):
            # Only URLs pay for urllib: a plain path is the common, start-up-sensitive case.
            from urllib.parse import unquote

            rest = text[len(scheme):]
            if rest.startswith("localhost/"):
                rest = rest[len("localhost"):]
            elif rest and not rest.startswith("/") and not rest.startswith("~"):
                raise ConfigError(f"{url!r}: only local paths are supported, not host {rest!r}")
            text = unquote(rest)
            break
    if not text:
        raise ConfigError("a local remote needs a path")
    return os.path.abspath(os.path.expanduser(text))


def etag_of(st: os.stat_result) -> str:
    """Cheap change detector: a new write always makes a new inode or mtime."""
    return f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, timezone.utc)


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class LocalBackend(Backend):
    """A directory on this machine; ``from_url(url, versioning=True)`` keeps versions."""

    name: ClassVar[str] = "local"
    CONFIG_KEYS: ClassVar[frozenset[str]] = frozenset({"versioning"})
    CAPABILITIES: ClassVar[frozenset[Capability]] = ALL_CAPABILITIES - {
        _C.USER_METADATA,
        _C.VERSIONING,
    }
    SMALL_IO_IN_ONE_THREAD: ClassVar[bool] = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self._prefix = self.root.rstrip("/") + "/"
        #: Whether reflinks work into this root: None until the first copy finds out.
        self._reflinks: bool | None = None

    @classmethod
    def from_url(cls, url: str, **options: Any) -> LocalBackend:
        """Options: ``versioning`` (true/false; unset = versioned if the root already is)."""
        reject_unknown(cls.name, options, cls.CONFIG_KEYS)
        root = url_to_path(url)
        flag = options.get("versioning")
        if flag is None:
            versioned = _C.VERSIONING in cls.CAPABILITIES or holds_versions(root)
        else:
            versioned = as_bool("versioning", flag)
            if not versioned and _C.VERSIONING in cls.CAPABILITIES:
                raise ConfigError("VersionedLocalBackend cannot be opened with versioning=false")
        return VERSIONED_VARIANT.load()(root) if versioned else LocalBackend(root)

    @property
    def location(self) -> str:
        return self.root

    # ------------------------------------------------------------- path rules
    def _path(self, path: str) -> str:
        p = super()._path(path)
        if p.startswith(RESERVED) and p.split("/", 1)[0] == RESERVED:
            raise InvalidPath(f"{RESERVED!r} is reserved at the root", path=p, backend=self.name)
        if TEMP_PREFIX in p and any(is_temp_name(part) for part in p.split("/")):
            raise InvalidPath("names of in-flight temp files are reserved", path=p,
                              backend=self.name)
        return p

    def _abs(self, path: str) -> str:
        if not path:
            return self.root
        if os.sep == "/":  # a checked relative posix path is a native one: concatenate
            return self._prefix + path
        return os.path.join(self.root, path)

    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        # A path whose parent is a file simply does not exist; callers that mean
        # "not a folder" raise NotAFolder themselves.
        if isinstance(exc, NotADirectoryError):
            return NotFound(path=path, backend=self.name)
        return super().map_error(exc, path)

    def _stat_file(self, path: str) -> os.stat_result:
        st = os.stat(self._abs(path))
        if stat.S_ISDIR(st.st_mode):
            raise NotAFile("is a folder", path=path, backend=self.name)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile("not a regular file", path=path, backend=self.name)
        return st

    def _file_record(self, path: str, st: os.stat_result) -> FileInfo:
        return FileInfo(path=path, size=st.st_size, modified_at=_mtime(st), etag=etag_of(st))

    # ------------------------------------------------------------------ reads
    def _exists(self, path: str, version_id: str | None) -> bool:
        if version_id is not None:
            return super()._exists(path, version_id)
        return os.path.exists(self._abs(path))

    def _is_file(self, path: str) -> bool:
        return os.path.isfile(self._abs(path))

    def _is_folder(self, path: str) -> bool:
        return os.path.isdir(self._abs(path))

    def _source(self, path: str, version_id: str | None) -> str:
        """Absolute path holding the bytes of ``path`` (at ``version_id``)."""
        return self._abs(path)

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        # Unbuffered: the guarded reader above asks for large chunks anyway, and a
        # buffer costs an lseek and an isatty ioctl per open (once per object on a pull).
        return cast(BinaryIO, open(self._source(path, version_id), "rb", buffering=0))

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        return self._file_record(path, self._stat_file(path))

    def _folder_info(self, path: str) -> FolderInfo:
        st = os.stat(self._abs(path))
        if not stat.S_ISDIR(st.st_mode):
            raise NotAFolder("is a file", path=path, backend=self.name)
        return FolderInfo(path=path, modified_at=_mtime(st))

    def _entries(self, path: str) -> list[os.DirEntry[str]]:
        """Visible entries of a folder, sorted; none if it is missing or a file."""
        try:
            with os.scandir(self._abs(path)) as it:
                found = [e for e in it if not is_temp_name(e.name)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        if not path:
            found = [e for e in found if e.name != RESERVED]
        return sorted(found, key=lambda e: e.name)

    def _walk_files(self, path: str, recursive: bool) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """(relative path, entry) of visible files in listing order; stats only symlinks."""
        stack = [path]
        while stack:
            folder = stack.pop()
            subfolders = []
            for entry in self._entries(folder):
                rel = paths.join(folder, entry.name)
                try:
                    if entry.is_file():
                        yield rel, entry
                    elif recursive and entry.is_dir(follow_symlinks=False):
                        subfolders.append(rel)
                except FileNotFoundError:  # removed while we were listing
                    continue
            stack.extend(reversed(subfolders))

    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        for rel, entry in self._walk_files(path, recursive):
            try:
                st = entry.stat()
            except FileNotFoundError:  # removed while we were listing
                continue
            yield self._file_record(rel, st)

    def _list_paths(self, path: str, recursive: bool) -> Iterable[str]:
        return (rel for rel, _ in self._walk_files(path, recursive))

    def _list_folders(self, path: str) -> Iterable[FolderInfo]:
        for entry in self._entries(path):
            try:
                if entry.is_dir():
                    yield FolderInfo(paths.join(path, entry.name), _mtime(entry.stat()))
            except FileNotFoundError:
                continue

    def exists_many(self, path_list: Iterable[str], *, jobs: int | None = None) -> dict[str, bool]:
        """One ``stat`` per path, no threads: local metadata calls are microseconds."""
        items = [self._path(p) for p in path_list]
        out = {}
        for p in items:
            with self._guard(p):
                out[p] = p == paths.ROOT or self._exists(p, None)
        return out

    def get_file_info_many(
        self, path_list: Iterable[str], *, jobs: int | None = None
    ) -> dict[str, FileInfo | None]:
        items = [self._path(p) for p in path_list]
        self._require(_C.METADATA)
        out: dict[str, FileInfo | None] = {}
        for p in items:
            if p == paths.ROOT:
                raise NotAFile("the root is a folder", path=p, backend=self.name)
            try:
                with self._guard(p):
                    out[p] = self._file_info(p, None)
            except NotFound:
                out[p] = None
        return out

    def download_file(self, path: str, local_path: str, *, version_id: str | None = None) -> None:
        """Copy with reflink / copy_file_range instead of a Python read loop."""
        p = self._path(path)
        self._require(_C.READ, p)
        if version_id is not None:
            self._require(_C.VERSIONING, p)
        if p == paths.ROOT:
            raise NotAFile("the root is a folder", path=p, backend=self.name)
        with self._guard(p):
            src = open(self._source(p, version_id), "rb")  # noqa: SIM115 - a folder raises here
        with src, open(local_path, "wb") as dst, self._guard(p):
            copy_fd(src.fileno(), dst.fileno())

    # ----------------------------------------------------------------- writes
    def _make_parents(self, path: str) -> None:
        try:
            os.makedirs(os.path.dirname(self._abs(path)), exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise NotAFolder("a parent folder is a file", path=path, backend=self.name) from exc

    def _create_temp(self, path: str) -> tuple[int, str]:
        """Open a new temp file next to ``path``; (re)creates the folders on the way."""
        folder = os.path.dirname(self._abs(path))
        for _ in range(5):  # a concurrent delete may prune the folder we just made
            tmp = f"{folder}{os.sep}{temp_name()}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o666)
            except FileNotFoundError:
                self._make_parents(path)
                continue
            except NotADirectoryError as exc:
                raise NotAFolder("a parent folder is a file", path=path,
                                 backend=self.name) from exc
            return fd, tmp
        raise NotFound("the destination folder keeps disappearing", path=path, backend=self.name)

    def _refuse_existing(self, path: str) -> None:
        final = self._abs(path)
        if os.path.isdir(final):
            raise NotAFile("is a folder", path=path, backend=self.name)
        if os.path.lexists(final):
            raise AlreadyExists(path=path, backend=self.name)

    def _publish(self, path: str, tmp: str, *, overwrite: bool) -> str | None:
        """Put the finished temp file at ``path`` in one step; returns a version id if any."""
        final = self._abs(path)
        if overwrite:
            try:
                os.replace(tmp, final)
            except IsADirectoryError as exc:
                raise NotAFile("is a folder", path=path, backend=self.name) from exc
            return None
        try:
            os.link(tmp, final)
        except FileExistsError:
            self._refuse_existing(path)
            raise
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            self._refuse_existing(path)  # no hard links here: check, then rename
            os.replace(tmp, final)
            return None
        _unlink_quiet(tmp)
        return None

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        if not overwrite:
            self._refuse_existing(path)  # fail before streaming; _publish decides for real
        fd, tmp = self._create_temp(path)
        try:
            with os.fdopen(fd, "wb") as f:
                size, digest = copy_hashing(data, f.write)
                f.flush()
                st = os.fstat(f.fileno())
            version_id = self._publish(path, tmp, overwrite=overwrite)
        except BaseException:
            _unlink_quiet(tmp)
            self._prune(path)  # folders made for this write go too
            raise
        return WriteResult(path, size, etag=etag_of(st), version_id=version_id, digest=digest)

    def _copy_in(self, source: str, path: str, *, overwrite: bool) -> WriteResult:
        """Publish a copy of the local file ``source`` at ``path``."""
        if not overwrite:
            self._refuse_existing(path)
        fd, tmp = self._create_temp(path)
        try:
            try:
                self._reflinks = copy_into(source, fd, reflink=self._reflinks)
                st = os.fstat(fd)
            except IsADirectoryError as exc:
                raise NotAFile(f"the source {source!r} is a folder", path=path,
                               backend=self.name) from exc
            finally:
                os.close(fd)
            version_id = self._publish(path, tmp, overwrite=overwrite)
        except BaseException:
            _unlink_quiet(tmp)
            self._prune(path)  # folders made for this write go too
            raise
        return WriteResult(path, st.st_size, etag=etag_of(st), version_id=version_id)

    def upload_file(self, local_path: str, path: str, *, overwrite: bool = True) -> WriteResult:
        """Copy with reflink / copy_file_range; no md5 is computed (``digest`` is None)."""
        p = self._check_write(path, None)
        with self._guard(p):
            return self._copy_in(local_path, p, overwrite=overwrite)

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        self._stat_file(src)
        return self._copy_in(self._source(src, None), dst, overwrite=overwrite)

    def _move(self, src: str, dst: str, *, overwrite: bool) -> None:
        self._stat_file(src)
        if src == dst:
            if not overwrite:
                raise AlreadyExists(path=dst, backend=self.name)
            return
        if not overwrite:
            self._refuse_existing(dst)
        s, d = self._abs(src), self._abs(dst)
        for attempt in range(5):  # a concurrent delete may prune the folder we just made
            try:
                if overwrite:
                    os.replace(s, d)
                else:
                    self._link_move(src, dst)
                break
            except FileNotFoundError:
                if attempt == 4 or not os.path.exists(s):
                    raise
                self._make_parents(dst)
            except IsADirectoryError as exc:
                raise NotAFile("destination is a folder", path=dst, backend=self.name) from exc
        self._prune(src)

    def _link_move(self, src: str, dst: str) -> None:
        s, d = self._abs(src), self._abs(dst)
        try:
            os.link(s, d)
        except FileExistsError:
            self._refuse_existing(dst)
            raise
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            self._refuse_existing(dst)
            os.rename(s, d)
            return
        os.unlink(s)

    # ---------------------------------------------------------------- deletes
    def _prune(self, path: str) -> None:
        """Remove the folders above ``path`` that are now empty, up to (not incl.) the root."""
        folder = paths.parent(path)
        while folder:
            try:
                os.rmdir(self._abs(folder))
            except OSError:
                return
            folder = paths.parent(folder)

    def _delete(self, path: str) -> None:
        os.unlink(self._abs(path))
        self._prune(path)

    def _delete_folder(self, path: str, recursive: bool) -> None:
        target = self._abs(path)
        if not os.path.isdir(target):
            if os.path.lexists(target):
                raise NotAFolder("is a file", path=path, backend=self.name)
            raise NotFound(path=path, backend=self.name)
        if recursive:
            shutil.rmtree(target)
        else:
            os.rmdir(target)
        self._prune(path)

    def _check_health(self) -> None:
        """A missing root is fine if it can be created (the first push creates it)."""
        probe = self.root
        while not os.path.exists(probe):
            probe = os.path.dirname(probe)
        if not os.path.isdir(probe):
            raise NotAFolder("the root (or a folder above it) is a file", path=probe,
                             backend=self.name)
        if not os.access(probe, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "cannot read and write the root", probe)
