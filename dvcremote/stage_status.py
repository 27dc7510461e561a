"""What ``dvc status`` says about a locked stage besides its outputs.

``status`` must tell what dvc tells (scripts read it): a dependency whose content
differs from what ``dvc.lock`` recorded (``changed deps``), a parameter whose value
differs, and ``always changed`` for a stage marked so. The rules are dvc's
(``dvc/stage/__init__.py:status``, ``dvc/dependency/param.py:workspace_status``):
dependencies, then parameters, in ``dvc.yaml`` order; a missing path is ``deleted``,
one without a recorded hash ``modified``; a frozen stage's dependencies are not looked
at. The stage is read with :class:`dvcremote.stage.Stage` and its parameters with
:mod:`dvcremote.params`, as ``repro`` reads them. Not looked at: URLs and paths
outside the repository (external dependencies).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from dvcremote.hashing import MD5, MD5_DOS2UNIX
from dvcremote.lockfile import recorded as recorded_obj
from dvcremote.params import MISSING, load_file, lookup
from dvcremote.pipeline import PIPELINE, StageFile
from dvcremote.results import StageChanges
from dvcremote.stage import Stage
from dvcremote.workspace_paths import path_problem

#: (repo path, hash name) -> the object id of what is there now.
Hasher = Callable[[str, str], str]


def stage_changes(root: str, stage_file: StageFile, current_oid: Hasher) -> StageChanges:
    """The ``changed deps`` and ``always changed`` of one locked stage."""
    pipeline = posixpath.join(posixpath.dirname(stage_file.path), PIPELINE)
    stage = Stage.from_body(stage_file.stage, stage_file.definition, pipeline)
    return _changes(root, stage, stage_file.raw, current_oid)


def unlocked_stages(
    root: str, locked: Collection[str], current_oid: Hasher
) -> Iterator[tuple[str, dict[str, str], StageChanges]]:
    """(address, outputs' states, the rest) of every stage a ``dvc.yaml`` declares that
    no ``dvc.lock`` records (``locked`` holds the addresses of those it does), as dvc
    reports a stage never run: every dependency ``modified`` (or ``deleted``), every
    params file ``new``, every output ``modified`` (or ``deleted``)."""
    from dvcremote.dag import load_pipeline
    from dvcremote.index import find_pipelines

    for path in find_pipelines(root):
        for stage in load_pipeline(root, path):
            address = f"{stage.pipeline}:{stage.name}"
            if address in locked:
                continue
            outs: dict[str, str] = {}
            for out in stage.outs:
                rel = stage.repo_path(out.path)
                there = os.path.exists(os.path.join(root, *rel.split("/")))
                outs[rel] = "modified" if there else "deleted"
            yield address, outs, _changes(root, stage, {}, current_oid)


def _changes(
    root: str, stage: Stage, locked: Mapping[str, Any], current_oid: Hasher
) -> StageChanges:
    if stage.frozen:
        return StageChanges(always_changed=stage.always_changed)
    return StageChanges(
        _deps(root, stage, locked, current_oid),
        _params(root, stage, locked),
        stage.always_changed,
    )


def _in_repo(stage: Stage, path: str) -> str | None:
    """The repo path of a ``dvc.yaml`` path, or None for a URL or a path outside."""
    if "://" in path or path.startswith("/"):
        return None
    rel = stage.repo_path(path)
    problem = path_problem(rel)
    return None if problem is not None and "outside" in problem else rel


def _deps(
    root: str, stage: Stage, locked: Mapping[str, Any], current_oid: Hasher
) -> dict[str, str]:
    recorded = {str(d.get("path")): d for d in locked.get("deps") or () if isinstance(d, Mapping)}
    found: dict[str, str] = {}
    for path in stage.deps:
        rel = _in_repo(stage, path)
        if rel is None:
            continue
        if not os.path.exists(os.path.join(root, *rel.split("/"))):
            found[rel] = "deleted"
            continue
        item = recorded.get(path, {})
        obj = recorded_obj(item)  # md5, or the files: form a version-aware push leaves
        hash_name = MD5 if item.get("hash") == MD5 else MD5_DOS2UNIX
        if obj is None or current_oid(rel, hash_name) != obj[0].oid:
            found[rel] = "modified"
    return found


def _params(
    root: str, stage: Stage, locked: Mapping[str, Any]
) -> dict[str, str | Mapping[str, str]]:
    recorded = locked.get("params")
    recorded = recorded if isinstance(recorded, Mapping) else {}
    found: dict[str, str | Mapping[str, str]] = {}
    for name, keys in stage.params_deps().items():
        rel = _in_repo(stage, name)
        if rel is None:
            continue
        config = load_file(root, rel)
        if config is None:
            found[rel] = "deleted"
            continue
        info = recorded.get(name)
        if not isinstance(info, Mapping):
            found[rel] = "new"
            continue
        actual = {k: v for k in keys if (v := lookup(config, k)) is not MISSING}
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


__all__ = ["stage_changes", "unlocked_stages"]
