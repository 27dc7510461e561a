"""Fixtures for the core's own tests: real folders, real git, the built-in backends."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvcremote.repo import Repo

# Test modules are imported in importlib mode: make the shared helpers importable by name.
_spec = importlib.util.spec_from_file_location(
    "core_helpers", Path(__file__).with_name("helpers.py")
)
assert _spec is not None and _spec.loader is not None
core_helpers = importlib.util.module_from_spec(_spec)
sys.modules["core_helpers"] = core_helpers
_spec.loader.exec_module(core_helpers)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder, made the current directory."""
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws


@pytest.fixture
def dvcrepo(workspace: Path) -> Iterator[Repo]:
    """A repository outside git."""
    repo = Repo.init(workspace)
    yield repo
    repo.close()


@pytest.fixture
def git_repo(workspace: Path) -> Iterator[Repo]:
    """A repository inside a fresh git work tree."""
    from dvcremote.scm import Git

    git = Git.init(workspace)
    git.close()
    repo = Repo.init(workspace)
    yield repo
    repo.close()


@pytest.fixture
def remote_dir(tmp_path: Path) -> Path:
    """A local-directory remote's root (not created: pushing creates it)."""
    return tmp_path / "remote"


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A fresh, private memory:// bucket."""
    from dvcremote.backends.memory import MemoryBackend

    bucket = f"core-{uuid.uuid4().hex[:12]}"
    yield f"memory://{bucket}"
    MemoryBackend.drop_store(bucket)


@pytest.fixture(params=["local", "memory"])
def any_remote(request: pytest.FixtureRequest, remote_dir: Path, memory_url: str) -> str:
    """A remote URL, once per built-in backend."""
    return str(remote_dir) if request.param == "local" else memory_url
