"""The run cache: what a stage produced for a given command and inputs, as dvc 3.x keeps it.

An entry is a stage's ``dvc.lock`` entry (``cmd``, ``deps``, ``params``, ``outs``),
written with dvc's YAML writer to ``<cache root>/runs/<key[:2]>/<key>/<value>``. The
two names are sha256 digests of ``json.dumps(E, sort_keys=True)`` (``dvc/stage/cache.py``):
``value`` of the entry with every ``size``/``nfiles`` removed, ``key`` of the same with
``outs`` reduced to their paths. So a key names "this command on these inputs making
these paths", and each value one result of it; ``repro`` restores the newest.

Entries are read back from the cache and from remotes, so they are hostile input: each
is parsed under yamlio's bounds, checked to be a lock entry whose outputs have hashes
and whose paths stay out of ``.git``/``.dvc``, and checked to hash to the very names it
is stored under. The key check matters most: an entry found under a stage's key names
exactly that stage's output paths, so restoring it writes nowhere the stage would not.
Anything else is :class:`InvalidRunCacheEntry` (naming the file) and is never used.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

from dvcremote import yamlio
from dvcremote.cache import TMP_DIR, TMP_MARK
from dvcremote.dvcfile import _check_out
from dvcremote.errors import DvcFileError, InvalidRunCacheEntry
from dvcremote.manifest import is_valid_oid
from dvcremote.workspace_paths import DVC_FILE_NAMES, protected_part

#: The folder of the run cache, under a cache root and under a remote's root.
RUNS_DIR = "runs"
#: Keys dvc leaves out of both digests (``Meta.PARAM_SIZE``, ``Meta.PARAM_NFILES``).
_UNHASHED = frozenset({"size", "nfiles"})
_ENTRY_KEYS = frozenset({"cmd", "deps", "params", "outs"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Largest entry file read (a lock entry is a few kB; params can make it bigger).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
#: Mode of entry files, as dvc leaves them (not read-only like objects).
ENTRY_MODE = 0o644


# ------------------------------------------------------------------------------ names
def _filtered(value: Any) -> Any:
    """``value`` without ``size``/``nfiles`` keys at any depth (dvc's ``dict_filter``)."""
    if isinstance(value, Mapping):
        return {k: _filtered(v) for k, v in value.items() if k not in _UNHASHED}
    if isinstance(value, (list, tuple)):
        return [_filtered(v) for v in value]
    return value


def _digest(data: Mapping[str, Any]) -> str:
    text = json.dumps(_filtered(data), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_key(entry: Mapping[str, Any]) -> str:
    """The folder name of ``entry``'s results: cmd, deps, params and the out paths."""
    data = dict(entry)
    data["outs"] = [out["path"] for out in entry.get("outs", [])]
    return _digest(data)


def run_value(entry: Mapping[str, Any]) -> str:
    """The file name of ``entry``: the whole entry (output hashes included)."""
    return _digest(entry)


def entry_relpath(key: str, value: str) -> str:
    """``runs/<k2>/<key>/<value>``: where an entry lives under a cache or remote root."""
    return f"{RUNS_DIR}/{key[:2]}/{key}/{value}"


def split_relpath(relpath: str) -> tuple[str, str] | None:
    """(key, value) of a posix path in the run-cache layout, or None for anything else
    (temp files, stray names, paths that try to leave ``runs/``)."""
    parts = relpath.split("/")
    if len(parts) != 4 or parts[0] != RUNS_DIR:
        return None
    _, k2, key, value = parts
    if not (_SHA256.fullmatch(key) and _SHA256.fullmatch(value) and key[:2] == k2):
        return None
    return key, value


# ------------------------------------------------------------------------- checking
def _bad(name: str, reason: str) -> InvalidRunCacheEntry:
    return InvalidRunCacheEntry(name, reason)


def _check_path(name: str, where: str, path: object, *, output: bool) -> None:
    if not isinstance(path, str) or not path or "\x00" in path:
        raise _bad(name, f"{where} has no usable 'path'")
    if not output:
        return  # a dep is only read and hashed by the stage, never written
    part = protected_part(path)
    if part is not None:
        raise _bad(name, f"{where}: output path {path!r} is inside {part}/; refused")
    base = posixpath.basename(path).casefold()
    if base.endswith(".dvc") or base in DVC_FILE_NAMES:
        raise _bad(name, f"{where}: output path {path!r} is a DVC file; refused")


def check_entry(entry: object, name: str) -> dict[str, Any]:
    """``entry`` if it is a lock entry a run can be restored from, else
    InvalidRunCacheEntry naming ``name``: cmd, deps and outs of dvc's lock schema,
    every output with a hash, no output path into ``.git``/``.dvc``/``.hg``."""
    if not isinstance(entry, dict):
        raise _bad(name, "expected a mapping (a dvc.lock stage entry)")
    extra = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
    if extra:
        raise _bad(name, f"unexpected keys {extra}")
    cmd = entry.get("cmd")
    if not (
        isinstance(cmd, str) or (isinstance(cmd, list) and all(isinstance(c, str) for c in cmd))
    ):
        raise _bad(name, "'cmd' must be a string or a list of strings")
    deps = entry.get("deps", [])
    if not isinstance(deps, list):
        raise _bad(name, "'deps' must be a list")
    for i, dep in enumerate(deps):
        if not isinstance(dep, dict):
            raise _bad(name, f"deps[{i}] is not a mapping")
        _check_path(name, f"deps[{i}]", dep.get("path"), output=False)
        md5 = dep.get("md5")
        if md5 is not None and not (isinstance(md5, str) and is_valid_oid(md5)):
            raise _bad(name, f"deps[{i}]: md5 {md5!r} is not an md5 hash")
    params = entry.get("params", {})
    if not isinstance(params, dict) or not all(
        isinstance(f, str) and isinstance(v, dict) and all(isinstance(k, str) for k in v)
        for f, v in params.items()
    ):
        raise _bad(name, "'params' must map file names to mappings")
    outs = entry.get("outs")
    if not isinstance(outs, list) or not outs:
        raise _bad(name, "expected a non-empty 'outs' list")
    for i, out in enumerate(outs):
        try:
            _check_out(name, i, out)
        except InvalidRunCacheEntry:
            raise
        except DvcFileError as exc:
            raise _bad(name, exc.reason) from None
        _check_path(name, f"outs[{i}]", out["path"], output=True)
        if out.get("md5") is None:
            raise _bad(name, f"outs[{i}] has no md5 (nothing to restore)")
    return entry


def parse_entry(
    data: bytes, name: str, key: str | None = None, value: str | None = None
) -> dict[str, Any]:
    """The checked entry in ``data`` (bytes of the file ``name``). With ``key`` and
    ``value`` (the names it is stored under) its digests must give them back."""
    if len(data) > MAX_ENTRY_BYTES:
        raise _bad(name, f"{len(data)} bytes is more than the {MAX_ENTRY_BYTES} accepted")
    entry = check_entry(yamlio.load_named(data, name, InvalidRunCacheEntry), name)
    try:
        actual_key, actual_value = run_key(entry), run_value(entry)
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold (a YAML date, say)
        raise _bad(name, f"cannot be hashed as dvc does: {exc}") from None
    if key is not None and actual_key != key:
        raise _bad(name, f"is stored under key {key} but its stage hashes to {actual_key}")
    if value is not None and actual_value != value:
        raise _bad(name, f"its content hashes to {actual_value}, not to its name")
    return entry


# ---------------------------------------------------------------------------- store
class RunCache:
    """The run cache of one local cache folder (``LocalCache.root``: ``.dvc/cache``)."""

    def __init__(self, cache_root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(cache_root))
        self.runs_dir = os.path.join(self.root, RUNS_DIR)
        self._token = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._counter = itertools.count()

    def path(self, key: str, value: str) -> str:
        return os.path.join(self.root, *entry_relpath(key, value).split("/"))

    def save(self, entry: Mapping[str, Any]) -> str:
        """Record ``entry`` (a stage's lock entry after a run) and return its file's path.

        As dvc: an entry already stored under the same names is left as it is (its
        mtime too), a corrupt one there is replaced; the file appears whole (temp file
        in the cache's temp folder, then a rename) with mode 0644.
        """
        data = check_entry(dict(entry), "<run-cache entry to save>")
        key, value = run_key(data), run_value(data)
        final = self.path(key, value)
        try:
            self.load(entry_relpath(key, value))
            return final
        except FileNotFoundError:
            pass
        except InvalidRunCacheEntry:
            pass  # replaced below
        self.write(entry_relpath(key, value), yamlio.dumps(data).encode("utf-8"))
        return final

    def write(self, relpath: str, data: bytes) -> str:
        """Put ``data`` at ``relpath`` (a run-cache layout path) whole, mode 0644."""
        tmp = self.tmp_path()
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            return self.adopt(relpath, tmp)
        finally:
            _unlink_quiet(tmp)

    def tmp_path(self) -> str:
        """A fresh temp name in the cache's temp folder (same file system as ``runs/``,
        outside it: dvc pushes every file under ``runs/``, a half-written one too)."""
        tmp_dir = os.path.join(self.root, TMP_DIR)
        os.makedirs(tmp_dir, exist_ok=True)
        return os.path.join(tmp_dir, f"run{TMP_MARK}{self._token}.{next(self._counter)}")

    def adopt(self, relpath: str, tmp: str) -> str:
        """Rename the complete file ``tmp`` to ``relpath`` (mode 0644); its full path."""
        if split_relpath(relpath) is None:
            raise _bad(relpath, "is not a run-cache path (runs/<k2>/<key>/<value>)")
        final = os.path.join(self.root, *relpath.split("/"))
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.chmod(tmp, ENTRY_MODE)
        os.replace(tmp, final)
        return final

    def load(self, relpath: str) -> dict[str, Any]:
        """The checked entry stored at ``relpath`` (``runs/<k2>/<key>/<value>``);
        FileNotFoundError when absent, InvalidRunCacheEntry when it is not valid there."""
        names = split_relpath(relpath)
        full = os.path.join(self.root, *relpath.split("/"))
        if names is None:
            raise _bad(full, "is not in the run-cache layout (runs/<k2>/<key>/<value>)")
        with open(full, "rb") as f:
            data = f.read(MAX_ENTRY_BYTES + 1)
        return parse_entry(data, full, *names)

    def _values(self, key: str) -> list[tuple[int, str]]:
        """(mtime_ns, value) of the files under ``key``, newest first."""
        folder = os.path.join(self.runs_dir, key[:2], key)
        found: list[tuple[int, str]] = []
        try:
            with os.scandir(folder) as it:
                for item in it:
                    if _SHA256.fullmatch(item.name) and item.is_file(follow_symlinks=False):
                        found.append((item.stat(follow_symlinks=False).st_mtime_ns, item.name))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(found, reverse=True)

    def lookup(
        self, entry: Mapping[str, Any], bad: list[InvalidRunCacheEntry] | None = None
    ) -> dict[str, Any] | None:
        """The newest (by mtime) entry stored under ``entry``'s key, checked; None if
        there is none. ``entry`` needs cmd, deps (hashed), params and the out paths.

        The newest entry being invalid raises InvalidRunCacheEntry; with a ``bad``
        list it is recorded there instead and the next newest is tried.
        """
        key = run_key(entry)
        for _mtime, value in self._values(key):
            try:
                return self.load(entry_relpath(key, value))
            except FileNotFoundError:
                continue  # removed since it was listed
            except InvalidRunCacheEntry as exc:
                if bad is None:
                    raise
                bad.append(exc)
        return None

    def relpaths(self) -> Iterator[str]:
        """Every file in the run-cache layout (``runs/<k2>/<key>/<value>``), sorted;
        other names (temp files, strays) are left out."""
        try:
            prefixes = sorted(os.listdir(self.runs_dir))
        except (FileNotFoundError, NotADirectoryError):
            return
        for k2 in prefixes:
            try:
                keys = sorted(os.listdir(os.path.join(self.runs_dir, k2)))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for key in keys:
                try:
                    values = sorted(os.listdir(os.path.join(self.runs_dir, k2, key)))
                except (FileNotFoundError, NotADirectoryError):
                    continue
                for value in values:
                    rel = f"{RUNS_DIR}/{k2}/{key}/{value}"
                    if split_relpath(rel) is not None:
                        yield rel

    def entries(
        self, bad: list[InvalidRunCacheEntry] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(relpath, checked entry) of every stored entry, in path order. An invalid
        one raises InvalidRunCacheEntry, or with a ``bad`` list is recorded and skipped."""
        for rel in self.relpaths():
            try:
                entry = self.load(rel)
            except FileNotFoundError:
                continue
            except InvalidRunCacheEntry as exc:
                if bad is None:
                    raise
                bad.append(exc)
                continue
            yield rel, entry


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


__all__ = [
    "RUNS_DIR",
    "RunCache",
    "check_entry",
    "entry_relpath",
    "parse_entry",
    "run_key",
    "run_value",
    "split_relpath",
]
