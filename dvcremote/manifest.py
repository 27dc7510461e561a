"""Directory manifests (``.dir`` objects): DVC's exact bytes, and safe parsing.

A manifest names the files of a tracked directory by relative path. It comes
from a remote or a cache someone else wrote, so every ``relpath`` is checked
before it is ever joined to a workspace path: nothing in a manifest may point
outside its directory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dvcremote.errors import InvalidManifest

DIR_SUFFIX = ".dir"
_HEX = frozenset("0123456789abcdef")


def is_dir_oid(oid: str) -> bool:
    return oid.endswith(DIR_SUFFIX)


def is_valid_md5(value: object) -> bool:
    return isinstance(value, str) and len(value) == 32 and _HEX.issuperset(value)


def is_valid_oid(oid: str) -> bool:
    """A file id (32 lowercase hex) or a directory id (the same plus ``.dir``)."""
    return is_valid_md5(oid[: -len(DIR_SUFFIX)] if is_dir_oid(oid) else oid)


def relpath_problem(relpath: object) -> str | None:
    """Why ``relpath`` is unsafe as a path inside a directory, or None if it is fine."""
    if not isinstance(relpath, str):
        return f"relpath must be a string, not {type(relpath).__name__}"
    if not relpath:
        return "empty relpath"
    if "\x00" in relpath:
        shown = relpath.replace("\x00", "\\0")
        return f"relpath {shown!r} contains a NUL byte"
    if relpath.startswith("/") or "\\" in relpath or (len(relpath) > 1 and relpath[1] == ":"):
        return f"relpath {relpath!r} is absolute or not a posix path"
    for part in relpath.split("/"):
        if part in ("", ".", ".."):
            return f"relpath {relpath!r} escapes its directory or is not normalised"
    return None


@dataclass(frozen=True)
class Manifest:
    """The files of one directory: ``(relpath, md5)`` pairs sorted by relpath."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, str]], *, oid: str = "<new>") -> Manifest:
        """Sort and check ``(relpath, md5)`` pairs; the result is safe to check out."""
        entries = tuple(sorted(pairs))
        _validate(entries, oid)
        return cls(entries)

    def to_bytes(self) -> bytes:
        """DVC's serialisation: sorted by relpath, keys sorted, default separators."""
        return json.dumps(
            [{"md5": md5, "relpath": rel} for rel, md5 in self.entries], sort_keys=True
        ).encode("utf-8")

    @property
    def oid(self) -> str:
        return hashlib.md5(self.to_bytes(), usedforsecurity=False).hexdigest() + DIR_SUFFIX

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
    pairs: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidManifest(oid, "an entry is not an object")
        relpath, md5 = item.get("relpath"), item.get("md5")
        problem = relpath_problem(relpath)
        if problem:
            raise InvalidManifest(oid, problem)
        if not is_valid_md5(md5):
            raise InvalidManifest(oid, f"entry {relpath!r} has no valid md5")
        pairs.append((relpath, md5))  # type: ignore[arg-type]
    return Manifest.build(pairs, oid=oid)


def _validate(entries: tuple[tuple[str, str], ...], oid: str) -> None:
    seen: set[str] = set()
    for relpath, md5 in entries:
        problem = relpath_problem(relpath)
        if problem:
            raise InvalidManifest(oid, problem)
        if not is_valid_md5(md5):
            raise InvalidManifest(oid, f"entry {relpath!r} has no valid md5")
        if relpath in seen:
            raise InvalidManifest(oid, f"relpath {relpath!r} appears twice")
        seen.add(relpath)
    # A file cannot also be a folder of another entry ("a" and "a/b").
    for relpath, _ in entries:
        head, _, _ = relpath.rpartition("/")
        while head:
            if head in seen:
                raise InvalidManifest(oid, f"relpath {head!r} is both a file and a folder")
            head, _, _ = head.rpartition("/")
