"""The local backend with versioning: version-aware remotes with no server at all.

Layout. The root holds the *current* files exactly like a plain local remote, so any tool
can read them. Every version of every file is kept under the hidden folder
``<root>/.dvcremote/versions/<h[:2]>/<h>/<version_id>``, ``h`` being the sha256 of the
file's path (a ``path`` file beside the versions names it for humans). Version ids are
opaque, unique and sort by creation time.

One fact defines the state: the current file is a *hard link* of its version's blob.
- The current version of ``path`` is the blob whose inode is the live file's inode.
- Publishing a write is one atomic rename of the live file, after the blob was written,
  so an interrupted write leaves either the old state or the new one: never a live file
  whose version record says something else. A blob that was never published keeps a
  ``.pending`` suffix and stays invisible.
- Deleting a file just unlinks the live name (the blob stays: the "delete marker" is the
  absence of a live file); ``delete_version`` unlinks a blob, and removing the current
  one makes the next newest version current again, as S3 does.
- A live file that matches no blob (written before versioning was on, or by another
  tool) is adopted as a new version the first time a versioned operation touches it,
  so an overwrite or delete never loses it.
Blobs are made read-only, which protects history from in-place edits of live files
(always replace files in a versioned root; never edit them in place).
Needs a filesystem with hard links.

``LocalBackend.from_url(url)`` opens a root that already holds ``.dvcremote/versions``
with this class; ``from_url(url, versioning=True)`` switches versioning on (the folder
appears with the first write).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from dvcremote.backend.capabilities import Capability
from dvcremote.backend.naming import is_version_id, new_version_id, temp_name
from dvcremote.backend.types import FileInfo
from dvcremote.backends.local import (
    VERSIONED_VARIANT,
    VERSIONS_FOLDER,
    LocalBackend,
    _mtime,
    _unlink_quiet,
    etag_of,
)
from dvcremote.errors import AlreadyExists, NotFound, VersionNotFound

_PENDING = ".pending"


@dataclass(frozen=True)
class _Blob:
    version_id: str
    file: str
    inode: int


class VersionedLocalBackend(LocalBackend):
    """A directory that keeps every version of every file (see the module docstring)."""

    name: ClassVar[str] = VERSIONED_VARIANT.name
    CAPABILITIES: ClassVar[frozenset[Capability]] = LocalBackend.CAPABILITIES | {
        Capability.VERSIONING
    }

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__(root)
        self._versions = os.path.join(self.root, *VERSIONS_FOLDER.split("/"))

    # ---------------------------------------------------------- version store
    def _vdir(self, path: str) -> str:
        h = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()
        return os.path.join(self._versions, h[:2], h)

    def _make_vdir(self, path: str) -> str:
        vdir = self._vdir(path)
        try:
            os.mkdir(vdir)
        except FileExistsError:
            return vdir
        except FileNotFoundError:
            os.makedirs(os.path.dirname(vdir), exist_ok=True)
            try:
                os.mkdir(vdir)
            except FileExistsError:
                return vdir
        with open(os.path.join(vdir, "path"), "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(path)
        return vdir

    def _scan(self, path: str) -> tuple[list[_Blob], list[_Blob]]:
        """(committed blobs newest first, pending blobs)."""
        committed, pending = [], []
        try:
            with os.scandir(self._vdir(path)) as it:
                for e in it:
                    if is_version_id(e.name):
                        committed.append(_Blob(e.name, e.path, e.inode()))
                    elif e.name.endswith(_PENDING) and is_version_id(e.name[: -len(_PENDING)]):
                        pending.append(_Blob(e.name[: -len(_PENDING)], e.path, e.inode()))
        except (FileNotFoundError, NotADirectoryError):
            pass
        committed.sort(key=lambda b: b.version_id, reverse=True)
        return committed, pending

    @staticmethod
    def _finalize(blob: _Blob) -> _Blob:
        """Drop the ``.pending`` suffix of a blob that was published."""
        final = blob.file[: -len(_PENDING)]
        try:
            os.rename(blob.file, final)
        except FileNotFoundError:  # someone else finalized it first
            pass
        return _Blob(blob.version_id, final, blob.inode)

    def _live(self, path: str) -> os.stat_result | None:
        try:
            st = os.stat(self._abs(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def _versions_of(self, path: str) -> tuple[list[_Blob], _Blob | None]:
        """(every version newest first, the current one); adopts an unrecorded live file."""
        st = self._live(path)  # before the scan: a blob is recorded before it goes live
        committed, pending = self._scan(path)
        if st is None:
            return committed, None
        current = next((b for b in committed if b.inode == st.st_ino), None)
        if current is None:
            match = next((b for b in pending if b.inode == st.st_ino), None)
            current = self._finalize(match) if match else self._adopt(path)
            committed = sorted([*committed, current], key=lambda b: b.version_id, reverse=True)
        return committed, current

    def _adopt(self, path: str) -> _Blob:
        vid = new_version_id()
        pending = os.path.join(self._make_vdir(path), vid + _PENDING)
        os.link(self._abs(path), pending)
        _read_only(pending)
        return self._finalize(_Blob(vid, pending, os.stat(pending).st_ino))

    def _find(self, path: str, version_id: str) -> _Blob:
        if is_version_id(version_id):
            blob = os.path.join(self._vdir(path), version_id)
            try:
                return _Blob(version_id, blob, os.stat(blob).st_ino)
            except (FileNotFoundError, NotADirectoryError):
                pass
            versions, _ = self._versions_of(path)  # maybe published but still pending
            for b in versions:
                if b.version_id == version_id:
                    return b
        raise VersionNotFound(path=path, backend=self.name, version_id=version_id)

    def _info_of(self, path: str, blob: _Blob, is_latest: bool | None = None) -> FileInfo:
        st = os.stat(blob.file)
        return FileInfo(path=path, size=st.st_size, modified_at=_mtime(st), etag=etag_of(st),
                        version_id=blob.version_id, is_latest=is_latest)

    # ------------------------------------------------------------------ reads
    def _exists(self, path: str, version_id: str | None) -> bool:
        if version_id is None:
            return super()._exists(path, None)
        try:
            self._find(path, version_id)
        except NotFound:
            return False
        return True

    def _source(self, path: str, version_id: str | None) -> str:
        return self._abs(path) if version_id is None else self._find(path, version_id).file

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        if version_id is not None:
            return self._info_of(path, self._find(path, version_id))
        self._stat_file(path)  # NotFound / NotAFile with the right message
        _, current = self._versions_of(path)
        if current is None:  # replaced by a folder in between
            raise NotFound(path=path, backend=self.name)
        return self._info_of(path, current)

    def _list_versions(self, path: str) -> Iterable[FileInfo]:
        versions, current = self._versions_of(path)
        return [self._info_of(path, b, b is current) for b in versions]

    # ----------------------------------------------------------------- writes
    def _publish(self, path: str, tmp: str, *, overwrite: bool) -> str | None:
        """Record the blob (pending), publish the live file, then mark the blob committed."""
        if overwrite:
            self._versions_of(path)  # adopt an unrecorded live file before replacing it
        vid = new_version_id()
        pending = os.path.join(self._make_vdir(path), vid + _PENDING)
        _read_only(tmp)
        os.link(tmp, pending)
        try:
            super()._publish(path, tmp, overwrite=overwrite)
        except BaseException:
            _unlink_quiet(pending)
            raise
        self._finalize(_Blob(vid, pending, 0))
        return vid

    # ---------------------------------------------------------------- deletes
    def _delete(self, path: str) -> None:
        self._versions_of(path)  # the current content must survive as a version
        super()._delete(path)

    def _delete_folder(self, path: str, recursive: bool) -> None:
        if recursive:
            for info in self._list_files(path, True):
                self._versions_of(info.path)
        super()._delete_folder(path, recursive)

    def _move(self, src: str, dst: str, *, overwrite: bool) -> None:
        """A new version at ``dst``, the current one of ``src`` hidden (history stays)."""
        if src == dst:
            self._stat_file(src)
            if not overwrite:
                raise AlreadyExists(path=dst, backend=self.name)
            return
        self._copy(src, dst, overwrite=overwrite)
        self._delete(src)

    def _delete_version(self, path: str, version_id: str) -> None:
        target = self._find(path, version_id)
        versions, current = self._versions_of(path)
        if current is not None and current.version_id == version_id:
            rest = [b for b in versions if b.version_id != version_id]
            live = self._abs(path)
            if rest:  # the next newest version becomes current again
                tmp = os.path.join(os.path.dirname(live), temp_name())
                os.link(rest[0].file, tmp)
                try:
                    os.replace(tmp, live)
                except BaseException:
                    _unlink_quiet(tmp)
                    raise
            else:
                os.unlink(live)
                self._prune(path)
        os.unlink(target.file)
        if len(versions) == 1 and self._live(path) is None:
            vdir = self._vdir(path)
            _unlink_quiet(os.path.join(vdir, "path"))
            try:
                os.rmdir(vdir)
            except OSError:
                pass


def _read_only(file: str) -> None:
    """Keep history safe from in-place edits of the live hard link (best effort)."""
    try:
        os.chmod(file, 0o444)
    except OSError:
        pass
