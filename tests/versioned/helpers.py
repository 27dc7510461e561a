"""Helpers shared by the version-aware tests (conftest.py loads this as ``versioned_helpers``)."""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcremote.backend import Backend
from dvcremote.backends.local import LocalBackend
from dvcremote.backends.memory import MemoryBackend
from dvcremote.repo import Repo
from dvcremote_testing.tmp_dir import TmpDir

#: DVC's own test folder: nested, with an empty file.
DATA_DIR: dict[str, Any] = {
    "data": "data",
    "empty": "",
    "data_sub_dir": {"data_sub": "data_sub"},
}


@dataclass
class Store:
    """Versioned storage: how a repo reaches it, and a separate backend to inspect it."""

    kind: str
    url: str
    backend: Backend
    options: dict[str, str] = field(default_factory=dict)

    def add_to(self, repo: Repo, name: str = "upstream", **keys: Any) -> None:
        repo.remote_add(name, self.url, default=True, force=True, **self.options, **keys)

    def current(self) -> dict[str, bytes]:
        """Current files outside the ``.dvc`` folder the remote keeps for itself."""
        return {
            info.path: self.backend.read_bytes(info.path)
            for info in self.backend.list_files("", recursive=True)
            if not info.path.startswith(".dvc/")
        }

    def versions(self, path: str) -> list[str]:
        return [v.version_id for v in self.backend.list_versions(path) if v.version_id]


def make_store(kind: str, where: Path) -> Store:
    if kind == "memory":
        url = f"memory://versioned-{uuid.uuid4().hex[:12]}"
        return Store(kind, url, MemoryBackend.from_url(url))
    where.mkdir(parents=True, exist_ok=True)
    return Store(
        kind,
        str(where),
        LocalBackend.from_url(str(where), versioning=True),
        {"versioning": "true"},
    )


def write_tree(root: Path, tree: Mapping[str, Any]) -> None:
    TmpDir(root).gen(tree)


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, value in tree.items():
        if isinstance(value, Mapping):
            files.update(flatten(value, f"{prefix}{name}/"))
        else:
            files[f"{prefix}{name}"] = value if isinstance(value, bytes) else value.encode()
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    """The data files under ``root``: no ``.dvc`` files, ignore files or ``.dvc`` folder."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".dvc", ".git")]
        for name in filenames:
            if name.endswith(".dvc") or name in (".gitignore", ".dvcignore"):
                continue
            full = Path(dirpath) / name
            found[full.relative_to(root).as_posix()] = full.read_bytes()
    return found


def remove(path: Path) -> None:
    """Delete a workspace path or the cache (cache files and links are read-only)."""

    def force(func: Any, target: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(target), 0o755)
        if os.path.isdir(target) and not os.path.islink(target):
            os.chmod(target, 0o755)
        func(target)

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=force)
    elif path.exists() or path.is_symlink():
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
        path.unlink()


def fresh(repo: Repo) -> Repo:
    """The same repository opened again (after its cache was removed under it)."""
    root = repo.root
    repo.close()
    return Repo(root)
