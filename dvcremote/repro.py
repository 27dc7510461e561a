"""``repro``: run the stages whose command, deps, params or outs changed, in DAG order.

dvc's rules (``dvc/repo/reproduce.py``, ``dvc/stage/__init__.py``, ``dvc/stage/run.py``):
a stage changed when the first of these holds: its ``cmd`` differs from the lock's
(compared exactly), a dep or params key differs (a frozen stage's are not looked
at), an output is not in the cache, deleted or modified; ``always_changed`` and
callback stages (no deps, no outs) always run, ``force`` runs everything. Before a
command runs its outputs are deleted (``persist`` ones are only made writable); each
line runs as ``$SHELL -c line`` (bash ``--noprofile --norc``, zsh ``--no-rcs``) in
the stage's ``wdir`` with ``DVC_ROOT`` and ``DVC_STAGE`` set. Then outputs go into the
cache (read-only objects, linked back with the configured link type, the exec bit
restored) and the lock entry is written.

Safety: every path of every ``dvc.yaml`` is checked (:meth:`Stage.check_paths`) and
the graph built (duplicate outputs, overlaps, cycles) before any command runs; deps
and params are read before the outputs are deleted. A command that fails raises
StageCommandFailed: the lock entry and the cache are left as they were.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import signal
import stat
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dvcremote import gitops
from dvcremote.cache import LocalCache
from dvcremote.dag import Graph, Node, load_nodes, node_key
from dvcremote.dvcfile import DvcFile, Output
from dvcremote.errors import (
    DvcRemoteError,
    InvalidRunCacheEntry,
    MissingParams,
    PipelineError,
    StageCommandFailed,
    StageNotFound,
    TargetNotFound,
    UnsafePath,
)
from dvcremote.hashing import MD5, MD5_DOS2UNIX
from dvcremote.lockfile import (
    Hashed,
    build_entry,
    hashed,
    keep_versions,
    read_entries,
    write_entry,
)
from dvcremote.lockfile import recorded as recorded_obj
from dvcremote.params import read_values
from dvcremote.results import ReproResult
from dvcremote.runcache import RunCache
from dvcremote.stage import PIPELINE, Stage
from dvcremote.staging import Stager

if TYPE_CHECKING:
    from dvcremote.repo import Repo

Log = Callable[[str], None]
#: Shell options that keep rc files from changing the command's environment.
_SHELL_OPTS = {"bash": ["--noprofile", "--norc"], "zsh": ["--no-rcs"]}


def _quiet(_message: str) -> None:
    pass


class Reproducer:
    """One ``repro`` run over a repository (the caller holds the repository lock)."""

    def __init__(
        self,
        repo: Repo,
        *,
        force: bool = False,
        run_cache: bool = True,
        pull: bool = False,
        commit: bool = True,
        log: Log = _quiet,
        cwd: str | None = None,
    ) -> None:
        self.repo = repo
        #: The folder messages and ``DVC_STAGE`` name stages from (dvc: the current one).
        self.here = repo.repo_path(cwd) if cwd is not None else ""
        self.force = force
        self.run_cache = run_cache
        self.pull = pull
        self.commit = commit
        self.log = log
        self.hasher = Stager(repo.root, repo.state, None)
        self.ran: list[str] = []
        self.restored: list[str] = []
        self.skipped: list[str] = []
        self.locks: list[str] = []
        self._lock_cache: dict[str, dict[str, Any]] = {}

    # -- targets -------------------------------------------------------------------------
    def resolve(self, graph: Graph, targets: Sequence[str] | None) -> list[Node]:
        """Nodes named by targets: ``[path/]dvc.yaml`` or a folder (all its stages),
        ``[path/dvc.yaml|folder]:name``, a bare stage name of the root ``dvc.yaml``, or a
        ``.dvc`` file. None: every stage of the root ``dvc.yaml``."""
        if targets is None:
            targets = [PIPELINE]
        found: list[Node] = []
        for target in targets:
            for node in self._resolve_one(graph, target):
                if node_key(node) not in {node_key(n) for n in found}:
                    found.append(node)
        return found

    def _resolve_one(self, graph: Graph, target: str) -> list[Node]:
        head, sep, name = target.rpartition(":")
        if not sep or "/" in name or os.sep in name:
            head, name = target, ""
        rel = self.repo.repo_path(head) if head else ""
        if posixpath.basename(rel) != PIPELINE and not rel.endswith(".dvc"):
            if name or os.path.isdir(self.repo.full_path(rel)):
                rel = posixpath.join(rel, PIPELINE) if rel else PIPELINE
            elif not os.path.exists(self.repo.full_path(rel)):
                name, rel = rel, PIPELINE  # a bare stage name
        if rel.endswith(".dvc"):
            chosen: list[Node] = [
                n for n in graph.nodes if isinstance(n, DvcFile) and n.path == rel
            ]
        else:
            chosen = [
                n
                for n in graph.nodes
                if isinstance(n, Stage)
                and n.pipeline == rel
                and (not name or n.name == name or n.name.startswith(f"{name}@"))
            ]
        if not chosen:
            if not os.path.exists(self.repo.full_path(rel)):
                raise StageNotFound(f"'{self._rel(rel)}' does not exist")
            raise StageNotFound(
                f"'{self._rel(rel)}' does not have a stage named {name!r}"
                if name
                else f"'{self._rel(rel)}' has no stages"
            )
        return chosen

    # -- the run -------------------------------------------------------------------------
    def reproduce(
        self,
        targets: Sequence[str] | None,
        *,
        single_item: bool = False,
        run: bool = False,
    ) -> ReproResult:
        """Reproduce the targets (and, unless ``single_item``, what they depend on).
        ``run``: the targets run whether changed or not (``stage add --run``)."""
        graph = Graph.build(load_nodes(self.repo.root))
        chosen = self.resolve(graph, targets)
        plan = graph.plan(chosen, single_item=single_item)
        forced = {node_key(n) for n in chosen} if run else set()
        if self.pull and self.run_cache:
            self._pull_run_cache()
        for node in plan:  # symlinked folders too, before any command runs
            if isinstance(node, Stage):
                for out in node.outs:
                    self._out_full(node, out.path)
        self.hasher.placer.clean_stale()
        try:
            busy = False
            for node in plan:
                if busy:
                    self.log("")
                if isinstance(node, Stage):
                    busy = self._stage(node, node_key(node) in forced)
                else:
                    busy = self._data_source(node)
        finally:
            self.repo.state.commit()
        return ReproResult(
            tuple(self.ran),
            tuple(self.restored),
            tuple(self.skipped),
            tuple(dict.fromkeys(self.locks)),
        )

    def _data_source(self, dvcfile: DvcFile) -> bool:
        """A ``.dvc`` file in the graph: added again when its data changed (or with
        ``force``), as dvc does."""
        changes = self.repo.workspace_status([self.repo.full_path(dvcfile.path)]).changes
        if not (changes or self.force):
            self.log(f"'{self._rel(dvcfile.path)}' didn't change, skipping")
            self.skipped.append(dvcfile.path)
            return False
        if dvcfile.raw.get("deps"):  # an import: its data comes from its source
            self.log(
                f"WARNING: '{self._rel(dvcfile.path)}' is an import whose data changed;"
                " not added again (dvcremote does not update imports)"
            )
            return False
        self.log(f"Verifying data sources in stage: '{self._rel(dvcfile.path)}'")
        self.repo.add([self.repo.full_path(o.repo_path) for o in dvcfile.outs])
        self.ran.append(dvcfile.path)
        return True

    def _stage(self, stage: Stage, run: bool) -> bool:
        if stage.frozen:
            self.log(
                f"WARNING: stage: '{self._addr(stage)}' is frozen. Its dependencies are"
                " not going to be reproduced."
            )
        locked = self._entries(stage.lock_path).get(stage.name)
        locked = locked if isinstance(locked, dict) else None
        if not (self.force or run or self.changed(stage, locked)):
            self.log(f"Stage '{self._addr(stage)}' didn't change, skipping")
            self.skipped.append(stage.addressing)
            return False
        if (
            self.pull
            and not (self.force or run)
            and not self.changed(stage, locked, allow_missing=True)
            and self._pull_stage(stage)
        ):
            return False
        if self.pull and not self.force:
            self._pull_missing_deps(stage)
        deps, params = self._hash_deps(stage)
        if stage.frozen:
            self.log(f"Verifying outputs in frozen stage: '{self._addr(stage)}'")
            self._check_outs_exist(stage)
            restored = False
        else:
            self._remove_outs(stage)
            restored = not self.force and self._restore(stage, locked, deps, params)
            if not restored:
                self._run(stage)
                deps, params = self._hash_deps(stage)
        outs = self._save_outs(stage)
        entry = build_entry(stage, deps, params, outs)
        if self.commit and stage.saves_run_cache and not stage.frozen:
            self._save_run(stage, entry)  # a run-cache entry never records versions
        entry = keep_versions(entry, locked)
        self._ignore_outs(stage)
        if write_entry(
            self.repo.root,
            self.repo.dvc_dir,
            stage.lock_path,
            stage.name,
            entry,
            self.log,
            shown=self._rel(stage.lock_path),
        ):
            self.locks.append(stage.lock_path)
        self._entries(stage.lock_path)[stage.name] = entry
        (self.restored if restored else self.ran).append(stage.addressing)
        return True

    def _entries(self, lock_path: str) -> dict[str, Any]:
        """The lock's entries, read once per run and kept up to date as entries are
        written (a pipeline of thousands of stages would parse its lock each time)."""
        if lock_path not in self._lock_cache:
            self._lock_cache[lock_path] = dict(read_entries(self.repo.root, lock_path))
        return self._lock_cache[lock_path]

    def _rel(self, path: str) -> str:
        """A repo path as dvc shows it: relative to the current folder."""
        return posixpath.relpath(path, self.here or ".") if self.here else path

    def _addr(self, stage: Stage) -> str:
        """dvc's ``addressing`` from the current folder: ``name`` for the ``dvc.yaml``
        there, else ``path/dvc.yaml:name`` (messages and ``DVC_STAGE``)."""
        shown = self._rel(stage.pipeline)
        return stage.name if shown == PIPELINE else f"{shown}:{stage.name}"

    # -- deciding ------------------------------------------------------------------------
    def changed(
        self, stage: Stage, locked: Mapping[str, Any] | None, *, allow_missing: bool = False
    ) -> bool:
        """dvc's order: command, then deps and params, then outputs. ``allow_missing``:
        a dep or output that is absent (an output also not in the cache) is no change
        (``repro --pull`` then pulls the stage's data instead of running it)."""
        if locked is None:
            return True
        if locked.get("cmd") != stage.cmd:
            return True
        if not stage.frozen and (
            stage.is_callback
            or stage.always_changed
            or self._deps_changed(stage, locked, allow_missing)
        ):
            return True
        return self._outs_changed(stage, locked, allow_missing)

    def _deps_changed(self, stage: Stage, locked: Mapping[str, Any], missing_ok: bool) -> bool:
        recorded = _items(locked.get("deps"))
        for dep in stage.deps:
            rel = stage.repo_path(dep)
            item = recorded.get(dep)
            if item is None:
                return True
            if not os.path.lexists(self.repo.full_path(rel)):
                if missing_ok:
                    continue
                return True
            obj = recorded_obj(item)
            if obj is None or self._oid(rel, obj[0].legacy) != obj[0].oid:
                return True
        values = locked.get("params") or {}
        for file, keys in stage.params_deps().items():
            try:
                current = read_values(self.repo.root, stage.repo_path(file), keys)
            except MissingParams:
                return True
            if not isinstance(values, Mapping) or current != values.get(file):
                return True
        return False

    def _outs_changed(self, stage: Stage, locked: Mapping[str, Any], missing_ok: bool) -> bool:
        recorded = _items(locked.get("outs"))
        for out in stage.outs:
            found = recorded_obj(recorded.get(out.path))
            if found is None:
                return True
            obj, manifest = found
            rel = stage.repo_path(out.path)
            if out.use_cache and not self.repo._cached(obj, manifest):
                if missing_ok:
                    continue
                return True
            if not os.path.lexists(self.repo.full_path(rel)):
                if missing_ok:
                    continue
                return True
            if self._oid(rel, obj.legacy) != obj.oid:
                return True
        return False

    def _oid(self, rel: str, legacy: bool = False) -> str | None:
        """What ``rel`` hashes to now (with DVC 2.x's md5-dos2unix for a legacy item)."""
        try:
            return self.hasher.stage(
                rel, commit=False, hash_name=MD5_DOS2UNIX if legacy else MD5
            ).obj.oid
        except OSError:
            return None

    # -- running -------------------------------------------------------------------------
    def _hash_deps(self, stage: Stage) -> tuple[dict[str, Hashed], dict[str, dict[str, Any]]]:
        """Every dep hashed and every params value read; a missing one is an error."""
        deps: dict[str, Hashed] = {}
        for dep in stage.deps:
            rel = stage.repo_path(dep)
            try:
                deps[dep] = hashed(self.hasher.stage(rel, commit=False))
            except FileNotFoundError:
                raise PipelineError(
                    f"failed to reproduce {self._addr(stage)!r}: dependency '{rel}' does not exist"
                ) from None
        params = {
            file: read_values(self.repo.root, stage.repo_path(file), keys)
            for file, keys in stage.params_deps().items()
        }
        return deps, params

    def _out_full(self, stage: Stage, path: str) -> str:
        rel = stage.repo_path(path)
        problem = self.repo.paths.problem(rel)
        if problem is not None:
            raise UnsafePath(path, problem, source=stage.pipeline)
        return self.repo.full_path(rel)

    def _remove_outs(self, stage: Stage) -> None:
        for out in stage.outs:
            full = self._out_full(stage, out.path)
            if out.persist:
                _unprotect(full)
            elif os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            elif os.path.lexists(full):
                os.unlink(full)

    def _check_outs_exist(self, stage: Stage) -> None:
        missing = [
            stage.repo_path(o.path)
            for o in stage.outs
            if not os.path.lexists(self._out_full(stage, o.path))
        ]
        if missing:
            raise PipelineError(
                f"failed to reproduce {self._addr(stage)!r}:"
                f" missing data 'source': {', '.join(missing)}"
            )

    def _restore(
        self,
        stage: Stage,
        locked: Mapping[str, Any] | None,
        deps: Mapping[str, Hashed],
        params: Mapping[str, Any],
    ) -> bool:
        """Check out a previous result instead of running (``dvc/stage/cache.py:restore``):
        the lock entry when the command and deps still match it (even without the run
        cache), else the newest run-cache entry for these command, deps, params and
        output paths. Either only if every output it names is in the cache (with
        ``pull``, fetched from the default remote first)."""
        if not stage.can_run_cache:
            return False
        current = build_entry(stage, deps, params, {o.path: {} for o in stage.outs})
        entry = self._from_lock(stage, locked, current)
        if entry is None and self.run_cache:
            bad: list[InvalidRunCacheEntry] = []
            entry = RunCache(self.repo.cache.root).lookup(current, bad)
            for exc in bad:
                self.log(f"WARNING: corrupted cache file {exc.path!r}: {exc.reason}")
        if entry is None:
            return False
        items = [i for i in entry.get("outs", []) if isinstance(i, Mapping)]
        if self.pull:
            self._pull_objects(items)
        return self._checkout_entry(stage, items)

    def _from_lock(
        self, stage: Stage, locked: Mapping[str, Any] | None, current: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The lock entry, if its command, deps and params are the current ones and it
        records a hash for every output the stage declares."""
        if locked is None or locked.get("cmd") != stage.cmd:
            return None
        if _without_meta(current.get("deps")) != _without_meta(locked.get("deps")) or (
            current.get("params") != locked.get("params")
        ):
            return None
        recorded = _items(locked.get("outs"))
        items = [recorded.get(o.path) for o in stage.outs]
        if any(recorded_obj(i) is None for i in items):
            return None
        return {"outs": items}

    def _save_run(self, stage: Stage, entry: Mapping[str, Any]) -> None:
        """Record this result in the run cache; ``cache: false`` metrics and plots are
        copied into the cache first (as dvc does) so a restore can bring them back."""
        copier = Stager(self.repo.root, self.repo.state, LocalCache(self.repo.cache.root, ["copy"]))
        for out in stage.outs:
            if not out.use_cache:
                copier.stage(stage.repo_path(out.path), commit=True)
        RunCache(self.repo.cache.root).save(entry)

    def _pull_run_cache(self) -> None:
        """``--pull``: the default remote's run-cache entries first, as dvc; a remote
        that keeps none (version-aware, worktree, http) is warned about, not an error."""
        summary = self.repo.fetch_run_cache()
        if summary.runs_skipped:
            self.log(f"WARNING: Failed to pull run cache: {summary.runs_skipped}")

    def _pull_stage(self, stage: Stage) -> bool:
        """``--pull`` for a stage changed only by absent data: its lock outputs pulled
        from their remote and checked out instead of a run (dvc's "Pulling data for")."""
        self.log(f"Pulling data for stage: '{self._addr(stage)}'")
        target = f"{self.repo.full_path(stage.pipeline)}:{stage.name}"
        try:
            result = self.repo.pull([target])
        except DvcRemoteError as exc:
            self.log(f"Unable to pull data for stage: '{self._addr(stage)}' ({exc})")
            return False
        if not result.ok:
            self.log(f"Unable to pull data for stage: '{self._addr(stage)}'")
            return False
        return True

    def _pull_missing_deps(self, stage: Stage) -> None:
        """``--pull``: deps absent from the workspace that a ``.dvc`` file or another
        stage's lock tracks are pulled first (dvc's ``_pull_missing_deps``)."""
        for dep in stage.deps:
            full = self.repo.full_path(stage.repo_path(dep))
            if os.path.lexists(full):
                continue
            try:
                self.repo.pull([full])
            except TargetNotFound:
                continue  # not tracked: _hash_deps reports it missing

    def _pull_objects(self, items: Sequence[Mapping[str, Any]]) -> None:
        """``--pull``: the objects an entry's outputs name, from the default remote
        (those it lacks are left out; the restore then finds them missing and runs)."""
        self.repo.fetch_run_outputs({"outs": list(items)})

    def _checkout_entry(self, stage: Stage, items: Sequence[Mapping[str, Any]]) -> bool:
        """Check out the outputs ``items`` (lock items) if all are in the cache."""
        found = [recorded_obj(i) for i in items]
        if not all(f is not None and self.repo._cached(*f) for f in found):
            return False
        self.log(f"Stage '{self._addr(stage)}' is cached - skipping run, checking out outputs")
        from dvcremote.checkout import checkout_outputs

        outputs = [Output(dict(i), stage.work_dir) for i in items]
        for out in outputs:
            out.check_path()
        result = checkout_outputs(self.repo, outputs, force=True)
        if result.failed:
            path, why = sorted(result.failed.items())[0]
            raise PipelineError(f"failed to reproduce {self._addr(stage)!r}: {path}: {why}")
        return True

    def _run(self, stage: Stage) -> None:
        self.log(f"Running stage '{self._addr(stage)}':")
        lines = stage.cmd if isinstance(stage.cmd, list) else stage.cmd.splitlines()
        shell = os.environ.get("SHELL") or "/bin/sh"
        opts = _SHELL_OPTS.get(os.path.basename(shell).lower(), [])
        env = dict(os.environ)
        env.setdefault("DVC_ROOT", self.repo.root)
        env["DVC_STAGE"] = self._addr(stage)
        cwd = self.repo.full_path(stage.work_dir)
        for line in lines:
            self.log(f"> {line}")
            code = _call([shell, *opts, "-c", line], cwd, env)
            if code != 0:
                raise StageCommandFailed(line, code, self._addr(stage))

    def _save_outs(self, stage: Stage) -> dict[str, Hashed]:
        """Hash every output (all must exist), then store the cached ones."""
        self._check_outs_exist(stage)
        from dvcremote.checkout import set_exec

        committer = Stager(self.repo.root, self.repo.state, self.repo.cache)
        outs: dict[str, Hashed] = {}
        for out in stage.outs:
            rel = stage.repo_path(out.path)
            commit = self.commit and out.use_cache
            staged = (committer if commit else self.hasher).stage(rel, commit=commit)
            if commit and staged.isexec:
                set_exec(self.repo.full_path(rel))
            outs[out.path] = hashed(staged)
        return outs

    def _ignore_outs(self, stage: Stage) -> None:
        """.gitignore entries for cached outputs (inside git), as dvc's ``Output.ignore``."""
        git = self.repo.git
        if git is None:
            return
        for out in stage.outs:
            if out.use_cache:
                gitops.ignore(git, self.repo.full_path(stage.repo_path(out.path)))


def _items(value: object) -> dict[str, Mapping[str, Any]]:
    """Lock deps/outs items by path."""
    if not isinstance(value, list):
        return {}
    return {str(i["path"]): i for i in value if isinstance(i, Mapping) and "path" in i}


def _without_meta(value: object) -> list[tuple[str, str | None]]:
    """Items compared by path and object only (dvc compares hashes, not size, isexec
    or the ``files:`` form a version-aware push leaves a directory dep in)."""
    found = ((str(i.get("path")), recorded_obj(i)) for i in _items(value).values())
    return sorted((path, None if rec is None else rec[0].oid) for path, rec in found)


def _unprotect(full: str) -> None:
    """Make a ``persist`` output writable in place: a file linked into the cache becomes
    a private copy, so the command never writes through to a cache object."""
    if os.path.isdir(full) and not os.path.islink(full):
        for folder, _dirs, files in os.walk(full):
            for name in files:
                _unprotect_file(os.path.join(folder, name))
    elif os.path.lexists(full):
        _unprotect_file(full)


def _unprotect_file(path: str) -> None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or st.st_nlink > 1:
        tmp = f"{path}.{os.getpid()}.unprotect"
        shutil.copyfile(path, tmp)
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode) | stat.S_IWUSR)
        os.replace(tmp, path)
    elif not st.st_mode & stat.S_IWUSR:
        os.chmod(path, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)


def _call(argv: list[str], cwd: str, env: dict[str, str]) -> int:
    """Run one command line; like dvc, Ctrl-C goes to the command, not to us."""
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, close_fds=True)  # noqa: S603
    except OSError as exc:
        raise PipelineError(f"cannot run {argv[-1]!r} in {cwd!r}: {exc.strerror}") from None
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        return proc.wait()
    finally:
        if main:
            signal.signal(signal.SIGINT, old)


__all__ = ["Reproducer"]
