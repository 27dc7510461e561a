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

Options as ``dvc repro``'s: ``dry`` says what would run and changes nothing;
``on_error`` ``keep-going`` goes on with the stages that do not depend on a failed
one (which are skipped) and fails at the end, ``ignore`` goes on with every stage;
``force_downstream`` forces what depends on a stage that ran; ``confirm`` asks before
each stage (``-i``). Target selection (``recursive``, ``glob``, ``pipeline``,
``all_pipelines``, ``downstream``) is :meth:`Reproducer.reproduce`'s.

Safety: every path of every ``dvc.yaml`` is checked (:meth:`Stage.check_paths`) and
the graph built (duplicate outputs, overlaps, cycles) before any command runs; deps
and params are read before the outputs are deleted. A command that fails raises
StageCommandFailed: the lock entry and the cache are left as they were.
"""

from __future__ import annotations

import fnmatch
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
from dvcremote.dag import Graph, Key, Node, load_nodes, node_key
from dvcremote.dvcfile import DvcFile, Output
from dvcremote.errors import (
    DvcRemoteError,
    InvalidRunCacheEntry,
    MissingParams,
    PipelineError,
    ReproductionFailed,
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
from dvcremote.stage import PIPELINE, Stage, StageOut
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
        dry: bool = False,
        on_error: str = "fail",
        force_downstream: bool = False,
        confirm: Callable[[str], bool] | None = None,
    ) -> None:
        self.repo = repo
        #: The folder messages and ``DVC_STAGE`` name stages from (dvc: the current one).
        self.here = repo.repo_path(cwd) if cwd is not None else ""
        self.force = force
        self.run_cache = run_cache
        self.pull = pull
        self.commit = commit
        self.log = log
        self.dry = dry
        if on_error not in ("fail", "keep-going", "ignore"):
            raise ValueError(f"on_error: {on_error!r}")
        self.on_error = on_error
        self.force_downstream = force_downstream
        self.confirm = confirm
        self.hasher = Stager(repo.root, repo.state, None)
        self.ran: list[str] = []
        self.restored: list[str] = []
        self.skipped: list[str] = []
        self.locks: list[str] = []
        self.failed: list[str] = []
        self._lock_cache: dict[str, dict[str, Any]] = {}

    # -- targets -------------------------------------------------------------------------
    def resolve(
        self,
        graph: Graph,
        targets: Sequence[str] | None,
        *,
        recursive: bool = False,
        glob: bool = False,
    ) -> list[Node]:
        """Nodes named by targets: ``[path/]dvc.yaml`` or a folder (all its stages),
        ``[path/dvc.yaml|folder]:name``, a bare stage name of the root ``dvc.yaml``, or a
        ``.dvc`` file. None: every stage of the root ``dvc.yaml``. ``recursive``: a
        folder names every stage and ``.dvc`` file below it; ``glob``: a name may be a
        shell pattern (``tr*``). What names nothing is an error: dvc would then
        reproduce every stage of the project."""
        if targets is None:
            targets = [PIPELINE]
        found: list[Node] = []
        for target in targets:
            rel = self.repo.repo_path(target) if recursive else None
            if rel is not None and os.path.isdir(self.repo.full_path(rel)):
                nodes = _inside(graph, rel)
            else:
                nodes = self._resolve_one(graph, target, glob)
            for node in nodes:
                if node_key(node) not in {node_key(n) for n in found}:
                    found.append(node)
        if not found:
            shown = ", ".join(repr(self._rel(self.repo.repo_path(t.rpartition(":")[0] or t)))
                              for t in targets)
            raise StageNotFound(f"no stages found in {shown}")
        return found

    def _resolve_one(self, graph: Graph, target: str, glob: bool = False) -> list[Node]:
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
            stages = [n for n in graph.nodes if isinstance(n, Stage) and n.pipeline == rel]
            chosen = [
                n
                for n in stages
                if not name or n.name == name or n.name.startswith(f"{name}@")
            ]
            if glob and name and not chosen:
                chosen = [n for n in stages if fnmatch.fnmatchcase(n.name, name)]
                if not chosen:
                    return []  # as dvc: a pattern may match nothing
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
        recursive: bool = False,
        glob: bool = False,
        pipeline: bool = False,
        all_pipelines: bool = False,
        downstream: bool = False,
    ) -> ReproResult:
        """Reproduce the targets and what they depend on, as ``dvc repro``:
        ``single_item`` the targets alone, ``downstream`` the targets and what depends
        on them, ``pipeline`` every stage connected to a target, ``all_pipelines``
        every stage of the project (targets ignored). ``run``: the targets run whether
        changed or not (``stage add --run``). With ``on_error`` other than ``fail``,
        a failed stage raises ReproductionFailed at the end (``ignore``: never)."""
        graph = Graph.build(load_nodes(self.repo.root))
        if pipeline or all_pipelines:
            single_item = downstream = False
        chosen = [] if all_pipelines else self.resolve(graph, targets, recursive=recursive,
                                                       glob=glob)
        plan = graph.plan(chosen, single_item=single_item, downstream=downstream,
                          pipeline=pipeline)
        forced = {node_key(n) for n in chosen} if run else set()
        if self.pull and self.run_cache and not self.dry:
            self._pull_run_cache()
        for node in plan:  # symlinked folders too, before any command runs
            if isinstance(node, Stage):
                for out in node.outs:
                    self._out_full(node, out.path)
        if not self.dry:
            self.hasher.placer.clean_stale()
        try:
            self._walk(None if single_item else graph, plan, forced)
        finally:
            self.repo.state.commit()
        result = ReproResult(
            tuple(self.ran),
            tuple(self.restored),
            tuple(self.skipped),
            tuple(dict.fromkeys(self.locks)),
            tuple(self.failed),
        )
        if self.failed and self.on_error != "ignore":
            names = _join([repr(n) for n in self.failed])
            raise ReproductionFailed(list(self.failed), names, result)
        return result

    def _walk(self, graph: Graph | None, plan: Sequence[Node], forced: set[Key]) -> None:
        """Each node of the plan in turn (dvc's ``_reproduce``); ``graph`` (None with
        ``single_item``) says what a failure skips and what ``force_downstream`` forces."""
        skip: set[Key] = set()
        forced_down: set[Key] = set()
        busy = False
        for node in plan:
            key = node_key(node)
            if key in skip:
                continue
            if busy:
                self.log("")
            force = self.force or key in forced_down
            try:
                if isinstance(node, Stage):
                    busy = self._stage(node, key in forced, force)
                else:
                    busy = self._data_source(node, force)
            except DvcRemoteError as exc:
                if self.on_error == "fail":
                    raise
                self.failed.append(self._shown(node))
                skip |= self._failure(graph, node, exc)
                continue
            if graph is not None and self.force_downstream and (busy or force):
                forced_down.update(graph.dependents(key))

    def _failure(self, graph: Graph | None, node: Node, exc: DvcRemoteError) -> set[Key]:
        """``keep-going``/``ignore``: warn; the failed node's dependents (all of them,
        as dvc) are skipped unless errors are ignored."""
        reason = (
            f"failed to run: {exc.cmd}, exited with {exc.returncode}"
            if isinstance(exc, StageCommandFailed)
            else str(exc)
        )
        ignored = self.on_error == "ignore"
        self.log(f"WARNING: {reason}{' (ignored)' if ignored else ''}")
        if graph is None or ignored:
            return set()
        key = node_key(node)
        dependents = graph.reachable([key], graph.dependents) - {key}
        if dependents:
            names = _join([repr(self._shown(n)) for n in graph.order(dependents)])
            many = "Stages" if len(dependents) > 1 else "Stage"
            self.log(f"WARNING: {many} {names} will be skipped due to this failure")
        return dependents

    def _shown(self, node: Node) -> str:
        return self._addr(node) if isinstance(node, Stage) else self._rel(node.path)

    def _confirm(self, node: Node) -> None:
        """``-i``: dvc's question before a node runs; no is an error (no terminal: no)."""
        shown = f"stage: '{self._shown(node)}'"
        question = f"Going to reproduce {shown}. Are you sure you want to continue?"
        if self.confirm is not None and not self.confirm(question):
            raise PipelineError("reproduction aborted by the user")

    def _data_source(self, dvcfile: DvcFile, force: bool) -> bool:
        """A ``.dvc`` file in the graph: added again when its data changed (or with
        ``force``), as dvc does."""
        changes = self.repo.workspace_status([self.repo.full_path(dvcfile.path)]).changes
        if not (changes or force):
            self.log(f"'{self._rel(dvcfile.path)}' didn't change, skipping")
            self.skipped.append(dvcfile.path)
            return False
        self._confirm(dvcfile)
        if self.dry:
            self.ran.append(dvcfile.path)
            return True
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

    def _stage(self, stage: Stage, run: bool, force: bool) -> bool:
        if stage.frozen:
            self.log(
                f"WARNING: stage: '{self._addr(stage)}' is frozen. Its dependencies are"
                " not going to be reproduced."
            )
        locked = self._entries(stage.lock_path).get(stage.name)
        locked = locked if isinstance(locked, dict) else None
        if not (force or run or self.changed(stage, locked)):
            self.log(f"Stage '{self._addr(stage)}' didn't change, skipping")
            self.skipped.append(stage.addressing)
            return False
        if (
            self.pull
            and not (force or run or self.dry)
            and not self.changed(stage, locked, allow_missing=True)
            and self._pull_stage(stage)
        ):
            return False
        self._confirm(stage)
        if self.dry:
            return self._dry_run(stage, locked, force)
        if self.pull and not force:
            self._pull_missing_deps(stage)
        deps, params = self._hash_deps(stage)
        if stage.frozen:
            self.log(f"Verifying outputs in frozen stage: '{self._addr(stage)}'")
            self._check_outs_exist(stage)
            restored = False
        else:
            self._remove_outs(stage)
            restored = not force and self._restore(stage, locked, deps, params)
            if not restored:
                self._run(stage)
                deps, params = self._hash_deps(stage)
        self._check_outs_exist(stage)  # before the .gitignore entries
        self._ignore_outs(stage)
        self._record(stage, locked, deps, params, save_run=self.commit)
        (self.restored if restored else self.ran).append(stage.addressing)
        return True

    def _record(
        self,
        stage: Stage,
        locked: Mapping[str, Any] | None,
        deps: Mapping[str, Hashed],
        params: Mapping[str, Mapping[str, Any]],
        *,
        save_run: bool,
    ) -> None:
        """Outputs hashed (and committed), the run-cache entry saved (``save_run``,
        when the stage may use it), the lock entry written."""
        outs = self._save_outs(stage)
        entry = build_entry(stage, deps, params, outs)
        if save_run and stage.saves_run_cache and not stage.frozen:
            self._save_run(stage, entry)  # a run-cache entry never records versions
        entry = keep_versions(entry, locked)
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
        return any(
            self.dep_changed(stage, dep, recorded, missing_ok) for dep in stage.deps
        ) or bool(self.params_changed(stage, locked))

    def dep_changed(
        self,
        stage: Stage,
        dep: str,
        recorded: Mapping[str, Mapping[str, Any]],
        missing_ok: bool = False,
    ) -> bool:
        """Whether ``dep`` differs from its lock item (``recorded`` by path); absent
        counts only without ``missing_ok``."""
        rel = stage.repo_path(dep)
        item = recorded.get(dep)
        if item is None:
            return True
        if not os.path.lexists(self.repo.full_path(rel)):
            return not missing_ok
        obj = recorded_obj(item)
        return obj is None or self._oid(rel, obj[0].legacy) != obj[0].oid

    def params_changed(self, stage: Stage, locked: Mapping[str, Any]) -> list[str]:
        """The params files whose tracked values differ from the lock's (or are missing)."""
        values = locked.get("params") or {}
        changed: list[str] = []
        for file, keys in stage.params_deps().items():
            try:
                current = read_values(self.repo.root, stage.repo_path(file), keys)
            except MissingParams:
                changed.append(file)
                continue
            if not isinstance(values, Mapping) or current != values.get(file):
                changed.append(file)
        return changed

    def _outs_changed(self, stage: Stage, locked: Mapping[str, Any], missing_ok: bool) -> bool:
        recorded = _items(locked.get("outs"))
        return any(self.out_changed(stage, out, recorded, missing_ok) for out in stage.outs)

    def out_changed(
        self,
        stage: Stage,
        out: StageOut,
        recorded: Mapping[str, Mapping[str, Any]],
        missing_ok: bool = False,
        *,
        in_cache: bool = True,
    ) -> bool:
        """Whether ``out`` is not in the cache (looked at with ``in_cache``), absent
        (both fine with ``missing_ok``) or differs from its lock item."""
        found = recorded_obj(recorded.get(out.path))
        if found is None:
            return True
        obj, manifest = found
        rel = stage.repo_path(out.path)
        if in_cache and out.use_cache and not self.repo._cached(obj, manifest):
            return not missing_ok
        if not os.path.lexists(self.repo.full_path(rel)):
            return not missing_ok
        return self._oid(rel, obj.legacy) != obj.oid

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

    def _dry_run(self, stage: Stage, locked: Mapping[str, Any] | None, force: bool) -> bool:
        """``--dry``: what would happen, as dvc prints it (``is cached`` for a result the
        cache holds, else ``Running stage`` and the command lines); nothing is run,
        deleted, cached or written. A frozen stage would only be checked."""
        if stage.frozen:
            self.ran.append(stage.addressing)
            return True
        items = None if force else self._restorable(stage, locked)
        if items is not None and self._all_cached(items):
            self.log(f"Stage '{self._addr(stage)}' is cached - skipping run, checking out outputs")
            self.restored.append(stage.addressing)
            return True
        self.log(f"Running stage '{self._addr(stage)}':")
        for line in _lines(stage.cmd):
            self.log(f"> {line}")
        self.ran.append(stage.addressing)
        return True

    def _restorable(
        self, stage: Stage, locked: Mapping[str, Any] | None
    ) -> list[Mapping[str, Any]] | None:
        """The outputs a restore would check out, for ``--dry`` (deps hashed, nothing
        stored); None when a dep or params key is missing: the stage would fail."""
        try:
            deps, params = self._hash_deps(stage)
        except PipelineError:
            return None
        return self._restore_items(stage, locked, deps, params)

    def _restore_items(
        self,
        stage: Stage,
        locked: Mapping[str, Any] | None,
        deps: Mapping[str, Hashed],
        params: Mapping[str, Any],
    ) -> list[Mapping[str, Any]] | None:
        """The lock items of a previous result of this stage (``dvc/stage/cache.py:
        restore``): the lock entry's when the command and deps still match it (even
        without the run cache), else the newest run-cache entry's for these command,
        deps, params and output paths."""
        if not stage.can_run_cache:
            return None
        current = build_entry(stage, deps, params, {o.path: {} for o in stage.outs})
        entry = self._from_lock(stage, locked, current)
        if entry is None and self.run_cache:
            bad: list[InvalidRunCacheEntry] = []
            entry = RunCache(self.repo.cache.root).lookup(current, bad)
            for exc in bad:
                self.log(f"WARNING: corrupted cache file {exc.path!r}: {exc.reason}")
        if entry is None:
            return None
        return [i for i in entry.get("outs", []) if isinstance(i, Mapping)]

    def _restore(
        self,
        stage: Stage,
        locked: Mapping[str, Any] | None,
        deps: Mapping[str, Hashed],
        params: Mapping[str, Any],
    ) -> bool:
        """Check out a previous result (:meth:`_restore_items`) instead of running, only
        if every output it names is in the cache (with ``pull``, fetched from the
        default remote first)."""
        items = self._restore_items(stage, locked, deps, params)
        if items is None:
            return False
        if self.pull:
            self._pull_objects(items)
        return self._checkout_entry(stage, items)

    def _all_cached(self, items: Sequence[Mapping[str, Any]]) -> bool:
        found = [recorded_obj(i) for i in items]
        return all(f is not None and self.repo._cached(*f) for f in found)

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
        if not self._all_cached(items):
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
        shell = os.environ.get("SHELL") or "/bin/sh"
        opts = _SHELL_OPTS.get(os.path.basename(shell).lower(), [])
        env = dict(os.environ)
        env.setdefault("DVC_ROOT", self.repo.root)
        env["DVC_STAGE"] = self._addr(stage)
        cwd = self.repo.full_path(stage.work_dir)
        for line in _lines(stage.cmd):
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


def _lines(cmd: str | list[str]) -> list[str]:
    """The command lines of a ``cmd`` (a list, or a string's lines), each run alone."""
    return cmd if isinstance(cmd, list) else cmd.splitlines()


def _join(words: Sequence[str]) -> str:
    """dvc's ``humanize.join``: ``'a', 'b' and 'c'``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _inside(graph: Graph, folder: str) -> list[Node]:
    """``-R``: the stages and ``.dvc`` files whose file lies below ``folder``, in the
    post-order of the whole graph (dvc's ``collect_inside_path``)."""
    prefix = f"{folder}/" if folder else ""
    everything = graph.order({node_key(n) for n in graph.nodes}, active=False)
    return [n for n in everything if node_key(n)[0].startswith(prefix)]


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
