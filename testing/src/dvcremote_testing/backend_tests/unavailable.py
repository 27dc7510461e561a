"""Unavailable storage: every public method raises the typed error, nothing answers "absent".

A server that is down, credentials the storage refuses, a bucket that does not exist:
each must come out of EVERY public method as one dvcremote error type, never as
``NotFound``, an ``exists()`` of False, an empty listing, or a raw SDK exception
(after which ``status -c`` would call every object ``new`` and ``pull`` "not in
remote"). ``check_health`` reports it instead of raising.

The plugin supplies openers, zero-argument callables returning a backend, as fixtures:

- ``open_unreachable_backend``: an endpoint where nothing listens (a closed loopback
  port), with retries and timeouts cut down so that each call fails within seconds.
  Expected: ``BackendUnavailable``.
- ``open_refused_backend``: credentials the server refuses (a wrong secret or key).
  Expected: ``PermissionDenied``.
- ``open_missing_storage_backend`` (object stores only): a bucket or container that
  does not exist. Expected: ``StorageNotFound``. Where folders are real (SSH, local) a
  missing root folder is an empty remote that the first push creates: no such fixture.

A backend that connects when it is built may raise the expected error from the opener
itself; that counts as refusing every method. Secrets named by the optional
``backend_secrets`` fixture must not appear in any of the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dvcremote.backend import Backend, Capability, HealthReport
from dvcremote.errors import (
    BackendError,
    BackendUnavailable,
    NotFound,
    PermissionDenied,
    StorageNotFound,
)
from dvcremote_testing.backend_tests._base import need, optional_fixture

C = Capability
Opener = Callable[[], Backend]
Op = Callable[[Backend, Path], object]


def _read(b: Backend, version_id: str | None = None) -> bytes:
    with b.read("u/file.bin", version_id=version_id) as stream:
        return stream.read()


def _open_atomic(b: Backend) -> None:
    with b.open_atomic("u/file.bin", overwrite=True) as writer:
        writer.write(b"data")


def _upload_many(b: Backend, scratch: Path) -> object:
    src = scratch / "src.bin"
    src.write_bytes(b"data")
    return b.upload_many([(str(src), "u/a.bin"), (str(src), "u/b.bin")])


def _download_many(b: Backend, scratch: Path) -> object:
    return b.download_many([("u/a.bin", str(scratch / "a.bin")), ("u/b.bin", str(scratch / "b"))])


#: Every public method that touches the storage, with the capability it needs.
OPERATIONS: dict[str, tuple[Capability | None, Op]] = {
    "exists": (None, lambda b, _: b.exists("u/file.bin")),
    "exists(folder)": (None, lambda b, _: b.exists("u")),
    "is_file": (None, lambda b, _: b.is_file("u/file.bin")),
    "is_folder": (None, lambda b, _: b.is_folder("u")),
    "read": (C.READ, lambda b, _: _read(b)),
    "read_bytes": (C.READ, lambda b, _: b.read_bytes("u/file.bin")),
    "download_file": (C.READ, lambda b, s: b.download_file("u/file.bin", str(s / "dl.bin"))),
    "get_file_info": (C.METADATA, lambda b, _: b.get_file_info("u/file.bin")),
    "get_folder_info": (C.METADATA, lambda b, _: b.get_folder_info("u")),
    "list_files(root)": (C.LIST, lambda b, _: list(b.list_files(""))),
    "list_files(recursive)": (C.LIST, lambda b, _: list(b.list_files("", recursive=True))),
    "list_files(folder)": (C.LIST, lambda b, _: list(b.list_files("u"))),
    "list_paths": (C.LIST, lambda b, _: list(b.list_paths("files/md5/00"))),
    "list_paths(recursive)": (C.LIST, lambda b, _: list(b.list_paths("", recursive=True))),
    "list_folders": (C.LIST, lambda b, _: list(b.list_folders(""))),
    "write": (C.WRITE, lambda b, _: b.write("u/file.bin", b"data")),
    "write(overwrite)": (C.WRITE, lambda b, _: b.write("u/file.bin", b"data", overwrite=True)),
    "write_atomic": (C.ATOMIC_WRITE, lambda b, _: b.write_atomic("u/file.bin", b"data")),
    "open_atomic": (C.ATOMIC_WRITE, lambda b, _: _open_atomic(b)),
    "upload_file": (C.WRITE, lambda b, s: b.upload_file(str(s / "src.bin"), "u/file.bin")),
    "delete": (C.DELETE, lambda b, _: b.delete("u/file.bin")),
    "delete(missing_ok)": (C.DELETE, lambda b, _: b.delete("u/file.bin", missing_ok=True)),
    "delete_folder": (C.DELETE, lambda b, _: b.delete_folder("u", recursive=True)),
    "delete_folder(missing_ok)": (
        C.DELETE, lambda b, _: b.delete_folder("u", recursive=True, missing_ok=True)),
    "copy": (C.COPY, lambda b, _: b.copy("u/file.bin", "u/copy.bin")),
    "move": (C.MOVE, lambda b, _: b.move("u/file.bin", "u/moved.bin")),
    "exists(version_id)": (C.VERSIONING, lambda b, _: b.exists("u/file.bin", version_id="v1")),
    "read(version_id)": (C.VERSIONING, lambda b, _: _read(b, "v1")),
    "get_file_info(version_id)": (
        C.VERSIONING, lambda b, _: b.get_file_info("u/file.bin", version_id="v1")),
    "list_versions": (C.VERSIONING, lambda b, _: b.list_versions("u/file.bin")),
    "delete_version": (C.VERSIONING, lambda b, _: b.delete_version("u/file.bin", "v1")),
    "exists_many": (None, lambda b, _: b.exists_many(["u/a.bin", "u/b.bin"])),
    "get_file_info_many": (C.METADATA, lambda b, _: b.get_file_info_many(["u/a.bin", "u/b.bin"])),
    "upload_many": (C.WRITE, _upload_many),
    "download_many": (C.READ, _download_many),
}

#: Bulk transfers return per-item failures by contract; each must be the expected type.
_RETURNS_FAILURES = {"upload_many", "download_many"}


class _Failure:
    """One way of being unavailable: the opener fixture and the error it must give."""

    def __init__(self, opener_fixture: str, expected: type[BackendError]) -> None:
        self.opener_fixture = opener_fixture
        self.expected = expected


UNREACHABLE = _Failure("open_unreachable_backend", BackendUnavailable)
REFUSED = _Failure("open_refused_backend", PermissionDenied)
MISSING_STORAGE = _Failure("open_missing_storage_backend", StorageNotFound)


class _UnavailableSuite:
    """Shared checks. The failure is passed to each check, never kept as a class
    attribute: the suites are combined by inheritance, where one would shadow another."""

    @pytest.fixture
    def unavailable_scratch(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        scratch = tmp_path_factory.mktemp("unavailable-scratch")
        (scratch / "src.bin").write_bytes(b"data")
        return scratch

    def _open(self, request: pytest.FixtureRequest, failure: _Failure) -> Backend | None:
        """The backend, or None when opening it already raised the expected error."""
        opener: Opener = request.getfixturevalue(failure.opener_fixture)
        try:
            return opener()
        except BackendError as exc:
            self._check_error(request, failure, exc, "opening the backend")
            return None

    def _check_error(
        self, request: pytest.FixtureRequest, failure: _Failure, exc: BaseException, label: str
    ) -> None:
        expected = failure.expected
        assert isinstance(exc, expected), (
            f"{label}: raised {type(exc).__name__}: {exc}, expected {expected.__name__}"
        )
        if expected is not StorageNotFound:
            assert not isinstance(exc, NotFound), f"{label}: {exc!r} reads as a missing path"
        assert isinstance(exc, BackendError) and exc.backend, f"{label}: {exc!r} names no backend"
        shown = f"{exc} {exc!r}"
        for secret in optional_fixture(request, "backend_secrets", []):
            assert str(secret) not in shown, f"{label}: a secret shows in {shown}"

    def _check_operation(
        self, request: pytest.FixtureRequest, failure: _Failure, label: str, scratch: Path
    ) -> None:
        capability, operation = OPERATIONS[label]
        backend = self._open(request, failure)
        if backend is None:
            return
        try:
            if capability is not None:
                need(backend, capability)
            try:
                answer: Any = operation(backend, scratch)
            except Exception as exc:  # noqa: BLE001 - checked: must be the expected type
                self._check_error(request, failure, exc, label)
                return
            assert label in _RETURNS_FAILURES, (
                f"{label} answered {answer!r} instead of raising {failure.expected.__name__}"
            )
            assert answer, f"{label} returned no results"
            for result in answer:
                assert not result.ok, f"{label}: {result.src} -> {result.dst} succeeded?"
                self._check_error(request, failure, result.error, f"{label} ({result.src})")
            assert not (scratch / "a.bin").exists() and not (scratch / "b").exists()
        finally:
            backend.close()

    def _check_health(self, request: pytest.FixtureRequest, failure: _Failure) -> None:
        backend = self._open(request, failure)
        if backend is None:
            return
        try:
            report = backend.check_health()
        finally:
            backend.close()
        assert isinstance(report, HealthReport)
        assert report.ok is False, report.detail
        assert report.backend == backend.name
        assert report.detail
        for secret in optional_fixture(request, "backend_secrets", []):
            assert str(secret) not in report.detail


class UnreachableStorageTests(_UnavailableSuite):
    """Needs ``open_unreachable_backend``: nothing listens at the endpoint."""

    @pytest.mark.parametrize("label", list(OPERATIONS))
    def test_unreachable_storage_raises_unavailable(
        self, request: pytest.FixtureRequest, label: str, unavailable_scratch: Path
    ) -> None:
        self._check_operation(request, UNREACHABLE, label, unavailable_scratch)

    def test_unreachable_storage_health_is_not_ok(self, request: pytest.FixtureRequest) -> None:
        self._check_health(request, UNREACHABLE)


class RefusedCredentialsTests(_UnavailableSuite):
    """Needs ``open_refused_backend``: the server refuses the credentials."""

    @pytest.mark.parametrize("label", list(OPERATIONS))
    def test_refused_credentials_raise_permission_denied(
        self, request: pytest.FixtureRequest, label: str, unavailable_scratch: Path
    ) -> None:
        self._check_operation(request, REFUSED, label, unavailable_scratch)

    def test_refused_credentials_health_is_not_ok(self, request: pytest.FixtureRequest) -> None:
        self._check_health(request, REFUSED)


class MissingStorageTests(_UnavailableSuite):
    """Needs ``open_missing_storage_backend``: the bucket or container does not exist."""

    @pytest.mark.parametrize("label", list(OPERATIONS))
    def test_missing_storage_raises_storage_not_found(
        self, request: pytest.FixtureRequest, label: str, unavailable_scratch: Path
    ) -> None:
        self._check_operation(request, MISSING_STORAGE, label, unavailable_scratch)

    def test_missing_storage_health_is_not_ok(self, request: pytest.FixtureRequest) -> None:
        self._check_health(request, MISSING_STORAGE)


class UnavailableStorageTests(UnreachableStorageTests, RefusedCredentialsTests):
    """The fault suite every network storage plugin inherits: server down, credentials
    refused. Object stores add ``MissingStorageTests``."""
