"""The worktree remote: a version-aware remote whose current view mirrors the workspace.

On top of the version-aware behaviour, a push makes the remote's current files
under each tracked path exactly the workspace's: a changed file gets a new
version, a file removed from a tracked directory is deleted (hidden: its older
versions stay, so older revisions still pull). ``update`` goes the other way and
brings changes made on the remote out of band into the ``.dvc`` files.

Directory manifests are content-addressed objects kept under ``<root>/.dvc/files/md5``
(DVC's place for them), so an output recorded as ``md5: <id>.dir`` can be expanded
from the remote when the cache lacks its manifest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dvcremote import transfer
from dvcremote.errors import BackendError, IntegrityError, NotFound, ObjectMissing, UnsafePath
from dvcremote.hashing import MD5, MD5_DOS2UNIX, file_md5
from dvcremote.manifest import relpath_problem
from dvcremote.objects import Obj
from dvcremote.odb import RemoteODB
from dvcremote.progress import NULL, Progress
from dvcremote.remotes.version_aware import (
    PushPlan,
    TrackedFile,
    TrackedOutput,
    VersionAwareRemote,
    file_entry,
    make_record,
    record_of,
    same_bytes,
)
from dvcremote.results import TransferSummary

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend
    from dvcremote.backend.types import FileInfo
    from dvcremote.cache import LocalCache
    from dvcremote.config import RemoteConfig
    from dvcremote.dvcfile import Output
    from dvcremote.integrity import CacheVerifier
    from dvcremote.manifest import Manifest
    from dvcremote.update import UpdateChanges

#: Where a worktree remote keeps its content-addressed objects (``files/md5/..`` below it).
OBJECTS_ROOT = ".dvc"


@dataclass
class _Fetched:
    obj: Obj
    size: int


class WorktreeRemote(VersionAwareRemote):
    kind = "worktree"

    def __init__(
        self, config: RemoteConfig, backend: Backend, cache: LocalCache, verifier: CacheVerifier
    ) -> None:
        super().__init__(config, backend, cache, verifier)
        self.odb = RemoteODB(backend, OBJECTS_ROOT, jobs=config.jobs)
        self._manifests_fetched: set[Obj] = set()
        self._manifest_errors: dict[Obj, Exception] = {}

    # -- manifests on the remote ---------------------------------------------------------
    def _remote_manifest(self, obj: Obj) -> Manifest | None:
        """Fetch a manifest from ``.dvc/files/md5`` into the cache, verified like any object."""
        if obj.legacy:
            return None
        item = (obj, self.odb.path(obj), None)
        done, failed = transfer.download(self.backend, self.cache, [item])
        error = failed.get(obj)
        if error is not None:
            if not isinstance(error, NotFound):
                self._manifest_errors[obj] = error
            return None
        self._manifests_fetched |= done
        try:
            return self.cache.load_manifest(obj)
        except ObjectMissing:
            return None

    def _fetched_manifests(self, tracked: Sequence[TrackedOutput]) -> set[Obj]:
        return set(self._manifests_fetched)

    def fetch(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        summary = super().fetch(outputs, jobs=jobs, progress=progress)
        if not self._manifest_errors:
            return summary
        errors = {o.oid: e for o, e in self._manifest_errors.items()}
        return replace(
            summary,
            failed={**summary.failed, **errors},
            missing=summary.missing - set(errors),
        )

    # -- push: mirror the workspace ------------------------------------------------------
    def _verdict(self, f: TrackedFile, recorded: bool, current: FileInfo | None) -> str:
        """Only a current file with the tracked bytes is in place; anything else goes up."""
        if current is not None and same_bytes(f, current):
            return "keep" if recorded else "adopt"
        return "upload"

    def _before_upload(self, plan: PushPlan, *, jobs: int | None) -> None:
        """Clear a file where a tracked directory goes, and a folder where a file goes."""
        for t in plan.tracked:
            try:
                if t.is_dir:
                    if self._info(t.path) is not None:
                        self.backend.delete(t.path, missing_ok=True)
                        plan.deleted.add(t.path)
                elif t.path not in plan.current and self.backend.is_folder(t.path):
                    self.backend.delete_folder(t.path, recursive=True, missing_ok=True)
                    plan.deleted.add(t.path)
            except BackendError as exc:
                plan.delete_failed[t.path] = exc

    def _after_upload(self, plan: PushPlan, uploaded: set[Obj], *, jobs: int | None) -> None:
        """Hide the files the workspace no longer has; then store complete manifests."""
        stale: list[str] = []
        for t in plan.tracked:
            if not t.is_dir or t.unavailable:
                continue
            wanted = {f.path for f in t.files}
            prefix = t.path + "/"
            stale.extend(p for p in plan.current if p.startswith(prefix) and p not in wanted)

        def hide(path: str) -> Exception | None:
            try:
                self.backend.delete(path, missing_ok=True)
            except BackendError as exc:
                return exc
            return None

        stale.sort()
        for path, error in zip(stale, self._pool_map(hide, stale, jobs)):
            if error is None:
                plan.deleted.add(path)
            else:
                plan.delete_failed[path] = error
        self._push_manifests(plan, jobs=jobs)

    def _push_manifests(self, plan: PushPlan, *, jobs: int | None) -> None:
        """A directory's manifest goes up once all of its files are on the remote."""
        on_remote = set(plan.records) | plan.in_place
        ready: list[tuple[Obj, Manifest]] = []
        for t in plan.tracked:
            if (
                t.is_dir
                and t.manifest is not None
                and not t.obj.legacy
                and all(f.path in on_remote for f in t.files)
            ):
                ready.append((t.obj, t.manifest))
        ready = [(o, m) for o, m in ready if not self.backend.exists(self.odb.path(o))]
        for obj, manifest in ready:
            if not self.cache.exists(obj):
                self.cache.add_bytes(obj, manifest.to_bytes())
        done, failed = transfer.upload(
            self.backend,
            self.cache,
            [(o, self.odb.path(o)) for o, _ in ready],
            jobs=self.jobs(jobs),
        )
        plan.extra_transferred |= done
        plan.failed.update({o.oid: e for o, e in failed.items()})

    # -- update: bring out-of-band changes in ----------------------------------------------
    def update(
        self,
        outputs: Sequence[Output],
        changes: UpdateChanges,
        *,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> list[Output]:
        """Make ``outputs`` record the remote's current files; returns the outputs changed.

        A file whose current version is the recorded one (or holds the same bytes)
        keeps its record; any other current file is downloaded at that exact
        version, hashed into the cache and recorded; a file gone from the remote
        leaves its directory. An output with nothing on the remote is left alone.
        """
        tracked = self.tracked(outputs)
        for out in {id(o): o for o in outputs}.values():
            if not any(t.out is out for t in tracked):
                changes.skipped[out.repo_path] = "not tracked by hash (cache: false, or no md5)"
        current = self.current(tracked, jobs=jobs)
        wanted: dict[str, tuple[TrackedOutput, TrackedFile | None]] = {}
        kept: dict[str, dict[str, str]] = {}  # path -> record adopted without a download
        for t in tracked:
            if t.is_dir:
                under = {p for p in current if p.startswith(t.path + "/")}
                if not under:
                    changes.skipped[t.path] = "nothing under it on the remote; left as it is"
                    continue
                known = {f.path: f for f in t.files}
                for f in t.files:
                    info = current.get(f.path)
                    if info is None:
                        continue  # deleted on the remote
                    if same_bytes(f, info):
                        if f.record is None:
                            kept[f.path] = {}
                    else:
                        wanted[f.path] = (t, f)
                for path in sorted(under - set(known)):
                    problem = relpath_problem(path[len(t.path) + 1 :])
                    if problem is not None:  # a hostile listing: nothing is written
                        raise UnsafePath(
                            t.path, f"is listed with a file whose {problem}",
                            source=f"remote {self.name!r}",
                        )
                    wanted[path] = (t, None)
            else:
                f = t.files[0]
                info = current.get(t.path)
                if info is None:
                    changes.skipped[t.path] = "not on the remote; left as it is"
                elif not same_bytes(f, info):
                    wanted[t.path] = (t, f)
                elif f.record is None:
                    kept[t.path] = {}
        infos = self.with_version_ids(current, [*wanted, *kept], jobs=jobs)
        for path in list(kept):
            info = infos.get(path)
            if info is not None and info.version_id:
                kept[path] = make_record(info.etag, info.version_id)
            else:
                del kept[path]
        progress.start("Updating", len(wanted))
        fetched = self._download_current(
            {p: infos[p] for p in wanted if p in infos},
            {p: t.out.is_legacy for p, (t, _) in wanted.items()},
            changes,
            jobs=jobs,
            progress=progress,
        )
        progress.close()
        changed: list[Output] = []
        for t in tracked:
            if t.path in changes.skipped:
                continue
            if self._apply(t, current, infos, fetched, kept, changes):
                changed.append(t.out)
        return changed

    def _download_current(
        self,
        infos: Mapping[str, FileInfo],
        legacy: Mapping[str, bool],
        changes: UpdateChanges,
        *,
        jobs: int | None,
        progress: Progress,
    ) -> dict[str, _Fetched]:
        """Download each file at its listed version into the cache, under the id its
        bytes hash to (the remote is the source of truth here, so nothing to compare
        with but the size it announced)."""
        if not infos:
            return {}
        tmps = {path: self.cache.tmp_path() for path in infos}
        results = self.backend.download_many(
            [(path, tmps[path], infos[path].version_id) for path in sorted(infos)],
            jobs=self.jobs(jobs),
            callback=lambda _res: progress.update(1),
        )
        by_tmp = {tmp: path for path, tmp in tmps.items()}

        def settle(path: str) -> _Fetched:
            tmp = tmps[path]
            size = os.path.getsize(tmp)
            info = infos[path]
            if info.size is not None and size != info.size:
                raise IntegrityError(
                    f"downloaded {size} bytes, the remote announced {info.size}",
                    path=path,
                    backend=self.backend.name,
                )
            obj = Obj(file_md5(tmp, MD5_DOS2UNIX if legacy[path] else MD5), legacy[path])
            self.cache.commit_tmp(tmp, obj)
            return _Fetched(obj, size)

        def safe(path: str) -> _Fetched | Exception:
            try:
                return settle(path)
            except (BackendError, OSError) as exc:
                return exc

        ok = []
        try:
            for res in results:
                path = by_tmp.get(res.dst)
                if path is None:
                    continue
                if res.ok:
                    ok.append(path)
                else:
                    changes.failed[path] = res.error or BackendError(
                        "download failed", path=path, backend=self.backend.name
                    )
            fetched: dict[str, _Fetched] = {}
            for path, outcome in zip(ok, self._pool_map(safe, ok, jobs)):
                if isinstance(outcome, Exception):
                    changes.failed[path] = outcome
                else:
                    fetched[path] = outcome
            return fetched
        finally:
            for tmp in tmps.values():
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def _apply(
        self,
        t: TrackedOutput,
        current: Mapping[str, FileInfo],
        infos: Mapping[str, FileInfo],
        fetched: Mapping[str, _Fetched],
        kept: Mapping[str, dict[str, str]],
        changes: UpdateChanges,
    ) -> bool:
        """Write one output's new state; True when it changed."""
        out = t.out
        if not t.is_dir:
            f = t.files[0]
            got = fetched.get(f.path)
            if got is not None and got.obj != f.obj:
                out.set_hash(got.obj.oid, got.size, legacy=got.obj.legacy)
                out.set_cloud(self.name, _record_for(infos[f.path]))
                changes.modified.append(f.path)
                return True
            if f.path in changes.failed:
                return False
            changes.unchanged += 1
            adopted = kept.get(f.path) or (
                _record_for(infos[f.path]) if got is not None and f.record is None else None
            )
            if adopted:
                out.set_cloud(self.name, adopted)
                return True
            return False

        old_entries = {str(e["relpath"]): e for e in out.files or ()}
        entries: dict[str, dict[str, Any]] = {}
        changed = False
        for f in t.files:
            assert f.relpath is not None
            base = dict(
                old_entries.get(f.relpath)
                or file_entry(f.relpath, f.obj.oid, f.size, self.name, f.record)
            )
            if f.path not in current:
                changes.deleted.append(f.path)
                changed = True
                continue
            got = fetched.get(f.path)
            if got is not None and got.obj != f.obj:
                entries[f.relpath] = file_entry(
                    f.relpath, got.obj.oid, got.size, self.name, _record_for(infos[f.path])
                )
                changes.modified.append(f.path)
                changed = True
                continue
            if f.path not in changes.failed:
                changes.unchanged += 1
            adopted = kept.get(f.path) or (
                _record_for(infos[f.path]) if got is not None and f.record is None else None
            )
            if adopted and adopted != dict(record_of(base, self.name) or {}):
                base["cloud"] = {self.name: adopted}
                changed = True
            entries[f.relpath] = base
        prefix = t.path + "/"
        known = {f.relpath for f in t.files}
        for path, got in fetched.items():
            relpath = path[len(prefix) :]
            if path.startswith(prefix) and relpath not in known:
                entries[relpath] = file_entry(
                    relpath, got.obj.oid, got.size, self.name, _record_for(infos[path])
                )
                changes.added.append(path)
                changed = True
        if not old_entries:
            changed = changed or bool(entries)
        if changed:
            out.set_files([entries[k] for k in sorted(entries)])
        return changed


def _record_for(info: FileInfo) -> dict[str, str]:
    assert info.version_id is not None
    return make_record(info.etag, info.version_id)


__all__ = ["OBJECTS_ROOT", "WorktreeRemote"]
