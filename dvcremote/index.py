"""Which ``.dvc`` files a command works on, and which objects their outputs use.

:func:`used_objects` takes outputs wherever they came from: the workspace's
``.dvc`` files here, or ``.dvc`` blobs read from git trees for history-wide
commands. Only the manifest loader differs (cache only, or cache then remote).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dvcremote import dvcfile as dvcfile_mod
from dvcremote.dvcfile import DvcFile, Output, is_dvcfile_name
from dvcremote.dvcignore import DvcIgnore
from dvcremote.errors import ObjectMissing, PathOutsideRepo, TargetNotFound
from dvcremote.manifest import Manifest
from dvcremote.objects import Obj

SKIP_DIRS = frozenset({".git", ".dvc", ".hg"})

ManifestLoader = Callable[[Obj], "Manifest | None"]


def find_dvcfiles(root: str, start: str = "") -> list[str]:
    """Repo-relative paths of every ``.dvc`` file under ``start``, not descending into
    tracked directories (their contents are data) or nested DVC projects."""
    found: list[str] = []
    ignore = DvcIgnore(root)
    stack = [start]
    while stack:
        rel = stack.pop()
        folder = os.path.join(root, *rel.split("/")) if rel else root
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        names = {e.name for e in entries}
        if rel and ".dvc" in names and any(e.name == ".dvc" and e.is_dir() for e in entries):
            continue  # a nested project
        outputs = {n[: -len(".dvc")] for n in names if is_dvcfile_name(n)}
        for entry in sorted(entries, key=lambda e: e.name):
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS or entry.name in outputs:
                    continue
                if not ignore.decides(child, True):
                    stack.append(child)
            elif (
                is_dvcfile_name(entry.name)
                and entry.is_file()
                and not ignore.decides(child, False)
            ):
                found.append(child)
    return sorted(found)


def to_repo_path(root: str, target: str | os.PathLike[str]) -> str:
    """A target (absolute, or relative to ``root``) as a repo-relative posix path."""
    raw = os.fspath(target)
    full = os.path.normpath(raw if os.path.isabs(raw) else os.path.join(root, raw))
    rel = os.path.relpath(full, root)
    parts = rel.split(os.sep)
    if rel == os.pardir or parts[0] == os.pardir or os.path.isabs(rel):
        raise PathOutsideRepo(raw, root)
    if parts[0] in (".git", ".dvc"):
        raise PathOutsideRepo(raw, root)
    return "" if rel == os.curdir else "/".join(parts)


def collect_dvcfiles(root: str, targets: Sequence[str | os.PathLike[str]] | None) -> list[DvcFile]:
    """The ``.dvc`` files named by ``targets`` (all of them when None).

    A target is a ``.dvc`` file, a tracked output (file, directory, or a path inside
    a tracked directory), or a folder whose ``.dvc`` files are all taken.
    """
    if not targets:
        return [dvcfile_mod.load(root, p) for p in find_dvcfiles(root)]
    chosen: dict[str, DvcFile] = {}
    everything: list[DvcFile] | None = None
    for target in targets:
        rel = to_repo_path(root, target)
        full = os.path.join(root, *rel.split("/")) if rel else root
        if is_dvcfile_name(rel) and os.path.isfile(full):
            chosen.setdefault(rel, dvcfile_mod.load(root, rel))
            continue
        beside = f"{rel}.dvc"
        if rel and os.path.isfile(os.path.join(root, *beside.split("/"))):
            chosen.setdefault(beside, dvcfile_mod.load(root, beside))
            continue
        if everything is None:
            everything = [dvcfile_mod.load(root, p) for p in find_dvcfiles(root)]
        owners = [d for d in everything if any(_covers(o.repo_path, rel) for o in d.outs)]
        if owners:
            for d in owners:
                chosen.setdefault(d.path, d)
            continue
        if os.path.isdir(full):
            under = [d for d in everything if not rel or d.path.startswith(rel + "/")]
            if under:
                for d in under:
                    chosen.setdefault(d.path, d)
                continue
        raise TargetNotFound(os.fspath(target), "is not tracked (no .dvc file names it)")
    return list(chosen.values())


def _covers(out_path: str, rel: str) -> bool:
    return rel == out_path or rel.startswith(out_path + "/")


def outputs_of(dvcfiles: Iterable[DvcFile]) -> list[Output]:
    outs: list[Output] = []
    for d in dvcfiles:
        for out in d.outs:
            out.check_path()
            outs.append(out)
    return outs


def output_obj(out: Output) -> tuple[Obj | None, Manifest | None]:
    """The object an output records, and its manifest when the ``files:`` form carries it."""
    oid = out.oid
    if oid is not None:
        return Obj(oid, out.is_legacy), None
    files = out.files
    if files is not None:
        where = out.dvcfile.path if out.dvcfile else out.path
        manifest = Manifest.build(
            ((str(e["relpath"]), str(e.get("md5", ""))) for e in files), oid=where
        )
        return Obj(manifest.oid), manifest
    return None, None


@dataclass
class UsedObjects:
    """Objects the given outputs need, with the workspace path each one backs."""

    objs: set[Obj] = field(default_factory=set)
    #: repo path -> object, for every output and every file inside a tracked directory
    paths: dict[str, Obj] = field(default_factory=dict)
    manifests: dict[Obj, Manifest] = field(default_factory=dict)
    #: directory objects whose manifest could not be found anywhere
    unavailable: set[Obj] = field(default_factory=set)

    def file_objs(self) -> set[Obj]:
        return {o for o in self.objs if not o.is_dir}

    def dir_objs(self) -> set[Obj]:
        return {o for o in self.objs if o.is_dir}


def used_objects(
    outputs: Iterable[Output],
    load_manifest: ManifestLoader,
    *,
    for_push: bool = False,
    with_paths: bool = True,
) -> UsedObjects:
    """Collect the objects of ``outputs``; directories are expanded through their manifests.

    ``load_manifest`` returns None when a manifest is nowhere to be found (the
    directory is then reported, not expanded); an unsafe manifest raises.
    """
    used = UsedObjects()
    for out in outputs:
        if not out.use_cache or (for_push and not out.can_push):
            continue
        obj, manifest = output_obj(out)
        if obj is None:
            continue
        base = out.repo_path
        used.objs.add(obj)
        used.paths[base] = obj
        if not obj.is_dir:
            continue
        if manifest is None:
            manifest = used.manifests.get(obj)
        if manifest is None:
            try:
                manifest = load_manifest(obj)
            except ObjectMissing:
                manifest = None
        if manifest is None:
            used.unavailable.add(obj)
            continue
        used.manifests[obj] = manifest
        for relpath, md5 in manifest:
            child = Obj(md5, obj.legacy)
            used.objs.add(child)
            if with_paths:
                used.paths[f"{base}/{relpath}"] = child
    return used
