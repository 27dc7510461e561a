"""Directory manifests (``.dir`` objects): DVC's exact bytes, and safe parsing.

A manifest names the files of a tracked directory by relative path. It comes
from a remote or a cache someone else wrote, so every ``relpath`` is checked
before it is ever joined to a workspace path: nothing in a manifest may point
outside its directory, or into a ``.git``/``.dvc``/``.hg`` folder in it.
Manifests can hold hundreds of thousands of entries, so the checks run as a few
regex scans over all entries at once; only a manifest that fails them is
walked entry by entry to name the culprit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from dvcremote.errors import InvalidManifest
from dvcremote.workspace_paths import relpaths_problem

DIR_SUFFIX = ".dir"
_MD5 = re.compile(r"[0-9a-f]{32}")
_OID = re.compile(r"[0-9a-f]{32}(?:\.dir)?")
_MD5_RUN = re.compile(r"(?:[0-9a-f]{32})*")
_WINDOWS = os.name == "nt"
# Over "\0" + "\0".join(relpaths) + "\0": an absolute path, an empty, "." or ".."
# segment, or an empty relpath. (NUL itself cannot be in a relpath: checked first.)
_UNSAFE = re.compile(r"\x00/|//|/\x00|\x00\x00|(?:\x00|/)\.\.?(?=/|\x00)")
_UNSAFE_WINDOWS = re.compile(r"\\|\x00[A-Za-z]:|:")


def is_dir_oid(oid: str) -> bool:
    return oid.endswith(DIR_SUFFIX)


def is_valid_md5(value: object) -> bool:
    return isinstance(value, str) and _MD5.fullmatch(value) is not None


def is_valid_oid(oid: str) -> bool:
    """A file id (32 lowercase hex) or a directory id (the same plus ``.dir``)."""
    return _OID.fullmatch(oid) is not None


def relpath_problem(relpath: object) -> str | None:
    """Why ``relpath`` is unsafe as a path inside a directory, or None if it is fine."""
    if not isinstance(relpath, str):
        return f"relpath must be a string, not {type(relpath).__name__}"
    if not relpath:
        return "empty relpath"
    if "\x00" in relpath:
        shown = relpath.replace("\x00", "\\0")
        return f"relpath {shown!r} contains a NUL byte"
    if relpath.startswith("/") or (_WINDOWS and _UNSAFE_WINDOWS.search("\x00" + relpath)):
        return f"relpath {relpath!r} is absolute or not a posix path"
    for part in relpath.split("/"):
        if part in ("", ".", ".."):
            return f"relpath {relpath!r} escapes its directory or is not normalised"
    return relpaths_problem((relpath,))


@dataclass(frozen=True)
class Manifest:
    """The files of one directory: ``(relpath, md5)`` pairs sorted by relpath."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, str]], *, oid: str = "<new>") -> Manifest:
        """Sort and check ``(relpath, md5)`` pairs; the result is safe to check out."""
        entries = tuple(sorted(pairs))
        _validate([r for r, _ in entries], [m for _, m in entries], oid)
        return cls(entries)

    @cached_property
    def _bytes(self) -> bytes:
        return json.dumps(
            [{"md5": md5, "relpath": rel} for rel, md5 in self.entries], sort_keys=True
        ).encode("utf-8")

    def to_bytes(self) -> bytes:
        """DVC's serialisation: sorted by relpath, keys sorted, default separators."""
        return self._bytes

    @cached_property
    def oid(self) -> str:
        return hashlib.md5(self._bytes, usedforsecurity=False).hexdigest() + DIR_SUFFIX

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.entries)

    def md5s(self) -> set[str]:
        return {md5 for _, md5 in self.entries}


def parse(data: bytes, oid: str) -> Manifest:
    """Read a manifest's bytes, refusing anything malformed or unsafe with InvalidManifest."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidManifest(oid, f"not JSON ({exc})") from None
    if not isinstance(raw, list):
        raise InvalidManifest(oid, "not a JSON list")
    try:
        relpaths = [item["relpath"] for item in raw]
        md5s = [item["md5"] for item in raw]
    except (TypeError, KeyError):
        for item in raw:
            if not isinstance(item, dict):
                raise InvalidManifest(oid, "an entry is not an object") from None
            if "relpath" not in item:
                raise InvalidManifest(oid, "an entry has no relpath") from None
            raise InvalidManifest(oid, f"entry {item['relpath']!r} has no valid md5") from None
        raise
    _validate(relpaths, md5s, oid)
    entries = sorted(zip(relpaths, md5s))
    return Manifest(tuple(entries))


def _validate(relpaths: list[str], md5s: list[str], oid: str) -> None:
    """Raise InvalidManifest unless every entry is a safe relpath with an md5, once."""
    if not relpaths:
        return
    if not (all(type(r) is str for r in relpaths) and all(type(m) is str for m in md5s)):
        _explain(relpaths, md5s, oid)
    joined = "\x00" + "\x00".join(relpaths) + "\x00"
    if (
        relpaths.count("")
        or joined.count("\x00") != len(relpaths) + 1
        or _UNSAFE.search(joined)
        or (_WINDOWS and _UNSAFE_WINDOWS.search(joined))
        or not all(len(m) == 32 for m in md5s)
        or _MD5_RUN.fullmatch("".join(md5s)) is None
    ):
        _explain(relpaths, md5s, oid)
    protected = relpaths_problem(relpaths)
    if protected is not None:
        raise InvalidManifest(oid, protected)
    names = set(relpaths)
    if len(names) != len(relpaths):
        seen: set[str] = set()
        for rel in relpaths:
            if rel in seen:
                raise InvalidManifest(oid, f"relpath {rel!r} appears twice")
            seen.add(rel)
    # A file cannot also be a folder of another entry ("a" and "a/b").
    folders = {r.rpartition("/")[0] for r in relpaths} - {""}
    ancestors: set[str] = set()
    for folder in folders:
        while folder and folder not in ancestors:
            ancestors.add(folder)
            folder = folder.rpartition("/")[0]
    clash = names & ancestors
    if clash:
        raise InvalidManifest(oid, f"relpath {min(clash)!r} is both a file and a folder")


def _explain(relpaths: list[str], md5s: list[str], oid: str) -> None:
    """Find the first bad entry and raise for it (the slow path, only on failure)."""
    for relpath, md5 in zip(relpaths, md5s):
        problem = relpath_problem(relpath)
        if problem:
            raise InvalidManifest(oid, problem)
        if not is_valid_md5(md5):
            raise InvalidManifest(oid, f"entry {relpath!r} has no valid md5")
    raise InvalidManifest(oid, "malformed entries")
