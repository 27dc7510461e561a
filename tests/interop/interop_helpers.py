"""The real ``dvc`` and ``dvcremote`` side by side (conftest.py registers it by name).

``dvc`` runs as a subprocess of this interpreter (``python -m dvc``), so the venv that
runs the tests is the one whose dvc is tested, here and in CI. Everything it would
write outside the repository (site cache, global/system config, updater state, home)
is pointed into the test's own tmp dir. ``dvcremote`` runs in-process through
``dvcremote.cli.main``: the same code as the console script, with its tracebacks
(``-v``) in the test report when a step fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Tree = Mapping[str, Any]

#: Versions the interop tests were written against; a missing dvc is a broken test setup,
#: not a reason to skip (it is a declared test dependency).
DVC_MAJOR = 3


def require_dvc(*distributions: str) -> dict[str, str]:
    """The installed versions of ``dvc`` (and e.g. ``dvc-s3``); raises loudly when absent."""
    found: dict[str, str] = {}
    for name in ("dvc", *distributions):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError(
                f"the interop tests need the real {name!r} in this interpreter"
                f" ({sys.executable}); it is a declared test dependency"
            ) from None
    major = int(found["dvc"].split(".")[0])
    assert major == DVC_MAJOR, f"interop tests target dvc {DVC_MAJOR}.x, found {found['dvc']}"
    return found


# ---------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Run:
    """One finished command: what ran, where, and what it said."""

    tool: str
    args: tuple[str, ...]
    cwd: Path
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"{self.tool} {' '.join(self.args)} (in {self.cwd}) exited {self.returncode}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            raise AssertionError(f"not JSON output:\n{self.describe()}") from None


class RealDvc:
    """The real ``dvc`` command, confined to one test's tmp dir."""

    def __init__(self, home: Path, pycache: Path, env: Mapping[str, str] | None = None) -> None:
        self.home = home
        self.env = isolated_env(home, pycache, env or {})

    def __call__(self, *args: str, cwd: Path, check: bool = True) -> Run:
        proc = subprocess.run(
            [sys.executable, "-m", "dvc", *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        run = Run("dvc", args, cwd, proc.returncode, proc.stdout, proc.stderr)
        if check:
            assert run.returncode == 0, run.describe()
        return run

    def json(self, *args: str, cwd: Path) -> Any:
        return self(*args, "--json", cwd=cwd).json()


def isolated_env(home: Path, pycache: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment for ``dvc``: no analytics, no update check, every state dir under
    ``home``; the caller's ``DVC_*``/``AWS_*``/``XDG_*`` settings never leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DVC_", "AWS_", "XDG_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    dirs = {
        "HOME": home / "home",
        "XDG_CONFIG_HOME": home / "xdg-config",
        "XDG_CACHE_HOME": home / "xdg-cache",
        "XDG_DATA_HOME": home / "xdg-data",
        "XDG_STATE_HOME": home / "xdg-state",
        "DVC_SITE_CACHE_DIR": home / "site-cache",
        "DVC_GLOBAL_CONFIG_DIR": home / "global-config",
        "DVC_SYSTEM_CONFIG_DIR": home / "system-config",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # The updater would try the network (and write its state) on every run.
    (dirs["DVC_GLOBAL_CONFIG_DIR"] / "config").write_text("[core]\n    check_update = false\n")
    env.update({k: str(v) for k, v in dirs.items()})
    env.update(
        {
            "DVC_NO_ANALYTICS": "1",
            # No credentials or endpoints from the machine: only what a test gives.
            "AWS_EC2_METADATA_DISABLED": "true",
            # dvc imports a lot; keep its bytecode between runs (outside the venv).
            "PYTHONPYCACHEPREFIX": str(pycache),
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_dvcremote(*args: str, cwd: Path, check: bool = True) -> Run:
    """``dvcremote ARGS`` in ``cwd``, in-process."""
    from dvcremote.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _cwd(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-v", *args])
    run = Run("dvcremote", args, cwd, code, out.getvalue(), err.getvalue())
    if check:
        assert run.returncode == 0, run.describe()
    return run


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
    for name, value in tree.items():
        path = root / name
        if isinstance(value, Mapping):
            path.mkdir(parents=True, exist_ok=True)
            write_tree(path, value)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(value)


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
