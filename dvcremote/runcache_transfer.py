"""``push/fetch/pull --run-cache``: the run cache to and from a remote's ``runs/``.

As dvc: every entry file goes to ``<remote root>/runs/<k2>/<key>/<value>``, beside
``files/``, on every push; a fetch copies the remote's entries into the local
``runs/``. Beyond dvc: entries are hostile input both ways (an invalid one is
reported and never copied), a fetch skips entries the cache already holds valid,
and the push also sends the objects the entries' outputs name (those in the local
cache), so a stage restored from the run cache on another machine finds its data.

Only content-addressed remotes keep a run cache. A version-aware or worktree remote
holds files at their workspace paths, so ``runs/`` there could be a tracked folder,
and it addresses objects by path and version id, which entries do not record; a
remote that cannot be written (push) or listed (fetch) cannot move it either. dvc
skips those silently; here the summary says why (``runs_skipped``) and the CLI
prints it as a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dvcremote import transfer
from dvcremote.backend.capabilities import Capability
from dvcremote.dvcfile import Output
from dvcremote.errors import BackendError, DvcRemoteError, InvalidRunCacheEntry
from dvcremote.remotes.content import ContentRemote
from dvcremote.results import TransferSummary
from dvcremote.runcache import (
    MAX_ENTRY_BYTES,
    RUNS_DIR,
    RunCache,
    parse_entry,
    split_relpath,
)

if TYPE_CHECKING:
    from dvcremote.remotes.base import Remote


def run_cache_problem(remote: Remote, *, upload: bool) -> str | None:
    """Why the run cache cannot go to (``upload``) or come from ``remote``, or None."""
    name = remote.name
    if not isinstance(remote, ContentRemote):
        kind = remote.kind.replace("_", "-")
        return (
            f"remote {name!r} is {kind}: it keeps files at their workspace paths and"
            " finds them by version id, and run-cache entries record neither"
        )
    caps = remote.backend.capabilities
    if upload and Capability.WRITE not in caps:
        return f"remote {name!r} is read-only"
    if not upload and Capability.LIST not in caps:
        return f"remote {name!r} cannot be listed, so its run-cache entries cannot be found"
    return None


def entry_outputs(entries: Iterable[Mapping[str, Any]]) -> list[Output]:
    """The outputs the entries record, as outputs of no file (for their objects only)."""
    return [Output(dict(out), "") for entry in entries for out in entry["outs"]]


def _remote_path(remote: ContentRemote, relpath: str) -> str:
    root = remote.odb.root
    return f"{root}/{relpath}" if root else relpath


def _relpath(runs: RunCache, error: InvalidRunCacheEntry) -> str:
    return os.path.relpath(error.path, runs.root).replace(os.sep, "/")


class RunsPush:
    """The local entries to push (read once), and the outputs whose objects go with
    them (none with ``objects=False``: a remote that keeps no run cache gets no object
    only an entry names)."""

    def __init__(self, runs: RunCache, *, objects: bool = True) -> None:
        self.runs = runs
        self.objects = objects
        self.bad: list[InvalidRunCacheEntry] = []
        self.entries = dict(runs.entries(self.bad))

    @property
    def outputs(self) -> list[Output]:
        return entry_outputs(self.entries.values()) if self.objects else []

    def upload(self, remote: Remote, *, jobs: int | None = None) -> TransferSummary:
        """Copy every valid entry to the remote (overwriting, as dvc); invalid ones are
        failures named by their path."""
        failed: dict[str, Exception] = {_relpath(self.runs, e): e for e in self.bad}
        skipped = run_cache_problem(remote, upload=True)
        if skipped is not None or not isinstance(remote, ContentRemote):
            return TransferSummary(remote.name, runs_failed=failed, runs_skipped=skipped)
        local = {self.runs.path(*_names(rel)): rel for rel in self.entries}
        pairs = [(src, _remote_path(remote, rel)) for src, rel in local.items()]
        done: set[str] = set()
        for res in remote.backend.upload_many(pairs, jobs=remote.jobs(jobs)):
            rel = local[res.src]
            if res.ok:
                done.add(rel)
            else:
                failed[rel] = res.error or BackendError("upload failed", path=res.dst)
        transfer.raise_storage_wide(failed)
        return TransferSummary(remote.name, runs=frozenset(done), runs_failed=failed)


def _names(relpath: str) -> tuple[str, str]:
    names = split_relpath(relpath)
    assert names is not None  # entries() lists the layout only
    return names


def fetch_runs(runs: RunCache, remote: Remote, *, jobs: int | None = None) -> TransferSummary:
    """Copy the remote's run-cache entries the cache lacks into it, each checked (its
    YAML, its paths, its names) before it is renamed into place."""
    skipped = run_cache_problem(remote, upload=False)
    if skipped is not None or not isinstance(remote, ContentRemote):
        return TransferSummary(remote.name, runs_skipped=skipped)
    failed: dict[str, Exception] = {}
    todo: list[str] = []
    base = _remote_path(remote, RUNS_DIR)
    skip = len(base) - len(RUNS_DIR)
    for info in remote.backend.list_files(base, recursive=True):
        rel = info.path.lstrip("/")[skip:]
        names = split_relpath(rel)
        if names is None:
            continue  # not an entry (a temp file, a stray name): dvc would never read it
        name = f"{rel} on remote {remote.name}"
        if info.size > MAX_ENTRY_BYTES:
            failed[rel] = InvalidRunCacheEntry(name, f"{info.size} bytes is too big")
        elif not _have(runs, rel):
            todo.append(rel)
    tmps = {runs.tmp_path(): rel for rel in todo}  # local temp -> relpath
    done: set[str] = set()
    try:
        items = [(_remote_path(remote, rel), tmp) for tmp, rel in tmps.items()]
        for res in remote.backend.download_many(items, jobs=remote.jobs(jobs)):
            rel = tmps[res.dst]
            if not res.ok:
                failed[rel] = res.error or BackendError("download failed", path=res.src)
                continue
            try:
                with open(res.dst, "rb") as f:
                    parse_entry(f.read(), f"{rel} on remote {remote.name}", *_names(rel))
                runs.adopt(rel, res.dst)
            except (DvcRemoteError, OSError) as exc:
                failed[rel] = exc
            else:
                done.add(rel)
    finally:
        for tmp in tmps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    transfer.raise_storage_wide(failed)
    return TransferSummary(remote.name, runs=frozenset(done), runs_failed=failed)


def _have(runs: RunCache, relpath: str) -> bool:
    """Whether the cache holds a valid entry at ``relpath`` (an invalid one is replaced)."""
    try:
        runs.load(relpath)
    except (FileNotFoundError, InvalidRunCacheEntry):
        return False
    return True


__all__ = ["RunsPush", "entry_outputs", "fetch_runs", "run_cache_problem"]
