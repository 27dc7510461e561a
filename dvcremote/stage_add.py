"""``stage add``: a new stage in ``dvc.yaml``, refused as dvc refuses it, written as dvc writes it.

The checks run before a byte is written: the name, paths that leave the repository
or enter ``.git``/``.dvc``, a path given twice, a dep that is also an output, a
name already taken (unless ``force``), and the graph with the new stage (an output
another stage or ``.dvc`` file owns, overlapping outputs, a cycle). An existing
``dvc.yaml`` is changed through ruamel's round trip (comments and order kept, a
replaced stage updated in place, as dvc's ``apply_diff``) and replaced in one rename.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dvcremote import gitops, yamlio
from dvcremote.dag import Graph, load_nodes, load_pipeline, node_key
from dvcremote.errors import CyclicPipeline, DuplicateStageName, InvalidStage, UnsafePath
from dvcremote.placing import Placer
from dvcremote.results import StageAdded
from dvcremote.stage import DEFAULT_PARAMS, PIPELINE, Cmd, Stage, StageOut, is_valid_name
from dvcremote.workspace_paths import path_problem

if TYPE_CHECKING:
    from dvcremote.repo import Repo


def parse_params(items: Sequence[str]) -> list[str | dict[str, list[str] | None]]:
    """``-p`` values (``lr,epochs`` or ``file.yaml:lr``; ``file.yaml:`` for the whole
    file) grouped by file, as dvc's ``parse_params``."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        path, _, keys = item.rpartition(":")
        grouped.setdefault(path or DEFAULT_PARAMS, []).extend(k for k in keys.split(",") if k)
    return [{path: keys} for path, keys in grouped.items()]


def parse_cmd(command: Sequence[str]) -> str:
    """The command words as dvc joins them (``dvc/commands/stage.py:parse_cmd``)."""

    def quote(arg: str) -> str:
        if not arg:
            return '""'
        if " " in arg and '"' not in arg:
            return f'"{arg}"'
        return arg

    if len(command) < 2:
        return " ".join(command)
    return " ".join(map(quote, command))


def build_stage(
    name: str,
    cmd: Cmd,
    *,
    pipeline: str = PIPELINE,
    deps: Sequence[str] = (),
    params: Sequence[str] = (),
    outs: Sequence[str] = (),
    outs_no_cache: Sequence[str] = (),
    outs_persist: Sequence[str] = (),
    outs_persist_no_cache: Sequence[str] = (),
    metrics: Sequence[str] = (),
    metrics_no_cache: Sequence[str] = (),
    plots: Sequence[str] = (),
    plots_no_cache: Sequence[str] = (),
    wdir: str | None = None,
    always_changed: bool = False,
    desc: str | None = None,
) -> Stage:
    """The stage ``stage add`` options describe (not checked against the repo yet)."""
    if not is_valid_name(name):
        raise InvalidStage(pipeline, "Stage name cannot contain punctuation characters.")
    if not cmd:
        raise InvalidStage(pipeline, f"stage {name!r}: a command is required")
    # dvc's order (``fill_stage_outputs``), which is the order of the .gitignore lines.
    kinds: list[tuple[Sequence[str], str, dict[str, Any]]] = [
        (outs_persist, "outs", {"persist": True}),
        (outs_persist_no_cache, "outs", {"cache": False, "persist": True}),
        (metrics, "metrics", {}),
        (metrics_no_cache, "metrics", {"cache": False}),
        (plots, "plots", {}),
        (plots_no_cache, "plots", {"cache": False}),
        (outs_no_cache, "outs", {"cache": False}),
        (outs, "outs", {}),
    ]
    stage_outs = [StageOut(p, kind, dict(flags)) for paths, kind, flags in kinds for p in paths]
    return Stage(
        name,
        cmd,
        pipeline,
        wdir or ".",
        list(deps),
        parse_params(params),
        stage_outs,
        always_changed=always_changed,
        desc=desc,
    )


def check_stage(stage: Stage) -> None:
    """The checks dvc makes on a stage alone: safe paths, nothing given twice, no dep
    that is also an output."""
    folder = stage.folder
    if folder and path_problem(folder) not in (None, "is a DVC file"):
        raise UnsafePath(stage.pipeline, str(path_problem(folder)))
    stage.check_paths()
    outs = [stage.repo_path(o.path) for o in stage.outs]
    deps = [stage.repo_path(d) for d in stage.deps]
    circular = sorted(set(deps) & set(outs))
    if circular:
        raise CyclicPipeline(f"'{circular[0]}' is specified as an output and as a dependency.")
    seen: set[str] = set()
    for path in [*deps, *outs]:
        if path in seen:
            raise InvalidStage(stage.pipeline, f"file '{path}' is specified more than once.")
        seen.add(path)


def add_stage(repo: Repo, stage: Stage, *, force: bool = False) -> StageAdded:
    """Check ``stage`` against the repository, write it into its ``dvc.yaml`` and add
    ``.gitignore`` entries for its cached outputs (inside git)."""
    check_stage(stage)
    existing = {s.name: s for s in load_pipeline(repo.root, stage.pipeline)}
    old = existing.get(stage.name)
    if (old is not None or stage.name in _raw_names(repo, stage.pipeline)) and not force:
        raise DuplicateStageName(
            f"Stage '{stage.name}' already exists in '{stage.pipeline}'."
            " Use '--force' to overwrite."
        )
    others = [n for n in load_nodes(repo.root) if node_key(n) != node_key(stage)]
    Graph.build([*others, stage])
    if old is not None:
        _restore_fields(stage, old)
    _write_pipeline(repo, stage)
    gitignores: list[str] = []
    git = repo.git
    if git is not None:
        for out in stage.outs:
            if out.use_cache:
                changed = gitops.ignore(git, repo.full_path(stage.repo_path(out.path)))
                if changed:
                    gitignores.append(os.path.relpath(changed, repo.root).replace(os.sep, "/"))
    return StageAdded(stage.name, stage.pipeline, tuple(sorted(set(gitignores))))


def _raw_names(repo: Repo, pipeline: str) -> set[str]:
    """Stage names as written in ``dvc.yaml`` (a ``foreach``/``matrix`` group's own name
    too, which expansion replaces with ``name@...``)."""
    from dvcremote.pipeline import _parse, _read, _stages

    data = _read(repo.full_path(pipeline), pipeline)
    return set() if data is None else {str(n) for n in _stages(_parse(data, pipeline), pipeline)}


def _restore_fields(stage: Stage, old: Stage) -> None:
    """What ``-f`` keeps of the stage it replaces (dvc's ``restore_fields``): desc, meta,
    and each output's annotations, ``remote`` and ``push``."""
    stage.desc = old.desc
    stage.meta = old.meta
    before = {o.path: o for o in old.outs}
    for out in stage.outs:
        prev = before.get(out.path)
        if prev is None:
            continue
        kept = {
            k: v
            for k, v in prev.flags.items()
            if k in ("desc", "type", "labels", "meta", "remote", "push")
        }
        out.flags = {**{k: v for k, v in out.flags.items() if k not in kept}, **kept}


def _write_pipeline(repo: Repo, stage: Stage) -> None:
    full = repo.full_path(stage.pipeline)
    try:
        with open(full, "rb") as f:
            original: bytes | None = f.read()
    except FileNotFoundError:
        original = None
    body = stage.to_body()

    def change(data: Any) -> None:
        if not isinstance(data, dict):
            raise InvalidStage(stage.pipeline, "expected a mapping")
        stages = data.get("stages") or {}
        data["stages"] = stages
        if stage.name in stages and isinstance(stages[stage.name], dict):
            yamlio.apply_diff(body, stages[stage.name])
        else:
            stages[stage.name] = body

    text = yamlio.modify(original, change).encode("utf-8")
    os.makedirs(posixpath.dirname(full) or ".", exist_ok=True)

    def make(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(text)

    Placer(repo.dvc_dir).place(full, make)


__all__ = ["add_stage", "build_stage", "check_stage", "parse_cmd", "parse_params"]
