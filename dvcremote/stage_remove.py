"""``remove``: stop tracking a stage or a ``.dvc`` file, as ``dvc remove`` does.

dvc's rules (``dvc/repo/remove.py``, ``dvc/stage/__init__.py:remove``,
``dvc/dvcfile.py``): a ``dvc.yaml`` stage loses its entry in ``dvc.yaml`` and in
``dvc.lock`` (each file is deleted once it has no stage left); a ``.dvc`` file is
deleted. The outputs' ``.gitignore`` entries go (an emptied ``.gitignore`` is
deleted). The outputs stay, made plain writable files (no longer links into the
cache), unless ``outs``, which deletes them. A stage made by templating cannot be
removed ("cannot remove a parametrized stage"); a group name is no stage.

Safety: every output path is checked before anything changes; the ``dvc.lock`` and
``dvc.yaml`` edits go through a temp file and a rename (comments kept); outputs are
touched last, so a failure before that leaves them as they were. A ``dvc.yaml`` that
holds more than ``stages`` and ``vars`` (``plots:``, ``metrics:``...) is kept, without
its ``stages`` key (dvc deletes it).
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Callable
from typing import Any

from dvcremote import gitops, yamlio
from dvcremote.dag import load_pipeline
from dvcremote.dvcfile import DvcFile, is_dvcfile_name
from dvcremote.dvcfile import load as load_dvcfile
from dvcremote.errors import DvcFileError, InvalidStage, StageNotFound, UnsafePath
from dvcremote.placing import Placer
from dvcremote.repro import _unprotect
from dvcremote.results import RemoveResult
from dvcremote.stage import PIPELINE, Stage

Log = Callable[[str], None]
#: ``dvc.yaml`` keys whose loss with the last stage loses nothing (dvc then deletes it).
_ONLY_STAGES = {"stages", "vars"}


def remove(repo: Any, target: str, *, outs: bool = False, here: str = "") -> RemoveResult:
    """Remove the stage(s) or ``.dvc`` file ``target`` names (see the module doc).
    ``here``: the folder a bare stage name and messages are relative to."""
    stages, dvcfile = _find(repo, target, here)
    out_paths = (
        [s.repo_path(o.path) for s in stages for o in s.outs]
        if dvcfile is None
        else [o.repo_path for o in dvcfile.outs]
    )
    cached = (
        [s.repo_path(o.path) for s in stages for o in s.outs if o.use_cache]
        if dvcfile is None
        else [o.repo_path for o in dvcfile.outs if o.use_cache]
    )
    for rel in out_paths:
        problem = repo.paths.problem(rel)
        if problem is not None:
            raise UnsafePath(rel, problem, source=dvcfile.path if dvcfile else stages[0].pipeline)
    if dvcfile is not None:
        os.unlink(repo.full_path(dvcfile.path))
        files = [dvcfile.path]
    else:
        files = _drop_stages(repo, stages)
    git = repo.git
    if git is not None:
        for rel in cached:
            gitops.unignore(git, repo.full_path(rel))
    for rel in out_paths:
        full = repo.full_path(rel)
        if not outs:
            _unprotect(full)
        elif os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        elif os.path.lexists(full):
            os.unlink(full)
    names = [s.addressing for s in stages] if dvcfile is None else [dvcfile.path]
    return RemoveResult(tuple(names), tuple(files), tuple(out_paths) if outs else ())


def _find(repo: Any, target: str, here: str) -> tuple[list[Stage], DvcFile | None]:
    """The stages (or the ``.dvc`` file) ``target`` names, as dvc's ``from_target``
    with ``accept_group=False``; paths are relative to ``here``."""
    head, sep, name = target.rpartition(":")
    if not sep or "/" in name or os.sep in name:
        head, name = target, ""
    rel = _rel(repo, here, head)
    if not name and is_dvcfile_name(posixpath.basename(rel)):
        if not os.path.exists(repo.full_path(rel)):
            raise StageNotFound(f"'{target}' does not exist")
        return [], load_dvcfile(repo.root, rel)
    bare = not name and posixpath.basename(rel) != PIPELINE
    if bare:
        name, rel = target, posixpath.join(here, PIPELINE)  # a stage of ./dvc.yaml
    elif os.path.isdir(repo.full_path(rel)):
        rel = posixpath.join(rel, PIPELINE) if rel else PIPELINE
    shown = posixpath.relpath(rel, here or ".")
    stages = load_pipeline(repo.root, rel) if os.path.exists(repo.full_path(rel)) else []
    if name:
        stages = [s for s in stages if s.name == name]
    if not stages:
        missing = f"Stage '{name}' not found inside '{shown}' file"
        if not name:
            missing = f"'{shown}' has no stages"
        elif bare and os.path.exists(repo.full_path(_rel(repo, here, target)) + ".dvc"):
            missing = f"'{target}' is not a .dvc file. Do you mean '{target}.dvc'?: {missing}"
        raise StageNotFound(missing)
    raw = _raw_stages(repo, rel)
    for stage in stages:
        body = raw.get(stage.name)
        if body is None or "${" in str(body):
            addr = stage.name if shown == PIPELINE else f"{shown}:{stage.name}"
            raise InvalidStage("", f"cannot remove a parametrized stage: '{addr}'")
    return stages, None


def _rel(repo: Any, here: str, path: str) -> str:
    """``path`` (absolute, or relative to the folder ``here``) as a repo path."""
    if os.path.isabs(path):
        return str(repo.repo_path(path))
    return str(repo.repo_path(os.path.join(repo.full_path(here), path)))


def _raw_stages(repo: Any, rel: str) -> dict[str, Any]:
    """The ``stages`` mapping of ``dvc.yaml`` before templating."""
    with open(repo.full_path(rel), "rb") as f:
        data = yamlio.loads(f.read()) or {}
    stages = data.get("stages") if isinstance(data, dict) else None
    return stages if isinstance(stages, dict) else {}


def _drop_stages(repo: Any, stages: list[Stage]) -> list[str]:
    """Each stage out of ``dvc.lock`` then ``dvc.yaml``; returns the files changed."""
    names = [s.name for s in stages]
    pipeline = stages[0].pipeline
    changed = []
    for path, keep in ((stages[0].lock_path, {"schema"}), (pipeline, _ONLY_STAGES)):
        if _drop(repo, path, names, keep):
            changed.append(path)
    return changed


def _drop(repo: Any, path: str, names: list[str], keep: set[str]) -> bool:
    """Delete stages ``names`` from the YAML file at ``path`` (round trip); the file
    goes once no stage and no key outside ``keep`` is left. True when changed."""
    full = repo.full_path(path)
    try:
        with open(full, "rb") as f:
            original = f.read()
    except FileNotFoundError:
        return False
    gone = False

    def change(data: Any) -> None:
        nonlocal gone
        if not isinstance(data, dict):
            raise DvcFileError(path, "expected a mapping")
        stages = data.get("stages") or {}
        for name in names:
            if name in stages:
                del stages[name]
        if not stages:
            gone = set(data) <= keep | {"stages"}
            data.pop("stages", None)

    text = yamlio.modify(original, change).encode("utf-8")
    if gone:
        os.unlink(full)
    elif text != original:

        def make(tmp: str) -> None:
            with open(tmp, "wb") as f:
                f.write(text)

        Placer(repo.dvc_dir).place(full, make)
    else:
        return False
    return True


__all__ = ["remove"]
