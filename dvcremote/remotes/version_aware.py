"""The version-aware remote: files at their workspace paths, versions recorded in ``.dvc`` files.

The storage keeps every version of every file, so the ``.dvc`` files say *which*
version holds the tracked bytes (``cloud: {<remote>: {etag, version_id}}``, a
directory in the ``files:`` list form). A recorded version stays readable after
someone overwrites or deletes the current file, so fetch always reads exactly
what was pushed, and verifies it against its md5 before it enters the cache.

A ``.dvc`` file records versions for one remote at a time (DVC's format): a push
to another version-aware remote replaces the record with that remote's own ids.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from dvcremote import transfer
from dvcremote.backend.capabilities import Capability
from dvcremote.errors import (
    BackendError,
    DvcRemoteError,
    NotAFile,
    NotFound,
    ObjectMissing,
    VersioningNotEnabled,
)
from dvcremote.index import output_obj
from dvcremote.manifest import Manifest
from dvcremote.objects import Obj
from dvcremote.progress import NULL, Progress
from dvcremote.remotes.base import Remote
from dvcremote.results import DELETED, MISSING, NEW, OK, StatusResult, TransferSummary

if TYPE_CHECKING:
    from dvcremote.backend.types import FileInfo, TransferResult
    from dvcremote.dvcfile import Output

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Worker threads for per-file metadata calls when neither the call nor the config says.
_META_JOBS = 16


# ------------------------------------------------------------------------ what is tracked
@dataclass
class TrackedFile:
    """One file of an output, as this remote sees it."""

    #: Remote path: the file's workspace path, relative to the repository root.
    path: str
    obj: Obj
    size: int | None
    #: This remote's ``{etag, version_id}`` from the ``.dvc`` file, if it has one.
    record: Mapping[str, Any] | None
    #: Path inside its directory output (None for a file output).
    relpath: str | None = None

    @property
    def version_id(self) -> str | None:
        return str(self.record["version_id"]) if self.record else None


@dataclass
class TrackedOutput:
    """An output and its files; a directory's files come from its manifest."""

    out: Output
    obj: Obj
    files: list[TrackedFile] = field(default_factory=list)
    manifest: Manifest | None = None
    #: A directory whose manifest is nowhere to be found: its files are unknown.
    unavailable: bool = False

    @property
    def path(self) -> str:
        return self.out.repo_path

    @property
    def is_dir(self) -> bool:
        return self.obj.is_dir


def record_of(item: Mapping[str, Any], remote: str) -> Mapping[str, Any] | None:
    """The ``cloud: {remote: {...}}`` record of an output or ``files:`` entry, if usable."""
    cloud = item.get("cloud")
    if not isinstance(cloud, Mapping):
        return None
    meta = cloud.get(remote)
    if isinstance(meta, Mapping) and isinstance(meta.get("version_id"), str):
        return meta
    return None


def make_record(etag: str | None, version_id: str) -> dict[str, str]:
    """A ``cloud:`` record in DVC's key order (``etag`` first, omitted when unknown)."""
    return {"etag": etag, "version_id": version_id} if etag else {"version_id": version_id}


def file_entry(
    relpath: str, md5: str, size: int | None, remote: str, record: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A new ``files:`` entry in DVC's key order."""
    entry: dict[str, Any] = {"relpath": relpath, "md5": md5}
    if size is not None:
        entry["size"] = size
    if record:
        entry["cloud"] = {remote: dict(record)}
    return entry


# ------------------------------------------------------------------------------ adapter
class VersionAwareRemote(Remote):
    kind = "version_aware"
    records_versions = True

    # -- set-up --------------------------------------------------------------------------
    def check(self) -> None:
        """Refuse storage that keeps no versions now, before anything is written."""
        backend = self.backend
        what = "worktree" if self.kind == "worktree" else "version-aware"
        if not backend.supports(Capability.VERSIONING):
            hint = (
                f"; for a local directory: dvcremote remote modify {self.name} versioning true"
                if backend.name == "local"
                else ""
            )
            raise VersioningNotEnabled(
                f"remote {self.name!r} is {what}, but its storage does not keep versions"
                f" (no {Capability.VERSIONING} capability at {backend.location or 'its URL'})"
                f"{hint}",
                backend=backend.name,
            )
        # Storage that can have versioning switched off (an S3 bucket) says so here.
        backend.check_versioning()

    def _pool_map(self, fn: Callable[[_T], _R], items: Sequence[_T], jobs: int | None) -> list[_R]:
        if len(items) <= 1:
            return [fn(i) for i in items]
        workers = min(self.jobs(jobs) or _META_JOBS, len(items))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, items))

    # -- reading the outputs -------------------------------------------------------------
    def _remote_manifest(self, obj: Obj) -> Manifest | None:
        """A manifest this remote keeps for itself (worktree remotes do); None here."""
        return None

    def _manifest(self, obj: Obj) -> Manifest | None:
        try:
            return self.cache.load_manifest(obj)
        except ObjectMissing:
            return self._remote_manifest(obj)

    def tracked(self, outputs: Sequence[Output], *, for_push: bool = False) -> list[TrackedOutput]:
        """The outputs' files with this remote's records; a manifest missing from the
        cache is looked for on the remote (where a worktree remote keeps it)."""
        found: list[TrackedOutput] = []
        for out in outputs:
            if not out.use_cache or (for_push and not out.can_push):
                continue
            obj, manifest = output_obj(out)
            if obj is None:
                continue
            tracked = TrackedOutput(out, obj)
            found.append(tracked)
            base = out.repo_path
            if not obj.is_dir:
                tracked.files.append(
                    TrackedFile(base, obj, out.size, record_of(out.raw, self.name))
                )
                continue
            entries: dict[str, Mapping[str, Any]] = {}
            if manifest is not None:
                entries = {str(e["relpath"]): e for e in out.files or ()}
            else:
                manifest = self._manifest(obj)
                if manifest is None:
                    tracked.unavailable = True
                    continue
            tracked.manifest = manifest
            for relpath, md5 in manifest:
                child = Obj(md5, obj.legacy)
                entry = entries.get(relpath)
                if entry is not None:
                    size = entry.get("size")
                    record = record_of(entry, self.name)
                else:
                    size, record = self._cached_size(child), None
                tracked.files.append(
                    TrackedFile(
                        f"{base}/{relpath}",
                        child,
                        size if isinstance(size, int) else None,
                        record,
                        relpath,
                    )
                )
        return found

    def _cached_manifest(self, oid: str, legacy: bool) -> Manifest | None:
        try:
            return self.cache.load_manifest(Obj(oid, legacy))
        except DvcRemoteError:
            return None

    def _cached_size(self, obj: Obj) -> int | None:
        try:
            return os.stat(self.cache.path(obj)).st_size
        except OSError:
            return None

    # -- what the remote holds -----------------------------------------------------------
    def _info(self, path: str) -> FileInfo | None:
        try:
            return self.backend.get_file_info(path)
        except (NotFound, NotAFile):
            return None

    def current(
        self, tracked: Sequence[TrackedOutput], *, jobs: int | None = None
    ) -> dict[str, FileInfo]:
        """The remote's current files at the outputs' paths: one listing per directory
        output, one metadata call per file output."""
        found: dict[str, FileInfo] = {}
        for t in tracked:
            if t.is_dir:
                for info in self.backend.list_files(t.path, recursive=True):
                    found[info.path] = info
        singles = [t.path for t in tracked if not t.is_dir]
        for path, single in zip(singles, self._pool_map(self._info, singles, jobs)):
            if single is not None:
                found[path] = single
        return found

    def with_version_ids(
        self, infos: Mapping[str, FileInfo], wanted: Iterable[str], *, jobs: int | None = None
    ) -> dict[str, FileInfo]:
        """Listings may omit version ids: ask for the ``wanted`` paths that lack one."""
        out = dict(infos)
        lacking = sorted({p for p in wanted if p in out and not out[p].version_id})
        for path, info in zip(lacking, self._pool_map(self._info, lacking, jobs)):
            if info is None:
                del out[path]
            else:
                out[path] = info
        return out

    def recorded_present(
        self,
        files: Iterable[TrackedFile],
        current: Mapping[str, FileInfo],
        *,
        jobs: int | None = None,
    ) -> set[str]:
        """Paths whose recorded version exists on the remote (current or not)."""
        present: set[str] = set()
        ask: list[tuple[str, str]] = []
        for f in files:
            vid = f.version_id
            if vid is None:
                continue
            info = current.get(f.path)
            if info is not None and info.version_id == vid:
                present.add(f.path)
            else:
                ask.append((f.path, vid))
        ask = sorted(set(ask))

        def exists(item: tuple[str, str]) -> bool:
            try:
                return self.backend.exists(item[0], version_id=item[1])
            except NotFound:
                return False

        for (path, _), ok in zip(ask, self._pool_map(exists, ask, jobs)):
            if ok:
                present.add(path)
        return present

    # -- status --------------------------------------------------------------------------
    def status(
        self, outputs: Sequence[Output], *, jobs: int | None = None, method: str = "auto"
    ) -> StatusResult:
        """Per file: ``ok`` when its recorded version is on the remote and the cache has
        it, ``new`` when only the cache has it, ``deleted`` when only the remote's
        recorded version does, ``missing`` when neither. A directory whose manifest
        is nowhere is reported by its own id."""
        tracked = self.tracked(outputs)
        files = [f for t in tracked for f in t.files]
        current = self.current([t for t in tracked if any(f.record for f in t.files)], jobs=jobs)
        present = self.recorded_present(files, current, jobs=jobs)
        local = self.cache.present({f.obj for f in files})
        in_remote: dict[str, bool] = {}
        in_local: dict[str, bool] = {}
        paths: dict[str, str] = {}
        for f in files:
            here, there = f.obj in local, f.path in present
            in_local[f.obj.oid] = here
            in_remote[f.obj.oid] = in_remote.get(f.obj.oid, False) or there
            paths[f.path] = _state(here, there)
        for t in tracked:
            if t.unavailable:
                here = self.cache.exists(t.obj)
                in_local[t.obj.oid] = here
                in_remote.setdefault(t.obj.oid, False)
                paths[t.path] = _state(here, False)
        by_state: dict[str, set[str]] = {OK: set(), NEW: set(), DELETED: set(), MISSING: set()}
        for oid, there in in_remote.items():
            by_state[_state(in_local[oid], there)].add(oid)
        return StatusResult(
            ok=frozenset(by_state[OK]),
            new=frozenset(by_state[NEW]),
            deleted=frozenset(by_state[DELETED]),
            missing=frozenset(by_state[MISSING]),
            paths=dict(sorted(paths.items())),
            remote=self.name,
        )

    # -- push ----------------------------------------------------------------------------
    def push(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        tracked = self.tracked(outputs, for_push=True)
        progress.start("Checking remote", None)
        plan = self._plan_push(tracked, jobs=jobs)
        self._before_upload(plan, jobs=jobs)
        progress.start("Pushing", len(plan.upload))
        uploaded: set[Obj] = set()
        try:
            # Records land in ``plan`` as each upload completes, so an interrupted push
            # still writes what it did into the outputs (the repo saves them).
            failed = self._upload(plan.upload, plan.records, jobs=jobs, progress=progress)
            plan.failed.update(failed)
            uploaded = {f.obj for f in plan.upload if f.path in plan.records}
            self._after_upload(plan, uploaded, jobs=jobs)
        finally:
            progress.close()
            for t in tracked:
                self.record(t, plan.records)
            touched = {id(t.out.dvcfile): t.out.dvcfile for t in tracked if t.out.dvcfile}
            for dvcfile in touched.values():
                dvcfile.versions_recorded(self._cached_manifest)
        return TransferSummary(
            remote=self.name,
            transferred=frozenset(o.oid for o in uploaded | plan.extra_transferred),
            failed=dict(plan.failed),
            missing=frozenset(o.oid for o in plan.missing),
            up_to_date=plan.up_to_date,
            deleted=frozenset(plan.deleted),
            delete_failed=dict(plan.delete_failed),
        )

    def _plan_push(self, tracked: Sequence[TrackedOutput], *, jobs: int | None) -> PushPlan:
        """Decide, file by file, what is in place, what can be recorded without a
        transfer (the current file holds the same bytes) and what goes up."""
        plan = PushPlan(tracked=list(tracked))
        files = [f for t in tracked for f in t.files]
        plan.current = self.current(tracked, jobs=jobs)
        present = self.recorded_present(files, plan.current, jobs=jobs)
        adopt: list[TrackedFile] = []
        upload: list[TrackedFile] = []
        for f in files:
            verdict = self._verdict(f, f.path in present, plan.current.get(f.path))
            if verdict == "keep":
                plan.in_place.add(f.path)
                plan.up_to_date += 1
            elif verdict == "adopt":
                adopt.append(f)
            else:
                upload.append(f)
        infos = self.with_version_ids(plan.current, [f.path for f in adopt], jobs=jobs)
        for f in adopt:
            info = infos.get(f.path)
            if info is not None and info.version_id and same_bytes(f, info):
                plan.records[f.path] = make_record(info.etag, info.version_id)
                plan.in_place.add(f.path)
                plan.up_to_date += 1
            else:
                upload.append(f)
        # Never upload an object whose content no longer matches its name.
        local, corrupt = self.verifier.intact({f.obj for f in upload})
        seen: set[str] = set()
        for f in upload:
            if f.path in seen:
                continue
            seen.add(f.path)
            if f.obj in local:
                plan.upload.append(f)
            elif f.obj in corrupt:
                plan.failed[f.obj.oid] = corrupt[f.obj]
            else:
                plan.missing.add(f.obj)
        for t in tracked:
            if t.unavailable:
                plan.missing.add(t.obj)
        return plan

    def _verdict(self, f: TrackedFile, recorded: bool, current: FileInfo | None) -> str:
        """``keep`` the record, ``adopt`` the current file, or ``upload``."""
        if recorded:
            return "keep"
        if current is not None and same_bytes(f, current):
            return "adopt"
        return "upload"

    def _before_upload(self, plan: PushPlan, *, jobs: int | None) -> None:
        """Hook: a worktree remote clears what is in the way of the workspace's files."""

    def _after_upload(self, plan: PushPlan, uploaded: set[Obj], *, jobs: int | None) -> None:
        """Hook: a worktree remote hides what the workspace no longer has."""

    def _upload(
        self,
        files: Sequence[TrackedFile],
        records: dict[str, dict[str, str]],
        *,
        jobs: int | None,
        progress: Progress,
    ) -> dict[str, Exception]:
        """Upload from the cache, putting each new record into ``records`` as soon as its
        upload completes; returns object id -> error."""
        if not files:
            return {}
        by_path = {f.path: f for f in files}
        failed: dict[str, Exception] = {}
        unversioned: list[str] = []
        lock = threading.Lock()
        seen: set[str] = set()

        def settle(res: TransferResult) -> None:
            f = by_path.get(res.dst)
            with lock:
                if f is None or res.dst in seen:
                    return
                seen.add(res.dst)
                if not res.ok or res.write is None:
                    failed[f.obj.oid] = res.error or BackendError(
                        "upload failed", path=res.dst, backend=self.backend.name
                    )
                elif res.write.version_id:
                    records[f.path] = make_record(res.write.etag, res.write.version_id)
                else:
                    unversioned.append(f.path)

        def on_result(res: TransferResult) -> None:
            settle(res)
            progress.update(1)

        results = self.backend.upload_many(
            [(self.cache.path(f.obj), f.path) for f in files],
            jobs=self.jobs(jobs),
            callback=on_result,
        )
        for res in results:  # backends that batch may not call back per item
            settle(res)
        # A backend that does not report versions on write: ask for the current one.
        for path, info in zip(unversioned, self._pool_map(self._info, unversioned, jobs)):
            if info is not None and info.version_id:
                records[path] = make_record(info.etag, info.version_id)
            else:
                failed[by_path[path].obj.oid] = VersioningNotEnabled(
                    "the storage kept no version of an uploaded file",
                    path=path,
                    backend=self.backend.name,
                )
        return failed

    # -- recording into the outputs ------------------------------------------------------
    def record(self, tracked: TrackedOutput, records: Mapping[str, Mapping[str, Any]]) -> None:
        """Write new records into the output (nothing changes when none is new)."""
        out = tracked.out
        if not tracked.is_dir:
            f = tracked.files[0]
            new = records.get(f.path)
            if new is not None and dict(new) != dict(f.record or {}):
                out.set_cloud(self.name, new)
            return
        if tracked.manifest is None or not any(f.path in records for f in tracked.files):
            return
        old = {str(e["relpath"]): e for e in out.files or ()}
        entries: list[dict[str, Any]] = []
        changed = not old
        for f in tracked.files:
            assert f.relpath is not None
            base = old.get(f.relpath)
            new = records.get(f.path)
            if base is None:
                entries.append(file_entry(f.relpath, f.obj.oid, f.size, self.name, new))
                continue
            entry = dict(base)
            if new is not None and dict(new) != dict(record_of(base, self.name) or {}):
                entry["cloud"] = {self.name: dict(new)}
                changed = True
            entries.append(entry)
        if changed:
            out.set_files(entries)

    # -- fetch ---------------------------------------------------------------------------
    def fetch(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        """Download the recorded versions the cache lacks, each verified against its md5.

        A file with no version recorded for this remote cannot be fetched from it
        (its current file might hold other bytes): it is reported missing.
        """
        tracked = self.tracked(outputs)
        files = [f for t in tracked for f in t.files]
        local = self.cache.present({f.obj for f in files})
        items: dict[Obj, tuple[Obj, str, str | None]] = {}
        missing: set[Obj] = set()
        for f in files:
            if f.obj in local or f.obj in items:
                continue
            if f.version_id is None:
                missing.add(f.obj)
            else:
                items[f.obj] = (f.obj, f.path, f.version_id)
        missing -= set(items)
        missing |= {t.obj for t in tracked if t.unavailable}
        todo = sorted(items.values())
        progress.start("Fetching", len(todo))
        done, failed = transfer.download(
            self.backend, self.cache, todo, jobs=self.jobs(jobs), progress=progress.update
        )
        progress.close()
        self._keep_manifests(tracked)
        gone = {o for o, e in failed.items() if isinstance(e, NotFound)}
        return TransferSummary(
            remote=self.name,
            transferred=frozenset(o.oid for o in done | self._fetched_manifests(tracked)),
            failed={o.oid: e for o, e in failed.items() if o not in gone},
            missing=frozenset(o.oid for o in missing | gone),
            up_to_date=len(local),
        )

    def _keep_manifests(self, tracked: Sequence[TrackedOutput]) -> None:
        """A directory recorded in the ``files:`` form gets its manifest into the cache
        (dvc's fetch saves it too), so status and repro find the directory whole."""
        for t in tracked:
            manifest = t.manifest
            if manifest is None or t.obj.legacy or not t.is_dir or self.cache.exists(t.obj):
                continue
            self.cache.add_bytes(t.obj, manifest.to_bytes())

    def _fetched_manifests(self, tracked: Sequence[TrackedOutput]) -> set[Obj]:
        """Manifests this run brought from the remote (worktree remotes keep some)."""
        return set()


@dataclass
class PushPlan:
    tracked: list[TrackedOutput]
    current: dict[str, FileInfo] = field(default_factory=dict)
    upload: list[TrackedFile] = field(default_factory=list)
    #: remote path -> record to write (uploads add theirs)
    records: dict[str, dict[str, str]] = field(default_factory=dict)
    #: object id -> error
    failed: dict[str, Exception] = field(default_factory=dict)
    missing: set[Obj] = field(default_factory=set)
    #: paths whose tracked bytes were already current or recorded on the remote
    in_place: set[str] = field(default_factory=set)
    up_to_date: int = 0
    #: objects moved besides the files (a worktree remote's manifests)
    extra_transferred: set[Obj] = field(default_factory=set)
    #: remote paths a worktree push removed, and those it could not (path -> error)
    deleted: set[str] = field(default_factory=set)
    delete_failed: dict[str, Exception] = field(default_factory=dict)


def same_bytes(f: TrackedFile, info: FileInfo) -> bool:
    """Whether a remote file surely holds ``f``'s bytes without reading it: the same
    version as recorded, the same etag as recorded, or an etag that is the md5."""
    if f.record:
        if info.version_id and info.version_id == f.record.get("version_id"):
            return True
        if info.etag and info.etag == f.record.get("etag"):
            return True
    return not f.obj.legacy and info.etag == f.obj.md5


def _state(in_local: bool, in_remote: bool) -> str:
    if in_local:
        return OK if in_remote else NEW
    return DELETED if in_remote else MISSING


__all__ = [
    "PushPlan",
    "TrackedFile",
    "TrackedOutput",
    "VersionAwareRemote",
    "make_record",
    "record_of",
    "same_bytes",
]
