"""``.dvc`` files: load, inspect, update and write them in DVC 3.x's exact form.

An output keeps the mapping it was read from (key order, unknown keys, the
version-aware ``cloud:`` and directory ``files:`` forms), and a file whose data
did not change is written back as the very bytes it was read from. The setters
rewrite an output the way DVC does: its fresh serialisation is laid onto the
mapping as read, so keys already there keep their place and new ones go last.
"""

from __future__ import annotations

import copy
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dvcremote import yamlio
from dvcremote.errors import DvcFileError, UnsafePath
from dvcremote.hashing import MD5, MD5_DOS2UNIX
from dvcremote.manifest import Manifest, is_dir_oid, is_valid_oid, relpath_problem
from dvcremote.workspace_paths import path_problem

DVCFILE_SUFFIX = ".dvc"

#: Key order DVC writes an output in (``Output.dumpd``); unknown keys go before ``files``.
_OUT_ORDER = (
    "md5",
    "etag",
    "checksum",
    "size",
    "nfiles",
    "isexec",
    "version_id",
    "cloud",
    "hash",
    "path",
    "fs_config",
    "desc",
    "type",
    "labels",
    "meta",
    "cache",
    "metric",
    "plot",
    "persist",
    "remote",
    "push",
)
#: Key order of one entry of a directory output's ``files:`` list.
_FILE_ORDER = ("relpath", "md5", "size", "isexec", "cloud")


def is_dvcfile_name(name: str) -> bool:
    return name.endswith(DVCFILE_SUFFIX) and name != DVCFILE_SUFFIX


def _ordered(
    raw: Mapping[str, Any], order: tuple[str, ...], last: tuple[str, ...] = ()
) -> dict[str, Any]:
    known = [k for k in order if k in raw]
    unknown = [k for k in raw if k not in order and k not in last]
    tail = [k for k in last if k in raw]
    return {k: raw[k] for k in (*known, *unknown, *tail)}


def _onto(new: Any, old: Any) -> Any:
    """``new`` laid onto ``old`` as DVC rewrites a parsed ``.dvc`` file: keys of ``old``
    keep their place (with ``new``'s values), new keys go at the end, dropped keys
    vanish, and a list of the same length is merged item by item (so a pushed file
    gains ``cloud:`` after ``path:``); anything else is ``new``."""
    if isinstance(new, Mapping) and isinstance(old, Mapping):
        merged = {k: _onto(new[k], old[k]) for k in old if k in new}
        merged.update((k, v) for k, v in new.items() if k not in old)
        return merged
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [_onto(n, o) for n, o in zip(new, old)]
    return new


#: What a new ``files:`` entry records beside relpath and md5 (``size``, ``isexec``).
FileMeta = Callable[[str], Mapping[str, Any]]
#: The manifest of a directory object (id, legacy) from the cache, None when absent.
ManifestOf = Callable[[str, bool], Manifest | None]


@dataclass
class Output:
    """One entry of ``outs:``; ``raw`` is the mapping as it will be written."""

    raw: dict[str, Any]
    #: Posix path of the ``.dvc`` file's folder relative to the repo root ("" at the root).
    wdir: str = ""
    dvcfile: DvcFile | None = field(default=None, repr=False, compare=False)
    #: The mapping as it is on disk (None for a new output): rewrites keep its key order.
    original: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    # -- reading -------------------------------------------------------------------------
    @property
    def path(self) -> str:
        """The output's path relative to its ``.dvc`` file, as written there."""
        return str(self.raw["path"])

    @property
    def repo_path(self) -> str:
        """The output's path relative to the repository root (posix)."""
        return posixpath.normpath(posixpath.join(self.wdir, self.path))

    @property
    def hash_name(self) -> str:
        """``md5`` for DVC 3.x outputs, ``md5-dos2unix`` for 2.x ones (no ``hash:`` key)."""
        return MD5 if self.raw.get("hash") == MD5 else MD5_DOS2UNIX

    @property
    def is_legacy(self) -> bool:
        return self.hash_name == MD5_DOS2UNIX

    @property
    def oid(self) -> str | None:
        """The object id (``<md5>`` or ``<md5>.dir``) or None when not recorded."""
        value = self.raw.get("md5")
        if value is not None:
            return str(value)
        return None

    @property
    def isdir(self) -> bool:
        oid = self.oid
        return (oid is not None and is_dir_oid(oid)) or "files" in self.raw

    @property
    def size(self) -> int | None:
        value = self.raw.get("size")
        return value if isinstance(value, int) else None

    @property
    def nfiles(self) -> int | None:
        value = self.raw.get("nfiles")
        return value if isinstance(value, int) else None

    @property
    def isexec(self) -> bool:
        """Whether a file output is recorded as executable (checkout sets the bit)."""
        return self.raw.get("isexec") is True

    @property
    def exec_files(self) -> frozenset[str]:
        """Relpaths a directory's ``files:`` form records as executable (a ``.dir``
        manifest records none)."""
        return frozenset(
            str(e["relpath"]) for e in self.files or () if e.get("isexec") is True
        )

    @property
    def use_cache(self) -> bool:
        return self.raw.get("cache", True) is not False

    @property
    def is_repo_import(self) -> bool:
        """Whether a repo import (``dvc import``) brings this output in."""
        return self.dvcfile is not None and self.dvcfile.is_repo_import

    @property
    def is_partial_import(self) -> bool:
        """An ``import-url --no-download`` output: no hash yet, its data only at the source."""
        return self.dvcfile is not None and self.dvcfile.is_import and self.oid is None

    @property
    def can_push(self) -> bool:
        """``push: false`` outputs, and those a repo import (``dvc import``) brings in,
        are never pushed nor compared by ``status -c``, as in dvc: the data belongs to
        the source repository's remote."""
        if self.is_repo_import:
            return False
        return self.raw.get("push", True) is not False

    @property
    def remote(self) -> str | None:
        """The remote this output is pinned to (``remote:`` key), if any."""
        value = self.raw.get("remote")
        return str(value) if value else None

    @property
    def files(self) -> list[dict[str, Any]] | None:
        """The ``files:`` list of a directory output in the version-aware form."""
        value = self.raw.get("files")
        return value if isinstance(value, list) else None

    @property
    def cloud(self) -> dict[str, Any] | None:
        value = self.raw.get("cloud")
        return value if isinstance(value, dict) else None

    def check_path(self) -> None:
        """Refuse an output whose path leads out of the repository, into ``.git``,
        ``.dvc`` or ``.hg``, or names a DVC file (the text only: see workspace_paths)."""
        reason = path_problem(self.repo_path)
        if reason is not None:
            where = self.dvcfile.path if self.dvcfile else "<.dvc file>"
            raise UnsafePath(self.path, reason, source=where)

    # -- writing -------------------------------------------------------------------------
    def set_hash(
        self,
        oid: str,
        size: int,
        nfiles: int | None = None,
        *,
        legacy: bool = False,
        manifest: Manifest | None = None,
        file_meta: FileMeta | None = None,
        isexec: bool = False,
    ) -> None:
        """Record new content, as ``dvc add`` does (``legacy``: an md5-dos2unix id).

        Version records survive where the content did not change, so a versioned
        remote is not sent those bytes again: a file output with the same id keeps
        its ``cloud:``, and a directory in the ``files:`` form stays in it, each file
        with the same relpath and md5 keeping its entry. ``manifest`` (the new
        directory's files) and ``file_meta`` (``size``/``isexec`` of a new or
        changed file) are needed for that form only. ``isexec`` is a file output's
        exec bit in the workspace; like DVC, an unchanged versioned file keeps the
        recorded one instead (DVC keeps its whole recorded meta then).
        """
        same = self.oid == oid and self.is_legacy == legacy
        keep = _VERSION_KEYS if same else frozenset()
        if same and has_version(self.raw):
            keep |= {"isexec"}
        raw = {k: v for k, v in self.raw.items() if k not in _CONTENT_KEYS or k in keep}
        if "isexec" not in keep and isexec and not is_dir_oid(oid):
            raw["isexec"] = True
        files = self.files
        if files is not None and manifest is not None and is_dir_oid(oid):
            old = {} if self.is_legacy != legacy else {str(e["relpath"]): e for e in files}
            meta = file_meta or (lambda _relpath: {})
            raw["files"] = [
                dict(old[rel]) if old.get(rel, {}).get("md5") == md5
                else _file_entry(rel, md5, meta(rel))
                for rel, md5 in manifest
            ]
        else:
            raw.update({"md5": oid, "size": size})
            if nfiles is not None:
                raw["nfiles"] = nfiles
        self._rewrite(raw, legacy=legacy)

    def set_files(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Switch a directory output to the ``files:`` form (version-aware remotes);
        a DVC 2.x output stays one (no ``hash:`` key)."""
        raw = {k: v for k, v in self.raw.items() if k not in _CONTENT_KEYS}
        old = {(e.get("relpath"), e.get("md5")): e for e in self.files or ()}
        raw["files"] = [
            _ordered(_versioned_meta(dict(e), old.get((e.get("relpath"), e.get("md5")))),
                     _FILE_ORDER)
            for e in entries
        ]
        self._rewrite(raw, legacy=self._legacy_content)

    def set_cloud(self, remote: str, meta: Mapping[str, Any] | None) -> None:
        """Set (or with None, drop) the ``cloud:`` entry of a file output.

        DVC keeps at most one remote per ``cloud:`` mapping.
        """
        raw = dict(self.raw)
        raw.pop("cloud", None)
        if meta:
            raw["cloud"] = {remote: dict(meta)}
            raw = _versioned_meta(raw, self.raw)
        self._rewrite(raw, legacy=self._legacy_content)

    @property
    def _legacy_content(self) -> bool:
        """Whether recorded content is DVC 2.x's (a new output, with none yet, is not)."""
        return self.is_legacy and (self.oid is not None or self.files is not None)

    def _rewrite(self, raw: dict[str, Any], *, legacy: bool) -> None:
        """Make ``raw`` (with ``hash:`` set or dropped) the output, in DVC's key order."""
        if legacy:
            raw.pop("hash", None)
        else:
            raw["hash"] = MD5
        fresh = _ordered(raw, _OUT_ORDER, ("files",))
        self.raw = fresh if self.original is None else _onto(fresh, self.original)


def _file_entry(relpath: str, md5: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    return _ordered({**meta, "relpath": relpath, "md5": md5}, _FILE_ORDER)


def has_version(item: Mapping[str, Any]) -> bool:
    """Whether an output or ``files:`` entry records a version (DVC reads the first
    remote of ``cloud:`` into its meta)."""
    if isinstance(item.get("version_id"), str):
        return True
    cloud = item.get("cloud")
    first = next(iter(cloud.values()), None) if isinstance(cloud, Mapping) else None
    return isinstance(first, Mapping) and first.get("version_id") is not None


def _versioned_meta(new: dict[str, Any], old: Mapping[str, Any] | None) -> dict[str, Any]:
    """``new`` (given a version record) with the meta DVC would leave: a first record
    replaces the recorded meta with the storage's, which has no ``isexec``; a file
    that had one already keeps its meta."""
    if has_version(new) and not (old is not None and has_version(old)):
        new.pop("isexec", None)
    return new


_CONTENT_KEYS = frozenset(
    {"md5", "etag", "checksum", "size", "nfiles", "isexec", "version_id", "cloud", "files"}
)
#: What a file output keeps when it is added again with the same content (DVC keeps its
#: meta); ``isexec`` too when the output records a version (see ``set_hash``).
_VERSION_KEYS = frozenset({"etag", "checksum", "version_id", "cloud"})


@dataclass
class DvcFile:
    """A parsed ``.dvc`` file; ``path`` is repo-relative posix ("" if not from disk)."""

    path: str
    raw: dict[str, Any]
    outs: list[Output]
    #: The bytes the file was read from, or None for a new file.
    original: bytes | None = None
    _loaded: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def is_repo_import(self) -> bool:
        """Written by ``dvc import``: a dependency with ``repo:`` (a git repository)."""
        deps = self.raw.get("deps")
        return isinstance(deps, list) and any(
            isinstance(dep, dict) and isinstance(dep.get("repo"), dict) for dep in deps
        )

    @property
    def address(self) -> str:
        """What ``status`` groups this file's outputs under (dvc's stage address, from
        the repository root): the ``.dvc`` file's path."""
        return self.path

    @property
    def is_import(self) -> bool:
        """Written by ``dvc import`` or ``dvc import-url``: one dependency, no command."""
        deps = self.raw.get("deps")
        return isinstance(deps, list) and len(deps) == 1 and "cmd" not in self.raw

    @property
    def wdir(self) -> str:
        """The folder outputs are relative to: the file's own, joined with its ``wdir``
        key when it has one (relative to the file, as in dvc)."""
        folder = posixpath.dirname(self.path)
        key = self.raw.get("wdir")
        if key is None or key == ".":
            return folder
        if not isinstance(key, str) or not key:
            raise DvcFileError(self.path or "<.dvc file>", "'wdir' must be a path")
        joined = posixpath.normpath(posixpath.join(folder, key))
        return "" if joined == "." else joined

    @classmethod
    def new(cls, path: str, outs: Iterable[Mapping[str, Any]]) -> DvcFile:
        dvcfile = cls(path, {}, [])
        for raw in outs:
            dvcfile.outs.append(
                Output(_ordered(dict(raw), _OUT_ORDER, ("files",)), dvcfile.wdir, dvcfile)
            )
        return dvcfile

    def to_data(self) -> dict[str, Any]:
        data = dict(self.raw)
        data["outs"] = [o.raw for o in self.outs]
        if not self.raw:
            return data
        return {k: data[k] for k in ([*self.raw] if "outs" in self.raw else ["outs", *self.raw])}

    def dumps(self) -> bytes:
        """The file's bytes: the original ones when nothing changed, else DVC's form."""
        data = self.to_data()
        if self.original is not None and data == self._loaded:
            return self.original
        if self.original is not None:
            return yamlio.dumps_over(self.original, data).encode("utf-8")
        return yamlio.dumps(data).encode("utf-8")

    @property
    def changed(self) -> bool:
        return self.original is None or self.to_data() != self._loaded

    def versions_recorded(self, manifest_of: ManifestOf) -> None:
        """Hook: a version-aware remote recorded versions into this file's outputs
        (a pipeline stage then writes its directory deps in the ``files:`` form)."""

    def write(self, root: str | os.PathLike[str]) -> bool:
        """Write under ``root`` if the content changed; True when the file was written."""
        data = self.dumps()
        if data == self.original:
            return False
        self._publish(os.path.join(os.fspath(root), *self.path.split("/")), data)
        return True

    def _publish(self, target: str, data: bytes) -> None:
        """Replace ``target`` with ``data`` in one rename, then take it as the saved state."""
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
        self.original = data
        self._loaded = copy.deepcopy(self.to_data())
        for out in self.outs:
            out.original = copy.deepcopy(out.raw)

    def __iter__(self) -> Iterator[Output]:
        return iter(self.outs)


def loads(data: bytes | str, path: str = "") -> DvcFile:
    """Parse ``.dvc`` file contents; any problem is a DvcFileError naming ``path``."""
    name = path or "<.dvc file>"
    raw_bytes = data.encode("utf-8") if isinstance(data, str) else data
    parsed = yamlio.load_named(raw_bytes, name, DvcFileError)
    if not isinstance(parsed, dict):
        raise DvcFileError(name, "expected a mapping with an 'outs' list")
    outs = parsed.get("outs")
    if not isinstance(outs, list) or not outs:
        raise DvcFileError(name, "expected a non-empty 'outs' list")
    dvcfile = DvcFile(path, parsed, [], raw_bytes, copy.deepcopy(parsed))
    for i, out in enumerate(outs):
        _check_out(name, i, out)
        output = Output(out, dvcfile.wdir, dvcfile, copy.deepcopy(out))
        if path:
            output.check_path()
        dvcfile.outs.append(output)
    return dvcfile


def load(root: str | os.PathLike[str], path: str) -> DvcFile:
    """Read ``path`` (repo-relative posix) under ``root``."""
    full = os.path.join(os.fspath(root), *path.split("/"))
    try:
        with open(full, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DvcFileError(path, "no such file") from None
    except OSError as exc:
        raise DvcFileError(path, exc.strerror or str(exc)) from None
    return loads(data, path)


def _check_out(name: str, index: int, out: object) -> None:
    where = f"outs[{index}]"
    if not isinstance(out, dict):
        raise DvcFileError(name, f"{where} is not a mapping")
    path = out.get("path")
    if not isinstance(path, str) or not path:
        raise DvcFileError(name, f"{where} has no 'path'")
    if path.startswith("/") or "\\" in path or "\x00" in path or posixpath.normpath(path) == ".":
        raise DvcFileError(name, f"{where}: path {path!r} is not a relative posix path")
    md5 = out.get("md5")
    if md5 is not None and not (isinstance(md5, str) and is_valid_oid(md5)):
        raise DvcFileError(name, f"{where}: md5 {md5!r} is not an md5 hash")
    for key in ("size", "nfiles"):
        if key in out and not (isinstance(out[key], int) and not isinstance(out[key], bool)):
            raise DvcFileError(name, f"{where}: {key} must be an integer")
    files = out.get("files")
    if files is not None:
        if not isinstance(files, list):
            raise DvcFileError(name, f"{where}: files must be a list")
        for j, entry in enumerate(files):
            if not isinstance(entry, dict) or not isinstance(entry.get("relpath"), str):
                raise DvcFileError(name, f"{where}.files[{j}] has no relpath")
            problem = relpath_problem(entry["relpath"])
            if problem is not None:
                raise UnsafePath(path, f"has a files: entry whose {problem}", source=name)
