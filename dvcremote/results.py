"""Typed results of repository operations: plain data, safe to keep and compare."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Remote status of one object (DVC's words).
OK = "ok"
NEW = "new"
DELETED = "deleted"
MISSING = "missing"


@dataclass(frozen=True)
class StatusResult:
    """Cache vs. remote, by object id and by workspace path.

    ``ok``: in both; ``new``: only in the cache; ``deleted``: only on the remote;
    ``missing``: in neither. ``paths`` maps each tracked path (and each file of a
    tracked directory, ``data/a.txt``) to one of those words.
    """

    ok: frozenset[str] = frozenset()
    new: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()
    missing: frozenset[str] = frozenset()
    paths: Mapping[str, str] = field(default_factory=dict)
    remote: str | None = None

    @property
    def in_sync(self) -> bool:
        return not (self.new or self.deleted or self.missing)

    def changed(self) -> dict[str, str]:
        """Paths not ``ok``: what ``status -c --json`` prints (DVC's shape, relative to
        the current folder there)."""
        return {p: s for p, s in self.paths.items() if s != OK}

    def to_json(self) -> dict[str, object]:
        """What ``status -c --json-objects`` prints: sorted id lists per state, and
        under ``paths`` DVC's own ``{path: state}`` for the paths not ``ok``."""
        return {
            "remote": self.remote,
            OK: sorted(self.ok),
            NEW: sorted(self.new),
            DELETED: sorted(self.deleted),
            MISSING: sorted(self.missing),
            "paths": self.changed(),
        }

    def counts(self) -> dict[str, int]:
        return {
            OK: len(self.ok),
            NEW: len(self.new),
            DELETED: len(self.deleted),
            MISSING: len(self.missing),
        }


@dataclass(frozen=True)
class TransferSummary:
    """What a push or fetch moved; failures are listed, not raised.

    ``transferred``: object ids now on the destination because of this run;
    ``failed``: object id -> the error (e.g. IntegrityError for a corrupt download);
    ``missing``: ids the source does not have, so they could not be moved;
    ``up_to_date``: how many were already at the destination;
    ``deleted``: remote paths a worktree push removed because the workspace no
    longer has them (on versioned storage: hidden, older versions stay), and
    ``delete_failed``: remote path -> the error, for those it could not remove.

    With ``run_cache`` (see :mod:`dvcremote.runcache_transfer`): ``runs`` are the
    run-cache files copied (``runs/<k2>/<key>/<value>``), ``runs_failed`` those that
    could not be (an invalid entry is never copied), and ``runs_skipped`` says why
    the run cache was not moved at all (a version-aware, worktree or read-only
    remote), else None.
    """

    remote: str
    transferred: frozenset[str] = frozenset()
    failed: Mapping[str, Exception] = field(default_factory=dict)
    missing: frozenset[str] = frozenset()
    up_to_date: int = 0
    deleted: frozenset[str] = frozenset()
    delete_failed: Mapping[str, Exception] = field(default_factory=dict)
    runs: frozenset[str] = frozenset()
    runs_failed: Mapping[str, Exception] = field(default_factory=dict)
    runs_skipped: str | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.failed
            and not self.missing
            and not self.delete_failed
            and not self.runs_failed
        )

    def merge(self, other: TransferSummary) -> TransferSummary:
        return TransferSummary(
            self.remote if self.remote == other.remote else f"{self.remote},{other.remote}",
            self.transferred | other.transferred,
            {**self.failed, **other.failed},
            self.missing | other.missing,
            self.up_to_date + other.up_to_date,
            self.deleted | other.deleted,
            {**self.delete_failed, **other.delete_failed},
            self.runs | other.runs,
            {**self.runs_failed, **other.runs_failed},
            self.runs_skipped or other.runs_skipped,
        )


@dataclass(frozen=True)
class CheckoutResult:
    """Workspace paths restored from the cache, and those that could not be."""

    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: int = 0
    #: path -> why it was not restored (object missing, local changes kept, ...)
    failed: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class PullResult:
    """A fetch then a checkout; the common questions are answered on the whole."""

    fetch: TransferSummary
    checkout: CheckoutResult

    @property
    def ok(self) -> bool:
        return self.fetch.ok and self.checkout.ok

    @property
    def transferred(self) -> frozenset[str]:
        return self.fetch.transferred

    @property
    def failed(self) -> dict[str, str]:
        """Object id or path -> why: failed downloads, then paths not restored."""
        out = {oid: str(err) for oid, err in self.fetch.failed.items()}
        out.update(self.checkout.failed)
        return out

    @property
    def missing(self) -> frozenset[str]:
        return self.fetch.missing

    @property
    def added(self) -> tuple[str, ...]:
        return self.checkout.added

    @property
    def modified(self) -> tuple[str, ...]:
        return self.checkout.modified

    @property
    def deleted(self) -> tuple[str, ...]:
        return self.checkout.deleted


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of ``update``: per-file changes, the ``.dvc`` files rewritten, and
    the fetch and checkout that brought the workspace in line."""

    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: int = 0
    #: output path -> why it was left as it is
    skipped: Mapping[str, str] = field(default_factory=dict)
    #: remote path -> why its new version could not be brought in
    failed: Mapping[str, Exception] = field(default_factory=dict)
    dvcfiles: tuple[str, ...] = ()
    fetch: TransferSummary | None = None
    checkout: CheckoutResult | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.failed
            and (self.fetch is None or self.fetch.ok)
            and (self.checkout is None or self.checkout.ok)
        )

    @property
    def changed(self) -> bool:
        return bool(self.added or self.modified or self.deleted or self.dvcfiles)

    def summary(self) -> str:
        """The CLI's one line."""
        counts = (
            f"{len(self.added)} added, {len(self.modified)} modified,"
            f" {len(self.deleted)} deleted, {self.unchanged} unchanged"
        )
        if not self.dvcfiles:
            return f"Nothing to update ({counts})"
        names = ", ".join(self.dvcfiles)
        return f"Updated {names}: {counts}"


@dataclass(frozen=True)
class AddedOutput:
    path: str
    oid: str
    size: int
    nfiles: int | None
    dvcfile: str


@dataclass(frozen=True)
class AddResult:
    outputs: tuple[AddedOutput, ...] = ()
    #: ``.gitignore`` files changed (repo-relative), when inside git.
    gitignores: tuple[str, ...] = ()
    #: Commit sha when ``commit=True`` made one.
    commit: str | None = None


@dataclass(frozen=True)
class GCResult:
    """Objects removed from one place (``cache`` or a remote's name); with ``dry``,
    those that would have been, and nothing was."""

    where: str
    removed: frozenset[str] = frozenset()
    kept: int = 0
    dry: bool = False


@dataclass(frozen=True)
class StageChanges:
    """What ``status`` reports about a locked pipeline stage besides its outputs, as dvc:
    ``deps`` repo path -> ``modified`` / ``deleted``; ``params`` params file ->
    ``{key: "modified" | "deleted" | "new"}``, or ``"deleted"`` / ``"new"`` for the
    whole file; ``always_changed`` for a stage marked so (it is never up to date)."""

    deps: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str | Mapping[str, str]] = field(default_factory=dict)
    always_changed: bool = False
    #: A repo import's dependency as dvc names it (``"data (../src)"``) -> ``"update
    #: available"`` when its source moved past ``rev_lock``.
    imports: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.deps or self.params or self.always_changed or self.imports)


@dataclass(frozen=True)
class WorkspaceStatus:
    """Workspace vs. ``.dvc`` files: path -> ``modified`` / ``deleted`` / ``not in cache``.

    ``by_file`` groups the same changes per file that records them, as ``dvc status``
    does: a ``.dvc`` file's repo path (``data.dvc``), or for a pipeline stage its
    ``dvc.yaml`` and name (``dvc.yaml:train``, ``sub/dvc.yaml:report``).
    """

    changes: Mapping[str, str] = field(default_factory=dict)
    by_file: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Stage address (as in ``by_file``) -> its dependencies' changes, for the stages
    #: with some (dvc's ``changed deps`` and ``always changed``).
    stages: Mapping[str, StageChanges] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.changes and not self.stages


@dataclass(frozen=True)
class StageAdded:
    """``stage add``: the stage's name, its ``dvc.yaml`` and the ``.gitignore`` files
    changed (repo-relative)."""

    name: str
    pipeline: str
    gitignores: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommitResult:
    """``commit``: the stages and ``.dvc`` files committed (dvc's addressing), lock
    files written."""

    committed: tuple[str, ...] = ()
    locks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoveResult:
    """``remove``: the stages (dvc's addressing) or ``.dvc`` file removed, the files
    changed or deleted (``dvc.lock``, ``dvc.yaml``, the ``.dvc`` file), and the outputs
    deleted (with ``outs``)."""

    removed: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    deleted_outs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReproResult:
    """``repro``: stages (by dvc's addressing) that ran, were restored from the run
    cache, or were skipped as unchanged; lock files written; with ``keep_going``, the
    stages that failed (their dependents are in none of the lists). With ``dry``,
    ``ran`` and ``restored`` say what would have happened."""

    ran: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    locks: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
