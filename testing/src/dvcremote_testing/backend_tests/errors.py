"""Errors: the right type for each failure, carrying path and backend, nothing native leaking."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from dvcremote.backend import Backend, Capability
from dvcremote.errors import (
    AlreadyExists,
    BackendError,
    BackendUnavailable,
    CapabilityNotSupported,
    DirectoryNotEmpty,
    InvalidPath,
    NotAFile,
    NotAFolder,
    NotFound,
    PermissionDenied,
)
from dvcremote_testing.backend_tests._base import BackendSuite, everything, need
from dvcremote_testing.backend_tests._doubles import derive, probe
from dvcremote_testing.markers import requires

C = Capability
Op = Callable[[Backend], object]

#: One per rule: ``..``, NUL bytes, absolute paths, empty segments.
BAD_PATHS = [
    "..",
    "../escape.bin",
    "a/../../escape.bin",
    "a/..",
    "nul\x00byte.bin",
    "\x00",
    "/etc/passwd",
    "/",
    "//server/share",
    "a//b.bin",
    "trailing/",
]


def _path_ops(bad: str, tmp: Path) -> list[tuple[str, Op]]:
    """Every public operation, with ``bad`` in each path argument it takes."""
    local = str(tmp / "local.bin")
    return [
        ("exists", lambda b: b.exists(bad)),
        ("exists(version_id)", lambda b: b.exists(bad, version_id="v")),
        ("is_file", lambda b: b.is_file(bad)),
        ("is_folder", lambda b: b.is_folder(bad)),
        ("read", lambda b: b.read(bad)),
        ("read_bytes", lambda b: b.read_bytes(bad)),
        ("get_file_info", lambda b: b.get_file_info(bad)),
        ("get_folder_info", lambda b: b.get_folder_info(bad)),
        ("list_files", lambda b: list(b.list_files(bad))),
        ("list_files(recursive)", lambda b: list(b.list_files(bad, recursive=True))),
        ("list_folders", lambda b: list(b.list_folders(bad))),
        ("list_paths", lambda b: list(b.list_paths(bad))),
        ("list_paths(recursive)", lambda b: list(b.list_paths(bad, recursive=True))),
        ("write", lambda b: b.write(bad, b"x")),
        ("write(overwrite)", lambda b: b.write(bad, b"x", overwrite=True)),
        ("write_atomic", lambda b: b.write_atomic(bad, b"x")),
        ("open_atomic", lambda b: b.open_atomic(bad)),
        ("delete", lambda b: b.delete(bad)),
        ("delete(missing_ok)", lambda b: b.delete(bad, missing_ok=True)),
        ("delete_folder", lambda b: b.delete_folder(bad, recursive=True, missing_ok=True)),
        ("move(src)", lambda b: b.move(bad, "ok.bin")),
        ("move(dst)", lambda b: b.move("ok.bin", bad)),
        ("copy(src)", lambda b: b.copy(bad, "ok.bin")),
        ("copy(dst)", lambda b: b.copy("ok.bin", bad)),
        ("list_versions", lambda b: b.list_versions(bad)),
        ("delete_version", lambda b: b.delete_version(bad, "v")),
        ("exists_many", lambda b: b.exists_many(["ok.bin", bad])),
        ("get_file_info_many", lambda b: b.get_file_info_many(["ok.bin", bad])),
        ("upload_many", lambda b: b.upload_many([(local, "ok.bin"), (local, bad)])),
        ("download_many", lambda b: b.download_many([("ok.bin", local), (bad, local)])),
    ]


class _Native(Exception):
    """Stands for an SDK's own exception: nothing dvcremote knows about."""


#: Native exceptions a hook may raise, and the dvcremote error each must become.
NATIVE = {
    "RuntimeError": (lambda: RuntimeError("sdk exploded"), BackendError),
    "KeyError": (lambda: KeyError("Contents"), BackendError),
    "sdk-exception": (lambda: _Native("HTTP 500"), BackendError),
    "OSError(EIO)": (lambda: OSError(errno.EIO, "i/o error"), BackendError),
    "FileNotFoundError": (lambda: FileNotFoundError(errno.ENOENT, "gone"), NotFound),
    "FileExistsError": (lambda: FileExistsError(errno.EEXIST, "there"), AlreadyExists),
    "PermissionError": (lambda: PermissionError(errno.EACCES, "denied"), PermissionDenied),
    "ConnectionError": (lambda: ConnectionRefusedError("refused"), BackendUnavailable),
}

#: Existence questions answer False for a missing path instead of raising.
_ANSWERS_FALSE = {"exists", "is_file", "is_folder"}

#: Single operations on one path; the hook behind each is made to raise.
SINGLE_OPS: list[tuple[str, Capability | None, Op]] = [
    ("exists", None, lambda b: b.exists("e/file.bin")),
    ("is_file", None, lambda b: b.is_file("e/file.bin")),
    ("is_folder", None, lambda b: b.is_folder("e/file.bin")),
    ("read", C.READ, lambda b: b.read("e/file.bin")),
    ("read_bytes", C.READ, lambda b: b.read_bytes("e/file.bin")),
    ("get_file_info", C.METADATA, lambda b: b.get_file_info("e/file.bin")),
    ("get_folder_info", C.METADATA, lambda b: b.get_folder_info("e/file.bin")),
    ("list_files", C.LIST, lambda b: list(b.list_files("e/file.bin"))),
    ("list_files(recursive)", C.LIST,
     lambda b: list(b.list_files("e/file.bin", recursive=True))),
    ("list_folders", C.LIST, lambda b: list(b.list_folders("e/file.bin"))),
    ("list_paths", C.LIST, lambda b: list(b.list_paths("e/file.bin"))),
    ("write", C.WRITE, lambda b: b.write("e/file.bin", b"x")),
    ("write_atomic", C.ATOMIC_WRITE, lambda b: b.write_atomic("e/file.bin", b"x")),
    ("delete", C.DELETE, lambda b: b.delete("e/file.bin")),
    ("delete_folder", C.DELETE, lambda b: b.delete_folder("e/file.bin", recursive=True)),
    ("copy", C.COPY, lambda b: b.copy("e/file.bin", "e/other.bin")),
    ("move", C.MOVE, lambda b: b.move("e/file.bin", "e/other.bin")),
    ("list_versions", C.VERSIONING, lambda b: b.list_versions("e/file.bin")),
    ("delete_version", C.VERSIONING, lambda b: b.delete_version("e/file.bin", "v1")),
]


#: The storage itself refuses each of these (after ``odd/file.bin`` and
#: ``odd/folder/inner.bin`` were written): (id, capability, (error, may succeed), op).
STORAGE_FAILURES: list[tuple[str, Capability, tuple[type[BackendError], bool], Op]] = [
    ("read-of-a-folder", C.READ, (NotAFile, False), lambda b: b.read_bytes("odd/folder")),
    ("file-info-of-a-folder", C.METADATA, (NotAFile, False),
     lambda b: b.get_file_info("odd/folder")),
    ("folder-info-of-a-file", C.METADATA, (NotAFolder, False),
     lambda b: b.get_folder_info("odd/file.bin")),
    ("write-over-a-folder", C.WRITE, (NotAFile, False), lambda b: b.write("odd/folder", b"x")),
    ("delete-folder-of-a-file", C.DELETE, (NotAFolder, False),
     lambda b: b.delete_folder("odd/file.bin", recursive=True)),
    ("copy-of-a-folder", C.COPY, (NotAFile, False), lambda b: b.copy("odd/folder", "odd/c")),
    # Object stores keep ``a`` and ``a/b`` apart: there, writing under a file succeeds.
    ("write-under-a-file", C.WRITE, (NotAFolder, True),
     lambda b: b.write("odd/file.bin/child", b"x")),
]


def _refusal(operation: Op, backend: Backend) -> BackendError | None:
    """The dvcremote error ``operation`` raised, or None if it succeeded."""
    try:
        operation(backend)
    except BackendError as exc:
        return exc
    return None


class ErrorTests(BackendSuite):
    @pytest.mark.parametrize(
        ("label", "capability", "operation"),
        [
            ("read", C.READ, lambda b: b.read("missing/file.bin")),
            ("read_bytes", C.READ, lambda b: b.read_bytes("missing/file.bin")),
            ("get_file_info", C.METADATA, lambda b: b.get_file_info("missing/file.bin")),
            ("delete", C.DELETE, lambda b: b.delete("missing/file.bin")),
            ("delete_folder", C.DELETE, lambda b: b.delete_folder("missing/file.bin")),
            ("copy", C.COPY, lambda b: b.copy("missing/file.bin", "elsewhere.bin")),
            ("move", C.MOVE, lambda b: b.move("missing/file.bin", "elsewhere.bin")),
        ],
        ids=lambda v: v if isinstance(v, str) else "",
    )
    def test_missing_path_raises_not_found(
        self, backend: Backend, label: str, capability: Capability, operation: Op
    ) -> None:
        need(backend, capability)
        with pytest.raises(NotFound) as info:
            operation(backend)
        assert info.value.path == "missing/file.bin", label
        assert info.value.backend == backend.name, label
        assert "missing/file.bin" in str(info.value)
        assert backend.name in str(info.value)

    @requires(C.DELETE)
    def test_missing_ok_silences_not_found(self, backend: Backend) -> None:
        backend.delete("missing/file.bin", missing_ok=True)
        backend.delete_folder("missing/folder", missing_ok=True)
        backend.delete_folder("missing/folder", recursive=True, missing_ok=True)
        assert not backend.exists("missing")

    @requires(C.WRITE)
    @pytest.mark.parametrize(
        ("label", "capability", "operation"),
        [
            ("write", C.WRITE, lambda b: b.write("dst.bin", b"new")),
            ("write_atomic", C.ATOMIC_WRITE, lambda b: b.write_atomic("dst.bin", b"new")),
            ("copy", C.COPY, lambda b: b.copy("src.bin", "dst.bin")),
            ("move", C.MOVE, lambda b: b.move("src.bin", "dst.bin")),
        ],
        ids=lambda v: v if isinstance(v, str) else "",
    )
    def test_existing_target_raises_already_exists(
        self, backend: Backend, label: str, capability: Capability, operation: Op
    ) -> None:
        need(backend, capability)
        backend.write("src.bin", b"src")
        backend.write("dst.bin", b"dst")
        with pytest.raises(AlreadyExists) as info:
            operation(backend)
        assert info.value.path in ("src.bin", "dst.bin"), label
        assert info.value.backend == backend.name
        assert backend.exists("src.bin")
        if backend.supports(C.READ):
            assert backend.read_bytes("dst.bin") == b"dst"

    @requires(C.WRITE, C.DELETE)
    def test_non_recursive_delete_of_a_full_folder(self, backend: Backend) -> None:
        backend.write("full/a.bin", b"a")
        backend.write("full/sub/b.bin", b"b")
        with pytest.raises(DirectoryNotEmpty) as info:
            backend.delete_folder("full")
        assert info.value.path == "full"
        assert info.value.backend == backend.name
        assert backend.exists("full/a.bin")
        assert backend.exists("full/sub/b.bin")

    @pytest.mark.parametrize("bad", BAD_PATHS, ids=repr)
    def test_invalid_path_refused_before_any_io(
        self, backend: Backend, bad: str, conformance_scratch: Path
    ) -> None:
        """Every operation refuses the path even on a double whose hooks all blow up."""
        double, log = probe(backend, explode=lambda hook: _Native(f"hook {hook} ran"))
        problems = []
        for label, operation in _path_ops(bad, conformance_scratch):
            log.clear()
            try:
                operation(double)
            except (InvalidPath, CapabilityNotSupported) as exc:
                # A backend that cannot do the operation at all may say so first.
                if exc.backend != backend.name:
                    problems.append(f"{label}: {exc!r} names backend {exc.backend!r}")
            except Exception as exc:  # noqa: BLE001 - report whatever came instead
                problems.append(f"{label}: raised {type(exc).__name__}: {exc}")
            else:
                problems.append(f"{label}: accepted the path")
            if log.calls:
                problems.append(f"{label}: ran hooks {log.calls} first")
        assert problems == []
        assert not (conformance_scratch / "local.bin").exists()

    @requires(C.WRITE, C.LIST)
    def test_invalid_paths_write_nothing(self, backend: Backend) -> None:
        for bad in BAD_PATHS:
            with pytest.raises(InvalidPath):
                backend.write(bad, b"escaped")
        assert everything(backend) == (set(), set())

    @pytest.mark.parametrize("native", list(NATIVE), ids=str)
    def test_native_exceptions_never_leak(self, backend: Backend, native: str) -> None:
        """Whatever a hook raises comes out as a dvcremote error with the original chained."""
        make, expected = NATIVE[native]
        raised: list[BaseException] = []

        def explode(hook: str) -> BaseException:
            raised.append(make())
            return raised[-1]

        double, _ = probe(backend, explode=explode)
        checked = 0
        for label, capability, operation in SINGLE_OPS:
            if capability is not None and capability not in backend.capabilities:
                continue
            raised.clear()
            if expected is NotFound and label in _ANSWERS_FALSE:
                assert operation(double) is False, f"{label} must answer False, not raise"
                continue
            with pytest.raises(BackendError) as info:
                operation(double)
            assert isinstance(info.value, expected), f"{label}: {info.value!r}"
            assert raised, f"{label}: no hook ran"
            assert info.value.__cause__ is raised[-1], f"{label}: original not chained"
            assert info.value.backend == backend.name, label
            assert info.value.path is not None, label
            checked += 1
        assert checked >= 3

    @requires(C.READ, C.WRITE)
    def test_failure_while_streaming_is_a_backend_error(self, backend: Backend) -> None:
        backend.write("e/stream.bin", b"x" * 10_000)

        class Dying:
            """The body of a response that dies after the headers arrived."""

            def __init__(self, inner: BinaryIO) -> None:
                self.inner = inner

            def read(self, size: int = -1) -> bytes:
                raise ConnectionResetError("connection reset mid-body")

            def close(self) -> None:
                self.inner.close()

            def seekable(self) -> bool:
                return False

        base = type(backend)

        def dying_open(self: Backend, path: str, version_id: str | None) -> Dying:
            return Dying(base._open_read(self, path, version_id))

        double = derive(backend, {"_open_read": dying_open})
        stream = double.read("e/stream.bin")
        try:
            with pytest.raises(BackendError) as info:
                stream.read(100)
        finally:
            stream.close()
        assert isinstance(info.value.__cause__, ConnectionResetError)
        assert info.value.path == "e/stream.bin"

    @requires(C.WRITE)
    @pytest.mark.parametrize(
        ("capability", "expected", "operation"),
        [case[1:] for case in STORAGE_FAILURES],
        ids=[case[0] for case in STORAGE_FAILURES],
    )
    def test_storage_failures_raise_their_own_type(
        self,
        backend: Backend,
        capability: Capability,
        expected: tuple[type[BackendError], bool],
        operation: Op,
    ) -> None:
        """The storage really refuses (a folder where a file is needed, or the reverse):
        the error is the specific type the contract names, not a bare ``BackendError``.

        Writing under a file may also succeed where the storage has no real folders
        (an object store keeps ``a`` and ``a/b`` apart); then nothing else changes.
        """
        need(backend, capability)
        backend.write("odd/file.bin", b"file")
        backend.write("odd/folder/inner.bin", b"inner")
        wanted, may_succeed = expected
        error = _refusal(operation, backend)
        if error is None:
            assert may_succeed, f"accepted, expected {wanted.__name__}"
        else:
            assert isinstance(error, wanted), f"{type(error).__name__} ({error}), not {wanted}"
            assert error.backend == backend.name
        if backend.supports(C.READ):
            assert backend.read_bytes("odd/file.bin") == b"file"
            assert backend.read_bytes("odd/folder/inner.bin") == b"inner"

    @requires(C.READ, C.WRITE)
    def test_odd_requests_raise_only_backend_errors(self, backend: Backend) -> None:
        """Reading a folder, listing a file, writing under a file...: the storage may refuse,
        but only with a dvcremote error, and nothing already stored is harmed."""
        backend.write("odd/file.bin", b"file")
        backend.write("odd/folder/inner.bin", b"inner")
        attempts: list[tuple[Capability | None, Op]] = [
            (None, lambda b: b.read_bytes("")),
            (None, lambda b: b.read_bytes("odd/folder")),
            (C.METADATA, lambda b: b.get_file_info("odd/folder")),
            (C.METADATA, lambda b: b.get_folder_info("odd/file.bin")),
            (C.LIST, lambda b: list(b.list_files("odd/file.bin"))),
            (C.LIST, lambda b: list(b.list_files("odd/file.bin", recursive=True))),
            (C.LIST, lambda b: list(b.list_folders("odd/file.bin"))),
            (C.DELETE, lambda b: b.delete("odd/folder")),
            (C.DELETE, lambda b: b.delete_folder("odd/file.bin")),
            (C.COPY, lambda b: b.copy("odd/folder", "odd/copy")),
            (C.WRITE, lambda b: b.write("", b"root")),
            (C.WRITE, lambda b: b.write("odd/file.bin/child", b"under a file")),
            (C.WRITE, lambda b: b.write("odd/folder", b"over a folder")),
        ]
        for capability, operation in attempts:
            if capability is not None and capability not in backend.capabilities:
                continue
            try:
                operation(backend)
            except BackendError:
                pass
        assert backend.read_bytes("odd/file.bin") == b"file"
        assert backend.read_bytes("odd/folder/inner.bin") == b"inner"

