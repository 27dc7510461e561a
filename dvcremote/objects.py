"""Object identity and layout: where an object lives under a cache or remote root.

DVC 3.x objects (hash ``md5``) live under ``files/md5/xx/...``; DVC 2.x objects
(``md5-dos2unix``, "legacy") live directly under the root, ``xx/...``. The same
hex value can name different bytes in the two namespaces, so an object is the
pair (oid, legacy).
"""

from __future__ import annotations

from typing import NamedTuple

from dvcremote.hashing import MD5, MD5_DOS2UNIX
from dvcremote.manifest import DIR_SUFFIX, is_valid_oid

FILES_PREFIX = "files/md5"


class Obj(NamedTuple):
    oid: str
    legacy: bool = False

    @property
    def is_dir(self) -> bool:
        return self.oid.endswith(DIR_SUFFIX)

    @property
    def hash_name(self) -> str:
        return MD5_DOS2UNIX if self.legacy else MD5

    @property
    def md5(self) -> str:
        """The hex digest the object's bytes must have (the id without ``.dir``)."""
        return self.oid[: -len(DIR_SUFFIX)] if self.is_dir else self.oid

    def relpath(self, prefix: str = FILES_PREFIX) -> str:
        """Posix path under a root: ``files/md5/ac/bd18...`` (or ``ac/bd18...`` if legacy)."""
        base = "" if self.legacy else prefix
        tail = f"{self.oid[:2]}/{self.oid[2:]}"
        return f"{base}/{tail}" if base else tail

    def __str__(self) -> str:
        return f"{self.oid} (md5-dos2unix)" if self.legacy else self.oid


def oid_from_parts(prefix: str, name: str) -> str | None:
    """The oid stored as ``<prefix>/<name>``, or None for a file that is not an object."""
    if len(prefix) != 2:
        return None
    oid = prefix + name
    return oid if is_valid_oid(oid) else None
