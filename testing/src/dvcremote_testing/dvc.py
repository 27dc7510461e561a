"""The real ``dvc`` and ``dvcremote`` side by side, for interop tests.

``dvc`` runs as ``python -m dvc`` under the interpreter running the tests, so the venv
whose dvc is tested is the one the tests run in. Everything it would write outside the
repository (home, XDG dirs, site cache, global/system config, updater state) goes under
the runner's ``home``, and the caller's ``DVC_*``/``AWS_*``/``XDG_*`` settings never
reach it: a run depends only on what the test gives it. ``dvcremote`` runs in-process
through ``dvcremote.cli.main`` (the console script's code), so its tracebacks (``-v``)
land in the test report when a step fails. Both give a :class:`Run`.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dvcremote_testing.tmp_dir import TmpDir

__all__ = [
    "DVC_MAJOR",
    "DvcRunner",
    "Run",
    "bytecode_cache",
    "isolated_env",
    "require_dvc",
    "run_dvcremote",
]

#: The dvc major version whose formats dvcremote writes; interop against another is no test.
DVC_MAJOR = 3


def require_dvc(*distributions: str) -> dict[str, str]:
    """The installed versions of ``dvc`` (and e.g. ``dvc-s3``); raises loudly when absent.

    Interop tests declare dvc as a test dependency, so its absence is a broken setup,
    never a reason to skip.
    """
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


def bytecode_cache(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where dvc's compiled bytecode is kept: pytest's cache (later runs start faster),
    or a tmp dir when the cache is off. dvc imports a lot; compiling it every run is slow."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("interop-dvc-pycache"))
    return tmp_path_factory.mktemp("dvc-pycache")


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


class DvcRunner:
    """``dvc("add", "foo", cwd=ws)``: the real ``dvc``, writing nothing outside ``home``.

    ``env`` adds variables (credentials, say) on top of the isolated environment.
    ``module`` is what ``python -m`` runs: ``dvcremote`` runs dvcremote's CLI as a
    process in the same environment (when the process itself matters: its umask, say).
    """

    module = "dvc"

    def __init__(
        self,
        home: Path,
        pycache: Path,
        env: Mapping[str, str] | None = None,
        *,
        timeout: float = 300,
    ) -> None:
        self.home = home
        self.env = isolated_env(home, pycache, env or {})
        self.timeout = timeout

    def __call__(self, *args: str, cwd: Path, check: bool = True) -> Run:
        """Run ``dvc ARGS`` in ``cwd``; with ``check``, a non-zero exit fails the test
        with both outputs in the message."""
        proc = subprocess.run(
            [sys.executable, "-m", self.module, *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        run = Run(self.module, args, cwd, proc.returncode, proc.stdout, proc.stderr)
        if check:
            assert run.returncode == 0, run.describe()
        return run

    def json(self, *args: str, cwd: Path) -> Any:
        return self(*args, "--json", cwd=cwd).json()

    def running(self, module: str) -> DvcRunner:
        """The same runner (environment, timeout) for ``python -m module``."""
        other = copy.copy(self)
        other.module = module
        return other


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
            # Keep dvc's bytecode between runs, outside the venv and the work tree.
            "PYTHONPYCACHEPREFIX": str(pycache),
        }
    )
    env.update(extra)
    return env


def run_dvcremote(*args: str, cwd: Path, check: bool = True) -> Run:
    """``dvcremote -v ARGS`` in ``cwd``, in-process; with ``check``, a non-zero exit fails
    the test with both outputs in the message."""
    from dvcremote.cli import main

    out, err = io.StringIO(), io.StringIO()
    with TmpDir(cwd).chdir(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-v", *args])
    run = Run("dvcremote", args, cwd, code, out.getvalue(), err.getvalue())
    if check:
        assert run.returncode == 0, run.describe()
    return run
