"""Moving objects between the local cache and a backend, concurrently and safely.

Uploads use the backend's ``upload_many`` (each object lands whole or not at all).
Downloads go to a temp file inside the cache, are hashed, and only a file whose
md5 matches its id (and, for a manifest, whose paths are safe) is renamed into
the cache. Anything else is deleted and reported: a corrupt object never enters
the cache, so it can never be checked out.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

from dvcremote import manifest as manifest_mod
from dvcremote.backend import paths
from dvcremote.backend.base import DEFAULT_JOBS, Backend
from dvcremote.cache import LocalCache
from dvcremote.errors import (
    BackendError,
    BackendUnavailable,
    DvcRemoteError,
    IntegrityError,
    StorageNotFound,
)
from dvcremote.hashing import CHUNK_SIZE, file_md5
from dvcremote.objects import Obj

if TYPE_CHECKING:
    from dvcremote.backend.types import TransferResult

Progress = Callable[[int], None]
_BASE_DOWNLOAD_MANY = Backend.download_many
UPLOAD_BATCH = 4096
#: Chunks read ahead of the md5 in a big download (memory: this many CHUNK_SIZEs).
_HASH_AHEAD = 4


def upload(
    backend: Backend,
    cache: LocalCache,
    items: Sequence[tuple[Obj, str]],
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[set[Obj], dict[Obj, Exception]]:
    """Upload ``(object, remote path)`` items from the cache; returns (done, failed).

    Items go to the backend's ``upload_many`` in batches, so the per-item records of
    a push of hundreds of thousands of files never all exist at once.
    """
    done: set[Obj] = set()
    failed: dict[Obj, Exception] = {}
    for start in range(0, len(items), UPLOAD_BATCH):
        _upload_batch(
            backend,
            cache,
            items[start : start + UPLOAD_BATCH],
            done,
            failed,
            jobs=jobs,
            progress=progress,
        )
    raise_storage_wide(failed)
    return done, failed


def raise_storage_wide(failed: Mapping[Any, Exception]) -> None:
    """A missing bucket or an unreachable server fails every object alike: raise it
    once, not once per object (a plugin's bulk method may return it per item)."""
    for error in failed.values():
        if isinstance(error, (StorageNotFound, BackendUnavailable)):
            raise error


def _upload_batch(
    backend: Backend,
    cache: LocalCache,
    items: Sequence[tuple[Obj, str]],
    done: set[Obj],
    failed: dict[Obj, Exception],
    *,
    jobs: int | None,
    progress: Progress | None,
) -> None:
    # The object DB builds canonical paths, which the backend reports back unchanged.
    by_dst = {dst: obj for obj, dst in items}
    lock = threading.Lock()

    def on_result(res: TransferResult) -> None:
        obj = by_dst.get(res.dst)
        with lock:
            if obj is not None:
                if res.ok:
                    done.add(obj)
                else:
                    failed[obj] = res.error or BackendError("upload failed", path=res.dst)
        if progress is not None:
            progress(1)

    pairs = [(cache.path(obj), dst) for obj, dst in items]
    results = backend.upload_many(pairs, jobs=jobs, callback=on_result)
    # Backends that batch may not call back per item: the returned list is authoritative.
    for res in results:
        obj = by_dst.get(res.dst)
        if obj is not None and obj not in done and obj not in failed:
            if res.ok:
                done.add(obj)
            else:
                failed[obj] = res.error or BackendError("upload failed", path=res.dst)


def verify(path: str, obj: Obj) -> None:
    """Raise IntegrityError / InvalidManifest unless the file at ``path`` is ``obj``."""
    actual = file_md5(path, obj.hash_name)
    if actual != obj.md5:
        raise IntegrityError(f"object {obj.oid} is corrupt: its content hashes to {actual}")
    if obj.is_dir:
        with open(path, "rb") as f:
            manifest_mod.parse(f.read(), obj.oid)


def download(
    backend: Backend,
    cache: LocalCache,
    items: Sequence[tuple[Obj, str, str | None]],
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[set[Obj], dict[Obj, Exception]]:
    """Download ``(object, remote path, version id)`` items into the cache, verified.

    Returns (objects now in the cache, object -> error). A corrupt download is an
    IntegrityError naming the object and remote path; nothing of it is kept.
    """
    if not items:
        return set(), {}
    if type(backend).download_many is _BASE_DOWNLOAD_MANY:
        # No bulk path of the backend's own to preserve: stream each object and hash
        # it on the way in (one read of the source, no second pass over the file).
        streamed = _download_streaming(backend, cache, items, jobs=jobs, progress=progress)
        raise_storage_wide(streamed[1])
        return streamed
    done: set[Obj] = set()
    failed: dict[Obj, Exception] = {}
    lock = threading.Lock()
    tmps: dict[str, tuple[Obj, str]] = {}
    jobs_list: list[tuple[str, str, str | None]] = []
    cache.ensure_tmp_dirs(obj for obj, _, _ in items)
    for obj, src, version_id in items:
        tmp = cache.tmp_path(obj)
        tmps[tmp] = (obj, src)
        jobs_list.append((src, tmp, version_id))
    handled: set[str] = set()
    committed: set[str] = set()

    def settle(tmp: str, error: Exception | None) -> None:
        obj, src = tmps[tmp]
        if error is None:
            try:
                verify(tmp, obj)
                cache.commit_tmp(tmp, obj)
                with lock:
                    committed.add(tmp)
            except IntegrityError as exc:
                exc.path, exc.backend = paths.normalize(src), backend.name
                exc.args = (exc._render(),)
                error = exc
            except (DvcRemoteError, OSError) as exc:
                error = exc
        if error is not None:
            _unlink_quiet(tmp)
        with lock:
            handled.add(tmp)
            if error is None:
                done.add(obj)
            else:
                failed[obj] = error
        if progress is not None:
            progress(1)

    def on_result(res: TransferResult) -> None:
        if res.dst in tmps and res.dst not in handled:
            settle(res.dst, res.error)

    try:
        results = backend.download_many(jobs_list, jobs=jobs, callback=on_result)
        for res in results:
            if res.dst in tmps and res.dst not in handled:
                settle(res.dst, res.error)
    finally:
        for tmp in tmps.keys() - committed:  # an interrupted or failed one must not linger
            _unlink_quiet(tmp)
    raise_storage_wide(failed)
    return done, failed


class _Fetch:
    """One object streamed from the backend into a cache temp file, hashed on the way.

    ``start`` reads up to two chunks and finishes a small object at once; a bigger
    one is left half-way for ``rest``, which another thread may run (hashing is
    the work worth spreading over cores). Nothing but a verified file is ever
    committed; on any error the temp file goes."""

    def __init__(
        self, backend: Backend, cache: LocalCache, obj: Obj, src: str, version_id: str | None
    ) -> None:
        self.backend, self.cache, self.obj = backend, cache, obj
        self.src, self.version_id = src, version_id
        self.h = hashlib.md5(usedforsecurity=False)
        self.stream: BinaryIO | None = None
        self.fd = -1
        self.tmp = ""

    def start(self) -> bool:
        """True when the object is complete (and committed)."""
        try:
            self.stream = self.backend.read(self.src, version_id=self.version_id)
            self.fd, self.tmp = self.cache.open_tmp(self.obj)
            if self._take(self.stream.read(CHUNK_SIZE)) and self._take(
                self.stream.read(CHUNK_SIZE)
            ):
                return False
            self._complete()
            return True
        except BaseException as exc:
            self._fail(exc)
            raise

    def rest(self) -> None:
        """Read and write the rest while another thread hashes what was read.

        md5 is the slowest step of a big download (one core, slower than a copy) and
        releases the GIL, so hashing chunk N beside reading and writing chunk N+1 hides
        the copy. One hashing thread keeps the chunks in order."""
        try:
            assert self.stream is not None
            with ThreadPoolExecutor(max_workers=1) as hasher:
                hashing: deque[Future[None]] = deque()
                try:
                    while chunk := self.stream.read(CHUNK_SIZE):
                        hashing.append(hasher.submit(self.h.update, chunk))
                        self._write(chunk)
                        while len(hashing) > _HASH_AHEAD:  # bound the chunks held
                            hashing.popleft().result()
                finally:
                    for future in hashing:
                        future.result()
            self._complete()
        except BaseException as exc:
            self._fail(exc)
            raise

    def _take(self, chunk: bytes) -> bool:
        if not chunk:
            return False
        self.h.update(chunk)
        self._write(chunk)
        return True

    def _write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            view = view[os.write(self.fd, view) :]

    def _close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)
        if self.stream is not None:
            stream, self.stream = self.stream, None
            stream.close()

    def _complete(self) -> None:
        self._close()
        obj = self.obj
        if obj.legacy or obj.is_dir:
            verify(self.tmp, obj)
        elif self.h.hexdigest() != obj.md5:
            raise IntegrityError(f"object {obj.oid} is corrupt: its content hashes to "
                                 f"{self.h.hexdigest()}")
        self.cache.commit_tmp(self.tmp, obj, readonly=True)
        self.tmp = ""

    def abandon(self) -> None:
        """Give up a fetch that ``rest`` will never finish (an interrupted pull)."""
        self._fail(None)

    def _fail(self, exc: BaseException | None) -> None:
        try:
            self._close()
        except Exception:  # noqa: BLE001, S110 - the first error is the one to report
            pass
        if self.tmp:
            _unlink_quiet(self.tmp)
            self.tmp = ""
        if isinstance(exc, IntegrityError):
            exc.path, exc.backend = paths.normalize(self.src), self.backend.name
            exc.args = (exc._render(),)


def _fetch_one(
    backend: Backend, cache: LocalCache, obj: Obj, src: str, version_id: str | None
) -> None:
    fetch = _Fetch(backend, cache, obj, src, version_id)
    if not fetch.start():
        fetch.rest()


def _download_streaming(
    backend: Backend,
    cache: LocalCache,
    items: Sequence[tuple[Obj, str, str | None]],
    *,
    jobs: int | None,
    progress: Progress | None,
) -> tuple[set[Obj], dict[Obj, Exception]]:
    if jobs is None and backend.SMALL_IO_IN_ONE_THREAD:
        return _download_small_inline(backend, cache, items, progress=progress)
    done: set[Obj] = set()
    failed: dict[Obj, Exception] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def run(batch: Sequence[tuple[Obj, str, str | None]]) -> None:
        for obj, src, version_id in batch:
            if stop.is_set():
                return
            try:
                _fetch_one(backend, cache, obj, src, version_id)
            except BackendUnavailable:
                stop.set()  # the storage is gone: the other workers start nothing more
                raise
            except (DvcRemoteError, OSError) as exc:
                with lock:
                    failed[obj] = exc
            except BaseException:
                stop.set()  # an interrupt: the other workers stop after their current item
                raise
            else:
                with lock:
                    done.add(obj)
            if progress is not None:
                progress(1)

    workers = max(1, min(jobs or DEFAULT_JOBS, len(items)))
    size = max(1, min(64, len(items) // (workers * 4) or 1))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    if workers == 1:
        run(items)
        return done, failed
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, b) for b in batches]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()
            raise
    return done, failed


def _download_small_inline(
    backend: Backend,
    cache: LocalCache,
    items: Sequence[tuple[Obj, str, str | None]],
    *,
    progress: Progress | None,
) -> tuple[set[Obj], dict[Obj, Exception]]:
    """Small objects in this thread, the rest of big ones on a few workers.

    For a local disk a small object is a handful of system calls: several threads
    doing them only fight over the GIL (measured: about twice the CPU for 10,000
    small files). Hashing a big object is worth another core."""
    done: set[Obj] = set()
    failed: dict[Obj, Exception] = {}
    workers = os.cpu_count() or 1
    pool: ThreadPoolExecutor | None = None
    running: deque[tuple[Obj, _Fetch, Future[None]]] = deque()

    def settle(obj: Obj, _: _Fetch, future: Future[None]) -> None:
        try:
            future.result()
        except BackendUnavailable:
            raise  # the storage is gone: stop the whole download
        except (DvcRemoteError, OSError) as exc:
            failed[obj] = exc
        else:
            done.add(obj)
        if progress is not None:
            progress(1)

    try:
        for obj, src, version_id in items:
            fetch = _Fetch(backend, cache, obj, src, version_id)
            try:
                complete = fetch.start()
            except BackendUnavailable:
                raise
            except (DvcRemoteError, OSError) as exc:
                failed[obj] = exc
                complete = True
            else:
                if complete:
                    done.add(obj)
            if complete:
                if progress is not None:
                    progress(1)
                continue
            if pool is None:
                pool = ThreadPoolExecutor(max_workers=workers)
            while len(running) >= 2 * workers:  # bound the open files in flight
                settle(*running.popleft())
            running.append((obj, fetch, pool.submit(fetch.rest)))
        while running:
            settle(*running.popleft())
    except BaseException:
        for _, fetch, future in running:
            if future.cancel():  # never started: its temp file is still ours to remove
                fetch.abandon()
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return done, failed


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
