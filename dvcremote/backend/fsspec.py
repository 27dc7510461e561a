"""The generic adapter: any fsspec filesystem as a Backend.

A plugin for an fsspec filesystem is a small subclass::

    class MyBackend(FsspecBackend):
        name = "my"
        CAPABILITIES = FsspecBackend.CAPABILITIES | {Capability.USER_METADATA}  # only what is true
        WRITES_ARE_ATOMIC = False    # sftp/local-like: the adapter writes a temp file, then mv
        CREATE_PARENTS = True        # the filesystem needs folders made before a write
        PRUNE_EMPTY_FOLDERS = True   # real folders: remove the ones a delete leaves empty

        @classmethod
        def from_url(cls, url, **options):
            return cls(MyFileSystem(**options), root_from(url), **options)

        def map_error(self, exc, path):  # SDK exceptions -> dvcremote errors
            ...
            return super().map_error(exc, path)

``FsspecBackend(fs, root, **options)``: ``root`` is where the remote lives inside ``fs``;
``options`` are the remote's config keys, kept so that any value named in
``Backend.SECRET_OPTIONS`` (and the filesystem's own ``storage_options``) is scrubbed from
error messages; ``repr`` shows only the protocol and root. Create the filesystem in its
default synchronous mode, and with listings caching off if others write to the storage.

Bulk operations use fsspec's batching: on an ``AsyncFileSystem`` every item is one
coroutine (``_put_file``, ``_get_file``, ``_info``) gathered on the
filesystem's loop, at most ``jobs`` (default: fsspec's batch size) at a time, so each
item gets its own result; other filesystems get one ``fs.put``/``fs.get`` call, and
per-item calls only if that batch fails (to find which items failed).

Versioned filesystems (s3fs with ``version_aware=True``, adlfs with versioning) declare
``VERSIONING`` and fill in: ``_version_kwargs`` (how a version is named in ``open``,
``info``, ``get_file``; default ``version_id=``), ``_to_file_info`` (where the info dict
keeps the version and etag), ``_write_result`` (the version a write created),
``_list_versions`` and ``_delete_version``.

Existence is asked with ``info`` and only ``FileNotFoundError`` means "absent" (fsspec's
``exists``/``isfile``/``isdir`` answer False for any failure, a server down included).
Object stores whose bucket or container may be missing override ``_require_storage``
to raise ``StorageNotFound``; the adapter calls it before answering "absent".
"""

from __future__ import annotations

import asyncio
import os
import posixpath
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import IO, Any, BinaryIO, ClassVar, cast

import fsspec
from fsspec.asyn import AsyncFileSystem, _get_batch_size, sync
from fsspec.spec import AbstractBufferedFile

from dvcremote.backend import paths
from dvcremote.backend.base import Backend, ProgressCallback
from dvcremote.backend.capabilities import Capability
from dvcremote.backend.naming import is_temp_name, temp_name
from dvcremote.backend.streams import copy_hashing
from dvcremote.backend.types import FileInfo, FolderInfo, TransferResult, WriteResult
from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    DirectoryNotEmpty,
    InvalidPath,
    NotAFile,
    NotAFolder,
    NotFound,
    VersionNotFound,
)

_C = Capability


class FsspecBackend(Backend):
    """A Backend over ``fs`` rooted at ``root``; see the module docstring to subclass it."""

    name: ClassVar[str] = "fsspec"
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset({
        _C.READ, _C.WRITE, _C.DELETE, _C.LIST, _C.MOVE, _C.COPY, _C.METADATA,
        _C.ATOMIC_WRITE, _C.SEEKABLE_READ, _C.LAZY_READ,
    })
    #: True when the storage publishes a written file whole (object stores). When False
    #: the adapter writes to a hidden temp sibling and ``mv``s it into place.
    WRITES_ARE_ATOMIC: ClassVar[bool] = True
    #: Make the parent folders before writing (filesystems with real folders).
    CREATE_PARENTS: ClassVar[bool] = False
    #: After a delete or move, remove the parent folders it left empty (never the root).
    PRUNE_EMPTY_FOLDERS: ClassVar[bool] = False

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str, **options: Any) -> None:
        self.fs = fs
        self.options = dict(options)
        self._remember_secrets({**(getattr(fs, "storage_options", None) or {}), **options})
        stripped = fs._strip_protocol(root)
        self.root = stripped.rstrip("/") or stripped

    @property
    def location(self) -> str:
        protocol = self.fs.protocol
        scheme = protocol[0] if isinstance(protocol, (tuple, list)) else protocol
        return f"{scheme}://{self.root.lstrip('/')}" if scheme else self.root

    # ------------------------------------------------------------ path mapping
    def _full(self, path: str) -> str:
        return posixpath.join(self.root, path) if path else self.root

    def _rel(self, name: str) -> str:
        name = self.fs._strip_protocol(name).rstrip("/")
        prefix = self.root.rstrip("/") + "/"
        return name[len(prefix):] if name.startswith(prefix) else name

    # ----------------------------------------------------------------- hooks
    def _version_kwargs(self, version_id: str | None) -> dict[str, Any]:
        """How the filesystem names a version in ``open``/``info``/``get_file``."""
        return {"version_id": version_id} if version_id is not None else {}

    def _write_kwargs(self, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        """Extra ``fs.open(..., "wb")`` arguments; plugins with USER_METADATA map it here."""
        return {"metadata": dict(metadata)} if metadata else {}

    def _to_file_info(self, path: str, info: Mapping[str, Any]) -> FileInfo:
        """Turn an fsspec info dict into a FileInfo (knows the common key spellings)."""
        etag = info.get("ETag") or info.get("etag")
        version = info.get("VersionId") or info.get("version_id")
        meta = info.get("metadata")
        return FileInfo(
            path=path,
            size=int(info.get("size") or 0),
            modified_at=_modified(info),
            etag=str(etag).strip('"') if etag else None,
            version_id=str(version) if version and version != "null" else None,
            metadata=dict(meta) if isinstance(meta, Mapping) and meta else None,
        )

    def _write_result(
        self, path: str, handle: Any, size: int, digest: str | None
    ) -> WriteResult:
        """What a finished write reports; asks ``info`` only when a version id is owed."""
        version = getattr(handle, "version_id", None)
        etag = None
        if version is None and _C.VERSIONING in self.capabilities:
            info = self._to_file_info(path, self.fs.info(self._full(path)))
            version, etag = info.version_id, info.etag
        return WriteResult(path, size, etag=etag, version_id=version, digest=digest)

    # ------------------------------------------------------------- the storage
    def _require_storage(self) -> None:
        """Raise ``StorageNotFound`` if the bucket or container of the root is missing.

        Called whenever an answer would be "absent" (a missing path, an empty
        listing), so that a missing bucket never reads as an empty remote. The default
        does nothing: where folders are real, a missing root folder is an empty remote
        that the first push creates. Object stores override it (ask once, then
        remember a positive answer: it runs on every "absent").
        """

    def _info_or_none(self, full: str, **kwargs: Any) -> Mapping[str, Any] | None:
        """``fs.info``, or None for a missing path; every other failure raises.

        Never ``fs.exists``/``isfile``/``isdir``: fsspec's defaults answer False for
        any exception, so a server that is down or refuses the password would look
        like missing files.
        """
        try:
            info: Mapping[str, Any] = self.fs.info(full, **kwargs)
        except (FileNotFoundError, NotADirectoryError):
            self._require_storage()
            return None
        return info

    # ------------------------------------------------------------------ reads
    def _exists(self, path: str, version_id: str | None) -> bool:
        full = self._full(path)
        return self._info_or_none(full, **self._version_kwargs(version_id)) is not None

    def _is_file(self, path: str) -> bool:
        info = self._info_or_none(self._full(path))
        return info is not None and info.get("type") == "file"

    def _is_folder(self, path: str) -> bool:
        info = self._info_or_none(self._full(path))
        return info is not None and info.get("type") == "directory"

    def _not_found(self, path: str, version_id: str | None) -> BackendError:
        self._require_storage()
        if version_id is not None:
            return VersionNotFound(path=path, backend=self.name, version_id=version_id)
        if self._is_folder(path):
            return NotAFile("is a folder", path=path, backend=self.name)
        return NotFound(path=path, backend=self.name)

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        return self._open_file(path, version_id)

    def _open_file(self, path: str, version_id: str | None, **kwargs: Any) -> BinaryIO:
        """``fs.open(..., "rb")`` with a missing file as ``NotFound`` and a folder as
        ``NotAFile``: SFTP answers opening a folder with a bare failure, and adlfs opens
        a prefix and fails on the first read."""
        try:
            handle: BinaryIO = self.fs.open(
                self._full(path), "rb", **kwargs, **self._version_kwargs(version_id)
            )
        except FileNotFoundError as exc:
            raise self._not_found(path, version_id) from exc
        except Exception as exc:
            self._refuse_folder(path, exc)
            raise
        details = getattr(handle, "details", None)
        if isinstance(details, Mapping):
            if details.get("type") == "directory":
                handle.close()
                raise NotAFile("is a folder", path=path, backend=self.name)
            return handle
        # No info came with the handle (sshfs): a folder shows only when reading fails.
        return cast(BinaryIO, _FolderOnFailure(handle, lambda exc: self._refuse_folder(path, exc)))

    def _refuse_folder(self, path: str, failure: Exception) -> None:
        """Raise ``NotAFile`` (``failure`` chained) if ``path`` is a folder; return if it
        is not, or if the question fails too (the caller re-raises ``failure``)."""
        try:
            info = self._info_or_none(self._full(path))
        except Exception:  # noqa: BLE001 - the original failure is the one to report
            return
        if info is not None and info.get("type") == "directory":
            raise NotAFile("is a folder", path=path, backend=self.name) from failure

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        try:
            info = self.fs.info(self._full(path), **self._version_kwargs(version_id))
        except FileNotFoundError as exc:
            raise self._not_found(path, version_id) from exc
        if info.get("type") == "directory":
            raise NotAFile("is a folder", path=path, backend=self.name)
        return self._to_file_info(path, info)

    def _folder_info(self, path: str) -> FolderInfo:
        info = self._info_or_none(self._full(path))
        if info is None:
            raise NotFound(path=path, backend=self.name)
        if info.get("type") != "directory":
            raise NotAFolder("is a file", path=path, backend=self.name)
        return FolderInfo(path, _modified(info))

    def _children(self, path: str) -> list[tuple[str, Mapping[str, Any]]]:
        """(relative path, info) of a folder's direct entries; none if it is not a folder."""
        try:
            listed = self.fs.ls(self._full(path), detail=True)
        except (FileNotFoundError, NotADirectoryError):
            listed = []
        if not listed:
            self._require_storage()  # an empty answer from a missing bucket is no answer
        out = []
        for info in listed:
            rel = self._rel(info["name"])
            if rel == path or paths.parent(rel) != path or is_temp_name(rel.rsplit("/", 1)[-1]):
                continue  # the path itself (a file, or a folder marker), or a temp file
            out.append((rel, info))
        return sorted(out, key=lambda item: item[0])

    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        if not recursive:
            return [self._to_file_info(rel, info) for rel, info in self._children(path)
                    if info.get("type") != "directory"]
        return [self._to_file_info(rel, info) for rel, info in self._found(path)]

    def _found(self, path: str) -> list[tuple[str, dict[str, Any]]]:
        """Files below ``path`` from one recursive ``find``: (relative path, info), sorted."""
        try:
            found: Any = self.fs.find(self._full(path), detail=True)
        except (FileNotFoundError, NotADirectoryError):
            found = {}
        if not found:
            self._require_storage()
        if isinstance(found, list):  # adlfs, given a file, answers a list of names
            found = {
                item if isinstance(item, str) else item["name"]:
                {"type": "file"} if isinstance(item, str) else item
                for item in found
            }
        prefix = f"{path}/" if path else ""
        out = []
        for name, info in found.items():
            rel = self._rel(name)
            if (rel.startswith(prefix) and rel != path and info.get("type") != "directory"
                    and not any(is_temp_name(part) for part in rel.split("/"))):
                out.append((rel, info))
        return sorted(out, key=lambda item: item[0])

    def _list_paths(self, path: str, recursive: bool) -> Iterable[str]:
        """The same selection as ``_list_files`` without building a FileInfo per file.

        Listings return details anyway (object stores send them in the same page), and
        ``find(detail=False)`` could not tell folder markers from files.
        """
        if not recursive:
            return [rel for rel, info in self._children(path) if info.get("type") != "directory"]
        return [rel for rel, _ in self._found(path)]

    def _list_folders(self, path: str) -> Iterable[FolderInfo]:
        return [FolderInfo(rel, _modified(info)) for rel, info in self._children(path)
                if info.get("type") == "directory"]

    # ----------------------------------------------------------------- writes
    def _refuse_existing(self, path: str, overwrite: bool) -> None:
        if overwrite:
            return
        info = self._info_or_none(self._full(path))
        if info is not None:
            if info.get("type") == "directory":
                raise NotAFile("is a folder", path=path, backend=self.name)
            raise AlreadyExists(path=path, backend=self.name)

    def _make_parents(self, full: str) -> None:
        try:
            self._make_folder(posixpath.dirname(full))
        except Exception:
            self._refuse_file_parent(full)
            raise

    def _refuse_file_parent(self, full: str) -> None:
        """Raise ``NotAFolder`` if a parent of ``full`` is a file.

        Asked only after making the folders failed: filesystems report a file in the
        way as "exists" (local, memory) or as a bare failure (SFTP), not as what it is.
        """
        folder = posixpath.dirname(full)
        while folder and folder != self.root and folder.startswith(self.root):
            info = self._info_or_none(folder)
            if info is not None and info.get("type") != "directory":
                raise NotAFolder(
                    f"parent {self._rel(folder)!r} is a file", path=self._rel(full),
                    backend=self.name,
                )
            folder = posixpath.dirname(folder)

    def _make_folder(self, folder: str) -> None:
        if self.CREATE_PARENTS and folder and folder != self.fs.root_marker:
            self.fs.makedirs(folder, exist_ok=True)

    def _staging(self, full: str) -> str:
        """Where a write goes first: the final name, or a temp sibling."""
        if self.WRITES_ARE_ATOMIC:
            return full
        return posixpath.join(posixpath.dirname(full), temp_name())

    def _publish(self, staged: str, full: str) -> None:
        """Move a staged write into place; callers remove ``staged`` if this fails."""
        if staged != full:
            self.fs.mv(staged, full)

    def _publish_new(self, staged: str, full: str, path: str) -> None:
        """Move a staged write into place only if nothing is at ``full`` (``AlreadyExists``).

        The default is ``_publish`` after ``_write`` checked: two steps, so racing
        creators may all win. A filesystem with a rename that never replaces overrides
        this and may then declare ``EXCLUSIVE_CREATE`` (the SSH plugin does).
        """
        self._publish(staged, full)

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        self._refuse_existing(path, overwrite)
        full = self._full(path)
        self._make_parents(full)
        staged = self._staging(full)
        try:
            handle = self.fs.open(staged, "wb", **self._write_kwargs(metadata))
        except (FileExistsError, NotADirectoryError):
            self._refuse_file_parent(full)
            raise
        try:
            try:
                size, digest = copy_hashing(data, handle.write)
            except BaseException:
                _abort(handle)
                raise
            handle.close()
            if overwrite:
                self._publish(staged, full)
            else:
                self._publish_new(staged, full, path)
        except BaseException:
            if staged != full:
                _quiet(self.fs.rm_file, staged)
            _quiet(self._prune, path)  # folders made for this write go too
            raise
        return self._write_result(path, handle, size, digest)

    def _check_source(self, src: str) -> Mapping[str, Any]:
        info = self._info_or_none(self._full(src))
        if info is None:
            raise NotFound(path=src, backend=self.name)
        if info.get("type") == "directory":
            raise NotAFile("is a folder", path=src, backend=self.name)
        return dict(info)

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        info = self._check_source(src)
        self._refuse_existing(dst, overwrite)
        full = self._full(dst)
        self._make_parents(full)
        staged = self._staging(full)
        try:
            self.fs.cp_file(self._full(src), staged)
            self._publish(staged, full)
        except BaseException:
            if staged != full:
                _quiet(self.fs.rm_file, staged)
            raise
        return self._write_result(dst, None, int(info.get("size") or 0), None)

    def _move(self, src: str, dst: str, *, overwrite: bool) -> None:
        self._check_source(src)
        if src == dst:
            if not overwrite:
                raise AlreadyExists(path=dst, backend=self.name)
            return
        self._refuse_existing(dst, overwrite)
        full = self._full(dst)
        self._make_parents(full)
        self.fs.mv(self._full(src), full)
        self._prune(src)

    # ---------------------------------------------------------------- deletes
    def _rmdir(self, full: str) -> None:
        """fsspec gives no sync ``rmdir`` to async filesystems that only define ``_rmdir``."""
        fs: Any = self.fs
        if isinstance(fs, AsyncFileSystem) and hasattr(fs, "_rmdir"):
            sync(fs.loop, fs._rmdir, full)
        else:
            fs.rmdir(full)

    def _prune(self, path: str) -> None:
        if not self.PRUNE_EMPTY_FOLDERS:
            return
        folder = paths.parent(path)
        while folder:
            try:
                if self.fs.ls(self._full(folder), detail=False):
                    return
                self._rmdir(self._full(folder))
            except (OSError, NotFound, DirectoryNotEmpty):
                return
            folder = paths.parent(folder)

    def _delete(self, path: str) -> None:
        self._check_source(path)
        self.fs.rm_file(self._full(path))
        self._prune(path)

    def _delete_folder(self, path: str, recursive: bool) -> None:
        full = self._full(path)
        info = self._info_or_none(full)
        if info is None:
            raise NotFound(path=path, backend=self.name)
        if info.get("type") != "directory":
            raise NotAFolder("is a file", path=path, backend=self.name)
        if recursive:
            self.fs.rm(full, recursive=True)
        else:
            if self._children(path):
                raise DirectoryNotEmpty(path=path, backend=self.name)
            try:
                self._rmdir(full)
            except FileNotFoundError:  # object stores: an empty prefix is already gone
                pass
        self._prune(path)

    # ------------------------------------------------------------------- bulk
    @property
    def _is_async(self) -> bool:
        return isinstance(self.fs, AsyncFileSystem) and bool(self.fs.async_impl)

    def _gather(
        self,
        coros: list[Coroutine[Any, Any, Any]],
        jobs: int | None,
        on_done: Callable[[int, Any], None] | None = None,
        names: Sequence[str] | None = None,
    ) -> list[Any]:
        """Run coroutines on the filesystem's loop, ``jobs`` at a time; exceptions returned.

        ``on_done(index, answer)`` runs (on the loop's thread) as each one finishes.
        An exception that maps to ``BackendUnavailable`` ends the run instead: no
        coroutine starts after it (the running ones finish) and it is raised, mapped
        (``names[index]`` is its path), since every other item would fail the same way.
        """
        if not coros:
            return []
        limit = jobs or getattr(self.fs, "batch_size", None) or _get_batch_size()
        limit = len(coros) if limit <= 0 else limit
        gone: list[tuple[int, Exception]] = []

        async def run_all() -> list[Any]:
            gate = asyncio.Semaphore(limit)

            async def one(index: int, coro: Coroutine[Any, Any, Any]) -> Any:
                async with gate:
                    if gone:
                        coro.close()  # never started: nothing to undo
                        return None
                    try:
                        answer = await coro
                    except Exception as exc:  # noqa: BLE001 - each item reports its own
                        answer = exc
                        if not gone and self._is_unavailable(exc):
                            gone.append((index, exc))
                if on_done is not None:
                    on_done(index, answer)
                return answer

            return await asyncio.gather(*(one(i, c) for i, c in enumerate(coros)))

        result: list[Any] = sync(self.fs.loop, run_all)
        if gone:
            index, exc = gone[0]
            self._reraise(exc, names[index] if names is not None else None)
        return result

    def _is_unavailable(self, exc: Exception) -> bool:
        """True when ``exc`` says the storage cannot be reached at all."""
        if isinstance(exc, BackendUnavailable):
            return True
        try:
            return isinstance(self.map_error(exc, None), BackendUnavailable)
        except Exception:  # noqa: BLE001 - a mapping that fails decides nothing
            return False

    def exists_many(self, path_list: Iterable[str], *, jobs: int | None = None) -> dict[str, bool]:
        items = [self._path(p) for p in path_list]
        asked = [p for p in items if p != paths.ROOT]
        # fs._info, not fs._exists: only "not found" may answer False (see _info_or_none)
        if self._is_async:
            answers = self._gather([self.fs._info(self._full(p)) for p in asked], jobs, names=asked)
        else:
            answers = self._map(_capture(lambda p: self.fs.info(self._full(p))), asked, jobs)
        found = dict(zip(asked, answers, strict=True))
        out = {}
        for p in items:
            answer = found.get(p, True)
            if isinstance(answer, (FileNotFoundError, NotADirectoryError)):
                answer = False
            elif isinstance(answer, Exception):
                error = self._convert(answer, p)
                if isinstance(error, NotFound):  # exists never raises NotFound
                    answer = False
                else:
                    raise error from answer
            out[p] = answer is not False
        if not all(out.values()):
            with self._guard(paths.ROOT):
                self._require_storage()  # once per batch, not per missing path
        return out

    def get_file_info_many(
        self, path_list: Iterable[str], *, jobs: int | None = None
    ) -> dict[str, FileInfo | None]:
        items = [self._path(p) for p in path_list]
        self._require(_C.METADATA)
        for p in items:
            if p == paths.ROOT:
                raise NotAFile("the root is a folder", path=p, backend=self.name)
        if self._is_async:
            answers = self._gather([self.fs._info(self._full(p)) for p in items], jobs, names=items)
        else:
            answers = self._map(_capture(lambda p: self.fs.info(self._full(p))), items, jobs)
        out: dict[str, FileInfo | None] = {}
        for p, answer in zip(items, answers, strict=True):
            if isinstance(answer, FileNotFoundError):
                out[p] = None
            elif isinstance(answer, Exception):
                raise self._convert(answer, p) from answer
            elif answer.get("type") == "directory":
                raise NotAFile("is a folder", path=p, backend=self.name)
            else:
                out[p] = self._to_file_info(p, answer)
        if any(info is None for info in out.values()):
            with self._guard(paths.ROOT):
                self._require_storage()
        return out

    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        """Batched put; each item lands whole (staged when writes are not atomic)."""
        self._require(_C.WRITE)
        checked = [(src, self._path(dst)) for src, dst in pairs]
        results: list[TransferResult | None] = [None] * len(checked)
        todo: list[int] = []
        refused: list[int] = []
        for i, (src, dst) in enumerate(checked):
            if dst == paths.ROOT:
                results[i] = TransferResult(src, dst, error=InvalidPath(
                    "cannot write to the root", path=dst, backend=self.name))
                refused.append(i)
            elif os.path.isdir(src):
                results[i] = TransferResult(src, dst, error=NotAFile(
                    f"local source {src!r} is a folder", path=dst, backend=self.name))
                refused.append(i)
            else:
                todo.append(i)
        _report(results, refused, callback)
        if self._is_async:
            self._upload_async(checked, todo, results, jobs, callback)
        else:
            self._upload_batched(checked, todo, results, jobs)
            _report(results, todo, callback)
        return _done(results)

    def _upload_async(
        self, checked: list[tuple[str, str]], todo: list[int],
        results: list[TransferResult | None], jobs: int | None,
        callback: ProgressCallback | None,
    ) -> None:
        fs: Any = self.fs
        fulls = {i: self._full(checked[i][1]) for i in todo}
        if self.CREATE_PARENTS:
            parents = sorted({posixpath.dirname(f) for f in fulls.values()} - {"", "/"})
            for exc in self._gather([fs._makedirs(p, exist_ok=True) for p in parents], jobs):
                if isinstance(exc, Exception):
                    break  # the per-item puts will report it

        async def one(i: int) -> WriteResult:
            src, dst = checked[i]
            full = fulls[i]
            staged = self._staging(full)
            await fs._put_file(src, staged)
            if staged != full:
                try:
                    await self._apublish(staged, full)
                except BaseException:
                    try:
                        await fs._rm_file(staged)
                    except Exception:  # noqa: BLE001 - the original error matters
                        pass
                    raise
            return await self._aupload_result(dst, full, os.path.getsize(src))

        def done(k: int, answer: Any) -> None:
            i = todo[k]
            results[i] = self._transfer(checked[i], answer, checked[i][1])
            if callback:
                callback(results[i])  # type: ignore[arg-type]

        self._gather([one(i) for i in todo], jobs, done, [checked[i][1] for i in todo])

    async def _apublish(self, staged: str, full: str) -> None:
        """Async rename of a staged upload; filesystems with their own ``_mv`` use it."""
        fs: Any = self.fs
        mover = getattr(fs, "_mv", None) or fs._mv_file
        await mover(staged, full)

    async def _aupload_result(self, path: str, full: str, size: int) -> WriteResult:
        if _C.VERSIONING not in self.capabilities:
            return WriteResult(path, size)
        info = self._to_file_info(path, await self.fs._info(full))
        return WriteResult(path, size, etag=info.etag, version_id=info.version_id)

    def _upload_batched(
        self, checked: list[tuple[str, str]], todo: list[int],
        results: list[TransferResult | None], jobs: int | None,
    ) -> None:
        staged = {i: self._staging(self._full(checked[i][1])) for i in todo}
        try:
            for parent in sorted({posixpath.dirname(self._full(checked[i][1])) for i in todo}):
                self._make_folder(parent)
            if todo:
                self.fs.put([checked[i][0] for i in todo], [staged[i] for i in todo])
            for i in todo:
                self._publish(staged[i], self._full(checked[i][1]))
            for i in todo:
                src, dst = checked[i]
                results[i] = TransferResult(src, dst, write=self._put_result(dst, src))
        except Exception:  # noqa: BLE001 - find out which items failed, one by one
            for i in todo:
                if staged[i] != self._full(checked[i][1]):
                    _quiet(self.fs.rm_file, staged[i])

            def single(i: int) -> TransferResult:
                src, dst = checked[i]
                try:
                    with open(src, "rb") as f:
                        write = self.write(dst, f, overwrite=True)
                except (BackendError, OSError) as exc:
                    return TransferResult(src, dst, error=self._convert(exc, dst))
                return TransferResult(src, dst, write=write)

            for i, res in zip(todo, self._map(single, todo, jobs), strict=True):
                results[i] = res

    def _put_result(self, path: str, local: str) -> WriteResult:
        return self._write_result(path, None, os.path.getsize(local), None)

    def download_many(
        self,
        items: Sequence[tuple[str, str] | tuple[str, str, str | None]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        """Batched get into the given local paths (the caller chooses temp names)."""
        self._require(_C.READ)
        norm = [(self._path(item[0]), item[1], item[2] if len(item) > 2 else None)
                for item in items]  # bad input raises before any I/O
        results: list[TransferResult | None] = [None] * len(items)
        for i, (src, dst, version) in enumerate(norm):
            try:
                if version is not None:
                    self._require(_C.VERSIONING, src)
                if src == paths.ROOT:
                    raise NotAFile("the root is a folder", path=src, backend=self.name)
            except BackendError as exc:
                results[i] = TransferResult(src, dst, error=exc)
        todo = [i for i, r in enumerate(results) if r is None]
        _report(results, [i for i in range(len(items)) if results[i] is not None], callback)
        if self._is_async:
            fs: Any = self.fs
            coros = [fs._get_file(self._full(norm[i][0]), norm[i][1],
                                  **self._version_kwargs(norm[i][2])) for i in todo]

            def done(k: int, answer: Any) -> None:
                i = todo[k]
                src, dst, version = norm[i]
                if not isinstance(answer, BaseException) and os.path.isdir(dst):
                    answer = NotAFile("is a folder", path=src, backend=self.name)
                results[i] = self._transfer((src, dst), answer, src, version)
                if callback:
                    callback(results[i])  # type: ignore[arg-type]

            self._gather(coros, jobs, done, [norm[i][0] for i in todo])
        else:
            self._download_batched(norm, todo, results, jobs)
            _report(results, todo, callback)
        if any(isinstance(r.error, NotFound) for r in results if r is not None):
            # Not per item (this may run on the filesystem's loop): a missing bucket
            # fails the whole call, rather than reading as objects "not on the remote".
            with self._guard(None):
                self._require_storage()
        return _done(results)

    def _download_batched(
        self, norm: list[tuple[str, str, str | None]], todo: list[int],
        results: list[TransferResult | None], jobs: int | None,
    ) -> None:
        plain = [i for i in todo if norm[i][2] is None]
        try:
            if plain:
                self.fs.get([self._full(norm[i][0]) for i in plain], [norm[i][1] for i in plain])
            for i in plain:
                src, dst, _ = norm[i]
                results[i] = TransferResult(src, dst, error=NotAFile(
                    "is a folder", path=src, backend=self.name)) if os.path.isdir(dst) else (
                    TransferResult(src, dst))
            rest = [i for i in todo if results[i] is None]
        except Exception:  # noqa: BLE001 - find out which items failed, one by one
            rest = todo

        def single(i: int) -> TransferResult:
            src, dst, version = norm[i]
            try:
                self.download_file(src, dst, version_id=version)
            except (BackendError, OSError) as exc:
                return TransferResult(src, dst, error=self._convert(exc, src))
            return TransferResult(src, dst)

        for i, res in zip(rest, self._map(single, rest, jobs), strict=True):
            results[i] = res

    def _transfer(
        self, pair: tuple[str, str], answer: Any, path: str, version_id: str | None = None
    ) -> TransferResult:
        src, dst = pair
        if isinstance(answer, FileNotFoundError) and version_id is not None:
            answer = VersionNotFound(path=path, backend=self.name, version_id=version_id)
        if isinstance(answer, BaseException):
            error = self._convert(answer, path)
            if error is not answer and error.__cause__ is None:
                error.__cause__ = answer
            return TransferResult(src, dst, error=error)
        return TransferResult(src, dst, write=answer if isinstance(answer, WriteResult) else None)


def _modified(info: Mapping[str, Any]) -> datetime | None:
    for key in ("mtime", "LastModified", "last_modified", "modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


class _FolderOnFailure:
    """A read handle whose first failing ``read`` asks whether the path is a folder
    (then ``NotAFile``, the read's error chained); every other call goes straight through."""

    def __init__(self, inner: Any, refuse_folder: Callable[[Exception], None]) -> None:
        self._inner = inner
        self._refuse_folder = refuse_folder

    def read(self, size: int | None = -1) -> bytes:
        try:
            data: bytes = self._inner.read(size)
        except Exception as exc:
            self._refuse_folder(exc)
            raise
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _FolderOnFailure:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._inner.close()


def _abort(handle: Any) -> None:
    """Throw away a write in progress without publishing what was written so far."""
    _quiet(getattr(handle, "discard", lambda: None))
    if isinstance(handle, AbstractBufferedFile):
        handle.closed = True  # its close() would flush, i.e. publish the partial data
    else:
        _quiet(handle.close)


def _quiet(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - cleanup after an error that matters more
        pass


def _capture(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """Return exceptions instead of raising them, like the async gather does."""
    def run(arg: str) -> Any:
        try:
            return fn(arg)
        except Exception as exc:  # noqa: BLE001
            return exc
    return run


def _report(
    results: list[TransferResult | None], indexes: Iterable[int],
    callback: ProgressCallback | None,
) -> None:
    if callback:
        for i in indexes:
            result = results[i]
            if result is not None:
                callback(result)


def _done(results: list[TransferResult | None]) -> list[TransferResult]:
    return [r for r in results if r is not None]
