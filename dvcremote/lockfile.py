"""``dvc.lock`` entries: built from what a stage's deps, params and outs hash to, and
written into the lock as dvc writes them (``dvc/stage/serialize.py:to_single_stage_lockfile``,
``dvc/dvcfile.py:Lockfile.dump_stages``).

An entry is ``cmd``, ``deps``, ``params``, ``outs`` (empty ones left out); deps and
outs sorted by path, each item ``path, hash: md5, md5, size, nfiles (dirs),
isexec (executable files)``; params by file, ``params.yaml`` first, keys sorted at
the top level only. Writing replaces the stage's entry whole and keeps every other
entry, including those of stages ``dvc.yaml`` no longer has; the file is changed
through ruamel's round trip and replaced in one rename, and only when the entry
changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from dvcremote import yamlio
from dvcremote.errors import DvcFileError
from dvcremote.pipeline import LOCK_SCHEMA
from dvcremote.placing import Placer
from dvcremote.stage import DEFAULT_PARAMS, Stage
from dvcremote.staging import Staged

#: A path's lock item without ``path`` and ``hash`` (``md5, size, nfiles, isexec``).
Hashed = Mapping[str, Any]


def hashed(staged: Staged) -> dict[str, Any]:
    """What a lock item records of a hashed path."""
    found: dict[str, Any] = {"md5": staged.obj.oid, "size": staged.size}
    if staged.nfiles is not None:
        found["nfiles"] = staged.nfiles
    if staged.isexec and not staged.obj.is_dir:
        found["isexec"] = True
    return found


def item(path: str, meta: Hashed) -> dict[str, Any]:
    """One deps/outs item in dvc's key order."""
    found: dict[str, Any] = {"path": path, "hash": "md5"}
    for key in ("md5", "size", "nfiles", "isexec"):
        if key in meta:
            found[key] = meta[key]
    return found


def build_entry(
    stage: Stage,
    deps: Mapping[str, Hashed],
    params: Mapping[str, Mapping[str, Any]],
    outs: Mapping[str, Hashed],
) -> dict[str, Any]:
    """The lock entry of ``stage``: ``deps``/``outs`` map each path as written in
    ``dvc.yaml`` to its hash, ``params`` each params file to its tracked values."""
    entry: dict[str, Any] = {"cmd": stage.cmd}
    dep_items = [item(p, deps[p]) for p in sorted(deps)]
    out_items = [item(p, outs[p]) for p in sorted(outs)]
    values: dict[str, dict[str, Any]] = {}
    for file in sorted(params, key=lambda f: (f != DEFAULT_PARAMS, f)):
        values[file] = {k: params[file][k] for k in sorted(params[file])}
    if dep_items:
        entry["deps"] = dep_items
    if values:
        entry["params"] = values
    if out_items:
        entry["outs"] = out_items
    return entry


def read_entries(root: str, lock_path: str) -> dict[str, Any]:
    """The ``stages`` mapping of the lock at repo-relative ``lock_path`` ({} if none)."""
    from dvcremote.pipeline import _parse, _read, _stages

    data = _read(os.path.join(root, *lock_path.split("/")), lock_path)
    if data is None:
        return {}
    parsed = _parse(data, lock_path)
    if not parsed:
        return {}
    if str(parsed.get("schema")) != LOCK_SCHEMA:
        raise DvcFileError(lock_path, f"invalid schema version {parsed.get('schema')!r}")
    stages = _stages(parsed, lock_path)
    for name, entry in stages.items():
        _check_entry(lock_path, str(name), entry)
    return stages


def _check_entry(lock_path: str, name: str, entry: object) -> None:
    """A lock entry is hostile input: its items must have a path and real md5 ids
    (one like ``../../x`` would name a file outside the cache), else DvcFileError."""
    from dvcremote.dvcfile import _check_out

    if not isinstance(entry, dict):
        raise DvcFileError(lock_path, f"stage {name!r} is not a mapping")
    for key in ("deps", "outs"):
        items = entry.get(key) or []
        if not isinstance(items, list):
            raise DvcFileError(lock_path, f"stage {name!r}: {key!r} must be a list")
        for i, item in enumerate(items):
            _check_out(f"{lock_path}:{name} {key}", i, item)


def write_entry(
    root: str,
    dvc_dir: str,
    lock_path: str,
    name: str,
    entry: Mapping[str, Any],
    log: Callable[[str], None] = lambda _m: None,
    *,
    shown: str | None = None,
) -> bool:
    """Put ``entry`` as stage ``name`` of the lock at ``lock_path``; True when written.
    Logs dvc's "Generating lock file" / "Updating lock file" lines, naming the lock
    ``shown`` (default ``lock_path``)."""
    full = os.path.join(root, *lock_path.split("/"))
    try:
        with open(full, "rb") as f:
            original: bytes | None = f.read()
    except FileNotFoundError:
        original = None
    if original is not None and read_entries(root, lock_path).get(name) == entry:
        return False
    new_file = False

    def change(data: Any) -> None:
        nonlocal new_file
        if not isinstance(data, dict):
            raise DvcFileError(lock_path, "expected a mapping")
        if not data:
            new_file = True
            data["schema"] = LOCK_SCHEMA
        stages = data.get("stages") or {}
        data["stages"] = stages
        stages[name] = dict(entry)

    text = yamlio.modify(original, change).encode("utf-8")
    shown = shown or lock_path
    if new_file:
        log(f"Generating lock file '{shown}'")
    log(f"Updating lock file '{shown}'")

    def make(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(text)

    Placer(dvc_dir).place(full, make)
    return True


__all__ = ["build_entry", "hashed", "item", "read_entries", "write_entry"]
