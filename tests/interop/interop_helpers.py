"""Trees, layouts and sample data of the interop tests (conftest.py registers it by name).

The two tools themselves run through ``dvcremote_testing.dvc``: ``DvcRunner`` for the
real ``dvc``, ``run_dvcremote`` for dvcremote's CLI in-process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dvcremote.scm import Git
from dvcremote_testing.gitconfig import hidden_git_config
from dvcremote_testing.tmp_dir import TmpDir

Tree = Mapping[str, Any]


# ------------------------------------------------------------------------------ trees
def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def dos2unix_md5(data: bytes) -> str:
    """DVC 2.x's md5 of a whole small file: text (no NUL, mostly printable, judged on the
    first 512 bytes) has CRLF turned into LF first; binary is hashed as is."""
    head = data[:512]
    text_chars = bytes(range(32, 127)) + b"\b\f\n\r\t"
    binary = b"\x00" in head or (
        bool(head) and len(head.translate(None, text_chars)) / len(head) > 0.30
    )
    return md5(data if binary else data.replace(b"\r\n", b"\n"))


def write_tree(root: Path, tree: Tree) -> None:
    """``{"a": b"bytes", "d": {"b": b""}}`` -> files under ``root``."""
    TmpDir(root).gen(tree)


def flatten(tree: Tree, prefix: str = "") -> dict[str, bytes]:
    """A nested tree as ``{"d/b": bytes}``."""
    flat: dict[str, bytes] = {}
    for name, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{name}/"))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def read_files(root: Path, *, skip: tuple[str, ...] = (".dvc", ".git")) -> dict[str, bytes]:
    """Every file under ``root`` (outside ``skip`` folders), keyed by posix path."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            full = Path(dirpath) / name
            found[full.relative_to(root).as_posix()] = full.read_bytes()
    return found


def workspace_data(root: Path) -> dict[str, bytes]:
    """The tracked data in a workspace: every file but ``.dvc`` files and tool metadata."""
    return {
        path: data
        for path, data in read_files(root).items()
        if not path.endswith(".dvc") and path.rsplit("/", 1)[-1] not in (".gitignore", ".dvcignore")
    }


def dvcfiles(root: Path) -> dict[str, bytes]:
    """Every ``.dvc`` file in a workspace, by posix path, with its bytes."""
    return {path: data for path, data in read_files(root).items() if path.endswith(".dvc")}


def store_files(root: Path) -> dict[str, tuple[bytes, int]]:
    """A cache or remote folder: posix path -> (bytes, permission bits)."""
    found: dict[str, tuple[bytes, int]] = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            full = Path(dirpath) / name
            found[full.relative_to(root).as_posix()] = (
                full.read_bytes(),
                full.stat().st_mode & 0o777,
            )
    return found


def object_path(root: Path, oid: str, *, legacy: bool = False) -> Path:
    """Where object ``oid`` lives under a cache or remote root (DVC 3 or 2.x layout)."""
    base = root if legacy else root / "files" / "md5"
    return base / oid[:2] / oid[2:]


def manifest_bytes(entries: Mapping[str, str]) -> bytes:
    """A ``.dir`` manifest for ``{relpath: md5}``, written independently of dvcremote."""
    listing = [{"md5": oid, "relpath": rel} for rel, oid in sorted(entries.items())]
    return json.dumps(listing, sort_keys=True).encode()


def clone_workspace(src: Path, dst: Path, *, config_local: bool = False) -> Path:
    """What another user has after ``git clone``: the ``.dvc`` files and ``.dvc/config``
    (and, when asked, ``.dvc/config.local``), no data and no cache."""
    (dst / ".dvc").mkdir(parents=True)
    names = ["config", "config.local"] if config_local else ["config"]
    for name in names:
        shutil.copy2(src / ".dvc" / name, dst / ".dvc" / name)
    for rel in dvcfiles(src):
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, target)
    return dst


def pushed_workspace(tmp_path: Path, tool: Callable[..., Any]) -> tuple[Path, Path]:
    """``tmp_path/ws`` with :func:`sample_tree` added by ``tool`` (``real_dvc`` or
    ``run_dvcremote``) and pushed to its default remote ``store``, ``tmp_path/remote``."""
    ws, remote = tmp_path / "ws", tmp_path / "remote"
    write_tree(ws, sample_tree())
    tool("init", "--no-scm", cwd=ws)
    tool("add", *SAMPLE_TARGETS, cwd=ws)
    tool("remote", "add", "-d", "store", str(remote), cwd=ws)
    tool("push", cwd=ws)
    return ws, remote


# ------------------------------------------------------------------------------- data
def sample_tree() -> dict[str, Any]:
    """Small data with the cases formats get wrong: an empty file, binary bytes (NUL,
    every byte value, CRLF that must not be converted), nested folders, spaces and
    non-ASCII in file and folder names, a tracked file whose name needs quoting."""
    binary = bytes(range(256)) * 8 + hashlib.sha256(b"dvcremote").digest() * 64
    return {
        "foo": b"foo",
        "crlf.txt": b"line1\r\nline2\r\n",
        "model.bin": binary,
        "my data \u00fc.txt": "spaces & \u00fcmlauts\n".encode(),
        "data": {
            "a.txt": b"a",
            "empty": b"",
            "sub": {
                "sp ace \u00fc.txt": "x \u00e9\n".encode(),
                "deeper": {"blob.bin": binary[::-1], "crlf.txt": b"x\r\ny\r\n"},
            },
            "\u00e9t\u00e9": {"b.txt": b"b"},
        },
    }


#: What ``add`` is given for :func:`sample_tree`, one output each.
SAMPLE_TARGETS = ("foo", "crlf.txt", "model.bin", "my data \u00fc.txt", "data")


# ------------------------------------------------------------------------------ imports
IMPORT_SOURCE = {
    "data": {"a.txt": b"alpha\n", "sub": {"b.txt": b"beta\n"}},
    "file.txt": b"file\n",
    "gitfile.txt": b"in git\n",
}


def import_source(tmp_path: Path, tool: Callable[..., Any]) -> tuple[Path, str]:
    """``tmp_path/src``: ``data`` and ``file.txt`` added by ``tool`` and pushed to its
    default remote ``tmp_path/src-store``, ``gitfile.txt`` in git; committed, then the
    source's cache is dropped. Returns the source and its commit."""
    src = tmp_path / "src"
    write_tree(src, {**IMPORT_SOURCE, "no-git-config": {}})
    with hidden_git_config(src / "no-git-config"), Git.init(src) as git:
        tool("init", cwd=src)
        tool("add", "data", "file.txt", cwd=src)
        tool("remote", "add", "-d", "store", str(tmp_path / "src-store"), cwd=src)
        tool("push", cwd=src)
        git.add([".dvc", ".dvcignore", ".gitignore", "data.dvc", "file.txt.dvc", "gitfile.txt"])
        sha = git.commit("source data")
    shutil.rmtree(src / ".dvc" / "cache")
    return src, sha
