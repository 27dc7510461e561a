"""``update`` of imports (``dvc update IMPORT.dvc [--rev REV]``), and whether a repo
import's source moved on (plain ``status`` says "update available").

A repo import is re-resolved at its ``rev`` (the new one with ``--rev``; without a
``rev``, the source's HEAD), the commit becomes ``rev_lock``, the data there is
fetched (verified) and checked out, and the ``.dvc`` file is rewritten with the
stage ``md5`` recomputed, as dvc does. An ``import-url`` of a local path is
re-hashed; when it changed it is copied in (temp, then rename; the old data is
kept until the ``.dvc`` file is written) and the dependency's and output's hashes
are rewritten. Nothing is written when the source did not change or cannot be read;
a failure is an :class:`~dvcremote.errors.ImportSourceError` naming the file.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dvcremote.errors import DvcRemoteError, ImportSourceError, RepoError
from dvcremote.hashing import file_md5
from dvcremote.import_commands import copy_in, measure, stage_md5
from dvcremote.imports import RepoImport, Source, fetch_one, local_source, source_remote
from dvcremote.manifest import Manifest
from dvcremote.progress import NULL, Progress
from dvcremote.staging import Stager, walk_files

if TYPE_CHECKING:
    from dvcremote.dvcfile import DvcFile
    from dvcremote.repo import Repo

REPO = "repo"
URL = "url"


def import_kind(dvcfile: DvcFile) -> str | None:
    """``"repo"`` for a ``dvc import`` file, ``"url"`` for an ``import-url`` one, else
    None (a plain ``.dvc`` file or a pipeline stage)."""
    from dvcremote.pipeline import StageFile

    if isinstance(dvcfile, StageFile) or not dvcfile.is_import or len(dvcfile.outs) != 1:
        return None
    if not isinstance(dvcfile.raw["deps"][0], dict):
        return None
    return REPO if dvcfile.is_repo_import else URL


@dataclass(frozen=True)
class ImportUpdate:
    """One import file's update: its output path, and whether the file was rewritten."""

    dvcfile: str
    path: str
    changed: bool


def update_import(
    repo: Repo,
    dvcfile: DvcFile,
    rev: str | None = None,
    *,
    jobs: int | None = None,
    progress: Progress = NULL,
) -> ImportUpdate:
    """Update one import ``.dvc`` file (see the module docstring)."""
    kind = import_kind(dvcfile)
    if kind == REPO:
        return _update_repo_import(repo, dvcfile, rev, jobs, progress)
    if kind == URL:
        if rev is not None:
            raise RepoError(f"{dvcfile.path}: --rev applies to repo imports only")
        return _update_url_import(repo, dvcfile, jobs)
    raise RepoError(f"{dvcfile.path}: not an import")


def _update_repo_import(
    repo: Repo, dvcfile: DvcFile, rev: str | None, jobs: int | None, progress: Progress
) -> ImportUpdate:
    old = RepoImport.of(dvcfile)
    out = dvcfile.outs[0]
    wanted = RepoImport(
        old.dvcfile, old.path, old.url, rev or old.rev, None, old.config, old.remote
    )
    try:
        with Source.open(wanted, repo.root) as source:
            if source.sha == old.rev_lock and (rev is None or rev == old.rev):
                return ImportUpdate(dvcfile.path, out.repo_path, False)
            locked = RepoImport(*_fields(wanted, source.sha))
            with source_remote(repo, source, locked) as adapter:
                obj = source.object_at(repo, adapter, locked.path, jobs)
                summary = fetch_one(repo, source, adapter, locked, obj, jobs, progress)
    except ImportSourceError:
        raise
    except DvcRemoteError as exc:
        raise ImportSourceError(dvcfile.path, wanted.shown, str(exc)) from None
    if not summary.ok:
        error = next(iter(summary.failed.values()), None)
        reason = str(error) if error else f"objects missing from its remote {summary.remote!r}"
        raise ImportSourceError(dvcfile.path, locked.shown, reason)
    dep = dvcfile.raw["deps"][0]["repo"]
    if rev is not None:
        dep["rev"] = rev
    dep["rev_lock"] = source.sha
    _record(repo, dvcfile, obj)
    _rewrite(repo, dvcfile)
    _checkout(repo, dvcfile)
    return ImportUpdate(dvcfile.path, out.repo_path, True)


def _fields(imp: RepoImport, sha: str) -> tuple[Any, ...]:
    return (imp.dvcfile, imp.path, imp.url, imp.rev, sha, imp.config, imp.remote)


def _record(repo: Repo, dvcfile: DvcFile, obj: Any) -> None:
    """Put ``obj``'s hash, size and file count into the output, as dvc records them."""
    size, nfiles = measure(repo, obj)
    raw = dvcfile.outs[0].raw
    raw["md5"] = obj.oid
    raw["size"] = size
    if nfiles is None:
        raw.pop("nfiles", None)
    else:
        raw["nfiles"] = nfiles


def _rewrite(repo: Repo, dvcfile: DvcFile) -> None:
    dvcfile.raw["md5"] = stage_md5(dvcfile.to_data())
    dvcfile.write(repo.root)


def _checkout(repo: Repo, dvcfile: DvcFile) -> None:
    checked = repo.checkout([dvcfile.path])
    if not checked.ok:
        raise RepoError(
            f"{dvcfile.path}: the update could not be checked out: {dict(checked.failed)}"
        )


# ------------------------------------------------------------------------------ import-url
def _source_path(repo: Repo, dvcfile: DvcFile) -> str:
    path = dvcfile.raw["deps"][0].get("path")
    if not isinstance(path, str) or not path or "://" in path:
        raise RepoError(f"{dvcfile.path}: update reads local import-url sources only (use dvc)")
    folder = os.path.dirname(os.path.join(repo.root, *dvcfile.path.split("/")))
    return os.path.normpath(os.path.join(folder, path))


def source_hash(full: str) -> str:
    """The md5 dvc records for a local file or directory outside the workspace."""
    if os.path.isdir(full):
        files = walk_files(full)
        return Manifest.build(((rel, file_md5(path)) for rel, path, _ in files), oid=full).oid
    return file_md5(full)


def _update_url_import(repo: Repo, dvcfile: DvcFile, jobs: int | None) -> ImportUpdate:
    full = _source_path(repo, dvcfile)
    dep = dvcfile.raw["deps"][0]
    out = dvcfile.outs[0]
    real_root = os.path.realpath(repo.root)
    if os.path.realpath(full) == real_root or os.path.realpath(full).startswith(real_root + os.sep):
        raise RepoError(f"{dvcfile.path}: its source {dep['path']!r} is inside the workspace")
    if out.oid is None:
        raise RepoError(f"{dvcfile.path}: a partial import (--no-download): use dvc update")
    if not os.path.exists(full):
        raise ImportSourceError(dvcfile.path, repr(dep["path"]), "no such file or directory")
    if source_hash(full) == dep.get("md5"):
        return ImportUpdate(dvcfile.path, out.repo_path, False)
    target = repo.full_path(out.repo_path)
    fresh = f"{target}.{os.getpid()}.update.tmp"
    aside = f"{target}.{os.getpid()}.old.tmp"
    copy_in(full, fresh)
    moved = False
    try:
        if os.path.lexists(target):
            os.rename(target, aside)
            moved = True
        os.rename(fresh, target)
        staged = Stager(repo.root, repo.state, repo.cache, jobs=jobs).stage(
            out.repo_path, commit=True
        )
        raw = out.raw
        raw["md5"] = staged.obj.oid
        raw["size"] = staged.size
        if staged.nfiles is None:
            raw.pop("nfiles", None)
        else:
            raw["nfiles"] = staged.nfiles
        for key in ("md5", "size", "nfiles"):
            if key in raw:
                dep[key] = raw[key]
            else:
                dep.pop(key, None)
        _rewrite(repo, dvcfile)
    except BaseException:
        _remove(fresh)
        if moved:
            _remove(target)
            os.rename(aside, target)
        raise
    finally:
        repo.state.commit()
    if moved:
        _remove(aside)
    return ImportUpdate(dvcfile.path, out.repo_path, True)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)


# ------------------------------------------------------------------------------ status
def update_available(repo: Repo, dvcfile: DvcFile) -> str | None:
    """dvc's ``"<path> (<url>)"`` when the repo import's source at its ``rev`` (or
    HEAD) is not its ``rev_lock`` any more; None otherwise. Only a source that is a
    local git work tree is asked (cheap); a URL is never contacted by ``status``."""
    if import_kind(dvcfile) != REPO:
        return None
    imp = RepoImport.of(dvcfile)
    if not local_source(imp.url, repo.root):
        return None
    wanted = RepoImport(imp.dvcfile, imp.path, imp.url, imp.rev)
    try:
        with Source.open(wanted, repo.root) as source:
            moved = source.sha != imp.rev_lock
    except DvcRemoteError:
        return None
    dep = dvcfile.raw["deps"][0]
    return f"{dep['path']} ({imp.url})" if moved else None


__all__ = ["ImportUpdate", "import_kind", "source_hash", "update_available", "update_import"]
