"""Helpers shared by the core tests (loaded by conftest.py as ``core_helpers``)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dvcremote_testing.tmp_dir import TmpDir

Tree = Mapping[str, Any]


def md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode() if isinstance(data, str) else data).hexdigest()


def write_tree(root: Path, tree: Tree) -> None:
    """``{"a": "text", "d": {"b": b"bytes"}}`` -> files under ``root``."""
    TmpDir(root).gen(tree)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (outside .dvc and .git), keyed by posix path."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".dvc", ".git")]
        for name in filenames:
            full = Path(dirpath) / name
            found[full.relative_to(root).as_posix()] = full.read_bytes()
    return found


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` including .dvc (but not git internals)."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = Path(dirpath) / name
            if "dvcremote" in full.parts and "tmp" in full.parts:
                continue  # the state db changes on reads; it is a cache
            if full.parts[-3:] == (".dvc", "tmp", "lock"):
                continue  # the (empty) repository lock, taken before a command checks input
            found[full.relative_to(root).as_posix()] = full.read_bytes()
    return found


def cache_file(root: Path, oid: str) -> Path:
    return root / ".dvc" / "cache" / "files" / "md5" / oid[:2] / oid[2:]


def remote_file(remote: Path, oid: str) -> Path:
    return remote / "files" / "md5" / oid[:2] / oid[2:]
