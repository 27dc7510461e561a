"""Fixtures for the version-aware and worktree remote tests: a repository outside git,
and versioned storage of both built-in kinds (memory, and a local directory with
versioning on), each with an independent backend instance to look at it out of band."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dvcremote.backends.memory import MemoryBackend
from dvcremote.repo import Repo
from dvcremote_testing.dvc import bytecode_cache

# Test modules are imported in importlib mode: make the shared helpers importable by name.
_spec = importlib.util.spec_from_file_location(
    "versioned_helpers", Path(__file__).with_name("helpers.py")
)
assert _spec is not None and _spec.loader is not None
versioned_helpers = importlib.util.module_from_spec(_spec)
sys.modules["versioned_helpers"] = versioned_helpers
_spec.loader.exec_module(versioned_helpers)

Store = versioned_helpers.Store


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Any]:
    made: list[Store] = []

    def make(kind: str) -> Store:
        made.append(versioned_helpers.make_store(kind, tmp_path / f"store-{len(made)}"))
        return made[-1]

    yield make
    for store in made:
        store.backend.close()
        if isinstance(store.backend, MemoryBackend):
            MemoryBackend.drop_store(store.backend.bucket)


@pytest.fixture(params=["memory", "local"])
def store(request: pytest.FixtureRequest, make_store: Any) -> Store:
    """Versioned storage, once per built-in kind."""
    made: Store = make_store(request.param)
    return made


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    return ws


@pytest.fixture
def repo(workspace: Path) -> Iterator[Repo]:
    """A repository outside git."""
    made = Repo.init(workspace, no_scm=True)
    yield made
    made.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """moto's S3 server on loopback (the s3 plugin's test helper), shared by the session."""
    testing = pytest.importorskip(
        "dvcremote_s3.testing", reason="needs the s3 plugin (dvcremote-s3) and moto"
    )
    with testing.moto_thread_server() as server:
        yield server


@pytest.fixture(scope="session")
def dvc_pycache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the real dvc's bytecode goes (kept between runs when pytest's cache is on)."""
    return bytecode_cache(request.config, tmp_path_factory)
