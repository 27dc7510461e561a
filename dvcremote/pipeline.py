"""Pipeline outputs: what ``dvc.lock`` records for the stages ``dvc.yaml`` declares.

DVC treats every output a stage's lock entry records as tracked data, exactly like
the output of a ``.dvc`` file: status, push, fetch, pull, checkout and gc all use it
(a gc that missed them deleted pipeline outputs). Each stage becomes a
:class:`StageFile`, a :class:`DvcFile` whose ``path`` is the ``dvc.lock`` and whose
outputs come from the lock entry, so every command handles them with the code it
has for ``.dvc`` files, and their paths pass the same checks.

Flags (``cache``, ``push``, ``remote``, ``persist``) are never written into the lock:
they are read from the stage's ``outs``, ``metrics`` and ``plots`` in ``dvc.yaml``.
Paths in both files are relative to the stage's ``wdir`` (relative to the folder of
``dvc.yaml``). As in DVC, only stages ``dvc.yaml`` declares count: a lock entry
whose stage was deleted from ``dvc.yaml`` is ignored, and a ``dvc.lock`` without a
``dvc.yaml`` beside it tracks nothing.

A stage body is only ever read through :func:`pipeline_stages`: ``dvc.yaml`` may be
templated (``vars``, ``${...}``, ``foreach``, ``matrix``) and the lock names and
records the expanded stages, so flags and wdirs come from the expansion
(:mod:`dvcremote.templating`), never from the raw text.
"""

from __future__ import annotations

import copy
import os
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dvcremote import yamlio
from dvcremote.dvcfile import DvcFile, ManifestOf, Output, _check_out
from dvcremote.errors import DvcFileError
from dvcremote.hashing import MD5
from dvcremote.manifest import is_dir_oid
from dvcremote.templating import ParsingOptions as Parsing
from dvcremote.templating import ReadFile, expand_stages
from dvcremote.workspace_paths import protected_part

LOCKFILE = "dvc.lock"
PIPELINE = "dvc.yaml"
LOCK_SCHEMA = "2.0"
#: Where a stage lists outputs in ``dvc.yaml``; ``dvc.lock`` puts all of them in ``outs``.
_OUT_LISTS = ("outs", "metrics", "plots")


def is_pipeline_name(name: str) -> bool:
    """``dvc.yaml`` or ``dvc.lock``: the files a pipeline is made of."""
    return name in (LOCKFILE, PIPELINE)


@dataclass
class LockOutput(Output):
    """An output recorded in ``dvc.lock``; its flags come from ``dvc.yaml``."""

    flags: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def use_cache(self) -> bool:
        return self.flags.get("cache", True) is not False

    @property
    def can_push(self) -> bool:
        return self.flags.get("push", True) is not False

    @property
    def remote(self) -> str | None:
        value = self.flags.get("remote")
        return str(value) if value else None

    @property
    def persist(self) -> bool:
        return self.flags.get("persist") is True


@dataclass
class StageFile(DvcFile):
    """One stage of a ``dvc.lock``: ``path`` is the lock, ``raw`` the stage's entry."""

    stage: str = ""
    #: The stage's body in ``dvc.yaml`` (deps, params, flags), and the folder its paths
    #: are relative to (its ``wdir``, from the repo root).
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    stage_wdir: str = ""

    @property
    def wdir(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def address(self) -> str:
        """``dvc.yaml:train`` / ``sub/dvc.yaml:report``: the stage as ``status`` names it."""
        return f"{posixpath.join(posixpath.dirname(self.path), PIPELINE)}:{self.stage}"

    @property
    def label(self) -> str:
        """``dvc.lock:train``, the way messages name a stage's lock entry."""
        return f"{self.path}:{self.stage}"

    def dumps(self) -> bytes:
        raise DvcFileError(self.path, "a stage's lock entry is written with the whole lock")

    def versions_recorded(self, manifest_of: ManifestOf) -> None:
        """As dvc's ``stage.dump(with_files=True)`` after a push to a version-aware
        remote: every directory of the entry, deps included, goes into the ``files:``
        form (a dep's files with ``relpath`` and ``md5`` only). The files come from the
        directory's manifest in the cache; where the cache has none (a plain directory
        dep) the item keeps its ``md5``, where dvc would drop it (see docs)."""
        deps = self.raw.get("deps")
        if isinstance(deps, list):
            self.raw["deps"] = [_with_files(d, manifest_of) for d in deps]
        for out in self.outs:
            oid = out.oid
            if out.files is None and oid is not None and is_dir_oid(oid):
                manifest = manifest_of(oid, out.is_legacy)
                if manifest is not None:
                    out.set_files({"relpath": r, "md5": m} for r, m in manifest)

    def write(self, root: str | os.PathLike[str]) -> bool:
        """Write this stage's entry into ``dvc.lock`` if its outputs changed (a push to a
        version-aware remote records versions there, as DVC does); other stages stay."""
        if not self.changed:
            return False
        full = os.path.join(os.fspath(root), *self.path.split("/"))
        with open(full, "rb") as f:
            data = _parse(f.read(), self.path)
        stages = data.get("stages")
        if not isinstance(stages, dict) or self.stage not in stages:
            raise DvcFileError(self.path, f"stage {self.stage!r} is gone; not rewritten")
        stages[self.stage] = self.to_data()
        self._publish(full, yamlio.dumps(data).encode("utf-8"))
        return True


def _with_files(dep: Any, manifest_of: ManifestOf) -> Any:
    """A directory dep item in the ``files:`` form when its manifest is known."""
    md5 = dep.get("md5") if isinstance(dep, Mapping) else None
    if not (isinstance(md5, str) and is_dir_oid(md5)) or "files" in dep:
        return dep
    manifest = manifest_of(md5, dep.get("hash") != MD5)
    if manifest is None:
        return dep
    item = {k: v for k, v in dep.items() if k not in ("md5", "size", "nfiles")}
    item["files"] = [{"relpath": r, "md5": m} for r, m in manifest]
    return item


def _parse(data: bytes, path: str) -> dict[str, Any]:
    try:
        parsed = yamlio.loads(data)
    except Exception as exc:  # noqa: BLE001 - any YAML failure is a parse error
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DvcFileError(path, f"not valid YAML{where}") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise DvcFileError(path, "expected a mapping")
    return parsed


def _stages(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    stages = data.get("stages")
    if stages is None:
        return {}
    if not isinstance(stages, dict):
        raise DvcFileError(path, "'stages' must be a mapping")
    return stages


def pipeline_stages(
    data: Mapping[str, Any], folder: str, read_file: ReadFile, options: Parsing | None = None
) -> dict[str, Mapping[str, Any]]:
    """The concrete stages ``{name: body}`` of the parsed ``dvc.yaml`` in repo folder
    ``folder`` ("" for the root), as dvc expands them: ``fe@x`` / ``mx@a-b`` names,
    every ``${...}`` resolved, ``vars`` gone. ``read_file`` gives a vars file's bytes
    by repo-relative path (None when absent); ``options`` is dvc's ``[parsing]``
    config (it only changes how a dict renders in ``cmd``). Bodies may share values
    with each other: copy one before changing it."""
    path = posixpath.join(folder, PIPELINE)
    return dict(expand_stages(data, path=path, read_file=read_file, options=options))


def workspace_reader(root: str) -> ReadFile:
    """A :data:`ReadFile` over the files under ``root`` (None for a missing file); a
    symlink leading out of the workspace or into ``.git``/``.dvc`` is refused."""
    real_root = os.path.realpath(root)

    def read(rel: str) -> bytes | None:
        full = os.path.join(root, *rel.split("/"))
        inside = os.path.relpath(os.path.realpath(full), real_root).replace(os.sep, "/")
        if inside == ".." or inside.startswith("../") or protected_part(inside):
            raise DvcFileError(rel, "leads outside the workspace or into .git/.dvc")
        return _read(full, rel)

    return read


def _wdir(body: Mapping[str, Any], folder: str, path: str, name: str) -> str:
    """The stage's folder relative to the repo root ("" for the root)."""
    wdir = body.get("wdir", ".")
    if not isinstance(wdir, str) or wdir.startswith("/") or "\\" in wdir or "\x00" in wdir:
        raise DvcFileError(path, f"stage {name!r}: wdir {wdir!r} is not a relative posix path")
    joined = posixpath.normpath(posixpath.join(folder, wdir)) if folder or wdir else "."
    return "" if joined == "." else joined


def declared_outputs(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, flags) of every output a ``dvc.yaml`` stage declares, relative to its wdir."""
    for key in _OUT_LISTS:
        items = body.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, str):
                yield item, {}
            elif isinstance(item, Mapping):
                for out_path, flags in item.items():
                    yield str(out_path), flags if isinstance(flags, Mapping) else {}


def load_stages(
    lock: bytes | None, pipeline: bytes | None, lock_path: str, read_file: ReadFile
) -> list[StageFile]:
    """The stages of one ``dvc.lock`` (repo-relative ``lock_path``) that ``dvc.yaml``
    (``pipeline``, the bytes beside it; vars files through ``read_file``) declares;
    any problem is a DvcFileError."""
    if lock is None or pipeline is None:
        return []
    folder = posixpath.dirname(lock_path)
    yaml_path = posixpath.join(folder, PIPELINE)
    declared = pipeline_stages(_parse(pipeline, yaml_path), folder, read_file)
    data = _parse(lock, lock_path)
    if not data:
        return []
    if str(data.get("schema")) != LOCK_SCHEMA:
        raise DvcFileError(lock_path, f"invalid schema version {data.get('schema')!r}")
    result: list[StageFile] = []
    for name, entry in _stages(data, lock_path).items():
        body = declared.get(str(name))
        if body is None:
            continue  # DVC ignores entries of stages dvc.yaml no longer has
        if not isinstance(entry, dict):
            raise DvcFileError(lock_path, f"stage {name!r} is not a mapping")
        outs = entry.get("outs") or []
        if not isinstance(outs, list):
            raise DvcFileError(lock_path, f"stage {name!r}: 'outs' must be a list")
        wdir = _wdir(body, folder, yaml_path, str(name))
        flags = dict(declared_outputs(body))
        stage = StageFile(
            lock_path, entry, [], lock, stage=str(name), definition=body, stage_wdir=wdir
        )
        for i, out in enumerate(outs):
            _check_out(f"{lock_path}:{name}", i, out)
            output = LockOutput(
                out, wdir, stage, copy.deepcopy(out), flags=flags.get(str(out["path"]), {})
            )
            output.check_path()
            stage.outs.append(output)
        stage._loaded = copy.deepcopy(stage.to_data())
        result.append(stage)
    return result


def load_workspace_stages(root: str, lock_path: str) -> list[StageFile]:
    """:func:`load_stages` for the ``dvc.lock`` at ``lock_path`` under ``root``."""
    full = os.path.join(root, *lock_path.split("/"))
    lock, pipeline = _read(full, lock_path), _read(_beside(full), lock_path)
    return load_stages(lock, pipeline, lock_path, workspace_reader(root))


def _beside(full_lock: str) -> str:
    return os.path.join(os.path.dirname(full_lock), PIPELINE)


def _read(full: str, name: str) -> bytes | None:
    try:
        with open(full, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DvcFileError(name, exc.strerror or str(exc)) from None


def _read_pipeline(root: str, pipeline_path: str) -> dict[str, Any] | None:
    """The parsed ``dvc.yaml`` at ``pipeline_path`` under ``root``, None if absent."""
    data = _read(os.path.join(root, *pipeline_path.split("/")), pipeline_path)
    return None if data is None else _parse(data, pipeline_path)


def _expanded(root: str, pipeline_path: str, parsed: Mapping[str, Any]) -> dict[str, Any]:
    folder = posixpath.dirname(pipeline_path)
    return pipeline_stages(parsed, folder, workspace_reader(root))


def declares_stage(root: str, pipeline_path: str, name: str) -> bool:
    """Whether the ``dvc.yaml`` at ``pipeline_path`` declares stage ``name``: one of its
    stages as expanded (``fe@x``), or a foreach / matrix group (``fe``)."""
    parsed = _read_pipeline(root, pipeline_path)
    if parsed is None:
        return False
    if name in _stages(parsed, pipeline_path):
        return True
    return name in _expanded(root, pipeline_path, parsed)


@dataclass(frozen=True)
class DeclaredOutput:
    """An output ``dvc.yaml`` declares (with or without a lock entry)."""

    repo_path: str
    stage: str
    pipeline: str


def declared_in(root: str, pipeline_path: str) -> list[DeclaredOutput]:
    """Every output the ``dvc.yaml`` at ``pipeline_path`` declares, by repo path."""
    parsed = _read_pipeline(root, pipeline_path)
    if parsed is None:
        return []
    stages = _expanded(root, pipeline_path, parsed)
    folder = posixpath.dirname(pipeline_path)
    found: list[DeclaredOutput] = []
    for name, body in stages.items():
        wdir = _wdir(body, folder, pipeline_path, name)
        for out_path, _flags in declared_outputs(body):
            rel = posixpath.normpath(posixpath.join(wdir, out_path))
            found.append(DeclaredOutput(rel, name, pipeline_path))
    return found


__all__ = [
    "LOCKFILE",
    "PIPELINE",
    "DeclaredOutput",
    "LockOutput",
    "StageFile",
    "declared_in",
    "declared_outputs",
    "declares_stage",
    "is_pipeline_name",
    "load_stages",
    "load_workspace_stages",
    "pipeline_stages",
    "workspace_reader",
]
