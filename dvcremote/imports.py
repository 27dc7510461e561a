"""Repo imports (``dvc import``): their data is fetched from the source repository.

A ``.dvc`` file with ``deps: - path: P, repo: {url, rev?, rev_lock}`` records data
that belongs to another DVC repository. As in dvc, fetch and pull bring it from
there: the source's git repository at ``rev_lock`` (else ``rev``, else its HEAD)
says which outputs hold ``P`` and which remote holds their objects (its
``.dvc/config`` at that commit, with the dependency's ``config:`` and ``remote:`` on
top). Objects are downloaded into this repository's cache through the usual
adapters, so each is verified as every fetch is; a folder inside a tracked
directory gets its manifest built from the source's and checked against the
``.dvc`` file's id; files the source keeps in git are read from git and hashed.
push, ``status -c`` and gc leave these outputs alone: the data is the source's.

Where the source is: a local path (relative: to this workspace's root) that is a
git work tree is read in place, as dvc does, with the source's current definition
of its default remote, or, when it has none, its cache as the remote (dvc's
``auto-generated-upstream``); anything else (``file://``, ssh, https, a bare
repository) is cloned into a temporary folder, removed afterwards. Nothing is
written into the source. A failure (source gone, unknown revision, no remote, data
that does not match) fails that ``.dvc`` file's objects with an
:class:`~dvcremote.errors.ImportSourceError` naming it; other outputs still fetch.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from dvcremote.config import Config, RemoteConfig, parse
from dvcremote.dvcfile import Output
from dvcremote.errors import (
    DvcFileError,
    DvcRemoteError,
    ImportSourceError,
    ObjectMissing,
    ScmError,
    ScmPathError,
    TargetNotFound,
)
from dvcremote.hashing import bytes_md5
from dvcremote.index import output_obj
from dvcremote.manifest import Manifest
from dvcremote.objects import Obj
from dvcremote.progress import NULL, Progress
from dvcremote.results import TransferSummary

if TYPE_CHECKING:
    from dvcremote.dvcfile import DvcFile
    from dvcremote.remotes.base import Remote
    from dvcremote.repo import Repo
    from dvcremote.scm import Git

#: The remote dvc makes up for a local source without a default remote: its cache.
AUTO_REMOTE = "auto-generated-upstream"


@dataclass(frozen=True)
class RepoImport:
    """The ``repo:`` dependency of one ``.dvc`` file, checked."""

    dvcfile: str
    path: str
    url: str
    rev: str | None = None
    rev_lock: str | None = None
    config: Mapping[str, Any] | str | None = None
    remote: Mapping[str, Any] | str | None = None

    @classmethod
    def of(cls, dvcfile: DvcFile) -> RepoImport:
        """Read the import of ``dvcfile``; a malformed one is a DvcFileError naming it."""
        from dvcremote.history import describe_dvcfile

        name = describe_dvcfile(dvcfile)
        deps = dvcfile.raw.get("deps")
        dep = next(d for d in deps or () if isinstance(d, dict) and isinstance(d.get("repo"), dict))
        repo = dep["repo"]
        path = dep.get("path")
        if not isinstance(path, str) or not path or "\x00" in path or path.startswith("/"):
            raise DvcFileError(name, "the import's 'path' must be a relative path")
        norm = posixpath.normpath(path)
        if norm == ".." or norm.startswith("../"):
            raise DvcFileError(name, f"the import's path {path!r} leaves the source repository")
        url = repo.get("url")
        if not isinstance(url, str) or not url:
            raise DvcFileError(name, "the import's 'repo' has no 'url'")
        for key in ("rev", "rev_lock"):
            if repo.get(key) is not None and not isinstance(repo[key], str):
                raise DvcFileError(name, f"the import's '{key}' must be a string")
        config, remote = repo.get("config"), repo.get("remote")
        if config is not None and not isinstance(config, (str, dict)):
            raise DvcFileError(name, "the import's 'config' must be a mapping or a file path")
        if remote is not None and not isinstance(remote, (str, dict)):
            raise DvcFileError(name, "the import's 'remote' must be a name or a mapping")
        return cls(
            name,
            "" if norm == "." else norm,
            url,
            repo.get("rev"),
            repo.get("rev_lock"),
            config,
            remote,
        )

    @property
    def revision(self) -> str:
        return self.rev_lock or self.rev or "HEAD"

    @property
    def source_key(self) -> str:
        """Imports sharing a key share one opened source and remote."""
        return json.dumps(
            [self.url, self.revision, self.config, self.remote], sort_keys=True, default=str
        )

    @property
    def shown(self) -> str:
        """The source for messages: URL without credentials, and the revision."""
        return f"{_without_credentials(self.url)!r} at {self.revision}"


def _without_credentials(url: str) -> str:
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def _scrubbed(text: str, url: str) -> str:
    """``text`` (a git error) without the user name or password ``url`` carries."""
    parts = urlsplit(url) if "://" in url else None
    for secret in (parts.username, parts.password) if parts else ():
        if secret:
            text = text.replace(secret, "***")
    return text


def _local_path(url: str, root: str) -> str | None:
    """``url`` as a local path (relative ones relative to ``root``), or None for a URL."""
    if "://" in url or (":" in url.split("/", 1)[0] and not os.path.exists(url)):
        return None  # a URL, or scp-like ``host:path``
    return os.path.normpath(os.path.join(root, os.path.expanduser(url)))


def local_source(url: str, root: str) -> bool:
    """Whether ``url`` names a local project or git work tree (read in place, not
    cloned, so cheap to ask)."""
    local = _local_path(url, root)
    return local is not None and any(
        os.path.exists(os.path.join(local, name)) for name in (".dvc", ".git")
    )


class Source:
    """A source repository's git, opened at one commit; read only."""

    def __init__(self, git: Git, sha: str, project: str, local: bool) -> None:
        self.git = git
        self.sha = sha
        #: The DVC project's folder (the git work tree, or a folder inside it).
        self.project = project
        self.subdir = git.relpath(project)
        self.local = local
        self._all: list[Output] | None = None

    @classmethod
    @contextmanager
    def open(cls, imp: RepoImport, root: str) -> Iterator[Source]:
        from dvcremote.scm import Git

        local = _local_path(imp.url, root)
        git = Git.discover(local) if local is not None and os.path.isdir(local) else None
        in_place = local is not None and (
            os.path.isdir(os.path.join(local, ".dvc"))
            or (git is not None and os.path.samefile(git.root, local))
        )
        if git is not None and not in_place:
            git.close()  # a folder inside some other git repository: not a project
            git = None
        clone: str | None = None
        try:
            if git is None:
                if local is not None and not os.path.exists(local):
                    raise ScmPathError(local, "does not exist")
                clone = tempfile.mkdtemp(prefix="dvcremote-import-")
                try:
                    git = Git.clone(local or imp.url, clone)
                except ScmError as exc:
                    raise ScmError(_scrubbed(str(exc), imp.url)) from None
                project = git.root
            else:
                assert local is not None
                project = local
            try:
                yield cls(git, git.resolve(imp.revision), project, clone is None)
            finally:
                git.close()
        finally:
            if clone is not None:
                shutil.rmtree(clone, ignore_errors=True)

    # -- where its objects are -------------------------------------------------------------
    def remote_config(self, imp: RepoImport, root: str) -> RemoteConfig:
        """The remote to fetch from: the dependency's ``remote:`` (a name, or a whole
        remote), else the default remote of the source's config at the commit, with
        the dependency's ``config:`` merged over it (as dvc)."""
        dvc_dir = os.path.join(self.project, ".dvc")
        at = posixpath.join(self.subdir, ".dvc", "config")
        try:
            data = self.git.read_file(self.sha, at)
        except ScmPathError:
            data = b""
        level = parse(data, f".dvc/config at {self.sha[:12]}")
        if self.local:
            _local_default(level, Config(dvc_dir))
        if isinstance(imp.config, str):
            level = _merged(level, _config_file(imp, root))
        elif imp.config:
            level = _merged(level, _dvc_form(imp.config))
        config = Config(dvc_dir, repo_level=level)
        if isinstance(imp.remote, Mapping):
            options = {str(k): str(v) for k, v in imp.remote.items()}
            url = options.get("url")
            if not url:
                raise DvcFileError(imp.dvcfile, "the import's 'remote' has no 'url'")
            return RemoteConfig("import", config._resolve_url(url, dvc_dir), options)
        if imp.remote is None and config.default_remote is None:
            raise ImportSourceError(
                imp.dvcfile,
                imp.shown,
                "the source has no default remote (give the import a 'remote:' in its repo: entry)",
            )
        return config.remote(imp.remote)

    # -- what is at the import's path --------------------------------------------------------
    def outputs(self, path: str) -> list[Output]:
        """The source's outputs (``.dvc`` files, ``dvc.lock``) at ``path``, holding it,
        or under it. The commit's are read once, however many imports use it."""
        if self._all is None:
            from dvcremote.history import read_outputs
            from dvcremote.scm import Revision

            revision = Revision(self.sha, (self.sha,))
            self._all, _ = read_outputs(self.git, self.project, [revision])
        return [o for o in self._all if _covers(o.repo_path, path) or _covers(path, o.repo_path)]

    def fetch_manifests(self, adapter: Remote, path: str, jobs: int | None) -> TransferSummary:
        """Bring into the cache the manifests of the directories at, holding or under
        ``path`` (what is there is read from them)."""
        outs = self.outputs(path)
        dirs = [o for o in outs if (found := output_obj(o)[0]) is not None and found.is_dir]
        return adapter.fetch_manifests(dirs, jobs=jobs) if dirs else TransferSummary(adapter.name)

    def object_at(self, repo: Repo, adapter: Remote, path: str, jobs: int | None) -> Obj:
        """The object the source holds at ``path`` (a directory's is built from what is
        under it, as ``dvc import`` records it)."""
        exact = [o for o in self.outputs(path) if o.repo_path == path]
        found = output_obj(exact[0])[0] if exact else None
        if found is not None:
            return found
        summary = self.fetch_manifests(adapter, path, jobs)
        if not summary.ok:
            raise next(iter(summary.failed.values()), None) or ObjectMissing(
                next(iter(summary.missing)), f"not on the source's remote {adapter.name!r}"
            )
        entries, _ = _entries(repo, self, self.outputs(path), path)
        if not entries:
            raise TargetNotFound(path, f"is not in the source repository at {self.sha[:12]}")
        if list(entries) == [""]:
            return Obj(entries[""])
        return Obj(Manifest.build(entries.items(), oid=path).oid)

    def git_files(self, path: str) -> list[tuple[str, str]]:
        """(path under ``path``, blob sha) of the files git holds there."""
        return self.git.files_under(self.sha, posixpath.join(self.subdir, path))


def _local_default(level: dict[str, Any], current: Config) -> None:
    """dvc reads a local source's default remote from its workspace config (its
    relative paths stay right), or uses the source's cache when it has none."""
    name = current.default_remote
    remotes = level.setdefault("remote", {})
    if name is None:
        level.setdefault("core", {})["remote"] = AUTO_REMOTE
        remotes[AUTO_REMOTE] = {"url": current.cache_dir}
        return
    remote = current.remote(name)
    remotes[name] = {**remote.options, "url": remote.url}


def _config_file(imp: RepoImport, root: str) -> dict[str, Any]:
    """A ``config:`` file path, which must lie in this workspace (a path from a ``.dvc``
    file is not trusted to make dvcremote read other files)."""
    from dvcremote.index import to_repo_path

    assert isinstance(imp.config, str)
    try:
        rel = to_repo_path(root, imp.config)
    except DvcRemoteError:
        raise DvcFileError(
            imp.dvcfile, "the import's 'config' file is outside the workspace"
        ) from None
    full = os.path.join(root, *rel.split("/"))
    try:
        with open(full, "rb") as f:
            return parse(f.read(), rel)
    except OSError as exc:
        raise DvcFileError(
            imp.dvcfile, f"cannot read its 'config' file {rel!r}: {exc.strerror}"
        ) from None


def _dvc_form(config: Mapping[str, Any]) -> dict[str, Any]:
    """A ``config:`` mapping in dvc's form (``{"remote": {name: {...}}, "core": ...}``)
    with plain string values, as the config files give them."""
    out: dict[str, Any] = {}
    for section, values in config.items():
        if not isinstance(values, Mapping):
            continue
        if section == "remote":
            out["remote"] = {
                str(n): {str(k): _text(v) for k, v in opts.items()}
                for n, opts in values.items()
                if isinstance(opts, Mapping)
            }
        else:
            out[str(section)] = {str(k): _text(v) for k, v in values.items()}
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _covers(out_path: str, rel: str) -> bool:
    return not out_path or rel == out_path or rel.startswith(out_path + "/")


# --------------------------------------------------------------------------------- fetching
def fetch_imports(
    repo: Repo,
    outputs: Sequence[Output],
    *,
    jobs: int | None = None,
    progress: Progress = NULL,
) -> TransferSummary | None:
    """Fetch the repo imports among ``outputs`` from their sources into the cache;
    None when there was nothing to fetch."""
    groups: dict[str, list[tuple[RepoImport, Output, Obj]]] = {}
    failed: dict[str, Exception] = {}
    for out in outputs:
        obj, _ = output_obj(out)
        if obj is None or not out.use_cache or out.dvcfile is None:
            continue
        try:
            imp = RepoImport.of(out.dvcfile)
        except DvcFileError as exc:
            failed[obj.oid] = exc
            continue
        groups.setdefault(imp.source_key, []).append((imp, out, obj))
    summary: TransferSummary | None = None
    for items in groups.values():
        first = items[0][0]
        try:
            with (
                Source.open(first, repo.root) as source,
                source_remote(repo, source, first) as adapter,
            ):
                for imp, _, obj in items:
                    try:
                        part = fetch_one(repo, source, adapter, imp, obj, jobs, progress)
                    except DvcRemoteError as exc:
                        failed[obj.oid] = _error(imp, exc)
                        continue
                    if part.missing:  # named by the .dvc file that needs them
                        gone = ImportSourceError(
                            imp.dvcfile, imp.shown, f"not on its remote {adapter.name!r}"
                        )
                        failed.update(dict.fromkeys(part.missing, gone))
                        part = replace(part, missing=frozenset())
                    summary = part if summary is None else summary.merge(part)
        except DvcRemoteError as exc:
            for imp, _, obj in items:
                failed.setdefault(obj.oid, _error(imp, exc))
    if failed:
        shown = TransferSummary(summary.remote if summary else "import source", failed=failed)
        summary = shown if summary is None else summary.merge(shown)
    return summary


def _error(imp: RepoImport, exc: Exception) -> DvcRemoteError:
    if isinstance(exc, (ImportSourceError, DvcFileError)):
        return exc
    return ImportSourceError(imp.dvcfile, imp.shown, str(exc))


@contextmanager
def source_remote(repo: Repo, source: Source, imp: RepoImport) -> Iterator[Remote]:
    """The adapter of the remote ``imp``'s data comes from, over this repository's cache."""
    from dvcremote.remotes import open_remote

    config = source.remote_config(imp, repo.root)
    backend = repo.open_remote_backend(config)
    with open_remote(config, backend, repo.cache, repo.verifier) as adapter:
        yield adapter


def fetch_one(
    repo: Repo,
    source: Source,
    adapter: Remote,
    imp: RepoImport,
    obj: Obj,
    jobs: int | None,
    progress: Progress,
) -> TransferSummary:
    """Bring ``obj``, the import's output, into the cache from ``source``."""
    outs = source.outputs(imp.path)
    exact = [o for o in outs if o.repo_path == imp.path and output_obj(o)[0] == obj]
    if exact:  # the usual case: the path is a whole output of the source
        return adapter.fetch(exact[:1], jobs=jobs, progress=progress)
    summary = source.fetch_manifests(adapter, imp.path, jobs)
    if not summary.ok:
        return summary
    entries, blobs = _entries(repo, source, outs, imp.path)
    cache = repo.cache
    if obj.is_dir:
        manifest = Manifest.build(entries.items(), oid=obj.oid)
        if manifest.oid != obj.oid:
            raise ImportSourceError(
                imp.dvcfile,
                imp.shown,
                f"{imp.path!r} there is {manifest.oid}, not the recorded {obj.oid}",
            )
        needed = {Obj(md5) for md5 in manifest.md5s()}
    else:
        if entries.get("") != obj.oid:
            raise ImportSourceError(
                imp.dvcfile, imp.shown, f"{imp.path!r} there is not the recorded {obj.oid}"
            )
        needed = {obj}
    present, _ = repo.verifier.intact(needed)
    for item in sorted(needed - present):
        if item.oid in blobs:  # a file the source keeps in git
            cache.add_bytes(item, source.git.read_blob(blobs[item.oid]))
    rest = needed - cache.present(needed)
    if rest:
        wanted = [Output({"md5": o.oid, "hash": "md5", "path": imp.path or "."}) for o in rest]
        summary = summary.merge(adapter.fetch(wanted, jobs=jobs, progress=progress))
    if obj.is_dir and summary.ok and not cache.exists(obj):
        cache.add_bytes(obj, manifest.to_bytes())
    return summary


def _entries(
    repo: Repo, source: Source, outs: Sequence[Output], path: str
) -> tuple[dict[str, str], dict[str, str]]:
    """What the source holds at ``path``: {path under it ("" for itself): md5}, and
    {md5: blob sha} for the files git holds (tracked outputs win over git)."""
    entries: dict[str, str] = {}
    for out in outs:
        obj, manifest = output_obj(out)
        if obj is None:
            continue
        base = out.repo_path
        if not obj.is_dir:
            entries[posixpath.relpath(base, path) if base != path else ""] = obj.oid
            continue
        if manifest is None:
            try:
                manifest = repo.cache.load_manifest(obj)
            except ObjectMissing:
                continue
        for rel, md5 in manifest:
            full = posixpath.join(base, rel)
            if full == path:
                entries[""] = md5
            elif _covers(path, full):
                entries[posixpath.relpath(full, path) if path else full] = md5
    blobs: dict[str, str] = {}
    for rel, sha in source.git_files(path):
        if rel in entries:
            continue
        md5 = bytes_md5(source.git.read_blob(sha), "md5")
        entries[rel] = md5
        blobs[md5] = sha
    return entries, blobs
