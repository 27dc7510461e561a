"""``dvc.lock`` entries: built from what a stage's deps, params and outs hash to, and
written into the lock as dvc writes them (``dvc/stage/serialize.py:to_single_stage_lockfile``,
``dvc/dvcfile.py:Lockfile.dump_stages``).

An entry is ``cmd``, ``deps``, ``params``, ``outs`` (empty ones left out); deps and
outs sorted by path, each item ``path, hash: md5, md5, size, nfiles (dirs),
isexec (executable files), cloud``; params by file, ``params.yaml`` first, keys
sorted at the top level only.

After a push to a version-aware remote an item may instead be in the cloud form: a
file out with ``cloud: {remote: {etag, version_id}}``, a directory (out or dep) with
``files:`` in place of ``md5``/``size``/``nfiles`` (repro reads both forms).
A stage that runs again writes the plain form, except that a file out whose content
did not change keeps its recorded meta (:func:`keep_versions`), as dvc's
``Output.merge_version_meta`` does.

Writing replaces the stage's entry whole and keeps every other entry, including those
of stages ``dvc.yaml`` no longer has; the file is changed through ruamel's round trip
and replaced in one rename, and only when the entry changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from dvcremote import yamlio
from dvcremote.dvcfile import Output, has_version
from dvcremote.errors import DvcFileError
from dvcremote.index import output_obj
from dvcremote.manifest import Manifest, is_dir_oid
from dvcremote.objects import Obj
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
    for key in ("md5", "size", "nfiles", "isexec", "cloud"):
        if key in meta:
            found[key] = meta[key]
    return found


def recorded(item: Mapping[str, Any] | None) -> tuple[Obj, Manifest | None] | None:
    """The object a lock item records (and the manifest its ``files:`` form carries,
    as a version-aware push leaves a directory), or None when it records none. A DVC
    2.x item (no ``hash: md5``) names an md5-dos2unix object, as dvc reads it."""
    if item is None:
        return None
    obj, manifest = output_obj(Output(dict(item)))
    return None if obj is None else (obj, manifest)


def keep_versions(entry: Mapping[str, Any], locked: Mapping[str, Any] | None) -> dict[str, Any]:
    """``entry`` with each file out whose content is what ``locked`` recorded with a
    version keeping that recorded meta (its ``cloud:``), as dvc's ``save_outs`` does;
    directories stay in the plain form (dvc writes their versions only on push)."""
    result = dict(entry)
    old_outs = (locked or {}).get("outs")
    if "outs" not in entry or not isinstance(old_outs, list):
        return result
    old = {str(i.get("path")): i for i in old_outs if isinstance(i, Mapping)}
    outs: list[dict[str, Any]] = []
    for new in entry["outs"]:
        before = old.get(str(new["path"]))
        md5 = new.get("md5")
        if (
            before is not None
            and isinstance(md5, str)
            and not is_dir_oid(md5)
            and before.get("hash") == new.get("hash")
            and before.get("md5") == md5
            and has_version(before)
        ):
            outs.append(item(str(new["path"]), before))
        else:
            outs.append(dict(new))
    result["outs"] = outs
    return result


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


__all__ = [
    "build_entry",
    "hashed",
    "item",
    "keep_versions",
    "read_entries",
    "recorded",
    "write_entry",
]
