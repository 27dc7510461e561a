"""SpyBackend: a Backend that forwards to a real one and counts what it was asked.

The suites hand it to the repo in place of the remote's backend to check how much
work a push or a status does (a push with nothing to do uploads nothing and does not
list the whole remote), and to interrupt a push for real after some uploads. Every
call reaches the real backend through its public methods, so a plugin's own fast
bulk paths are the ones exercised.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, BinaryIO

from dvcremote.backend import Backend, Capability, FileInfo, FolderInfo, TransferResult, WriteResult
from dvcremote.backend.base import Data, ProgressCallback
from dvcremote.errors import PermissionDenied


class Interrupted(BaseException):
    """Stands for Ctrl-C: a BaseException, so no ``except Exception`` in the product eats it."""


class SpyBackend(Backend):
    """Forwards everything to ``inner``; counts calls, listed entries and uploaded files.

    ``interrupt_after=N`` lets N files be uploaded, then raises :class:`Interrupted`
    in the caller's thread (where Ctrl-C lands) instead of starting the next one: a
    bulk upload sends the first part through the real backend, then stops.
    ``refuse`` names remote paths whose uploads fail with PermissionDenied, as a
    storage that rejects one object would.
    """

    def __init__(
        self,
        inner: Backend,
        *,
        interrupt_after: int | None = None,
        refuse: Collection[str] = (),
    ) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]  # per instance: the spied backend's name
        self.calls: Counter[str] = Counter()
        #: Entries yielded by ``list_files``/``list_paths``/``list_folders``, and paths
        #: asked about one by one.
        self.listed = 0
        self.asked = 0
        #: Remote paths written (uploads and plain writes), in completion order.
        self.uploaded: list[str] = []
        self.interrupt_after = interrupt_after
        self.refuse = frozenset(refuse)
        self._lock = threading.Lock()

    # ------------------------------------------------------------- identity
    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.inner.capabilities

    @property
    def location(self) -> str:
        return self.inner.location

    def redact(self, text: str) -> str:
        return self.inner.redact(text)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Plugin-specific extras (and anything added to the contract later) pass through.
        return getattr(self.inner, name)

    # ------------------------------------------------------------ counting
    def _count(self, method: str, asked: int = 0) -> None:
        with self._lock:
            self.calls[method] += 1
            self.asked += asked

    def _wrote(self, path: str) -> None:
        with self._lock:
            self.uploaded.append(path)

    def _allowed(self, wanted: int) -> int:
        """How many of ``wanted`` uploads may still start before the interruption."""
        if self.interrupt_after is None:
            return wanted
        with self._lock:
            return max(0, min(wanted, self.interrupt_after - len(self.uploaded)))

    def _interrupt(self) -> None:
        raise Interrupted(f"interrupted after {len(self.uploaded)} uploads")

    def _upload(self, method: str, path: str, send: Callable[[], WriteResult]) -> WriteResult:
        """One file written through ``method``: counted, refused or interrupted as the
        test asked, else ``send`` writes it through the real backend."""
        self._count(method)
        if path in self.refuse:
            raise self._refusal(path)
        if not self._allowed(1):
            self._interrupt()
        result = send()
        self._wrote(result.path)
        return result

    def _refusal(self, path: str) -> PermissionDenied:
        return PermissionDenied("refused by the test", path=path, backend=self.name)

    def _counted_listing(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            with self._lock:
                self.listed += 1
            yield item

    @property
    def uploads(self) -> int:
        return len(self.uploaded)

    @property
    def listings(self) -> int:
        return self.calls["list_files"] + self.calls["list_paths"] + self.calls["list_folders"]

    # ---------------------------------------------------------------- reads
    def exists(self, path: str, *, version_id: str | None = None) -> bool:
        self._count("exists", 1)
        return self.inner.exists(path, version_id=version_id)

    def is_file(self, path: str) -> bool:
        self._count("is_file", 1)
        return self.inner.is_file(path)

    def is_folder(self, path: str) -> bool:
        self._count("is_folder", 1)
        return self.inner.is_folder(path)

    def read(self, path: str, *, version_id: str | None = None) -> BinaryIO:
        self._count("read")
        return self.inner.read(path, version_id=version_id)

    def get_file_info(self, path: str, *, version_id: str | None = None) -> FileInfo:
        self._count("get_file_info", 1)
        return self.inner.get_file_info(path, version_id=version_id)

    def get_folder_info(self, path: str) -> FolderInfo:
        self._count("get_folder_info", 1)
        return self.inner.get_folder_info(path)

    def list_files(self, path: str = "", *, recursive: bool = False) -> Iterator[FileInfo]:
        self._count("list_files")
        return self._counted_listing(self.inner.list_files(path, recursive=recursive))

    def list_paths(self, path: str = "", *, recursive: bool = False) -> Iterator[str]:
        self._count("list_paths")
        return self._counted_listing(self.inner.list_paths(path, recursive=recursive))

    def list_folders(self, path: str = "") -> Iterator[FolderInfo]:
        self._count("list_folders")
        return self._counted_listing(self.inner.list_folders(path))

    def list_versions(self, path: str) -> list[FileInfo]:
        self._count("list_versions", 1)
        return self.inner.list_versions(path)

    # --------------------------------------------------------------- writes
    def write(
        self,
        path: str,
        data: Data,
        *,
        overwrite: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> WriteResult:
        send = functools.partial(
            self.inner.write, path, data, overwrite=overwrite, metadata=metadata
        )
        return self._upload("write", path, send)

    def write_atomic(
        self,
        path: str,
        data: Data,
        *,
        overwrite: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> WriteResult:
        send = functools.partial(
            self.inner.write_atomic, path, data, overwrite=overwrite, metadata=metadata
        )
        return self._upload("write_atomic", path, send)

    def upload_file(self, local_path: str, path: str, *, overwrite: bool = True) -> WriteResult:
        send = functools.partial(self.inner.upload_file, local_path, path, overwrite=overwrite)
        return self._upload("upload_file", path, send)

    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        self._count("upload_many")
        refused = [
            TransferResult(src, dst, error=self._refusal(dst))
            for src, dst in pairs
            if dst in self.refuse
        ]
        if callback is not None:
            for item in refused:
                callback(item)
        rest = [pair for pair in pairs if pair[1] not in self.refuse]
        allowed = self._allowed(len(rest))
        done = self.inner.upload_many(rest[:allowed], jobs=jobs, callback=callback)
        # The returned list is authoritative (a batching backend may not call back).
        for result in done:
            if result.ok:
                self._wrote(result.dst)
        if allowed < len(rest):
            self._interrupt()
        return refused + done

    def delete(self, path: str, *, missing_ok: bool = False) -> None:
        self._count("delete")
        self.inner.delete(path, missing_ok=missing_ok)

    def delete_folder(
        self, path: str, *, recursive: bool = False, missing_ok: bool = False
    ) -> None:
        self._count("delete_folder")
        self.inner.delete_folder(path, recursive=recursive, missing_ok=missing_ok)

    def move(self, src: str, dst: str, *, overwrite: bool = False) -> None:
        self._count("move")
        self.inner.move(src, dst, overwrite=overwrite)

    def copy(self, src: str, dst: str, *, overwrite: bool = False) -> WriteResult:
        self._count("copy")
        return self.inner.copy(src, dst, overwrite=overwrite)

    # ----------------------------------------------------------------- bulk
    def exists_many(self, path_list: Iterable[str], *, jobs: int | None = None) -> dict[str, bool]:
        items = list(path_list)
        self._count("exists_many", len(items))
        return self.inner.exists_many(items, jobs=jobs)

    def get_file_info_many(
        self, path_list: Iterable[str], *, jobs: int | None = None
    ) -> dict[str, FileInfo | None]:
        items = list(path_list)
        self._count("get_file_info_many", len(items))
        return self.inner.get_file_info_many(items, jobs=jobs)

    def download_many(
        self,
        items: Sequence[tuple[str, str] | tuple[str, str, str | None]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        self._count("download_many")
        return self.inner.download_many(items, jobs=jobs, callback=callback)

    def download_file(self, path: str, local_path: str, *, version_id: str | None = None) -> None:
        self._count("download_file")
        self.inner.download_file(path, local_path, version_id=version_id)

    # ---------------------------------------------------------------- hooks
    # Only reached through Backend methods not forwarded above; they go to the real
    # backend's public methods so its own checks still apply.
    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        return self.inner.read(path, version_id=version_id)

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        return self.inner.get_file_info(path, version_id=version_id)

    def _folder_info(self, path: str) -> FolderInfo:
        return self.inner.get_folder_info(path)

    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        return self.inner.list_files(path, recursive=recursive)

    def _list_folders(self, path: str) -> Iterable[FolderInfo]:
        return self.inner.list_folders(path)

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        return self.inner.write(path, data, overwrite=overwrite, metadata=metadata)
