"""What every topic class shares: skip-rule evaluation and small data helpers."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest

from dvcremote.backend import Backend, Capability, FileInfo, FolderInfo
from dvcremote_testing.builtin_guard import refuse_builtin_storage
from dvcremote_testing.markers import Requires, apply_skip_rules, capability_notes, skip_reason


class BackendSuite:
    """Base of the topic classes. The plugin provides one ``backend`` fixture.

    That fixture must hand out a backend on an EMPTY location for every test and
    clean it up afterwards; the tests never delete what they wrote.
    """

    #: True only in dvcremote's own tests of its built-in storages (see ``builtin_guard``).
    on_builtin_storage = False

    @pytest.fixture(autouse=True)
    def _dvcremote_skip_rules(self, request: pytest.FixtureRequest, backend: Backend) -> None:
        refuse_builtin_storage(
            request, type(backend), "backend",
            "Give the class (or its module) a `backend` fixture returning your backend.",
        )
        apply_skip_rules(
            request,
            backend_name=backend.name,
            capabilities=backend.capabilities,
            notes=capability_notes(backend),
        )

    @pytest.fixture
    def conformance_scratch(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """A local folder for upload sources and download targets.

        Not ``tmp_path``: a plugin's fixture may well root the backend there.
        """
        return tmp_path_factory.mktemp("conformance-scratch")


def need(backend: Backend, *capabilities: Capability) -> None:
    """Skip from inside a test (for one parameter of many), naming the missing capability."""
    reason = skip_reason(
        [Requires(tuple(capabilities))],
        backend_name=backend.name,
        capabilities=backend.capabilities,
        notes=capability_notes(backend),
    )
    if reason is not None:
        pytest.skip(reason)


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic, incompressible bytes, so two payloads never match by accident."""
    return random.Random(seed).randbytes(size)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def paths(infos: Iterable[FileInfo | FolderInfo]) -> set[str]:
    return {info.path for info in infos}


def everything(backend: Backend) -> tuple[set[str], set[str]]:
    """All files (recursively) and top-level folders: a snapshot to compare before/after."""
    return paths(backend.list_files("", recursive=True)), paths(backend.list_folders(""))


def optional_fixture(request: pytest.FixtureRequest, name: str, default: Any) -> Any:
    """A fixture the plugin may define; suites must not require it."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return default


def pipe(data: bytes, piece: int = 1000) -> BinaryIO:
    """``data`` as a pipe-like source: read() only, in pieces, no seek, no len."""
    return cast(BinaryIO, _Unseekable(data, piece))


def failing_pipe(good: bytes) -> BinaryIO:
    """A source that yields ``good`` and then raises Boom: an upload dying mid-stream."""
    return cast(BinaryIO, _Failing(good))


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes, piece: int = 1000) -> None:
        super().__init__()
        self._data = data
        self._pos = 0
        self._piece = piece

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._piece, len(self._data) - self._pos)
        b[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


class Boom(Exception):
    """Raised by a data source that fails half way; never a dvcremote error."""


class _Failing(io.RawIOBase):
    def __init__(self, good: bytes) -> None:
        super().__init__()
        self._good = _Unseekable(good, piece=4096)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._good.readinto(b)
        if n == 0:
            raise Boom("source failed half way")
        return n
