"""``import`` and ``import-url``: new ``.dvc`` files in the form ``dvc import`` and
``dvc import-url`` write, byte for byte.

An import's ``.dvc`` file has a stage ``md5`` (:func:`stage_md5`), ``frozen: true``,
one dependency and one output. ``import`` takes the data from a source repository
the way fetch does (:mod:`dvcremote.imports`: its git at the revision, its remote,
every object verified), then checks it out. ``import-url`` copies a local file or
directory (only local paths: other URLs are not read) into the workspace, temp
then rename, and tracks it as ``add`` does; the dependency records the source's
hash, which is the output's.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dvcremote import dvcfile as dvcfile_mod
from dvcremote import gitops
from dvcremote.dvcfile import DvcFile
from dvcremote.errors import RepoError, TargetNotFound, UnsafePath
from dvcremote.imports import RepoImport, Source, fetch_one, source_remote
from dvcremote.objects import Obj
from dvcremote.progress import NULL, Progress
from dvcremote.results import AddedOutput, AddResult

if TYPE_CHECKING:
    from dvcremote.repo import Repo

#: Keys dvc leaves out of a stage's md5, at any depth (``dvc/stage/utils.py:compute_md5``).
_NOT_HASHED = frozenset(
    {
        "desc",
        "type",
        "labels",
        "meta",
        "locked",
        "frozen",
        "metric",
        "persist",
        "isexec",
        "size",
        "nfiles",
    }
)


def stage_md5(data: dict[str, Any]) -> str:
    """dvc's stage md5 of a ``.dvc`` file's mapping: md5 of its sorted JSON, without
    the top-level ``md5`` and without the keys :data:`_NOT_HASHED` anywhere."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _NOT_HASHED}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    body = strip({k: v for k, v in data.items() if k != "md5"})
    text = json.dumps(body, sort_keys=True).encode("utf-8")
    return hashlib.md5(text, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class ImportOptions:
    """What ``import`` takes besides the source and path (see :meth:`Repo.import_repo`)."""

    out: str | os.PathLike[str] | None = None
    rev: str | None = None
    jobs: int | None = None
    progress: Progress = NULL


def _new_target(repo: Repo, out: str | os.PathLike[str]) -> tuple[str, str]:
    """The output's repo path and its ``.dvc`` file's, both free and fit for data."""
    rel = repo.repo_path(out)
    if not rel:
        raise UnsafePath(os.fspath(out), "is the workspace root")
    problem = repo.paths.problem(rel)
    if problem is not None:
        raise UnsafePath(rel, problem)
    dvcfile = f"{rel}.dvc"
    for path in (rel, dvcfile):
        if os.path.lexists(repo.full_path(path)):
            raise RepoError(f"{path!r} already exists; remove it first to import there")
    return rel, dvcfile


def _write(repo: Repo, dvcfile_rel: str, data: dict[str, Any]) -> DvcFile:
    os.makedirs(os.path.dirname(repo.full_path(dvcfile_rel)), exist_ok=True)
    dvcfile = DvcFile.new(dvcfile_rel, data["outs"])
    dvcfile.raw = {"md5": stage_md5(data), **data}  # keys in dvc's order, outs last
    dvcfile.write(repo.root)
    return dvcfile


def _ignore(repo: Repo, rel: str) -> tuple[str, ...]:
    git = repo.git
    if git is None:
        return ()
    changed = gitops.ignore(git, repo.full_path(rel))
    return (os.path.relpath(changed, repo.root).replace(os.sep, "/"),) if changed else ()


def import_repo(repo: Repo, url: str, path: str, options: ImportOptions) -> AddResult:
    """``dvc import URL PATH [-o OUT] [--rev REV]``: see :meth:`Repo.import_repo`."""
    out, rev, jobs, progress = options.out, options.rev, options.jobs, options.progress
    rel, dvcfile_rel = _new_target(repo, out if out is not None else posixpath.basename(path))
    imp = RepoImport(dvcfile_rel, posixpath.normpath(path).strip("/"), url, rev)
    if imp.path in ("", ".", "..") or imp.path.startswith("../"):
        raise TargetNotFound(path, "is not a path inside the source repository")
    with Source.open(imp, repo.root) as source, source_remote(repo, source, imp) as adapter:
        imp = RepoImport(imp.dvcfile, imp.path, url, rev, source.sha)
        obj = source.object_at(repo, adapter, imp.path, jobs)
        summary = fetch_one(repo, source, adapter, imp, obj, jobs, progress)
    if not summary.ok:
        error = next(iter(summary.failed.values()), None)
        raise error or RepoError(f"{imp.path!r}: objects missing from the source's remote")
    size, nfiles = _measure(repo, obj)
    out_raw: dict[str, Any] = {"md5": obj.oid, "size": size}
    if nfiles is not None:
        out_raw["nfiles"] = nfiles
    out_raw.update({"hash": "md5", "path": posixpath.basename(rel)})
    repo_dep: dict[str, Any] = {"url": url}
    if rev:
        repo_dep["rev"] = rev
    repo_dep["rev_lock"] = imp.rev_lock
    data = {"frozen": True, "deps": [{"path": imp.path, "repo": repo_dep}], "outs": [out_raw]}
    dvcfile = _write(repo, dvcfile_rel, data)
    checked = repo.checkout([dvcfile_rel])
    if not checked.ok:
        raise RepoError(f"{rel!r} could not be checked out: {dict(checked.failed)}")
    added = AddedOutput(rel, obj.oid, size, nfiles, dvcfile.path)
    return AddResult((added,), _ignore(repo, rel))


def _measure(repo: Repo, obj: Obj) -> tuple[int, int | None]:
    """(size, nfiles) of a cached object as dvc records them (a directory: its files)."""
    cache = repo.cache
    if not obj.is_dir:
        return os.path.getsize(cache.path(obj)), None
    manifest = cache.load_manifest(obj)
    sizes = {md5: os.path.getsize(cache.path(Obj(md5))) for md5 in manifest.md5s()}
    return sum(sizes[md5] for _, md5 in manifest), len(manifest)


def import_url(
    repo: Repo,
    source: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    jobs: int | None = None,
    progress: Progress = NULL,
) -> AddResult:
    """``dvc import-url PATH [OUT]`` for a local file or directory: see
    :meth:`Repo.import_url`."""
    given = os.fspath(source)
    if "://" in given:
        raise RepoError(f"{given!r}: import-url reads local paths only (use dvc for URLs)")
    full = os.path.normpath(given if os.path.isabs(given) else os.path.join(repo.root, given))
    if not os.path.exists(full):
        raise TargetNotFound(given)
    rel, dvcfile_rel = _new_target(repo, out if out is not None else os.path.basename(full))
    real_root = os.path.realpath(repo.root)
    if os.path.realpath(full) == real_root or os.path.realpath(full).startswith(real_root + os.sep):
        raise RepoError(f"{given!r} is inside the workspace: track it with add")
    _copy_in(full, repo.full_path(rel))
    result = repo.add(rel, jobs=jobs, progress=progress)
    out_raw = dict(dvcfile_mod.load(repo.root, dvcfile_rel).outs[0].raw)
    dep = {k: v for k, v in out_raw.items() if k in ("md5", "size", "nfiles", "hash")}
    if os.path.isabs(given):
        dep["path"] = given
    else:  # relative to the .dvc file's folder, as dvc stores it
        folder = os.path.dirname(repo.full_path(dvcfile_rel))
        dep["path"] = os.path.relpath(full, folder).replace(os.sep, "/")
    _write(repo, dvcfile_rel, {"frozen": True, "deps": [dep], "outs": [out_raw]})
    return result


def _copy_in(src: str, dst: str) -> None:
    """Copy ``src`` to the new path ``dst`` through a temp beside it, renamed at the end,
    so an interrupted copy leaves no half output."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = f"{dst}.{os.getpid()}.import.tmp"
    try:
        if os.path.isdir(src):
            shutil.copytree(src, tmp, symlinks=False)
        else:
            shutil.copyfile(src, tmp)
        os.rename(tmp, dst)
    except BaseException:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.lexists(tmp):
            os.unlink(tmp)
        raise


__all__ = ["import_repo", "import_url", "stage_md5"]
