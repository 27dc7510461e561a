"""Checking cache objects against their names before they leave the cache.

A cache object can change in place after it was stored: through a hard link or a
symlink in the workspace, or by hand. Pushing or checking out such an object would
spread bytes that do not match their name. So before an object is uploaded or
checked out it is checked: its stat is compared with the one recorded in the state
when its content last matched its name (one stat, no read), and only an object
never checked, or whose stat changed, is hashed again. A corrupt object is removed
from the cache (as DVC does) and reported as :class:`CorruptObject`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from dvcremote.cache import LocalCache
from dvcremote.errors import CorruptObject
from dvcremote.hashing import file_md5
from dvcremote.objects import Obj
from dvcremote.state import StateDB, StatKey


class CacheVerifier:
    """Checks and records cache objects of one cache, keyed in one state DB."""

    def __init__(self, cache: LocalCache, state: StateDB) -> None:
        self.cache = cache
        self.state = state

    def record(self, obj: Obj) -> None:
        """Note that ``obj``, as it is now, matches its name (it was just written
        from bytes that were hashed)."""
        path = self.cache.path(obj)
        self.state.put_verified(path, StatKey.of(os.stat(path)))

    def intact(self, objs: Iterable[Obj]) -> tuple[set[Obj], dict[Obj, CorruptObject]]:
        """(objects present and intact, corrupt objects -> error); corrupt ones are
        removed from the cache. Objects absent from the cache are in neither."""
        found: dict[str, tuple[Obj, StatKey]] = {}
        for obj in objs:
            path = self.cache.path(obj)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found[path] = (obj, StatKey.of(st))
        known = self.state.verified(list(found)) if found else {}
        good: set[Obj] = set()
        corrupt: dict[Obj, CorruptObject] = {}
        for path, (obj, key) in found.items():
            if known.get(path) == key:
                good.add(obj)
                continue
            try:
                actual = file_md5(path, obj.hash_name)
            except FileNotFoundError:
                continue
            if actual == obj.md5:
                good.add(obj)
                self.state.put_verified(path, key)
            else:
                self.cache.remove(obj)
                corrupt[obj] = CorruptObject(obj.oid, path, actual)
        return good, corrupt

    def check(self, obj: Obj) -> CorruptObject | None:
        """None when ``obj`` is present and intact (or absent); else the error."""
        return self.intact([obj])[1].get(obj)
