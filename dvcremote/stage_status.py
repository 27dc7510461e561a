"""What ``dvc status`` says about a locked stage besides its outputs.

dvcremote does not run pipelines, but ``status`` must tell what dvc tells (scripts
read it): a dependency whose content differs from what ``dvc.lock`` recorded
(``changed deps``), a parameter whose value differs, and ``always changed`` for a stage
marked so. The rules are dvc's (``dvc/stage/__init__.py:status``,
``dvc/dependency/param.py:workspace_status``): dependencies and parameters in
``dvc.yaml`` order, a missing path ``deleted``, one without a recorded hash
``modified``; a frozen stage's dependencies are not looked at. Paths that lead out of
the repository or are URLs (external dependencies) are not looked at either.
"""

from __future__ import annotations

import importlib
import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dvcremote import yamlio
from dvcremote.errors import DvcFileError
from dvcremote.hashing import MD5, MD5_DOS2UNIX
from dvcremote.pipeline import StageFile
from dvcremote.results import StageChanges
from dvcremote.workspace_paths import path_problem

#: The params file a bare key in ``params:`` belongs to.
DEFAULT_PARAMS = "params.yaml"

#: (repo path, hash name) -> the object id of what is there now.
Hasher = Callable[[str, str], str]


def stage_changes(root: str, stage: StageFile, current_oid: Hasher) -> StageChanges:
    body = stage.definition
    deps: dict[str, str] = {}
    params: dict[str, str | Mapping[str, str]] = {}
    if body.get("frozen") is not True:
        deps = _deps(root, stage, current_oid)
        params = _params(root, stage)
    return StageChanges(deps, params, body.get("always_changed") is True)


def _in_repo(stage: StageFile, path: str) -> str | None:
    """The repo path of a ``dvc.yaml`` path, or None for a URL or a path outside."""
    if "://" in path or path.startswith("/"):
        return None
    rel = posixpath.normpath(posixpath.join(stage.stage_wdir, path))
    problem = path_problem(rel)
    return None if problem is not None and "outside" in problem else rel


def _deps(root: str, stage: StageFile, current_oid: Hasher) -> dict[str, str]:
    recorded = {
        str(d.get("path")): d for d in stage.raw.get("deps") or () if isinstance(d, Mapping)
    }
    found: dict[str, str] = {}
    for path in stage.definition.get("deps") or ():
        rel = _in_repo(stage, str(path))
        if rel is None:
            continue
        if not os.path.exists(os.path.join(root, *rel.split("/"))):
            found[rel] = "deleted"
            continue
        lock = recorded.get(str(path), {})
        oid = lock.get("md5")
        hash_name = MD5 if lock.get("hash") == MD5 else MD5_DOS2UNIX
        if oid is None or current_oid(rel, hash_name) != str(oid):
            found[rel] = "modified"
    return found


def _declared_params(body: Mapping[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """(params file, keys; none = the whole file) in ``dvc.yaml`` order, one per file."""
    files: dict[str, list[str]] = {}
    for item in body.get("params") or ():
        if isinstance(item, Mapping):
            for name, keys in item.items():
                files.setdefault(str(name), []).extend(str(k) for k in keys or ())
        else:
            files.setdefault(DEFAULT_PARAMS, []).append(str(item))
    yield from files.items()


def _params(root: str, stage: StageFile) -> dict[str, str | Mapping[str, str]]:
    recorded = stage.raw.get("params") or {}
    found: dict[str, str | Mapping[str, str]] = {}
    for name, keys in _declared_params(stage.definition):
        rel = _in_repo(stage, name)
        if rel is None:
            continue
        full = os.path.join(root, *rel.split("/"))
        if not os.path.isfile(full):
            found[rel] = "deleted"
            continue
        info = recorded.get(name) if isinstance(recorded, Mapping) else None
        if info is None:
            found[rel] = "new"
            continue
        config = _read_params(full, rel)
        if config is None:
            continue  # a Python params file: not read (dvc imports it)
        actual = {k: v for k in keys if (v := _lookup(config, k)) is not _MISSING}
        if not keys:
            actual = dict(config)
        changes: dict[str, str] = {}
        for key in keys or list(dict.fromkeys([*actual, *info])):
            if key not in actual:
                changes[key] = "deleted"
            elif key not in info:
                changes[key] = "new"
            elif actual[key] != info[key]:
                changes[key] = "modified"
        if changes:
            found[rel] = changes
    return found


_MISSING = object()


def _lookup(config: Any, key: str) -> Any:
    """dvc's dotted key path (``train.lr``, ``layers.0``) in a params mapping."""
    node = config
    for part in key.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _read_params(full: str, rel: str) -> Mapping[str, Any] | None:
    suffix = os.path.splitext(rel)[1].lower()
    if suffix == ".py":
        return None
    with open(full, "rb") as f:
        data = f.read()
    try:
        if suffix == ".toml":
            try:
                toml = importlib.import_module("tomllib")
            except ImportError:  # Python 3.10: not read
                return None
            parsed: Any = toml.loads(data.decode("utf-8"))
        else:  # .yaml, .yml, .json: YAML 1.2 reads JSON too
            parsed = yamlio.loads(data)
    except Exception:  # noqa: BLE001 - any parse failure is the file's problem
        raise DvcFileError(rel, "the parameters cannot be read") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, Mapping):
        raise DvcFileError(rel, "parameters must be a mapping")
    return parsed


__all__ = ["DEFAULT_PARAMS", "stage_changes"]
