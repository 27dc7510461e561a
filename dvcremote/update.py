"""``update``: bring changes made on a worktree remote out of band into the repository
(imports are updated from their source instead: :mod:`dvcremote.import_update`).

Someone edits the files of a worktree remote directly (a new version of one file,
a new file, a deleted one). ``update`` makes the targets' ``.dvc`` files record the
remote's current files (changed files get their new version ids, unchanged ones
keep theirs), fetches what the cache lacks, and checks the result out into the
workspace. Only worktree remotes mirror the workspace, so only they can be asked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from dvcremote.errors import ConfigError, RepoError
from dvcremote.index import outputs_of
from dvcremote.progress import NULL, Progress
from dvcremote.results import TransferSummary, UpdateResult  # its home; also importable here

if TYPE_CHECKING:
    from dvcremote.dvcfile import DvcFile, Output
    from dvcremote.repo import Repo


@dataclass
class UpdateChanges:
    """What an update found, gathered over every remote it asked (repo paths)."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: output path -> why it was left as it is
    skipped: dict[str, str] = field(default_factory=dict)
    #: remote path -> why its new version could not be brought in
    failed: dict[str, Exception] = field(default_factory=dict)


def update(
    repo: Repo,
    targets: Sequence[str | os.PathLike[str]] | None = None,
    *,
    remote: str | None = None,
    rev: str | None = None,
    jobs: int | None = None,
    progress: Progress = NULL,
) -> UpdateResult:
    """Update the targets as dvc does, by what each is: an import ``.dvc`` file from
    its source (:mod:`dvcremote.import_update`), any other output from its worktree
    remote (below). ``rev`` (repo imports only) is refused for the others, before
    anything changes; with no targets, every import and worktree output is updated.
    """
    from dvcremote.import_update import import_kind, update_import

    dvcfiles = repo.dvcfiles(targets)
    imports = [d for d in dvcfiles if import_kind(d) is not None]
    others = [d for d in dvcfiles if import_kind(d) is None]
    if others and rev is not None:
        raise RepoError("--rev applies to imports only; it can't be used with worktree update")
    if remote is not None and imports and not others:
        raise RepoError("--remote names a worktree remote; imports are updated from their source")
    repo.paths.check_outputs(outputs_of(imports))
    groups = _worktree_groups(repo, others, remote)  # refused here, before any import moves
    updated = [update_import(repo, d, rev, jobs=jobs, progress=progress) for d in imports]
    result = _worktree_update(repo, others, groups, jobs, progress) if others else UpdateResult()
    changed = [u for u in updated if u.changed]
    return replace(
        result,
        modified=tuple(sorted({*result.modified, *(u.path for u in changed)})),
        unchanged=result.unchanged + len(updated) - len(changed),
        dvcfiles=tuple(sorted({*result.dvcfiles, *(u.dvcfile for u in changed)})),
    )


def _worktree_groups(
    repo: Repo, dvcfiles: list[DvcFile], remote: str | None
) -> dict[str | None, list[Output]]:
    """The outputs of ``dvcfiles`` by the worktree remote each is updated from:
    ``remote`` if given, else the remote it is pinned to (``remote:``), else the one
    its version records name, else the default remote. A remote that is not a
    worktree remote is refused."""
    from dvcremote.remotes import WORKTREE, adapter_kind

    outputs = outputs_of(dvcfiles)
    repo.paths.check_outputs(outputs)
    groups = _by_remote(outputs, remote, set(repo.config.remote_names()))
    for name in groups:
        config = repo.config.remote(name)
        kind = adapter_kind(config)
        if kind != WORKTREE:
            raise ConfigError(
                f"update needs a worktree remote, and remote {config.name!r} is"
                f" {kind.replace('_', '-')} (set: dvcremote remote modify {config.name}"
                " worktree true)"
            )
    return groups


def _worktree_update(
    repo: Repo,
    dvcfiles: list[DvcFile],
    groups: dict[str | None, list[Output]],
    jobs: int | None,
    progress: Progress,
) -> UpdateResult:
    """Record the worktree remotes' current files in ``dvcfiles`` (``groups``: their
    outputs by remote, from :func:`_worktree_groups`)."""
    from dvcremote.checkout import checkout_outputs
    from dvcremote.remotes.worktree import WorktreeRemote

    changes = UpdateChanges()
    changed: list[Output] = []
    fetched: TransferSummary | None = None
    try:
        for name, outs in groups.items():
            with repo.open_remote(name) as adapter:
                assert isinstance(adapter, WorktreeRemote)
                mine = adapter.update(outs, changes, jobs=jobs, progress=progress)
                if mine:
                    part = adapter.fetch(mine, jobs=jobs, progress=progress)
                    fetched = part if fetched is None else fetched.merge(part)
                changed.extend(mine)
    finally:
        written = repo.write_dvcfiles(dvcfiles)
    checked = checkout_outputs(repo, changed, jobs=jobs, progress=progress) if changed else None
    return UpdateResult(
        added=tuple(sorted(changes.added)),
        modified=tuple(sorted(changes.modified)),
        deleted=tuple(sorted(changes.deleted)),
        unchanged=changes.unchanged,
        skipped=dict(sorted(changes.skipped.items())),
        failed=dict(sorted(changes.failed.items())),
        dvcfiles=tuple(sorted(written)),
        fetch=fetched,
        checkout=checked,
    )


def _by_remote(
    outputs: Sequence[Output], remote: str | None, known: set[str]
) -> dict[str | None, list[Output]]:
    groups: dict[str | None, list[Output]] = {}
    for out in outputs:
        recorded = _recorded_remote(out)
        name = remote or out.remote or (recorded if recorded in known else None)
        groups.setdefault(name, []).append(out)
    return groups


def _recorded_remote(out: Output) -> str | None:
    """The remote an output's version records name (DVC keeps one per record)."""
    items = [out.raw, *(out.files or ())]
    for item in items:
        cloud = item.get("cloud")
        if isinstance(cloud, Mapping) and cloud:
            return str(next(iter(cloud)))
    return None


__all__ = ["UpdateChanges", "UpdateResult", "update"]
