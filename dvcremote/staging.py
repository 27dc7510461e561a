"""Hashing workspace paths into objects, and (for ``add``) storing them in the cache.

One ``scandir`` walk per directory, the stat-keyed state for files seen before,
and a thread pool for the rest: hashlib and file I/O release the GIL, so both
cores work. Large files stream in chunks; in copy mode they are hashed as they are
copied into the cache (what the cache holds is what was hashed), and a link into
the cache is kept only if the file did not change while it was hashed.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dvcremote.cache import LocalCache
from dvcremote.dvcignore import BUILTIN_DIRS, DvcIgnore, Walker
from dvcremote.errors import FileChanged
from dvcremote.hashing import MD5, bytes_md5, file_md5
from dvcremote.integrity import CacheVerifier
from dvcremote.manifest import Manifest
from dvcremote.objects import Obj
from dvcremote.placing import SIBLING_SUFFIX, Placer, remove_if_stale
from dvcremote.state import StateDB, StatKey

#: Files up to this size are read whole (one read, no streaming loop).
SMALL_FILE = 4 << 20
#: Files up to this size are hashed in the calling thread when no job count is given.
INLINE_MAX = 256 << 10
#: Folder names never part of a tracked directory (DVC ignores them too).
IGNORED_DIRS = BUILTIN_DIRS
_BATCH = 64
#: Tries at a file that is written to while it is added, before giving up on it.
_ATTEMPTS = 3

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Staged:
    """What a workspace path hashes to."""

    obj: Obj
    size: int
    nfiles: int | None = None
    manifest: Manifest | None = None
    #: A file output's exec bit as found before it was cached (DVC's ``isexec``).
    isexec: bool = False


def is_exec(mode: int) -> bool:
    """DVC's rule: any execute bit (user, group or other) makes a file ``isexec``."""
    return bool(mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


@dataclass
class _File:
    rel: str  # relative to the staged path's root ("" for a single file)
    full: str
    key: StatKey
    md5: str | None = None


def walk_files(root: str, ignore: Walker | None = None) -> list[tuple[str, str, os.stat_result]]:
    """(relpath, full path, stat) of every file under ``root``; symlinked files followed.

    ``ignore`` leaves out what ``.dvcignore`` rules say (without it, only the folders
    DVC never enters)."""
    found: list[tuple[str, str, os.stat_result]] = []
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                rel = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in IGNORED_DIRS:
                        continue
                    if ignore is None or not ignore.skip(rel, entry.name, True, entry.path):
                        stack.append((rel + "/", entry.path))
                    continue
                if entry.name.endswith(SIBLING_SUFFIX):
                    remove_if_stale(entry.path)  # a killed run's temp: never data
                    continue
                if entry.name == ".git":
                    continue
                if ignore is not None and ignore.skip(rel, entry.name, False, entry.path):
                    continue
                try:
                    # Follows symlinks: a symlink-mode checkout points into the cache.
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    found.append((rel, entry.path, st))
    return found


class Stager:
    """Hashes (and optionally caches) workspace paths for one command run."""

    def __init__(
        self,
        root: str,
        state: StateDB,
        cache: LocalCache | None = None,
        *,
        jobs: int | None = None,
        progress: Progress | None = None,
        on_total: Callable[[str, int], None] | None = None,
    ) -> None:
        self.root = root
        self.state = state
        self.cache = cache
        self.jobs = max(1, jobs or (os.cpu_count() or 1))
        #: Without an explicit job count, small files are hashed in the calling thread.
        self._adaptive = jobs is None
        self.progress = progress
        #: Told (path, number of files) before a path's files are hashed.
        self.on_total = on_total
        self._lock = threading.Lock()
        self.ignore = DvcIgnore(root)
        self.placer = Placer(os.path.join(root, ".dvc"))
        self.verifier = CacheVerifier(cache, state) if cache is not None else None

    def stage(self, relpath: str, *, commit: bool, hash_name: str = MD5) -> Staged:
        """Hash ``relpath`` (repo-relative posix); with ``commit`` put it in the cache too."""
        full = os.path.join(self.root, *relpath.split("/"))
        st = os.stat(full)
        if stat.S_ISDIR(st.st_mode):
            return self._stage_dir(relpath, full, commit, hash_name)
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFoundError(f"{relpath!r} is not a regular file or directory")
        f = _File("", full, StatKey.of(st))
        self._run([f], relpath, commit, hash_name, self.state.load(relpath, hash_name))
        assert f.md5 is not None
        return Staged(Obj(f.md5, hash_name != MD5), f.key.size, isexec=is_exec(st.st_mode))

    def file_meta(self, relpath: str) -> Callable[[str], dict[str, int | bool]]:
        """What a new ``files:`` entry of directory ``relpath`` records besides its md5
        (``size``, and ``isexec`` when set), read from the workspace on demand: only
        files whose content changed since a version-aware push need it."""
        folder = os.path.join(self.root, *relpath.split("/"))

        def meta(inner: str) -> dict[str, int | bool]:
            st = os.stat(os.path.join(folder, *inner.split("/")))
            found: dict[str, int | bool] = {"size": st.st_size}
            if is_exec(st.st_mode):
                found["isexec"] = True
            return found

        return meta

    def _stage_dir(self, relpath: str, full: str, commit: bool, hash_name: str) -> Staged:
        walk = walk_files(full, self.ignore.walker(relpath))
        files = [_File(rel, path, StatKey.of(st)) for rel, path, st in walk]
        known = self.state.load(relpath, hash_name)
        self._run(files, relpath, commit, hash_name, known)
        manifest = Manifest.build(((f.rel, f.md5 or "") for f in files), oid=relpath)
        obj = Obj(manifest.oid, hash_name != MD5)
        if commit and self.cache is not None:
            if not self.cache.exists(obj):
                self.cache.add_bytes(obj, manifest.to_bytes())
            self.cache.remember_manifest(obj, manifest)
        return Staged(obj, sum(f.key.size for f in files), len(files), manifest)

    def _run(
        self,
        files: Sequence[_File],
        base: str,
        commit: bool,
        hash_name: str,
        known: dict[str, tuple[StatKey, str]],
    ) -> None:
        if self.on_total is not None:
            self.on_total(base, len(files))
        todo: list[_File] = []
        for f in files:
            state_path = f"{base}/{f.rel}" if f.rel else base
            hit = known.get(state_path)
            if hit is not None and hit[0] == f.key:
                f.md5 = hit[1]
            todo.append(f)
        if commit and self.verifier is not None:
            self.cache.probe_links()  # type: ignore[union-attr]
            legacy = hash_name != MD5
            # A corrupt object is removed here, so this add stores it again.
            present, _ = self.verifier.intact(Obj(f.md5, legacy) for f in todo if f.md5)
        else:
            present = set()

        def one(f: _File) -> None:
            self._one_retrying(f, base, commit, hash_name, present)

        if len(todo) <= 1 or self.jobs == 1:
            for f in todo:
                one(f)
            return
        # A small file is a few system calls and a short md5: threads doing those only
        # contend for the GIL (about 1.5x the CPU for 10,000 small files, measured), so
        # unless -j was given they stay in this thread while workers take the big ones.
        inline = [f for f in todo if f.key.size <= INLINE_MAX] if self._adaptive else []
        pooled = [f for f in todo if f.key.size > INLINE_MAX] if self._adaptive else todo
        batches = [pooled[i : i + _BATCH] for i in range(0, len(pooled), _BATCH)]
        if not batches:
            for f in inline:
                one(f)
            return
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(batches))) as pool:
            futures = [pool.submit(_each, one, batch) for batch in batches]
            try:
                for f in inline:
                    one(f)
            except BaseException:
                for future in futures:
                    future.cancel()  # start no more batches; the running ones end
                raise
            for future in futures:
                future.result()

    def _one_retrying(
        self, f: _File, base: str, commit: bool, hash_name: str, present: set[Obj]
    ) -> None:
        """:meth:`_one`, again from a fresh stat if the file was written to meanwhile."""
        for _ in range(_ATTEMPTS - 1):
            try:
                self._one(f, base, commit, hash_name, present)
                return
            except FileChanged:
                f.key = StatKey.of(os.stat(f.full))
                f.md5 = None
        try:
            self._one(f, base, commit, hash_name, present)
        except FileChanged:
            raise FileChanged(f"{base}/{f.rel}" if f.rel else base) from None

    def _one(self, f: _File, base: str, commit: bool, hash_name: str, present: set[Obj]) -> None:
        legacy = hash_name != MD5
        cache = self.cache if commit else None
        state_path = f"{base}/{f.rel}" if f.rel else base
        if f.md5 is not None:
            obj = Obj(f.md5, legacy)
            if cache is None or obj in present:
                self._tick()
                return
            relinked = cache.store_file(f.full, obj, f.key, self.placer)
        else:
            data: bytes | None = None
            hashed_copy: str | None = None  # a cache temp file holding what was hashed
            if f.key.size <= SMALL_FILE:
                data = _read_all(f.full, f.key.size)
                f.md5 = bytes_md5(data, hash_name)
            elif cache is not None and cache.linker.preferred == "copy":
                f.md5, hashed_copy = cache.copy_hashing(f.full, hash_name)
            else:
                f.md5 = file_md5(f.full, hash_name)
            obj = Obj(f.md5, legacy)
            relinked = False
            if cache is not None:
                in_cache = self._intact(obj)
                if hashed_copy is not None:
                    _commit_or_drop(cache, hashed_copy, obj, keep=not in_cache)
                else:
                    relinked = cache.store_file(
                        f.full, obj, f.key, self.placer, data=data, in_cache=in_cache
                    )
            if not relinked:
                self.state.put(state_path, hash_name, f.key, f.md5)
        if relinked:
            self.state.put(state_path, hash_name, StatKey.of(os.stat(f.full)), obj.oid)
        self._tick()

    def _intact(self, obj: Obj) -> bool:
        assert self.verifier is not None
        return obj in self.verifier.intact([obj])[0]

    def _tick(self) -> None:
        if self.progress is not None:
            with self._lock:
                self.progress(1)


def _each(fn: Callable[[_File], None], items: Sequence[_File]) -> None:
    for item in items:
        fn(item)


def _commit_or_drop(cache: LocalCache, tmp: str, obj: Obj, *, keep: bool) -> None:
    """Publish a hashed copy as ``obj``, or drop it (the cache has ``obj`` already)."""
    try:
        if keep:
            cache.commit_tmp(tmp, obj, readonly=True)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _read_all(path: str, size: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        # The file grew since its stat: read the rest too.
        parts = [data]
        while chunk := os.read(fd, 1 << 20):
            parts.append(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)
