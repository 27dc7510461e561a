"""The repository: a workspace with a ``.dvc`` folder, and every user-facing operation.

Paths given to the API may be absolute or relative to the repository root (the
CLI makes them absolute from the current directory). All results are typed
(:mod:`dvcremote.results`); failures of individual files are reported in them,
while a problem with the request itself raises a :mod:`dvcremote.errors` error.
"""

from __future__ import annotations

import functools
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar, overload

from dvcremote import dvcfile as dvcfile_mod
from dvcremote import dvcignore, gitops
from dvcremote.cache import LocalCache
from dvcremote.config import Config
from dvcremote.dvcfile import DvcFile, Output, is_dvcfile_name
from dvcremote.errors import (
    DvcRemoteError,
    NotARepository,
    ObjectMissing,
    PathOutsideRepo,
    RepoError,
    TargetNotFound,
    UnsafePath,
)
from dvcremote.hashing import MD5, MD5_DOS2UNIX
from dvcremote.index import (
    collect_dvcfiles,
    find_dvcfiles,
    outputs_of,
    pipeline_outputs,
    stage_owning,
    to_repo_path,
    used_objects,
)
from dvcremote.lock import RepoLock
from dvcremote.progress import NULL, Progress
from dvcremote.results import (
    AddedOutput,
    AddResult,
    CheckoutResult,
    CommitResult,
    GCResult,
    PullResult,
    RemoveResult,
    ReproResult,
    StageAdded,
    StageChanges,
    StatusResult,
    TransferSummary,
    WorkspaceStatus,
)
from dvcremote.workspace_paths import WorkspacePaths

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend
    from dvcremote.config import RemoteConfig
    from dvcremote.history import Collected
    from dvcremote.index import UsedObjects
    from dvcremote.integrity import CacheVerifier
    from dvcremote.manifest import Manifest
    from dvcremote.objects import Obj
    from dvcremote.pipeline import DeclaredOutput
    from dvcremote.remotes.base import Remote
    from dvcremote.results import UpdateResult
    from dvcremote.runcache import RunCache
    from dvcremote.runcache_transfer import RunsPush
    from dvcremote.scm import Git
    from dvcremote.state import StateDB

DVC_DIR = ".dvc"
Targets = Sequence["str | os.PathLike[str]"] | None
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _writes(method: Callable[Concatenate[Repo, _P], _R]) -> Callable[Concatenate[Repo, _P], _R]:
    """Run the method holding the repository lock (writing commands; reads take none)."""

    @functools.wraps(method)
    def locked(self: Repo, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self.locked():
            return method(self, *args, **kwargs)

    return locked


def find_root(path: str | os.PathLike[str] = ".") -> str:
    """The nearest folder at or above ``path`` holding a ``.dvc`` folder."""
    current = os.path.abspath(os.fspath(path))
    while True:
        if os.path.isdir(os.path.join(current, DVC_DIR)):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            raise NotARepository(
                f"{os.fspath(path)!r} is not inside a dvcremote repository"
                " (no .dvc folder found; run: dvcremote init)"
            )
        current = parent


class Repo:
    """A DVC-format repository. Cheap to open; the cache, state and git open on first use.

    Writing operations hold ``.dvc/tmp/lock`` (see :mod:`dvcremote.lock`): when another
    dvcremote or dvc command holds it they wait up to ``lock_wait`` seconds
    (``math.inf``: as long as it takes), then raise RepoLocked.
    """

    def __init__(self, path: str | os.PathLike[str] = ".", *, lock_wait: float = 0.0) -> None:
        self.root = find_root(path)
        self.dvc_dir = os.path.join(self.root, DVC_DIR)
        self.tmp_dir = os.path.join(self.dvc_dir, "tmp")
        self.lock = RepoLock(self.dvc_dir)
        self.lock_wait = lock_wait
        self.config = Config(self.dvc_dir)
        self._cache: LocalCache | None = None
        self._state: StateDB | None = None
        self._git: Git | bool | None = False
        self._paths: WorkspacePaths | None = None

    def __repr__(self) -> str:
        return f"Repo({self.root!r})"

    # -- set-up --------------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str] = ".",
        *,
        no_scm: bool | None = None,
        force: bool = False,
    ) -> Repo:
        """Create ``.dvc/`` in ``path``. Inside git (unless ``no_scm``) the config and
        ``.dvc/.gitignore`` are staged; outside git ``core.no_scm`` is recorded, as DVC does.
        With ``force`` an existing ``.dvc/`` is re-initialised; its config and cache stay."""
        root = os.path.abspath(os.fspath(path))
        dvc_dir = os.path.join(root, DVC_DIR)
        if os.path.exists(dvc_dir) and not force:
            raise RepoError(f"{root!r} is already initialised (.dvc exists; use force)")
        git = None if no_scm else gitops.discover(root)
        os.makedirs(os.path.join(dvc_dir, "tmp"), exist_ok=True)
        config_path = os.path.join(dvc_dir, "config")
        existed = os.path.exists(config_path)
        ignore_path = os.path.join(root, dvcignore.FILENAME)
        if not os.path.exists(ignore_path):
            with open(ignore_path, "w", encoding="utf-8") as f:
                f.write(dvcignore.INITIAL)
        if git is None:
            if existed:
                Config(dvc_dir).set("core", "no_scm", "True")
            else:
                with open(config_path, "w", encoding="utf-8") as f:
                    f.write("[core]\n    no_scm = True\n")
        else:
            if not existed:
                open(config_path, "w").close()
            gitignore = os.path.join(dvc_dir, ".gitignore")
            with open(gitignore, "w", encoding="utf-8") as f:
                f.write(gitops.DVC_GITIGNORE)
            gitops.stage(git, [config_path, gitignore, ignore_path])
        return cls(root)

    @property
    def cache(self) -> LocalCache:
        if self._cache is None:
            self._cache = LocalCache(
                self.config.cache_dir, self.config.link_types, shared=self.config.shared_cache
            )
            self._cache.on_commit = self._verified
        return self._cache

    def _verified(self, path: str) -> None:
        """An object just written from hashed bytes: its stat is its checked state."""
        from dvcremote.state import StatKey

        self.state.put_verified(path, StatKey.of(os.stat(path)))

    @property
    def verifier(self) -> CacheVerifier:
        """Checks cache objects against their names before a push or a checkout."""
        from dvcremote.integrity import CacheVerifier

        return CacheVerifier(self.cache, self.state)

    @property
    def state(self) -> StateDB:
        if self._state is None:
            from dvcremote.state import StateDB  # sqlite3 only for commands that hash

            self._state = StateDB(os.path.join(self.tmp_dir, "dvcremote", "state.sqlite"))
        return self._state

    @property
    def git(self) -> Git | None:
        """The git repository around the workspace, or None (no git, or ``core.no_scm``)."""
        if self._git is False:
            self._git = None if self.config.no_scm else gitops.discover(self.root)
        return self._git  # type: ignore[return-value]

    def close(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None
        if isinstance(self._git, object) and self._git not in (None, False):
            self._git.close()  # type: ignore[union-attr]
        self._git = False

    def __enter__(self) -> Repo:
        return self

    @contextmanager
    def locked(self) -> Iterator[Repo]:
        """Hold the repository lock for a block (re-entrant); writing methods take it.
        The config is read again once the lock is taken: another command may have
        changed it while this one waited."""
        first = not self.lock.held
        self.lock.acquire(self.lock_wait)
        try:
            if first:
                self.config = Config(self.dvc_dir)
            yield self
        finally:
            self.lock.release()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- building blocks -----------------------------------------------------------------
    def full_path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    def repo_path(self, target: str | os.PathLike[str]) -> str:
        """``target`` (absolute or root-relative) as a repo-relative posix path, checked."""
        return to_repo_path(self.root, target)

    def dvcfiles(self, targets: Targets = None) -> list[DvcFile]:
        """The workspace's ``.dvc`` files named by ``targets`` (all when None)."""
        return collect_dvcfiles(self.root, targets)

    @property
    def paths(self) -> WorkspacePaths:
        """The rules every output path passes before anything is written or deleted."""
        if self._paths is None:
            self._paths = WorkspacePaths(self.root, self.config.cache_dir)
        return self._paths

    def outputs(self, targets: Targets = None) -> list[Output]:
        """The targets' outputs, each checked to be a safe place for data."""
        outs = outputs_of(self.dvcfiles(targets))
        self.paths.check_outputs(outs)
        dvcignore.DvcIgnore(self.root).check_outputs(outs)
        return outs

    def _collect_outputs(
        self,
        targets: Targets = None,
        revs: str | Sequence[str] | None = None,
        *,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
    ) -> Collected:
        """What push/fetch/pull/status -c/gc work on: the workspace's outputs and, with
        revision options, those of the chosen commits, read from git trees (history.py)."""
        from dvcremote.history import RevisionOptions, collect

        options = RevisionOptions.of(
            revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
        )
        collected = collect(self.root, self.git if options.any else None, targets, options)
        self.paths.check_outputs(collected.workspace_outputs)
        dvcignore.DvcIgnore(self.root).check_outputs(collected.workspace_outputs)
        return collected

    def used_objects(self, outputs: Iterable[Output]) -> UsedObjects:
        """Objects ``outputs`` use, expanding directories through cached manifests."""
        cache = self.cache

        def load(obj: Obj) -> Manifest | None:
            try:
                return cache.load_manifest(obj)
            except ObjectMissing:
                return None

        return used_objects(outputs, load)

    def open_remote(self, name: str | None = None) -> Remote:
        """The adapter for remote ``name`` (default remote when None)."""
        from dvcremote.remotes import open_remote

        config = self.config.remote(name)
        return open_remote(config, self.open_remote_backend(config), self.cache, self.verifier)

    def open_remote_backend(self, config: RemoteConfig) -> Backend:
        """The Backend for a remote's config; every remote operation opens storage here
        (one place to wrap it, e.g. in a test spy)."""
        return config.open_backend()

    # -- remote management (``dvcremote remote ...``) --------------------------------------
    @_writes
    def remote_add(
        self,
        name: str,
        url: str,
        *,
        default: bool = False,
        force: bool = False,
        local: bool = False,
        **options: object,
    ) -> None:
        """Add a remote; extra ``options`` are set as its keys (secrets go to config.local).
        An option its backend does not take is refused before anything is written."""
        from dvcremote.config import LOCAL, REPO
        from dvcremote.remote_keys import check_option

        level = LOCAL if local else REPO
        for key in options:
            check_option(name, url, key)
        self.config.add_remote(name, url, default=default, force=force, level=level)
        for key, value in options.items():
            self.config.modify_remote(name, key, _config_value(value), level=level)

    @_writes
    def remote_modify(
        self,
        name: str,
        option: str,
        value: object = None,
        *,
        unset: bool = False,
        local: bool = False,
    ) -> None:
        from dvcremote.config import LOCAL, REPO

        self.config.modify_remote(
            name,
            option,
            None if value is None else _config_value(value),
            unset=unset,
            level=LOCAL if local else REPO,
        )

    def remote_list(self) -> dict[str, str]:
        """Remote name -> URL (local paths made absolute)."""
        return {n: self.config.remote(n).url for n in self.config.remote_names()}

    @_writes
    def remote_remove(self, name: str) -> None:
        self.config.remove_remote(name)

    @_writes
    def remote_rename(self, old: str, new: str) -> None:
        self.config.rename_remote(old, new)

    def remote_default(
        self, name: str | None = None, *, unset: bool = False, local: bool = False
    ) -> str | None:
        """Set the default remote (``name``), unset it, or with neither return it."""
        from dvcremote.config import LOCAL, REPO

        level = LOCAL if local else REPO
        if unset or name is not None:
            with self.locked():
                self.config.set_default(None if unset else name, level=level)
        return self.config.default_remote

    def write_dvcfiles(self, dvcfiles: Iterable[DvcFile]) -> list[str]:
        """Write the ``.dvc`` files (and lock entries) whose data changed; returns their
        repo paths, each once."""
        written = [d.path for d in dvcfiles if d.write(self.root)]
        return list(dict.fromkeys(written))

    def _by_remote(
        self, outputs: Sequence[Output], remote: str | None
    ) -> dict[str | None, list[Output]]:
        """Group outputs by the remote they go to, with dvc's ``-r`` rules: each output's
        own ``remote:`` key, else ``remote``, else the default remote (None); with
        ``remote`` given, an output pinned to another remote is left out."""
        groups: dict[str | None, list[Output]] = {}
        for out in outputs:
            if remote is not None and out.remote not in (None, remote):
                continue
            key = remote if remote is not None else out.remote
            groups.setdefault(key, []).append(out)
        return groups

    # -- add -----------------------------------------------------------------------------
    @_writes
    def add(
        self,
        targets: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
        *,
        commit: bool = False,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> AddResult:
        """Track files and directories: hash them into the cache, link them back, write
        ``<target>.dvc`` and (inside git) the ``.gitignore`` entry. ``commit`` stages
        those files in git's index."""
        from dvcremote.checkout import set_exec
        from dvcremote.staging import Stager

        items = [targets] if isinstance(targets, (str, os.PathLike)) else list(targets)
        if not items:
            raise TargetNotFound("", "no targets given")
        declared = pipeline_outputs(self.root)  # what dvc.yaml files own: never added
        rels = [self._check_add_target(t, declared) for t in items]
        stager = Stager(
            self.root, self.state, self.cache, jobs=jobs, progress=progress.update,
            on_total=lambda path, n: progress.start(f"Adding {path}", n),
        )
        stager.placer.clean_stale()
        added: list[AddedOutput] = []
        dvcfiles: list[DvcFile] = []
        # A path already tracked is updated in the .dvc file that tracks it, wherever that
        # is (a ``wdir`` may point it elsewhere), as dvc does.
        owners = {o.repo_path: o.dvcfile.path for o in self.outputs() if o.dvcfile is not None}
        try:
            for rel in rels:
                dvcfile_rel = owners.get(rel, f"{rel}.dvc")
                dvcfile = self._dvcfile_for(dvcfile_rel, rel)
                out = next(o for o in dvcfile.outs if o.repo_path == rel)
                hash_name = self._add_hash_name(out, rel, jobs)
                staged = stager.stage(rel, commit=True, hash_name=hash_name)
                out.set_hash(
                    staged.obj.oid,
                    staged.size,
                    staged.nfiles,
                    legacy=staged.obj.legacy,
                    manifest=staged.manifest,
                    file_meta=stager.file_meta(rel),
                    isexec=staged.isexec,
                )
                if staged.isexec:  # a hardlink or symlink into the cache lost the bit
                    set_exec(self.full_path(rel))
                dvcfile.write(self.root)
                dvcfiles.append(dvcfile)
                added.append(
                    AddedOutput(rel, staged.obj.oid, staged.size, staged.nfiles, dvcfile_rel)
                )
        finally:
            progress.close()
            self.state.commit()
        gitignores: list[str] = []
        sha = None
        git = self.git
        if git is not None:
            for a in added:
                changed = gitops.ignore(git, self.full_path(a.path))
                if changed:
                    gitignores.append(os.path.relpath(changed, self.root).replace(os.sep, "/"))
            if commit:
                paths = [self.full_path(d.path) for d in dvcfiles]
                paths += [
                    os.path.join(os.path.dirname(self.full_path(a.path)), ".gitignore")
                    for a in added
                ]
                gitops.stage(git, [p for p in paths if os.path.exists(p)])
        return AddResult(tuple(added), tuple(sorted(set(gitignores))), sha)

    def _add_hash_name(self, out: Output, rel: str, jobs: int | None) -> str:
        """How ``add`` hashes ``out``: a DVC 2.x output whose data did not change stays
        one (its ``.dvc`` file as it is, as DVC leaves it); anything else is DVC 3's md5."""
        if not (out.is_legacy and out.oid is not None):
            return MD5
        from dvcremote.staging import Stager

        try:
            current = Stager(self.root, self.state, jobs=jobs).stage(
                rel, commit=False, hash_name=MD5_DOS2UNIX
            )
        except OSError:
            return MD5  # the real staging reports it
        return MD5_DOS2UNIX if current.obj.oid == out.oid else MD5

    def _check_add_target(
        self, target: str | os.PathLike[str], declared: Sequence[DeclaredOutput]
    ) -> str:
        rel = self.repo_path(target)
        if not rel:
            raise PathOutsideRepo(
                os.fspath(target), f"{self.root} (the root itself cannot be added)"
            )
        full = self.full_path(rel)
        if not os.path.lexists(full):
            raise TargetNotFound(os.fspath(target))
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(full)
        if not (real == real_root or real.startswith(real_root + os.sep)):
            raise PathOutsideRepo(os.fspath(target), self.root)
        if is_dvcfile_name(rel):
            raise TargetNotFound(os.fspath(target), "is a .dvc file, not data to track")
        # The target and where a symlink at it leads must both be fit for data.
        resolved = os.path.relpath(real, real_root).replace(os.sep, "/")
        problem = self.paths.problem(rel) or self.paths.problem(resolved)
        if problem is not None:
            raise UnsafePath(rel, problem)
        # Inside a tracked directory? Then it is that directory's data.
        parts = rel.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if os.path.isfile(self.full_path(parent + ".dvc")):
                owner = dvcfile_mod.load(self.root, parent + ".dvc")
                if any(o.repo_path == parent for o in owner.outs):
                    raise RepoError(f"{rel!r} is inside the tracked directory {parent!r}")
        stage = stage_owning(declared, rel)
        if stage is not None:  # DVC's message (dvc/repo/add.py), on one line
            raise RepoError(
                f"cannot update {rel!r}: overlaps with an output of stage: {stage.stage!r}"
                f" in {stage.pipeline!r}. Run the pipeline or use 'dvc commit' to force"
                " update it."
            )
        return rel

    def _dvcfile_for(self, dvcfile_rel: str, rel: str) -> DvcFile:
        """The ``.dvc`` file to record ``rel`` in: the one tracking it, or a new
        ``<rel>.dvc`` with ``path: <basename>``."""
        full = self.full_path(dvcfile_rel)
        if os.path.exists(full):
            existing = dvcfile_mod.load(self.root, dvcfile_rel)
            if any(o.repo_path == rel for o in existing.outs):
                return existing
            out = posixpath.relpath(rel, existing.wdir or ".")
            existing.outs.append(Output({"path": out}, existing.wdir, existing))
            return existing
        return DvcFile.new(dvcfile_rel, [{"path": posixpath.basename(rel)}])

    # -- pipelines -----------------------------------------------------------------------
    @_writes
    def stage_add(
        self,
        name: str,
        cmd: str | list[str],
        *,
        force: bool = False,
        pipeline: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> StageAdded:
        """Add stage ``name`` to ``pipeline`` (a ``dvc.yaml``; default the root one), as
        ``dvc stage add``. ``options`` are those of
        :func:`dvcremote.stage_add.build_stage`, one per dvc flag: ``deps``, ``params``
        (``key1,key2`` or ``file:keys`` items), ``outs``, ``outs_no_cache``,
        ``outs_persist``, ``outs_persist_no_cache``, ``metrics``, ``metrics_no_cache``,
        ``plots``, ``plots_no_cache`` (lists of paths), ``wdir``, ``always_changed``,
        ``desc``. Paths are relative to ``wdir``, itself relative to the ``dvc.yaml``'s
        folder. Refusals (name taken without ``force``, an output another stage or
        ``.dvc`` file owns, a cycle, a path outside the repo) are typed errors, raised
        before anything is written. Nothing runs: see :meth:`reproduce`."""
        from dvcremote.stage import PIPELINE
        from dvcremote.stage_add import add_stage, build_stage

        where = self.repo_path(pipeline) if pipeline is not None else PIPELINE
        if posixpath.basename(where) != PIPELINE:
            where = posixpath.join(where, PIPELINE) if where else PIPELINE
        return add_stage(self, build_stage(name, cmd, pipeline=where, **options), force=force)

    @_writes
    def reproduce(
        self,
        targets: Sequence[str] | None = None,
        *,
        force: bool = False,
        single_item: bool = False,
        run_cache: bool = True,
        pull: bool = False,
        commit: bool = True,
        run: bool = False,
        log: Callable[[str], None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        dry: bool = False,
        recursive: bool = False,
        glob: bool = False,
        pipeline: bool = False,
        all_pipelines: bool = False,
        downstream: bool = False,
        force_downstream: bool = False,
        on_error: str = "fail",
        confirm: Callable[[str], bool] | None = None,
    ) -> ReproResult:
        """Run the stages that changed, as ``dvc repro`` (see :mod:`dvcremote.repro`).

        ``targets``: ``[path/]dvc.yaml`` (all its stages), ``path/dvc.yaml:name``, a
        stage name of the root ``dvc.yaml``, or a ``.dvc`` file; None: the root
        ``dvc.yaml``; with ``recursive`` a folder (every stage below it), with ``glob``
        a name may be a pattern (``tr*``). Their upstream stages run first unless
        ``single_item``; ``downstream``: the targets and what depends on them instead;
        ``pipeline``: every stage connected to them; ``all_pipelines``: every stage.
        ``force`` runs every stage, ``force_downstream`` what depends on a stage that
        ran; ``commit=False`` hashes outputs without caching them; ``run`` runs the
        targets even when unchanged; ``dry`` only logs what would run. ``log``
        receives dvc's progress lines; ``cwd`` is the folder they (and ``DVC_STAGE``)
        name stages from (default: the root). ``confirm(question)`` is asked before
        each stage runs (``-i``). A failing command raises StageCommandFailed with its
        lock entry untouched; with ``on_error="keep-going"`` the stages that do not
        depend on it still run and ReproductionFailed is raised at the end
        (``"ignore"``: nothing is skipped or raised)."""
        from dvcremote.repro import Reproducer

        job = Reproducer(
            self, force=force, run_cache=run_cache, pull=pull, commit=commit,
            log=log or (lambda _m: None), cwd=None if cwd is None else os.fspath(cwd),
            dry=dry, on_error=on_error, force_downstream=force_downstream, confirm=confirm,
        )
        return job.reproduce(
            targets, single_item=single_item, run=run, recursive=recursive, glob=glob,
            pipeline=pipeline, all_pipelines=all_pipelines, downstream=downstream,
        )

    @_writes
    def commit(
        self,
        targets: Sequence[str] | None = None,
        *,
        force: bool = False,
        with_deps: bool = False,
        recursive: bool = False,
        confirm: Callable[[str], bool] | None = None,
        log: Callable[[str], None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> CommitResult:
        """Record the stages' current deps and outputs in ``dvc.lock`` (``.dvc`` files
        for data sources) and their outputs in the cache, as ``dvc commit``; see
        :mod:`dvcremote.stage_commit`. ``targets`` as :meth:`reproduce` reads them, or
        an output path; None: every stage and ``.dvc`` file. A stage that changed is
        recorded only with ``force`` or ``confirm(question)`` answering yes, else
        StageCommitRefused is raised with nothing written."""
        from dvcremote.stage_commit import Committer

        job = Committer(
            self, force=force, log=log or (lambda _m: None),
            cwd=None if cwd is None else os.fspath(cwd),
        )
        return job.record(targets, with_deps=with_deps, recursive=recursive, confirm=confirm)

    @_writes
    def remove(
        self,
        target: str,
        *,
        outs: bool = False,
        cwd: str | os.PathLike[str] | None = None,
    ) -> RemoveResult:
        """Stop tracking a stage or a ``.dvc`` file, as ``dvc remove``
        (:mod:`dvcremote.stage_remove`): ``name`` (of the ``dvc.yaml`` in ``cwd``, default
        the root), ``path/dvc.yaml:name``, a ``dvc.yaml`` (all its stages) or a ``.dvc``
        file, paths relative to ``cwd``. Outputs stay (as plain files) unless ``outs``."""
        from dvcremote.stage_remove import remove

        here = self.repo_path(cwd) if cwd is not None else ""
        return remove(self, target, outs=outs, here=here)

    # -- status --------------------------------------------------------------------------
    @overload
    def status(
        self,
        targets: Targets = ...,
        *,
        cloud: Literal[True],
        remote: str | None = ...,
        jobs: int | None = ...,
        method: str = ...,
        revs: str | Sequence[str] | None = ...,
        all_branches: bool = ...,
        all_tags: bool = ...,
        all_commits: bool = ...,
    ) -> StatusResult: ...
    @overload
    def status(
        self,
        targets: Targets = ...,
        *,
        cloud: Literal[False] = ...,
        remote: None = ...,
        jobs: int | None = ...,
        method: str = ...,
    ) -> WorkspaceStatus: ...
    @overload
    def status(
        self,
        targets: Targets = ...,
        *,
        cloud: bool = ...,
        remote: str | None = ...,
        jobs: int | None = ...,
        method: str = ...,
        revs: str | Sequence[str] | None = ...,
        all_branches: bool = ...,
        all_tags: bool = ...,
        all_commits: bool = ...,
    ) -> StatusResult | WorkspaceStatus: ...

    def status(
        self,
        targets: Targets = None,
        *,
        cloud: bool = False,
        remote: str | None = None,
        jobs: int | None = None,
        method: str = "auto",
        revs: str | Sequence[str] | None = None,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
    ) -> StatusResult | WorkspaceStatus:
        """With ``cloud`` (or a ``remote``): cache vs. remote. Otherwise: workspace vs.
        ``.dvc`` files. ``method`` forces the remote check: ``exists`` or ``list``.
        ``revs`` / ``all_*`` (cloud only) add the objects of those git revisions."""
        if cloud or remote is not None:
            return self.remote_status(
                targets,
                remote=remote,
                jobs=jobs,
                method=method,
                revs=revs,
                all_branches=all_branches,
                all_tags=all_tags,
                all_commits=all_commits,
            )
        if revs or all_branches or all_tags or all_commits:
            raise RepoError("revision options compare with a remote: use cloud=True (status -c)")
        return self.workspace_status(targets, jobs=jobs)

    def remote_status(
        self,
        targets: Targets = None,
        *,
        remote: str | None = None,
        jobs: int | None = None,
        method: str = "auto",
        revs: str | Sequence[str] | None = None,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
    ) -> StatusResult:
        from dvcremote import history

        collected = self._collect_outputs(
            targets, revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
        )
        # ``push: false`` data is never sent, so it can never be in sync: left out, as dvc.
        outputs = [o for o in collected.outputs if o.can_push]
        results: list[StatusResult] = []
        for name, outs in self._by_remote(outputs, remote).items():
            with self.open_remote(name) as adapter:
                results.append(history.status(adapter, outs, jobs=jobs, method=method))
        if not results:
            cfg = self.config.remote(remote)
            return StatusResult(remote=cfg.name)
        return _merge_status(results)

    def workspace_status(
        self, targets: Targets = None, *, jobs: int | None = None
    ) -> WorkspaceStatus:
        from dvcremote.index import output_obj
        from dvcremote.pipeline import StageFile
        from dvcremote.stage_status import stage_changes, unlocked_stages
        from dvcremote.staging import Stager

        stager = Stager(self.root, self.state, None, jobs=jobs)
        changes: dict[str, str] = {}
        by_file: dict[str, dict[str, str]] = {}
        outputs = self.outputs(targets)
        stages: dict[int, StageFile] = {}
        for out in outputs:
            if isinstance(out.dvcfile, StageFile):
                stages.setdefault(id(out.dvcfile), out.dvcfile)
        try:
            for out in outputs:
                obj, manifest = output_obj(out)
                path = out.repo_path
                # dvc's order: a cached output whose data the cache lacks is "not in
                # cache" whatever the workspace holds; ``cache: false`` ones are compared
                # with the workspace only.
                if out.use_cache and obj is not None and not self._cached(obj, manifest):
                    state = "not in cache"
                elif not os.path.lexists(self.full_path(path)):
                    state = "deleted"
                else:
                    current = stager.stage(path, commit=False, hash_name=out.hash_name)
                    if obj is not None and current.obj.oid == obj.oid:
                        continue
                    state = "modified"
                changes[path] = state
                address = out.dvcfile.address if out.dvcfile is not None else path
                by_file.setdefault(address, {})[path] = state

            def current_oid(rel: str, hash_name: str) -> str:
                return stager.stage(rel, commit=False, hash_name=hash_name).obj.oid

            stage_status = {
                s.address: stage_changes(self.root, s, current_oid) for s in stages.values()
            }
            stage_status.update(self._import_updates(outputs))
            if not targets:  # stages never run (no lock entry) are not targets' outputs
                locked = {d.address for d in self.dvcfiles() if isinstance(d, StageFile)}
                for address, outs, rest in unlocked_stages(self.root, locked, current_oid):
                    for path, state in outs.items():
                        changes[path] = state
                        by_file.setdefault(address, {})[path] = state
                    stage_status[address] = rest
        finally:
            self.state.commit()
        return WorkspaceStatus(
            dict(sorted(changes.items())),
            dict(sorted(by_file.items())),
            {a: c for a, c in sorted(stage_status.items()) if c},
        )

    def _import_updates(self, outputs: Sequence[Output]) -> dict[str, StageChanges]:
        """Plain ``status`` of repo imports whose local source moved on (see
        :func:`dvcremote.import_update.update_available`)."""
        from dvcremote.import_update import update_available

        found: dict[str, StageChanges] = {}
        for out in outputs:
            dvcfile = out.dvcfile
            if isinstance(dvcfile, DvcFile) and dvcfile.address not in found:
                shown = update_available(self, dvcfile)
                if shown is not None:
                    found[dvcfile.address] = StageChanges(imports={shown: "update available"})
        return found

    def _cached(self, obj: Obj, manifest: Manifest | None) -> bool:
        """Whether the cache holds ``obj`` whole: a directory's manifest and every file."""
        if not self.cache.exists(obj):
            return False
        if not obj.is_dir:
            return True
        if manifest is None:
            try:
                manifest = self.cache.load_manifest(obj)
            except DvcRemoteError:
                return False
        from dvcremote.objects import Obj

        files = {Obj(md5, obj.legacy) for _, md5 in manifest.entries}
        return len(self.cache.present(files)) == len(files)

    # -- push / fetch / pull -------------------------------------------------------------
    @_writes
    def push(
        self,
        targets: Targets = None,
        *,
        remote: str | None = None,
        jobs: int | None = None,
        progress: Progress = NULL,
        revs: str | Sequence[str] | None = None,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
        run_cache: bool = False,
    ) -> TransferSummary:
        """Upload every object the targets use that the remote lacks; with ``revs`` /
        ``all_*``, those of the chosen git revisions too (see :mod:`dvcremote.history`).
        ``run_cache``: also the run cache's entries, and the objects they name that the
        cache holds, to ``remote`` (see :mod:`dvcremote.runcache_transfer`)."""
        from dvcremote import history

        collected = self._collect_outputs(
            targets, revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
        )
        dvcfiles = collected.dvcfiles
        outputs = collected.outputs
        runs = self._runs_push(remote) if run_cache else None
        if runs is not None:
            outputs = [*outputs, *self._runs_outputs(runs.outputs)]
        try:
            summary = self._per_remote(
                outputs, remote,
                lambda adapter, outs: history.push(adapter, outs, jobs=jobs, progress=progress),
            )
            if runs is not None:  # after the objects: an entry never arrives before its data
                with self.open_remote(remote) as adapter:
                    summary = summary.merge(runs.upload(adapter, jobs=jobs))
            return summary
        finally:
            self.write_dvcfiles(dvcfiles)  # adapters may have recorded version ids

    @property
    def run_cache(self) -> RunCache:
        """The run cache (``runs/`` in the cache folder)."""
        from dvcremote.runcache import RunCache

        return RunCache(self.cache.root)

    def _runs_push(self, remote: str | None) -> RunsPush:
        from dvcremote.remotes import CONTENT, adapter_kind
        from dvcremote.runcache_transfer import RunsPush

        # A version-aware or worktree remote keeps no run cache (upload() says why):
        # no object only an entry names may go to a workspace path there.
        content = adapter_kind(self.config.remote(remote)) == CONTENT
        return RunsPush(self.run_cache, objects=content)

    def _runs_outputs(self, outputs: Sequence[Output]) -> list[Output]:
        """The run-cache outputs whose data the cache holds whole (others are left out:
        dvc pushes none of them, and their absence is no error)."""
        from dvcremote.index import output_obj

        kept = []
        for out in outputs:
            obj, manifest = output_obj(out)
            if obj is not None and self._cached(obj, manifest):
                kept.append(out)
        return kept

    @_writes
    def fetch_run_cache(
        self, *, remote: str | None = None, jobs: int | None = None
    ) -> TransferSummary:
        """Only the run-cache entries of ``remote`` the cache lacks (what ``fetch
        --run-cache`` adds, and ``repro --pull`` does first)."""
        from dvcremote.runcache_transfer import fetch_runs

        with self.open_remote(remote) as adapter:
            return fetch_runs(self.run_cache, adapter, jobs=jobs)

    @_writes
    def fetch_run_outputs(
        self,
        entry: Mapping[str, Any],
        *,
        remote: str | None = None,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> TransferSummary:
        """The objects a run-cache entry's outputs name, into the cache (``repro --pull``
        restoring a stage from an entry whose data is only on ``remote``)."""
        from dvcremote.runcache_transfer import entry_outputs

        return self._fetch_outputs(
            entry_outputs([entry]), remote=remote, jobs=jobs, progress=progress
        )

    @_writes
    def fetch(
        self,
        targets: Targets = None,
        *,
        remote: str | None = None,
        jobs: int | None = None,
        progress: Progress = NULL,
        revs: str | Sequence[str] | None = None,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
        run_cache: bool = False,
    ) -> TransferSummary:
        """Download into the cache every object the targets use that it lacks (verified);
        with ``revs`` / ``all_*``, those of the chosen git revisions too, at the
        versions those revisions recorded. ``run_cache``: first the run-cache entries
        of ``remote`` the cache lacks (each checked; their objects are not fetched)."""
        outputs = self._collect_outputs(
            targets, revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
        ).outputs
        runs = self.fetch_run_cache(remote=remote, jobs=jobs) if run_cache else None
        fetched = self._fetch_outputs(outputs, remote=remote, jobs=jobs, progress=progress)
        return fetched if runs is None else runs.merge(fetched)

    def _fetch_outputs(
        self, outputs: Sequence[Output], *, remote: str | None, jobs: int | None, progress: Progress
    ) -> TransferSummary:
        """Fetch from the remotes, and repo imports from their source repositories."""
        from dvcremote.imports import fetch_imports

        own = [o for o in outputs if not o.is_repo_import]
        imported = fetch_imports(
            self, [o for o in outputs if o.is_repo_import], jobs=jobs, progress=progress
        )
        if imported is not None and not own:
            return imported
        summary = self._per_remote(
            own, remote,
            lambda adapter, outs: adapter.fetch(outs, jobs=jobs, progress=progress),
        )
        return summary if imported is None else summary.merge(imported)

    def _per_remote(
        self,
        outputs: Sequence[Output],
        remote: str | None,
        run: Callable[[Remote, list[Output]], TransferSummary],
    ) -> TransferSummary:
        """Run ``run`` once per remote the outputs go to, one merged summary."""
        summary: TransferSummary | None = None
        for name, outs in self._by_remote(outputs, remote).items():
            with self.open_remote(name) as adapter:
                part = run(adapter, outs)
            summary = part if summary is None else summary.merge(part)
        return summary or TransferSummary(self.config.remote(remote).name)

    @_writes
    def pull(
        self,
        targets: Targets = None,
        *,
        remote: str | None = None,
        jobs: int | None = None,
        force: bool = False,
        progress: Progress = NULL,
        revs: str | Sequence[str] | None = None,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
        run_cache: bool = False,
    ) -> PullResult:
        """``fetch`` then ``checkout`` of the same targets. With ``revs`` / ``all_*`` the
        chosen revisions' data is fetched into the cache too; only the workspace is
        checked out (a target only history tracks is fetched, not checked out).
        ``run_cache``: the run-cache entries too, as in :meth:`fetch`."""
        collected = self._collect_outputs(
            targets, revs, all_branches=all_branches, all_tags=all_tags, all_commits=all_commits
        )
        runs = self.fetch_run_cache(remote=remote, jobs=jobs) if run_cache else None
        fetched = self._fetch_outputs(
            collected.outputs, remote=remote, jobs=jobs, progress=progress
        )
        fetched = fetched if runs is None else runs.merge(fetched)
        in_workspace = collected.workspace_targets
        if in_workspace is not None and not in_workspace:
            return PullResult(fetched, CheckoutResult())
        checked = self.checkout(in_workspace, force=force, jobs=jobs, progress=progress)
        return PullResult(fetched, checked)

    # -- imports -------------------------------------------------------------------------
    @_writes
    def import_repo(
        self,
        url: str,
        path: str,
        *,
        out: str | os.PathLike[str] | None = None,
        rev: str | None = None,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> AddResult:
        """``dvc import``: bring ``path`` of the DVC repository at ``url`` (a git path or
        URL; ``rev``: a branch, tag or commit, default its HEAD) into ``out`` (default:
        the path's name, at the root) and write ``<out>.dvc`` as dvc does, with the
        commit as ``rev_lock``. The data comes from the source's remote (verified)."""
        from dvcremote.import_commands import ImportOptions, import_repo

        return import_repo(self, url, path, ImportOptions(out, rev, jobs, progress))

    @_writes
    def import_url(
        self,
        source: str | os.PathLike[str],
        out: str | os.PathLike[str] | None = None,
        *,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> AddResult:
        """``dvc import-url`` of a local file or directory outside the workspace
        (``source``: absolute, or relative to the root): copy it to ``out`` (default:
        its name, at the root), track it, and write ``<out>.dvc`` as dvc does."""
        from dvcremote.import_commands import import_url

        return import_url(self, source, out, jobs=jobs, progress=progress)

    @_writes
    def update(
        self,
        targets: Targets = None,
        *,
        remote: str | None = None,
        rev: str | None = None,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> UpdateResult:
        """``dvc update``, decided by what each target is: an import ``.dvc`` file is
        brought to its source's ``rev`` (a new one with ``rev``) or source file's current
        content (see :mod:`dvcremote.import_update`); other outputs take the changes made
        on their worktree remote out of band (see :mod:`dvcremote.update`)."""
        from dvcremote.update import update

        return update(self, targets, remote=remote, rev=rev, jobs=jobs, progress=progress)

    # -- checkout ------------------------------------------------------------------------
    @_writes
    def checkout(
        self,
        targets: Targets = None,
        *,
        force: bool = False,
        jobs: int | None = None,
        progress: Progress = NULL,
    ) -> CheckoutResult:
        """Restore tracked paths from the cache with the configured link type."""
        from dvcremote.checkout import checkout_outputs

        return checkout_outputs(
            self, self.outputs(targets), force=force, jobs=jobs, progress=progress
        )

    # -- gc ------------------------------------------------------------------------------
    @_writes
    def gc(
        self,
        *,
        workspace: bool = False,
        cloud: bool = False,
        remote: str | None = None,
        force: bool = False,
        confirm: Callable[[str], bool] | None = None,
        jobs: int | None = None,
        revs: str | Sequence[str] | None = None,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
        dry: bool = False,
        not_in_remote: bool = False,
        run_cache: bool = False,
    ) -> list[GCResult]:
        """Remove cache objects that no output in scope uses; with ``cloud``, the same on
        the remote. As in DVC a scope is required (else :class:`InvalidArgument`):
        ``workspace``, and/or ``revs`` / ``all_*`` (the workspace is always kept too).
        Outputs are those of ``.dvc`` files and of ``dvc.lock``. Nothing is deleted
        unless ``force`` or ``confirm(warning)`` returns True (else
        :class:`ConfirmationRequired`); ``dry`` deletes nothing and reports what would
        go. ``not_in_remote`` also removes used objects the remote already has.
        ``run_cache`` (beyond dvc) also keeps the objects the local run-cache entries
        name, here and with ``cloud`` on the remote; ``runs/`` itself is never touched.

        Refuses (deleting nothing) when a used directory's manifest cannot be read,
        since the files it names would then look unused; the whole keep-set (every
        revision's ``.dvc`` files and locks parsed) is known before anything is deleted.
        """
        from dvcremote.gc import Scope, collect_garbage

        chosen = (revs,) if isinstance(revs, str) else tuple(revs or ())
        scope = Scope(workspace, chosen, all_branches, all_tags, all_commits)
        return collect_garbage(
            self,
            scope,
            cloud=cloud,
            remote=remote,
            force=force,
            confirm=confirm,
            jobs=jobs,
            dry=dry,
            not_in_remote=not_in_remote,
            run_cache=run_cache,
        )


def _config_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merge_status(results: Sequence[StatusResult]) -> StatusResult:
    if len(results) == 1:
        return results[0]
    paths: dict[str, str] = {}
    for r in results:
        paths.update(r.paths)
    names = sorted({r.remote for r in results if r.remote})
    return StatusResult(
        ok=frozenset().union(*(r.ok for r in results)),
        new=frozenset().union(*(r.new for r in results)),
        deleted=frozenset().union(*(r.deleted for r in results)),
        missing=frozenset().union(*(r.missing for r in results)),
        paths=dict(sorted(paths.items())),
        remote=",".join(names) or None,
    )


__all__ = ["Repo", "find_dvcfiles", "find_root"]
