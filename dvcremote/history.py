"""What ``--rev``, ``--all-branches``, ``--all-tags`` and ``--all-commits`` make a command work on.

A history-wide command must see the ``.dvc`` files of many commits without checking
anything out, and stay cheap over thousands of commits that share most of their
files. :mod:`dvcremote.scm` hands over each distinct ``.dvc`` blob once, with every
path it sits at; here each blob is parsed once and becomes one set of outputs per
path (the path's folder is the outputs' ``wdir``). Directory manifests are then
read per object by the usual code (the cache, or the remote adapters), never per
revision, and the union of the objects is the work.

Outputs read from history keep the ``cloud:`` records of their commit, so a
version-aware or worktree remote fetches exactly the versions that commit recorded.
They are never written back: a commit cannot change.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from dvcremote import dvcfile as dvcfile_mod
from dvcremote.dvcfile import DvcFile, Output
from dvcremote.errors import (
    DvcFileError,
    InvalidHistoricDvcfile,
    RepoError,
    TargetNotFound,
    VersionNotFound,
)
from dvcremote.index import collect_dvcfiles, outputs_of, to_repo_path
from dvcremote.pipeline import LOCKFILE, PIPELINE, StageFile, is_pipeline_name, load_stages
from dvcremote.progress import NULL, Progress
from dvcremote.results import DELETED, MISSING, NEW, OK, StatusResult, TransferSummary
from dvcremote.templating import ReadFile

if TYPE_CHECKING:
    from dvcremote.objects import Obj
    from dvcremote.remotes.base import Remote
    from dvcremote.remotes.version_aware import TrackedFile, VersionAwareRemote
    from dvcremote.scm import DvcfileReader, Git, Revision

Targets = Sequence["str | os.PathLike[str]"] | None


# ------------------------------------------------------------------------------ options
@dataclass(frozen=True)
class RevisionOptions:
    """The revision options of one command (all empty: the workspace alone)."""

    revs: tuple[str, ...] = ()
    all_branches: bool = False
    all_tags: bool = False
    all_commits: bool = False

    @classmethod
    def of(
        cls,
        revs: str | Iterable[str] | None = None,
        *,
        all_branches: bool = False,
        all_tags: bool = False,
        all_commits: bool = False,
    ) -> RevisionOptions:
        """Options from API arguments; a single revision may be given as a string."""
        chosen = (revs,) if isinstance(revs, str) else tuple(revs or ())
        return cls(chosen, all_branches, all_tags, all_commits)

    @property
    def any(self) -> bool:
        return bool(self.revs or self.all_branches or self.all_tags or self.all_commits)


# ----------------------------------------------------------------------- what is found
@dataclass(kw_only=True)
class HistoricDvcFile(DvcFile):
    """A ``.dvc`` file as a commit holds it (``path`` is repo-relative).

    It shares its parsed data with every other place holding the same blob, so
    it must never be changed, and it is never written: a commit cannot change.
    """

    revision: Revision

    def write(self, root: str | os.PathLike[str]) -> bool:
        raise RepoError(f"{describe_dvcfile(self)} is in git history and cannot be rewritten")


@dataclass(kw_only=True)
class HistoricStageFile(StageFile, HistoricDvcFile):
    """A stage of a ``dvc.lock`` as a commit holds it; never written."""

    @classmethod
    def of(cls, stage: StageFile, revision: Revision) -> HistoricStageFile:
        found = cls(stage.path, stage.raw, [], stage.original, stage=stage.stage,
                    revision=revision)
        for out in stage.outs:
            out.dvcfile = found
            found.outs.append(out)
        return found

    def write(self, root: str | os.PathLike[str]) -> bool:
        return HistoricDvcFile.write(self, root)


def is_historic(out: Output) -> bool:
    """Whether an output was read from a commit rather than from the workspace."""
    return isinstance(out.dvcfile, HistoricDvcFile)


def describe_dvcfile(dvcfile: DvcFile) -> str:
    """``data.dvc`` for the workspace, ``data.dvc at revision v1 (0123abcd4567)`` for history."""
    if isinstance(dvcfile, HistoricDvcFile):
        return f"{dvcfile.path} at revision {dvcfile.revision.label}"
    return dvcfile.path


def describe(out: Output) -> str:
    """Where an output is recorded, for messages: ``'data' (data.dvc at revision v1 (...))``."""
    where = describe_dvcfile(out.dvcfile) if out.dvcfile is not None else "a .dvc file"
    return f"{out.repo_path!r} ({where})"


@dataclass
class Collected:
    """The ``.dvc`` files and outputs one command works on."""

    #: The workspace's ``.dvc`` files: the only ones a command may rewrite.
    dvcfiles: list[DvcFile]
    #: Every output: history's first, the workspace's last, so that in a per-path view
    #: (last one wins) a path the workspace tracks shows the workspace's state.
    outputs: list[Output]
    #: The commits read (empty without revision options; the workspace is not listed).
    revisions: tuple[Revision, ...] = ()
    #: The targets the workspace tracks (None: no targets, everything).
    workspace_targets: list[str] | None = None

    @property
    def workspace_outputs(self) -> list[Output]:
        return [o for o in self.outputs if not is_historic(o)]

    @property
    def historic_outputs(self) -> list[Output]:
        return [o for o in self.outputs if is_historic(o)]


def collect(root: str, git: Git | None, targets: Targets, options: RevisionOptions) -> Collected:
    """The workspace's outputs, and with revision options those of the chosen commits.

    The workspace is always included (as DVC does). A target may name something
    that only the chosen revisions track; one that nothing tracks is an error.
    An unknown revision, a shallow clone lacking the history asked for, or a
    ``.dvc`` file in history that does not parse raises before any work starts.
    """
    if not options.any:
        dvcfiles = collect_dvcfiles(root, targets)
        names = [os.fspath(t) for t in targets] if targets else None
        return Collected(dvcfiles, outputs_of(dvcfiles), workspace_targets=names)
    from dvcremote.scm import select_revisions

    revisions = select_revisions(
        git,
        options.revs,
        all_branches=options.all_branches,
        all_tags=options.all_tags,
        all_commits=options.all_commits,
    )
    assert git is not None  # select_revisions refuses revision options without git
    dvcfiles, in_workspace = _workspace(root, targets)
    rels = [to_repo_path(root, t) for t in targets] if targets else None
    skip = {(d.path, _blob_sha(d.original)) for d in dvcfiles if d.original is not None}
    historic, matched = read_outputs(git, root, revisions, targets=rels, skip=skip)
    if targets:
        for target, rel in zip(targets, rels or ()):
            if os.fspath(target) not in in_workspace and rel not in matched:
                raise TargetNotFound(
                    os.fspath(target), "is tracked neither in the workspace nor in the revisions"
                )
    return Collected(
        dvcfiles,
        historic[::-1] + outputs_of(dvcfiles),
        tuple(revisions),
        in_workspace if targets else None,
    )


def _workspace(root: str, targets: Targets) -> tuple[list[DvcFile], list[str]]:
    """The workspace's ``.dvc`` files for ``targets``, and the targets it tracks."""
    if not targets:
        return collect_dvcfiles(root, None), []
    chosen: dict[str, DvcFile] = {}
    found: list[str] = []
    for target in targets:
        try:
            dvcfiles = collect_dvcfiles(root, [target])
        except TargetNotFound:
            continue
        found.append(os.fspath(target))
        for d in dvcfiles:
            chosen.setdefault(d.path, d)
    return list(chosen.values()), found


def _blob_sha(data: bytes) -> str:
    import pygit2

    return str(pygit2.hash(data))


def read_outputs(
    git: Git,
    root: str,
    revisions: Iterable[Revision],
    *,
    targets: Sequence[str] | None = None,
    skip: Iterable[tuple[str, str]] = (),
) -> tuple[list[Output], set[str]]:
    """The outputs of the revisions' ``.dvc`` files, one per distinct (blob, path).

    ``targets`` (repo-relative) keep only the ``.dvc`` files they name, hold, or
    whose outputs they name; ``skip`` holds (path, blob sha) pairs already read
    elsewhere (the workspace's). Returns the outputs and the targets that matched.
    Each blob is parsed once, whatever the number of revisions and paths holding it.
    """
    from dvcremote.scm import DvcfileReader

    reader = DvcfileReader(git, subdir=git.relpath(root))
    blobs = reader.collect(revisions)
    skipped = set(skip)
    outputs: list[Output] = []
    matched: set[str] = set()

    def keep(dvcfile: DvcFile, revision: Revision) -> None:
        if targets is not None:
            hits = [t for t in targets if _names(t, dvcfile)]
            if not hits:
                return
            matched.update(hits)
        for out in dvcfile.outs:
            try:
                out.check_path()
            except DvcFileError as exc:
                raise InvalidHistoricDvcfile(dvcfile.path, revision.label, exc.reason) from exc
        outputs.extend(dvcfile.outs)

    pipelines: dict[tuple[str, str, str], Revision] = {}  # (lock path, lock, dvc.yaml blob)
    for sha, blob in blobs.items():
        places = [(r, p) for r, p in blob.places if (p, sha) not in skipped]
        parsed: DvcFile | None = None
        for revision, path in places:
            if is_pipeline_name(posixpath.basename(path)):
                _pair(reader, revision, path, skipped, pipelines)
                continue
            if parsed is None:
                try:
                    parsed = dvcfile_mod.loads(blob.data)
                except DvcFileError as exc:
                    raise InvalidHistoricDvcfile(
                        path, revision.label, exc.reason, len(blob.places) - 1
                    ) from exc
            dvcfile = HistoricDvcFile(path, parsed.raw, [], blob.data, revision=revision)
            dvcfile.outs = [Output(o.raw, dvcfile.wdir, dvcfile) for o in parsed.outs]
            keep(dvcfile, revision)
    for (lock_path, lock_sha, yaml_sha), revision in pipelines.items():
        assert revision.sha is not None
        try:
            stages = load_stages(
                reader.read_blob(lock_sha),
                reader.read_blob(yaml_sha),
                lock_path,
                _files_at(reader, revision.sha),
            )
        except DvcFileError as exc:
            raise InvalidHistoricDvcfile(exc.path, revision.label, exc.reason) from exc
        for stage in stages:
            keep(HistoricStageFile.of(stage, revision), revision)
    return outputs, matched


def _files_at(reader: DvcfileReader, sha: str) -> ReadFile:
    """Vars files (``params.yaml``...) as commit ``sha`` holds them. A pipeline is read
    once per (dvc.lock, dvc.yaml) pair, with the vars of the first revision holding it."""

    def read(path: str) -> bytes | None:
        oid = reader.blob_at(sha, path)
        return None if oid is None else reader.read_blob(oid)

    return read


def _pair(
    reader: DvcfileReader,
    revision: Revision,
    path: str,
    skipped: set[tuple[str, str]],
    pairs: dict[tuple[str, str, str], Revision],
) -> None:
    """Note the (``dvc.lock``, ``dvc.yaml``) pair a revision holds in ``path``'s folder,
    met through either file: a lock's flags and wdir come from the yaml beside it."""
    folder = posixpath.dirname(path)
    lock_path = posixpath.join(folder, LOCKFILE)
    assert revision.sha is not None
    lock = reader.blob_at(revision.sha, lock_path)
    pipeline = reader.blob_at(revision.sha, posixpath.join(folder, PIPELINE))
    if lock is None or pipeline is None or (lock_path, lock) in skipped:
        return
    pairs.setdefault((lock_path, lock, pipeline), revision)


def _names(target: str, dvcfile: DvcFile) -> bool:
    """Whether a repo-relative target selects this ``.dvc`` file or locked stage (as in
    the workspace)."""
    if not target or target == dvcfile.path or dvcfile.path.startswith(target + "/"):
        return True
    if isinstance(dvcfile, StageFile) and _names_stage(target, dvcfile):
        return True
    return any(target == o.repo_path or target.startswith(o.repo_path + "/") for o in dvcfile.outs)


def _names_stage(target: str, stage: StageFile) -> bool:
    folder = posixpath.dirname(stage.path)
    head, sep, name = target.rpartition(":")
    if sep:
        where = posixpath.normpath(head)
        if posixpath.basename(where) in (LOCKFILE, PIPELINE):
            where = posixpath.dirname(where)
        target = posixpath.join("" if where == "." else where, name)
    elif posixpath.basename(target) in (LOCKFILE, PIPELINE):
        return posixpath.dirname(target) == folder
    where, name = posixpath.split(target)
    return where == folder and (stage.stage == name or stage.stage.startswith(name + "@"))


# ---------------------------------------------------------------- versioned remotes
# A version-aware remote keys what it finds on the remote by workspace path, and
# history can hold several versions of one path. Each call gets outputs whose paths
# are distinct: the first output at each path, then the second, and so on.
def _path_layers(outputs: Sequence[Output]) -> list[list[Output]]:
    layers: list[list[Output]] = []
    depth: dict[str, int] = {}
    for out in outputs:
        level = depth.get(out.repo_path, 0)
        depth[out.repo_path] = level + 1
        if level == len(layers):
            layers.append([])
        layers[level].append(out)
    return layers


def _versioned(adapter: Remote, outputs: Sequence[Output]) -> bool:
    return adapter.records_versions and any(is_historic(o) for o in outputs)


def status(
    adapter: Remote, outputs: Sequence[Output], *, jobs: int | None = None, method: str = "auto"
) -> StatusResult:
    """``status -c`` of the outputs on one remote, exact per object across revisions.

    A per-path view names each path once: the workspace's state when the
    workspace tracks it, else the first chosen revision's.
    """
    if not _versioned(adapter, outputs):
        return adapter.status(outputs, jobs=jobs, method=method)
    # Workspace first, so that its states win the per-path view (setdefault below).
    layers = _path_layers(list(reversed(outputs)))
    results = [adapter.status(layer, jobs=jobs, method=method) for layer in layers]
    local: set[str] = set()
    remote: set[str] = set()
    every: set[str] = set()
    paths: dict[str, str] = {}
    for r in results:
        local |= r.ok | r.new
        remote |= r.ok | r.deleted
        every |= r.ok | r.new | r.deleted | r.missing
        for path, state in r.paths.items():
            paths.setdefault(path, state)
    states = {oid: _state(oid in local, oid in remote) for oid in every}
    return StatusResult(
        ok=frozenset(o for o, s in states.items() if s == OK),
        new=frozenset(o for o, s in states.items() if s == NEW),
        deleted=frozenset(o for o, s in states.items() if s == DELETED),
        missing=frozenset(o for o, s in states.items() if s == MISSING),
        paths=dict(sorted(paths.items())),
        remote=adapter.name,
    )


def _state(in_local: bool, in_remote: bool) -> str:
    if in_local:
        return OK if in_remote else NEW
    return DELETED if in_remote else MISSING


def push(
    adapter: Remote,
    outputs: Sequence[Output],
    *,
    jobs: int | None = None,
    progress: Progress = NULL,
) -> TransferSummary:
    """Push ``outputs`` (the workspace's and history's) to one remote.

    A content-addressed remote takes the union of their objects. A version-aware
    or worktree remote gets only the workspace's outputs: a version uploaded for
    a commit could never be recorded in that commit's ``.dvc`` file (and on a
    worktree remote it would replace the workspace's current files), so history
    is only checked there (see :func:`check_recorded`).
    """
    if not _versioned(adapter, outputs):
        return adapter.push(outputs, jobs=jobs, progress=progress)
    current = [o for o in outputs if not is_historic(o)]
    summary = (
        adapter.push(current, jobs=jobs, progress=progress)
        if current
        else TransferSummary(adapter.name)
    )
    past = [o for o in outputs if is_historic(o)]
    versioned = cast("VersionAwareRemote", adapter)  # records_versions says it is one
    return summary.merge(check_recorded(versioned, past, jobs=jobs))


def check_recorded(
    adapter: VersionAwareRemote, outputs: Sequence[Output], *, jobs: int | None = None
) -> TransferSummary:
    """What a push can say about history on a version-aware remote, without writing.

    Per object: up to date when a version recorded for it is on the remote;
    ``missing`` when it is neither there nor in the cache; ``failed`` (with a
    :class:`VersionNotFound` naming the file and the revision) when the cache has
    it but no recorded version is on the remote, since only a push from a
    checkout of that revision, then a commit, can record one.
    """
    tracked = adapter.tracked(outputs)
    # The remote's current files: one look per path, however many revisions track it.
    listed = {t.path: t for t in tracked if any(f.record for f in t.files)}
    current = adapter.current(list(listed.values()), jobs=jobs)
    recorded: set[Obj] = set()
    layers: list[dict[str, TrackedFile]] = []
    for f in (f for t in tracked for f in t.files if f.version_id is not None):
        for layer in layers:
            if f.path not in layer:
                layer[f.path] = f
                break
            if layer[f.path].version_id == f.version_id:
                break
        else:
            layers.append({f.path: f})
    for layer in layers:
        for path in adapter.recorded_present(layer.values(), current, jobs=jobs):
            recorded.add(layer[path].obj)
    first: dict[Obj, tuple[str, Output]] = {}
    for t in tracked:
        for f in t.files:
            first.setdefault(f.obj, (f.path, t.out))
        if t.unavailable:
            first.setdefault(t.obj, (t.path, t.out))
    local = adapter.cache.present(first)
    failed: dict[str, Exception] = {}
    missing: set[str] = set()
    for obj, (path, out) in first.items():
        if obj in recorded:
            continue
        if obj not in local:
            missing.add(obj.oid)
            continue
        dvcfile = out.dvcfile
        label = dvcfile.revision.label if isinstance(dvcfile, HistoricDvcFile) else "workspace"
        failed[obj.oid] = VersionNotFound(
            f"revision {label} records no version of it on remote {adapter.name!r} that is"
            " still there; a push cannot write into a commit (check that revision out,"
            " push, and commit its .dvc file)",
            path=path,
            backend=adapter.backend.name,
        )
    return TransferSummary(
        remote=adapter.name,
        failed=failed,
        missing=frozenset(missing),
        up_to_date=len(recorded),
    )


# ------------------------------------------------------------------------------- gc
def manifest_missing_detail(unavailable: Iterable[Obj], outputs: Iterable[Output]) -> str:
    """Why gc refuses: which output (and revision) has a directory manifest nowhere."""
    wanted = set(unavailable)
    for out in outputs:
        if out.oid is not None and any(o.oid == out.oid for o in wanted):
            return (
                f"the manifest of directory {describe(out)} is not in the cache, so the"
                " files it names are unknown; run fetch (with the same revision options)"
                " first. Nothing was deleted"
            )
    return (
        "a tracked directory's manifest is missing, so the files it names are unknown;"
        " run fetch first. Nothing was deleted"
    )


__all__ = [
    "Collected",
    "HistoricDvcFile",
    "RevisionOptions",
    "check_recorded",
    "collect",
    "describe",
    "describe_dvcfile",
    "is_historic",
    "manifest_missing_detail",
    "push",
    "read_outputs",
    "status",
]
