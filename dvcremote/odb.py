"""A content-addressed object store on a remote, through the Backend contract only.

Which objects does the remote have? For a few ids, ask per id (``exists_many``);
for many, list the remote. The choice follows DVC's traverse heuristic: list one
prefix folder (``00``) to estimate the remote's size, ask per id if the ids are
fewer than a full listing would cost in pages, else list every prefix. The
``00`` listing made for the estimate is part of the answer and is never
dropped (DVC lost ``00...`` objects this way three times).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from dvcremote.backend.capabilities import Capability
from dvcremote.objects import FILES_PREFIX, Obj, oid_from_parts

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend

#: Objects one listing call returns per page on typical object stores.
LIST_PAGE_SIZE = 1000
#: Above this estimated remote size, weight listing as more expensive (DVC's numbers).
TRAVERSE_THRESHOLD = 500_000
TRAVERSE_WEIGHT = 5
#: Fewer ids than this are always asked for one by one (after the one-prefix estimate):
#: a handful of existence checks beats transferring a listing of a whole remote.
EXISTS_FLOOR = 64
PREFIXES = tuple(f"{i:02x}" for i in range(256))
#: ``DVCREMOTE_TRAVERSE=always|never`` forces listing / asking (tests, benchmarks).
TRAVERSE_ENV = "DVCREMOTE_TRAVERSE"
_FORCED = {"always": "list", "list": "list", "never": "exists", "exists": "exists"}


class RemoteODB:
    """Objects under ``root`` of a backend: ``files/md5/xx/...`` and legacy ``xx/...``."""

    def __init__(self, backend: Backend, root: str = "", *, jobs: int | None = None) -> None:
        self.backend = backend
        self.root = root.strip("/")
        self.jobs = jobs
        #: Which path the last :meth:`contains` took ("exists" or "list"), for tests and logs.
        self.last_method: str | None = None

    def path(self, obj: Obj) -> str:
        rel = obj.relpath(FILES_PREFIX)
        return f"{self.root}/{rel}" if self.root else rel

    def _base(self, legacy: bool) -> str:
        parts = [p for p in (self.root, "" if legacy else FILES_PREFIX) if p]
        return "/".join(parts)

    # -- listing -------------------------------------------------------------------------
    def _list_prefix(self, legacy: bool, prefix: str) -> list[str]:
        base = self._base(legacy)
        folder = f"{base}/{prefix}" if base else prefix
        out = []
        for path in self.backend.list_paths(folder):
            oid = oid_from_parts(prefix, path.rpartition("/")[2])
            if oid is not None:
                out.append(oid)
        return out

    def _list_prefixes(self, legacy: bool, prefixes: Iterable[str]) -> Iterator[str]:
        todo = list(prefixes)
        if len(todo) <= 1:
            for p in todo:
                yield from self._list_prefix(legacy, p)
            return
        with ThreadPoolExecutor(max_workers=min(self.jobs or 8, len(todo))) as pool:
            for oids in pool.map(lambda p: self._list_prefix(legacy, p), todo):
                yield from oids

    def _list_recursive(self, legacy: bool) -> Iterator[str]:
        """One recursive listing of the whole layout: cheapest for small remotes."""
        base = self._base(legacy)
        skip = len(base) + 1 if base else 0
        for path in self.backend.list_paths(base, recursive=True):
            parts = path[skip:].split("/")
            if len(parts) == 2:
                oid = oid_from_parts(parts[0], parts[1])
                if oid is not None:
                    yield oid

    def list_all(self, legacy: bool = False) -> Iterator[Obj]:
        """Every object of one layout on the remote."""
        for oid in self._list_prefixes(legacy, PREFIXES):
            yield Obj(oid, legacy)

    def all(self) -> set[Obj]:
        return set(self.list_all(False)) | set(self.list_all(True))

    # -- existence -----------------------------------------------------------------------
    def contains(
        self,
        objs: Iterable[Obj],
        *,
        method: str = "auto",
        progress: Callable[[int], None] | None = None,
    ) -> set[Obj]:
        """The subset of ``objs`` present on the remote.

        ``method`` is ``auto`` (the heuristic), ``exists`` (ask per id) or ``list``
        (estimate, then list prefix by prefix): tests and benchmarks force each path.
        """
        if method == "auto":
            method = _FORCED.get(os.environ.get(TRAVERSE_ENV, "").strip().lower(), "auto")
        if method not in ("auto", "exists", "list"):
            raise ValueError(f"unknown method {method!r}")
        wanted = set(objs)
        found: set[Obj] = set()
        for legacy in (False, True):
            group = {o.oid for o in wanted if o.legacy is legacy}
            if group:
                found |= {Obj(oid, legacy) for oid in self._contains(group, legacy, method)}
        if progress is not None:
            progress(len(wanted))
        return found

    def _contains(self, oids: set[str], legacy: bool, method: str) -> set[str]:
        can_list = Capability.LIST in self.backend.capabilities
        if method == "exists" or not can_list or (method == "auto" and len(oids) == 1):
            return self._ask(oids, legacy)
        estimate_oids = set(self._list_prefix(legacy, "00"))
        remote_size = 256 * max(len(estimate_oids), 1)
        pages = remote_size / LIST_PAGE_SIZE
        weight = pages * TRAVERSE_WEIGHT if remote_size > TRAVERSE_THRESHOLD else pages
        if method == "auto" and (len(oids) < weight or len(oids) < EXISTS_FLOOR):
            # Ask per id; ids in the 00 folder are already answered by its full listing.
            rest = {o for o in oids if not o.startswith("00")}
            return (oids & estimate_oids) | self._ask(rest, legacy)
        self.last_method = "list"
        jobs = self.jobs or 8
        if method == "auto" and pages < 256 / jobs:
            # Small remote: one recursive listing beats 255 folder listings.
            return oids & set(self._list_recursive(legacy))
        listed = set(estimate_oids)  # the 00 part comes from the estimate: keep it
        listed.update(self._list_prefixes(legacy, PREFIXES[1:]))
        return oids & listed

    def _ask(self, oids: set[str], legacy: bool) -> set[str]:
        self.last_method = "exists"
        if not oids:
            return set()
        by_path = {self.path(Obj(oid, legacy)): oid for oid in oids}
        answers = self.backend.exists_many(list(by_path), jobs=self.jobs)
        return {by_path[p] for p, ok in answers.items() if ok}

    # -- deleting ------------------------------------------------------------------------
    def delete(self, obj: Obj) -> None:
        self.backend.delete(self.path(obj), missing_ok=True)
