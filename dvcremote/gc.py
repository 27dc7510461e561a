"""``gc`` as DVC does it: a scope is required, and it keeps every object in scope.

What is kept is every object any output in scope uses: the workspace's ``.dvc``
files and locked pipeline stages, plus those of the chosen git revisions (a
``push: false`` output, an output pinned to another remote and an ``import-url``
output are kept too; a repo import's, whose data its source repository holds, is
not, as in dvc). With ``-c`` each remote keeps what dvc keeps there
(:func:`remote_scopes`): every remote an output names with ``remote:`` is collected too.
The whole keep-set is known before anything is deleted, and nothing is deleted
without ``force`` or a ``confirm`` that says yes, as the CLI's prompt does for
the local cache too. Only object folders are listed, so the run cache
(``runs/``) and partial imports (``fs/``) are never touched, here or on a remote.
With ``run_cache`` (beyond dvc) the objects the local run-cache entries name are
kept too, so a stage can still be restored from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dvcremote.errors import (
    ConfirmationRequired,
    InvalidArgument,
    ObjectMissing,
    RemoteNotFound,
)
from dvcremote.results import GCResult

if TYPE_CHECKING:
    from dvcremote.dvcfile import Output
    from dvcremote.index import UsedObjects
    from dvcremote.objects import Obj
    from dvcremote.remotes.base import Remote
    from dvcremote.repo import Repo

SCOPE_REQUIRED = (
    "Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags`, `-A|--all-commits`"
    " or `--rev` needs to be set."
)


@dataclass(frozen=True)
class Scope:
    """What gc keeps: the workspace (always, as in DVC) and these git revisions."""

    workspace: bool = False
    revs: tuple[str, ...] = ()
    all_branches: bool = False
    all_tags: bool = False
    all_commits: bool = False

    @property
    def given(self) -> bool:
        return bool(
            self.workspace or self.revs or self.all_branches or self.all_tags or self.all_commits
        )

    def describe(self) -> str:
        """DVC's words for the scope, as in its warning."""
        text = "the workspace"
        if self.all_commits:
            text += " and all git commits"
        elif self.all_branches and self.all_tags:
            text += " and all git branches and tags"
        elif self.all_branches:
            text += " and all git branches"
        elif self.all_tags:
            text += " and all git tags"
        if self.revs:
            text += " and " + ", ".join(f"revision {r!r}" for r in self.revs)
        return text


def warning(scope: Scope, *, not_in_remote: bool, remotes: Sequence[str] = ()) -> str:
    """The warning shown before the confirmation (DVC's, plus the remotes with ``-c``)."""
    text = f"This will remove all cache except items used in {scope.describe()}"
    if not_in_remote:
        text += " that are not present in the DVC remote"
    text += " of the current repo."
    if remotes:
        names = ", ".join(repr(r) for r in remotes)
        text += f" Unused objects are deleted from remote{'s' if len(remotes) > 1 else ''}"
        text += f" {names} too."
    return text


def remote_scopes(outputs: Sequence[Output], remote: str) -> dict[str, list[Output]]:
    """What ``gc -c`` keeps on each remote, as dvc: on ``remote`` (``-r``, else the
    default) the objects of the outputs that name no ``remote:`` (or name it); on every
    remote an output names with ``remote:``, only the objects of the outputs naming it."""
    scopes: dict[str, list[Output]] = {remote: []}
    for out in outputs:
        scopes.setdefault(out.remote or remote, []).append(out)
    return scopes


def collect_garbage(
    repo: Repo,
    scope: Scope,
    *,
    cloud: bool = False,
    remote: str | None = None,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
    jobs: int | None = None,
    dry: bool = False,
    not_in_remote: bool = False,
    run_cache: bool = False,
) -> list[GCResult]:
    """See :meth:`dvcremote.repo.Repo.gc`."""
    from dvcremote.history import manifest_missing_detail

    if not scope.given:
        raise InvalidArgument(SCOPE_REQUIRED)
    if not_in_remote and cloud:
        raise InvalidArgument("`--not-in-remote` and `--cloud` are mutually exclusive")
    collected = repo._collect_outputs(
        None,
        scope.revs,
        all_branches=scope.all_branches,
        all_tags=scope.all_tags,
        all_commits=scope.all_commits,
    )
    # A repo import's data belongs to its source repository: dvc does not keep it.
    outputs = [o for o in collected.outputs if not o.is_repo_import]
    used = repo.used_objects(outputs)
    if used.unavailable:
        first = sorted(used.unavailable)[0]
        raise ObjectMissing(first.oid, manifest_missing_detail(used.unavailable, outputs))
    keep = set(used.objs)
    if not_in_remote:
        keep -= _on_remotes(repo, outputs, used, remote, jobs)
    kept_runs = _run_cache_outputs(repo) if run_cache else []
    keep |= repo.used_objects(kept_runs).objs
    adapters: list[tuple[Remote, list[Output]]] = []
    main: str | None = None
    try:
        if cloud:
            # Every remote is opened and checked before anything is deleted anywhere:
            # an unknown per-output remote name stops gc here (RemoteNotFound).
            main = repo.config.remote(remote).name
            for name, outs in remote_scopes(outputs, main).items():
                adapters.append((_open_named(repo, name, outs, main), outs))
                adapters[-1][0].check_gc()
        if not (force or dry):
            text = warning(
                scope,
                not_in_remote=not_in_remote,
                remotes=[a.name for a, _ in adapters],
            )
            if confirm is None:
                raise ConfirmationRequired("gc needs force=True or confirm; nothing was deleted")
            if not confirm(text):
                raise ConfirmationRequired("not confirmed; nothing was deleted")
        cache = repo.cache
        garbage = sorted(set(cache.list_all()) - keep)
        if not dry:
            for obj in garbage:
                cache.remove(obj)
            cache.clean_tmp()
        results = [GCResult("cache", frozenset(o.oid for o in garbage), len(keep), dry=dry)]
        for adapter, outs in adapters:
            # Run-cache objects go up with ``push --run-cache`` to the -r/default remote.
            also = kept_runs if adapter.name == main else []
            results.append(adapter.gc(outs, jobs=jobs, dry=dry, also_keep=also))
        return results
    finally:
        for adapter, _ in adapters:
            adapter.close()


def _run_cache_outputs(repo: Repo) -> list[Output]:
    """The outputs the valid local run-cache entries record (``gc --run-cache``). An
    invalid entry is never restored, so what it names is not kept for it."""
    from dvcremote.runcache_transfer import entry_outputs

    return entry_outputs(entry for _, entry in repo.run_cache.entries(bad=[]))


def _open_named(repo: Repo, name: str, outs: Sequence[Output], main: str) -> Remote:
    """Open remote ``name``; one only outputs name that is missing from the config is
    reported with the file that names it."""
    try:
        return repo.open_remote(name)
    except RemoteNotFound as exc:
        dvcfile = outs[0].dvcfile if outs else None
        if name == main or dvcfile is None:
            raise
        out = outs[0]
        where = getattr(dvcfile, "label", dvcfile.path)
        raise RemoteNotFound(f"{where}: output {out.path!r}: {exc}") from None


def _on_remotes(
    repo: Repo,
    outputs: Sequence[Output],
    used: UsedObjects,
    remote: str | None,
    jobs: int | None,
) -> set[Obj]:
    """The used objects already on the remote each output goes to (``remote``, else its
    own ``remote:``, else the default): ``--not-in-remote`` drops them from the cache."""
    present: set[str] = set()
    for name, outs in repo._by_remote(outputs, remote).items():
        with repo.open_remote(name) as adapter:
            status = adapter.status(outs, jobs=jobs)
        present |= status.ok | status.deleted
    return {o for o in used.objs if o.oid in present}


__all__ = ["SCOPE_REQUIRED", "Scope", "collect_garbage", "remote_scopes", "warning"]
