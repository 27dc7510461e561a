"""Restoring workspace paths from the cache, losing nothing that is not safe elsewhere.

A workspace file is replaced or deleted only when its current content is in the
cache (so it can be checked out again) or when forced; otherwise it is kept and
reported. Nothing is written through a symlink that leads out of the workspace,
into ``.git``/``.dvc`` or into the cache (see :mod:`dvcremote.workspace_paths`).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from dvcremote.errors import DvcRemoteError
from dvcremote.index import output_obj
from dvcremote.manifest import Manifest
from dvcremote.objects import Obj
from dvcremote.placing import Placer
from dvcremote.progress import NULL, Progress
from dvcremote.results import CheckoutResult
from dvcremote.staging import Stager, is_exec
from dvcremote.state import StatKey

if TYPE_CHECKING:
    from dvcremote.dvcfile import Output
    from dvcremote.repo import Repo

KEPT = "local changes kept (their content is not in the cache; use force to overwrite)"
UNTRACKED_KEPT = "untracked file kept (its content is not in the cache; use force to delete)"
NO_HASH = "no hash recorded in its .dvc file"
#: dvc downloads an ``import-url --no-download`` output from its source into
#: ``.dvc/cache/fs/``; dvcremote reads no import source but a repo import's.
PARTIAL_IMPORT = (
    "partial import (import-url --no-download): dvcremote does not download from"
    " import-url sources; use dvc pull or dvc update"
)


class _Checkout:
    def __init__(self, repo: Repo, *, force: bool, jobs: int | None, progress: Progress) -> None:
        self.repo = repo
        self.root = repo.root
        self._prefix = self.root.rstrip("/") + "/"
        self.paths = repo.paths
        self.cache = repo.cache
        self.force = force
        # One thread unless -j says otherwise: each file is a few system calls (the
        # copy itself runs in the kernel), and threads doing those only contend for the GIL.
        self.jobs = max(1, jobs or 1)
        self.progress = progress
        self.stager = Stager(repo.root, repo.state, None, jobs=jobs)
        self.placer = Placer(repo.dvc_dir)
        self.verifier = repo.verifier
        self.added: list[str] = []
        self.modified: list[str] = []
        self.deleted: list[str] = []
        self.unchanged = 0
        self.failed: dict[str, str] = {}
        self._lock = threading.Lock()

    def full(self, rel: str) -> str:
        if os.sep == "/":  # posix relpaths are native paths already (hot: once per file)
            return self._prefix + rel
        return os.path.join(self.root, *rel.split("/"))

    # -- one output ----------------------------------------------------------------------
    def output(self, out: Output) -> None:
        path = out.repo_path
        obj, manifest = output_obj(out)
        if obj is None:
            self.failed[path] = PARTIAL_IMPORT if out.is_partial_import else NO_HASH
            return
        unsafe = self.paths.problem(path)
        if unsafe is not None:
            self.failed[path] = f"{unsafe}; not touched"
            return
        if obj.is_dir:
            if manifest is None:
                bad = self.verifier.check(obj)
                if bad is not None:
                    self.failed[path] = str(bad)
                    return
                try:
                    manifest = self.cache.load_manifest(obj)
                except DvcRemoteError as exc:
                    self.failed[path] = str(exc)
                    return
            self.directory(path, obj, manifest, out.exec_files)
        else:
            self.file(path, obj, isexec=out.isexec)

    def _in_cache_or_forced(self, rel: str, hash_name: str) -> bool:
        if self.force:
            return True
        try:
            current = self.stager.stage(rel, commit=False, hash_name=hash_name)
        except OSError:
            return False
        return self._intact(current.obj)

    def _intact(self, obj: Obj) -> bool:
        """Whether the cache holds ``obj`` with content matching its name."""
        return obj in self.verifier.intact([obj])[0]

    def file(self, path: str, obj: Obj, *, isexec: bool = False) -> None:
        full = self.full(path)
        good, corrupt = self.verifier.intact([obj])
        if obj not in good:
            bad = corrupt.get(obj)
            self.failed[path] = str(bad) if bad else f"object {obj.oid} is not in the cache"
            return
        existed = os.path.lexists(full)
        if existed:
            if os.path.isdir(full) and not os.path.islink(full):
                if not self.force:
                    self.failed[path] = "a directory is in the way (use force to replace it)"
                    return
                shutil.rmtree(full)
            else:
                try:
                    current = self.stager.stage(path, commit=False, hash_name=obj.hash_name)
                except OSError:
                    current = None
                if current is not None and current.obj == obj:
                    if isexec:
                        set_exec(full)
                    self.unchanged += 1
                    return
                if not (self.force or (current is not None and self._intact(current.obj))):
                    self.failed[path] = KEPT
                    return
        os.makedirs(os.path.dirname(full), exist_ok=True)
        self._link(path, obj, isexec)
        (self.modified if existed else self.added).append(path)

    def _link(self, rel: str, obj: Obj, isexec: bool = False) -> None:
        """Put ``obj`` at ``rel`` through a temp name: a killed run leaves the old file
        or the new one there, never a partial one."""
        full = self.full(rel)

        def make(tmp: str) -> None:
            self.cache.checkout(obj, tmp)
            if isexec:
                set_exec(tmp)

        self.placer.place(full, make)
        self.repo.state.put(rel, obj.hash_name, StatKey.of(os.stat(full)), obj.oid)
        self.progress.update(1)

    def directory(
        self, path: str, obj: Obj, manifest: Manifest, execs: frozenset[str] = frozenset()
    ) -> None:
        """``execs``: the relpaths recorded as executable (``files:`` form only)."""
        full = self.full(path)
        if os.path.lexists(full) and not (os.path.isdir(full) and not os.path.islink(full)):
            # A file (or a link) sits where the directory goes.
            if not self._in_cache_or_forced(path, obj.hash_name):
                self.failed[path] = KEPT
                return
            os.unlink(full)
        existing: dict[str, str] = {}
        if os.path.isdir(full):
            staged = self.stager.stage(path, commit=False, hash_name=obj.hash_name)
            assert staged.manifest is not None
            existing = dict(staged.manifest.entries)
        wanted = dict(manifest.entries)
        legacy = obj.legacy
        in_cache, corrupt = self.verifier.intact(
            {Obj(m, legacy) for m in wanted.values()} | {Obj(m, legacy) for m in existing.values()}
        )
        removed_any = False
        todo: list[tuple[str, Obj, bool]] = []  # (relpath, object, replaces an existing file)
        for rel, md5 in existing.items():
            target = wanted.get(rel)
            if target == md5:
                if rel in execs:
                    set_exec(self.full(f"{path}/{rel}"))
                self.unchanged += 1
                continue
            child = f"{path}/{rel}"
            if not (self.force or Obj(md5, legacy) in in_cache):
                self.failed[child] = KEPT if target is not None else UNTRACKED_KEPT
                continue
            unsafe = self.paths.resolved_problem(self.full(child))
            if unsafe is not None:  # a symlinked folder inside the directory
                self.failed[child] = f"{unsafe}; not touched"
                continue
            if target is None:
                os.unlink(self.full(child))
                removed_any = True
                self.deleted.append(child)
            # a file to be replaced stays until its new content is renamed over it
        if removed_any:
            _prune_empty_dirs(full)
        for rel, md5 in wanted.items():
            if existing.get(rel) == md5:
                continue
            child = f"{path}/{rel}"
            if child in self.failed:
                continue
            child_obj = Obj(md5, legacy)
            if child_obj not in in_cache:
                bad = corrupt.get(child_obj)
                self.failed[child] = str(bad) if bad else f"object {md5} is not in the cache"
                continue
            todo.append((child, child_obj, rel in existing))
        os.makedirs(full, exist_ok=True)
        folders = sorted({posixpath.dirname(c) for c, _, _ in todo} - {path})
        for folder in folders:
            folder_full = self.full(folder)
            unsafe = self.paths.resolved_problem(os.path.join(folder_full, "x"))
            if unsafe is not None:
                for c, _, _ in todo:
                    if c.startswith(folder + "/"):
                        self.failed[c] = unsafe
                continue
            try:
                os.makedirs(folder_full, exist_ok=True)
            except OSError as exc:
                for c, _, _ in todo:
                    if c.startswith(folder + "/"):
                        self.failed[c] = f"cannot create its folder: {exc.strerror}"
        todo = [t for t in todo if t[0] not in self.failed]

        def one(item: tuple[str, Obj, bool]) -> None:
            child, child_obj, replaced = item
            try:
                self._link(child, child_obj, bool(execs) and child[len(path) + 1 :] in execs)
            except OSError as exc:
                with self._lock:
                    self.failed[child] = f"cannot write it: {exc.strerror or exc}"
                return
            with self._lock:
                (self.modified if replaced else self.added).append(child)

        def run_chunk(chunk: list[tuple[str, Obj, bool]]) -> None:
            for item in chunk:
                one(item)

        if len(todo) > 1 and self.jobs > 1:
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                chunks = [todo[i : i + 64] for i in range(0, len(todo), 64)]
                for _ in pool.map(run_chunk, chunks):
                    pass
        else:
            for item in todo:
                one(item)

    def result(self) -> CheckoutResult:
        return CheckoutResult(
            added=tuple(sorted(self.added)),
            modified=tuple(sorted(self.modified)),
            deleted=tuple(sorted(self.deleted)),
            unchanged=self.unchanged,
            failed=dict(sorted(self.failed.items())),
        )


def set_exec(path: str) -> None:
    """Make an ``isexec`` file executable as DVC does: add the owner's bit unless some
    execute bit is set. Through a hardlink or symlink that is the cache file's mode,
    as with DVC; a file we may not change is left as it is, as DVC leaves it."""
    try:
        mode = os.stat(path).st_mode
        if not is_exec(mode):
            os.chmod(path, stat.S_IMODE(mode) | stat.S_IXUSR)
    except OSError:
        pass


def _prune_empty_dirs(top: str) -> None:
    for folder, dirs, files in os.walk(top, topdown=False):
        if folder != top and not dirs and not files:
            try:
                os.rmdir(folder)
            except OSError:
                pass
        elif folder != top:
            # os.walk's lists are stale once children were removed: re-check.
            try:
                if not os.listdir(folder):
                    os.rmdir(folder)
            except OSError:
                pass


def checkout_outputs(
    repo: Repo,
    outputs: Sequence[Output],
    *,
    force: bool = False,
    jobs: int | None = None,
    progress: Progress = NULL,
) -> CheckoutResult:
    job = _Checkout(repo, force=force, jobs=jobs, progress=progress)
    job.placer.clean_stale()
    total = sum((o.nfiles or 1) for o in outputs)
    progress.start("Checking out", total)
    try:
        for out in outputs:
            if out.use_cache:
                job.output(out)
    finally:
        progress.close()
        repo.state.commit()
    return job.result()
