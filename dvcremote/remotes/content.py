"""The content-addressed remote: DVC's plain remote layout, ``files/md5/xx/...``."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from dvcremote import manifest as manifest_mod
from dvcremote import transfer
from dvcremote.errors import BackendError, IntegrityError, NotFound, ObjectMissing
from dvcremote.hashing import bytes_md5
from dvcremote.index import UsedObjects, output_obj, used_objects
from dvcremote.manifest import Manifest
from dvcremote.objects import Obj
from dvcremote.odb import RemoteODB
from dvcremote.progress import NULL, Progress
from dvcremote.remotes.base import Remote
from dvcremote.results import (
    DELETED,
    MISSING,
    NEW,
    OK,
    GCResult,
    StatusResult,
    TransferSummary,
)

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend
    from dvcremote.cache import LocalCache
    from dvcremote.config import RemoteConfig
    from dvcremote.dvcfile import Output
    from dvcremote.integrity import CacheVerifier


class ContentRemote(Remote):
    kind = "content"
    supports_gc = True

    def __init__(
        self,
        config: RemoteConfig,
        backend: Backend,
        cache: LocalCache,
        verifier: CacheVerifier,
        *,
        root: str = "",
    ) -> None:
        super().__init__(config, backend, cache, verifier)
        self.odb = RemoteODB(backend, root, jobs=config.jobs)

    # -- manifests -----------------------------------------------------------------------
    def _dir_objs(self, outputs: Sequence[Output]) -> set[Obj]:
        objs = set()
        for out in outputs:
            obj, manifest = output_obj(out)
            if obj is not None and obj.is_dir and manifest is None:
                objs.add(obj)
        return objs

    def _read_remote_manifest(self, obj: Obj) -> Manifest | None:
        """A manifest straight from the remote into memory, verified; None if absent."""
        path = self.odb.path(obj)
        try:
            data = self.backend.read_bytes(path)
        except NotFound:
            return None
        if bytes_md5(data, obj.hash_name) != obj.md5:
            raise IntegrityError(
                f"object {obj.oid} is corrupt on the remote", path=path, backend=self.backend.name
            )
        return manifest_mod.parse(data, obj.oid)

    def _used(
        self,
        outputs: Sequence[Output],
        *,
        remote_manifests: str,
        jobs: int | None,
        for_push: bool = False,
    ) -> tuple[UsedObjects, set[Obj], dict[Obj, Exception]]:
        """Objects of ``outputs``; manifests missing from the cache come from the remote
        (``remote_manifests``: ``memory`` = read only, ``cache`` = fetched into the cache,
        ``no`` = not looked for)."""
        cache = self.cache
        errors: dict[Obj, Exception] = {}
        fetched: set[Obj] = set()
        from_remote: dict[Obj, Manifest] = {}
        if remote_manifests != "no":
            absent = [o for o in self._dir_objs(outputs) if not cache.exists(o)]
            if absent and remote_manifests == "cache":
                fetched, failed = transfer.download(
                    self.backend,
                    cache,
                    [(o, self.odb.path(o), None) for o in absent],
                    jobs=self.jobs(jobs),
                )
                errors.update({o: e for o, e in failed.items() if not isinstance(e, NotFound)})
            elif absent:
                with ThreadPoolExecutor(max_workers=min(8, len(absent))) as pool:
                    for obj, manifest in zip(absent, pool.map(self._read_remote_manifest, absent)):
                        if manifest is not None:
                            from_remote[obj] = manifest

        def load(obj: Obj) -> Manifest | None:
            if obj in from_remote:
                return from_remote[obj]
            try:
                return cache.load_manifest(obj)
            except ObjectMissing:
                return None

        used = used_objects(outputs, load, for_push=for_push, with_paths=not for_push)
        return used, fetched, errors

    # -- status --------------------------------------------------------------------------
    def status(
        self, outputs: Sequence[Output], *, jobs: int | None = None, method: str = "auto"
    ) -> StatusResult:
        used, _, _ = self._used(outputs, remote_manifests="memory", jobs=jobs)
        local = self.cache.present(used.objs)
        remote = self.odb.contains(used.objs, method=method)
        state: dict[Obj, str] = {}
        for obj in used.objs:
            in_local, in_remote = obj in local, obj in remote
            state[obj] = (
                OK
                if in_local and in_remote
                else NEW
                if in_local
                else DELETED
                if in_remote
                else MISSING
            )
        by_state: dict[str, set[str]] = {OK: set(), NEW: set(), DELETED: set(), MISSING: set()}
        for obj, st in state.items():
            by_state[st].add(obj.oid)
        return StatusResult(
            ok=frozenset(by_state[OK]),
            new=frozenset(by_state[NEW]),
            deleted=frozenset(by_state[DELETED]),
            missing=frozenset(by_state[MISSING]),
            paths={p: state[o] for p, o in sorted(used.paths.items())},
            remote=self.name,
        )

    # -- push ----------------------------------------------------------------------------
    def push(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        jobs = self.jobs(jobs)
        used, _, _ = self._used(outputs, remote_manifests="no", jobs=jobs, for_push=True)
        local = self.cache.present(used.objs)
        progress.start("Checking remote", None)
        # Ask about every used object: one the cache lacks but the remote has is
        # up to date, not missing (as after a pull of only some revisions).
        on_remote = self.odb.contains(used.objs)
        missing = used.objs - local - on_remote
        # Never upload an object whose content no longer matches its name.
        todo, corrupt = self.verifier.intact(local - on_remote)
        progress.start("Pushing", len(todo))
        files = sorted(o for o in todo if not o.is_dir)
        done, failed = transfer.upload(
            self.backend,
            self.cache,
            [(o, self.odb.path(o)) for o in files],
            jobs=jobs,
            progress=progress.update,
        )
        failed.update(corrupt)
        # A manifest goes up only once every file it names is on the remote, so a
        # remote never holds a directory it cannot deliver whole.
        have = on_remote | done
        ready: list[Obj] = []
        for obj in sorted(o for o in todo if o.is_dir):
            manifest = used.manifests.get(obj)
            lacking = (
                None
                if manifest is None
                else [md5 for md5 in manifest.md5s() if Obj(md5, obj.legacy) not in have]
            )
            if lacking:
                failed[obj] = BackendError(
                    f"directory {obj.oid} not uploaded: {len(lacking)} of its files"
                    " are not on the remote",
                    path=self.odb.path(obj),
                    backend=self.backend.name,
                )
                progress.update(1)
            else:
                ready.append(obj)
        done_dirs, failed_dirs = transfer.upload(
            self.backend,
            self.cache,
            [(o, self.odb.path(o)) for o in ready],
            jobs=jobs,
            progress=progress.update,
        )
        progress.close()
        failed.update(failed_dirs)
        return TransferSummary(
            remote=self.name,
            transferred=frozenset(o.oid for o in done | done_dirs),
            failed={o.oid: e for o, e in failed.items()},
            missing=frozenset(o.oid for o in missing),
            up_to_date=len(on_remote),
        )

    # -- fetch ---------------------------------------------------------------------------
    def fetch(
        self, outputs: Sequence[Output], *, jobs: int | None = None, progress: Progress = NULL
    ) -> TransferSummary:
        jobs = self.jobs(jobs)
        used, fetched, manifest_errors = self._used(outputs, remote_manifests="cache", jobs=jobs)
        # A corrupt cache object is removed here, so it is downloaded again.
        present, _ = self.verifier.intact(used.objs)
        todo = sorted(used.objs - present - set(manifest_errors) - used.unavailable)
        progress.start("Fetching", len(todo))
        done, failed = transfer.download(
            self.backend,
            self.cache,
            [(o, self.odb.path(o), None) for o in todo],
            jobs=jobs,
            progress=progress.update,
        )
        progress.close()
        failed.update(manifest_errors)
        missing = {o for o, e in failed.items() if isinstance(e, NotFound)}
        missing |= used.unavailable - set(manifest_errors)
        return TransferSummary(
            remote=self.name,
            transferred=frozenset(o.oid for o in done | fetched),
            failed={o.oid: e for o, e in failed.items() if o not in missing},
            missing=frozenset(o.oid for o in missing),
            up_to_date=len(present - fetched),
        )

    def fetch_manifests(
        self, outputs: Sequence[Output], *, jobs: int | None = None
    ) -> TransferSummary:
        jobs = self.jobs(jobs)
        used, fetched, errors = self._used(outputs, remote_manifests="cache", jobs=jobs)
        return TransferSummary(
            remote=self.name,
            transferred=frozenset(o.oid for o in fetched),
            failed={o.oid: e for o, e in errors.items()},
            missing=frozenset(o.oid for o in used.unavailable - set(errors)),
        )

    # -- gc ------------------------------------------------------------------------------
    def gc(
        self,
        outputs: Sequence[Output],
        *,
        jobs: int | None = None,
        dry: bool = False,
        also_keep: Sequence[Output] = (),
    ) -> GCResult:
        used, _, errors = self._used(outputs, remote_manifests="memory", jobs=jobs)
        if used.unavailable:
            first = sorted(used.unavailable)[0]
            raise ObjectMissing(
                first.oid,
                "its directory manifest is on neither side, so the files it names are"
                " unknown; nothing was deleted",
            )
        if errors:
            raise next(iter(errors.values()))
        keep = set(used.objs)
        if also_keep:
            extra, _, extra_errors = self._used(also_keep, remote_manifests="memory", jobs=jobs)
            if extra_errors:
                raise next(iter(extra_errors.values()))
            keep |= extra.objs
        on_remote = self.odb.all()
        garbage = sorted(on_remote - keep)
        if garbage and not dry:
            with ThreadPoolExecutor(max_workers=min(self.jobs(jobs) or 8, len(garbage))) as pool:
                list(pool.map(self.odb.delete, garbage))
        return GCResult(
            self.name, frozenset(o.oid for o in garbage), len(on_remote) - len(garbage), dry=dry
        )
