"""Fixtures for interop with the real ``dvc``: a dvc runner confined to the test's tmp dir."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from dvcremote_testing.dvc import DvcRunner, bytecode_cache, require_dvc

# Test modules are imported in importlib mode: make the shared helpers importable by name.
_spec = importlib.util.spec_from_file_location(
    "interop_helpers", Path(__file__).with_name("interop_helpers.py")
)
assert _spec is not None and _spec.loader is not None
interop_helpers = importlib.util.module_from_spec(_spec)
sys.modules["interop_helpers"] = interop_helpers
_spec.loader.exec_module(interop_helpers)


@pytest.fixture(scope="session")
def dvc_pycache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where dvc's bytecode goes; also where a missing dvc is reported, once, as an error
    (it is a declared test dependency; these tests never skip)."""
    require_dvc()
    return bytecode_cache(request.config, tmp_path_factory)


@pytest.fixture
def real_dvc(tmp_path: Path, dvc_pycache: Path) -> DvcRunner:
    """``real_dvc("add", "foo", cwd=ws)``: the real dvc, writing nothing outside tmp_path."""
    return DvcRunner(tmp_path / "dvc-home", dvc_pycache)
