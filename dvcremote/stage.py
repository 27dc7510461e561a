"""A pipeline stage as ``dvc.yaml`` declares it, and its ``dvc.yaml`` form as dvc writes it.

One model serves ``stage add`` (built from command-line options), ``repro`` (read
from every ``dvc.yaml``) and the run cache (which stages may use it). Paths stay as
written (relative to the stage's ``wdir``); :meth:`Stage.repo_path` places them in
the repository and refuses any that leave it or enter ``.git``/``.dvc``, so hostile
``dvc.yaml`` files are stopped before a command runs.

The writer follows ``dvc/stage/serialize.py:to_pipeline_file``: keys in the order
desc, cmd, wdir, deps, params, outs, metrics, plots, frozen, always_changed, meta;
empty or false values left out; each list sorted by path; an output with flags as
``{path: flags}`` (annotations, ``cache: false``, ``persist: true``, plot props,
``remote``, ``push: false``).
"""

from __future__ import annotations

import posixpath
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dvcremote.errors import InvalidStage, UnsafePath
from dvcremote.workspace_paths import path_problem

PIPELINE = "dvc.yaml"
DEFAULT_PARAMS = "params.yaml"
#: The lists of a stage body that name outputs, in the order dvc writes them.
OUT_KINDS = ("outs", "metrics", "plots")
#: Output annotations, written first in an output's flags.
ANNOTATIONS = ("desc", "type", "labels", "meta")
#: Plot properties (kept in the order they were read, as dvc does).
PLOT_PROPS = ("template", "x", "y", "x_label", "y_label", "title", "header")
_OUT_FLAGS = frozenset(
    {*ANNOTATIONS, *PLOT_PROPS, "cache", "persist", "remote", "push", "checkpoint"}
)
_STAGE_KEYS = frozenset(
    {
        "cmd",
        "wdir",
        "deps",
        "params",
        *OUT_KINDS,
        "frozen",
        "always_changed",
        "desc",
        "meta",
        "vars",
    }
)
#: Characters a stage name may not hold (dvc: punctuation except ``_`` and ``-``).
INVALID_NAME_CHARS = frozenset(string.punctuation) - {"_", "-"}

Cmd = str | list[str]
ParamsSpec = list[str | dict[str, list[str] | None]]


def is_valid_name(name: str) -> bool:
    return bool(name) and not INVALID_NAME_CHARS & set(name)


@dataclass
class StageOut:
    """One entry of a stage's ``outs``, ``metrics`` or ``plots``."""

    path: str
    kind: str = "outs"
    flags: dict[str, Any] = field(default_factory=dict)

    @property
    def use_cache(self) -> bool:
        return self.flags.get("cache", True) is not False

    @property
    def persist(self) -> bool:
        return self.flags.get("persist") is True

    def to_item(self) -> str | dict[str, dict[str, Any]]:
        """The list item dvc writes: the bare path, or ``{path: flags}`` in dvc's order."""
        f = self.flags
        ordered: dict[str, Any] = {k: f[k] for k in ANNOTATIONS if k in f}
        if f.get("cache", True) is False:
            ordered["cache"] = False
        if f.get("persist") is True:
            ordered["persist"] = True
        ordered.update((k, v) for k, v in f.items() if k in PLOT_PROPS)
        if f.get("remote"):
            ordered["remote"] = f["remote"]
        if f.get("push", True) is False:
            ordered["push"] = False
        return {self.path: ordered} if ordered else self.path


@dataclass
class Stage:
    """A ``dvc.yaml`` stage: ``pipeline`` is the repo-relative path of its ``dvc.yaml``."""

    name: str
    cmd: Cmd
    pipeline: str = PIPELINE
    wdir: str = "."
    deps: list[str] = field(default_factory=list)
    params: ParamsSpec = field(default_factory=list)
    outs: list[StageOut] = field(default_factory=list)
    frozen: bool = False
    always_changed: bool = False
    desc: str | None = None
    meta: Any = None

    # -- where things are ----------------------------------------------------------------
    @property
    def folder(self) -> str:
        """The ``dvc.yaml``'s folder, repo-relative ("" at the root)."""
        return posixpath.dirname(self.pipeline)

    @property
    def lock_path(self) -> str:
        return posixpath.join(self.folder, "dvc.lock")

    @property
    def work_dir(self) -> str:
        """Where the command runs and paths start, repo-relative ("" at the root)."""
        joined = posixpath.normpath(posixpath.join(self.folder, self.wdir or "."))
        return "" if joined == "." else joined

    @property
    def addressing(self) -> str:
        """How dvc names the stage in messages and ``DVC_STAGE``: ``name`` for the root
        ``dvc.yaml``, else ``path/dvc.yaml:name``."""
        return self.name if self.pipeline == PIPELINE else f"{self.pipeline}:{self.name}"

    def repo_path(self, path: str) -> str:
        """``path`` (relative to ``wdir``) relative to the repository root."""
        return posixpath.normpath(posixpath.join(self.work_dir, path))

    def check_paths(self) -> None:
        """Refuse deps, params files, outs or a wdir that leave the repository or enter
        ``.git``/``.dvc`` (UnsafePath naming the ``dvc.yaml``), before anything runs."""
        if self.work_dir:
            problem = path_problem(self.work_dir)
            if problem is not None and problem != "is a DVC file":
                raise UnsafePath(
                    self.wdir, f"(wdir of stage {self.name!r}) {problem}", source=self.pipeline
                )
        read = [*self.deps, *self.params_files()]
        for path in [*read, *(o.path for o in self.outs)]:
            if path.startswith("/") or "\\" in path or "\x00" in path:
                raise UnsafePath(path, "is not a relative posix path", source=self.pipeline)
            problem = path_problem(self.repo_path(path))
            if problem == "is a DVC file" and path in read:
                continue  # a stage may read a .dvc file or dvc.yaml; it never writes one
            if problem is not None:
                raise UnsafePath(path, f"(stage {self.name!r}) {problem}", source=self.pipeline)

    # -- what it tracks ------------------------------------------------------------------
    def params_deps(self) -> dict[str, list[str]]:
        """Params file -> tracked keys ([] for the whole file), merged as dvc merges them
        (``dvc/dependency/__init__.py:_merge_params``)."""
        whole = {
            k
            for item in self.params
            if isinstance(item, Mapping)
            for k, keys in item.items()
            if not keys
        }
        merged: dict[str, list[str]] = {}
        for item in self.params:
            if isinstance(item, str):
                if DEFAULT_PARAMS not in whole:
                    merged.setdefault(DEFAULT_PARAMS, []).append(item)
                continue
            for file, keys in item.items():
                if file in whole:
                    merged[file] = []
                else:
                    merged.setdefault(file, []).extend(keys or [])
        return merged

    def params_files(self) -> list[str]:
        return list(self.params_deps())

    @property
    def is_callback(self) -> bool:
        """A command with no deps and no outs: dvc runs it every time."""
        return not self.deps and not self.params and not self.outs

    @property
    def can_run_cache(self) -> bool:
        """Whether the run cache may restore this stage (``dvc/stage/cache.py:_can_hash``):
        a command, at least one dep (params count) and one out, not always changed, and
        no ``persist`` out. Paths are inside the repo (``check_paths``)."""
        if self.is_callback or self.always_changed:
            return False
        if not (self.deps or self.params) or not self.outs:
            return False
        return not any(o.persist for o in self.outs)

    @property
    def saves_run_cache(self) -> bool:
        """Whether a run is saved to the run cache: ``can_run_cache`` and, as
        ``Stage.run`` checks, no ``cache: false`` output other than a metric or plot."""
        return self.can_run_cache and all(o.use_cache for o in self.outs if o.kind == "outs")

    # -- dvc.yaml ------------------------------------------------------------------------
    def to_body(self) -> dict[str, Any]:
        """The stage's mapping as ``dvc stage add`` writes it."""
        lists: dict[str, list[Any]] = {k: [] for k in OUT_KINDS}
        for out in sorted(self.outs, key=lambda o: o.path):
            lists[out.kind].append(out.to_item())
        wdir = self.wdir if self.wdir not in ("", ".") else None
        res: list[tuple[str, Any]] = [
            ("desc", self.desc),
            ("cmd", self.cmd),
            ("wdir", wdir),
            ("deps", sorted(self.deps)),
            ("params", _params_keys(self.params_deps())),
            ("outs", lists["outs"]),
            ("metrics", lists["metrics"]),
            ("plots", lists["plots"]),
            ("frozen", self.frozen),
            ("always_changed", self.always_changed),
            ("meta", self.meta),
        ]
        return {k: v for k, v in res if v}

    @classmethod
    def from_body(cls, name: str, body: object, pipeline: str = PIPELINE) -> Stage:
        """Read one stage of a ``dvc.yaml``; a malformed one is InvalidStage naming it."""
        where = f"{pipeline}: stage {name!r}"
        if not isinstance(body, Mapping):
            raise InvalidStage(pipeline, f"stage {name!r} is not a mapping")
        if "foreach" in body or "matrix" in body:
            raise InvalidStage(
                pipeline,
                f"stage {name!r}: a foreach/matrix stage must be expanded first",
            )
        extra = sorted(set(map(str, body)) - _STAGE_KEYS)
        if extra:
            raise InvalidStage(pipeline, f"stage {name!r}: extra keys not allowed: {extra}")
        cmd = body.get("cmd")
        if not (isinstance(cmd, str) and cmd) and not (
            isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd)
        ):
            raise InvalidStage(
                pipeline, f"stage {name!r}: 'cmd' must be a string or a list of strings"
            )
        if _templated(body):
            raise InvalidStage(pipeline, f"stage {name!r}: ${{...}} must be expanded first")
        wdir = body.get("wdir", ".")
        if not isinstance(wdir, str):
            raise InvalidStage(pipeline, f"stage {name!r}: 'wdir' must be a path")
        stage = cls(
            name,
            list(cmd) if isinstance(cmd, list) else cmd,
            pipeline,
            wdir,
            _str_list(body.get("deps"), f"{where}: deps", pipeline),
            _params_spec(body.get("params"), pipeline, name),
            [o for kind in OUT_KINDS for o in _outs(body.get(kind), kind, pipeline, name)],
            body.get("frozen") is True,
            body.get("always_changed") is True,
            body.get("desc") if isinstance(body.get("desc"), str) else None,
            body.get("meta"),
        )
        return stage


def _templated(value: object) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_templated(k) or _templated(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


def _str_list(value: object, where: str, pipeline: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidStage(pipeline, f"{where.split(': ', 1)[-1]} must be a list of paths")
    return list(value)


def _params_spec(value: object, pipeline: str, name: str) -> ParamsSpec:
    if value is None:
        return []
    bad = InvalidStage(pipeline, f"stage {name!r}: 'params' must list keys or {{file: [keys]}}")
    if not isinstance(value, list):
        raise bad
    spec: ParamsSpec = []
    for item in value:
        if isinstance(item, str):
            spec.append(item)
        elif isinstance(item, Mapping):
            entry: dict[str, list[str] | None] = {}
            for file, keys in item.items():
                if keys is not None and not (
                    isinstance(keys, list) and all(isinstance(k, str) for k in keys)
                ):
                    raise bad
                entry[str(file)] = list(keys) if keys is not None else None
            spec.append(entry)
        else:
            raise bad
    return spec


def _outs(value: object, kind: str, pipeline: str, name: str) -> Iterable[StageOut]:
    if value is None:
        return []
    bad = InvalidStage(pipeline, f"stage {name!r}: '{kind}' must list paths or {{path: flags}}")
    if not isinstance(value, list):
        raise bad
    found: list[StageOut] = []
    for item in value:
        if isinstance(item, str) and item:
            found.append(StageOut(item, kind))
        elif isinstance(item, Mapping) and len(item) == 1:
            ((path, flags),) = item.items()
            flags = {} if flags is None else flags
            if not isinstance(path, str) or not path or not isinstance(flags, Mapping):
                raise bad
            unknown = sorted(set(map(str, flags)) - _OUT_FLAGS)
            if unknown:
                raise InvalidStage(
                    pipeline, f"stage {name!r}: output {path!r}: extra keys not allowed: {unknown}"
                )
            found.append(StageOut(path, kind, dict(flags)))
        else:
            raise bad
    return found


def _params_keys(params: Mapping[str, list[str]]) -> ParamsSpec:
    """dvc's ``_serialize_params_keys``: the sorted keys of ``params.yaml`` first, then
    ``{file: sorted keys}`` (None for a whole file) by file name."""
    keys: ParamsSpec = []
    for file in sorted(params):
        k = sorted(params[file])
        if k and file == DEFAULT_PARAMS:
            keys = [*k, *keys]
        else:
            keys.append({file: k or None})
    return keys


__all__ = ["DEFAULT_PARAMS", "OUT_KINDS", "PIPELINE", "Stage", "StageOut", "is_valid_name"]
