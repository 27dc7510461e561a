"""The suites must fail on broken backends: each rule, broken once, is noticed.

Every case takes the healthy memory backend, breaks one rule in a subclass, and
calls the suite test that guards that rule: it must pass on the healthy backend
and fail on the broken one. The suites' own skip rules are not involved here.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import pytest

from dvcremote.backend import (
    ALL_CAPABILITIES,
    Backend,
    Capability,
    FileInfo,
    TransferResult,
    WriteResult,
    paths,
)
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.backend.streams import read_hashing
from dvcremote.backends.memory import MemoryBackend
from dvcremote.errors import BackendError, NotAFile, NotAFolder, VersionNotFound
from dvcremote_testing.backend_tests import (
    TOPICS,
    AtomicWriteTests,
    BackendConformance,
    BulkTests,
    ErrorTests,
    HealthTests,
    IdentityTests,
    ListingTests,
    MetadataTests,
    ReadWriteTests,
    RefusedCredentialsTests,
    StreamingTests,
    ThreadSafetyTests,
    UnreachableStorageTests,
    VersioningTests,
)
from dvcremote_testing.backend_tests._base import pipe
from dvcremote_testing.backend_tests.errors import STORAGE_FAILURES
from dvcremote_testing.backend_tests.identity import GATED
from dvcremote_testing.downfs import DownFileSystem

C = Capability


# ------------------------------------------------------------------ broken backends
class PrefixListing(MemoryBackend):
    """Lists by bare string prefix: ``data`` also matches ``database/``."""

    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        for info in super()._list_files("", True):
            rest = info.path[len(path):].lstrip("/")
            if info.path.startswith(path) and (recursive or "/" not in rest):
                yield info


class MissingListingRaises(MemoryBackend):
    def _list_files(self, path: str, recursive: bool) -> Iterable[FileInfo]:
        if path and not self._is_folder(path):
            raise FileNotFoundError(path)
        return super()._list_files(path, recursive)


class DisagreeingCapabilities(MemoryBackend):
    @property
    def capabilities(self) -> frozenset[Capability]:
        return ALL_CAPABILITIES - {C.COPY}


class UncheckedMove(MemoryBackend):
    """Declares no MOVE but its own ``move`` never asks."""

    CAPABILITIES = ALL_CAPABILITIES - {C.MOVE}

    def move(self, src: str, dst: str, *, overwrite: bool = False) -> None:
        with self._guard(src):
            self._move(self._path(src), self._path(dst), overwrite=overwrite)


class CheckAfterDelete(MemoryBackend):
    """Checks the capability, but only after deleting."""

    def delete(self, path: str, *, missing_ok: bool = False) -> None:
        with self._guard(path):
            self._delete(self._path(path))
        self._require(C.DELETE, path)


class LeakyLocation(MemoryBackend):
    @property
    def location(self) -> str:
        return "memory://admin:hunter2@bucket"


class UnredactedErrors(MemoryBackend):
    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        return BackendError(f"storage said: {exc}", path=path, backend=self.name)


class PublishesAsItReads(MemoryBackend):
    """"Atomic" writes that show each chunk at the final path as it arrives."""

    def _write_atomic(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        got = b""
        result = None
        while chunk := data.read(65536):
            got += chunk
            result = self._put(path, got, "etag", True, metadata)
        assert result is not None
        return result


class DeleteForgetsHistory(MemoryBackend):
    def _delete(self, path: str) -> None:
        super()._delete(path)
        with self._store.lock:
            self._store.entries[self._key(path)].versions.clear()


class DeleteVersionIgnoresUnknown(MemoryBackend):
    def _delete_version(self, path: str, version_id: str) -> None:
        try:
            super()._delete_version(path, version_id)
        except VersionNotFound:
            pass


class OldestVersionFirst(MemoryBackend):
    def _list_versions(self, path: str) -> Iterator[FileInfo]:
        return reversed(list(super()._list_versions(path)))


class NoVersionIdOnWrite(MemoryBackend):
    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        result = super()._write(path, data, overwrite=overwrite, metadata=metadata)
        return dataclasses.replace(result, version_id=None)


class ExistsRaisesUnderAFile(MemoryBackend):
    def _exists(self, path: str, version_id: str | None) -> bool:
        parent = paths.parent(path)
        if parent and self._is_file(parent):
            raise NotADirectoryError(path)
        return super()._exists(path, version_id)


class AcceptsAbsolutePaths(MemoryBackend):
    def _path(self, path: str) -> str:
        return super()._path(path.lstrip("/"))


class ReadsBeforeValidating(MemoryBackend):
    def read_bytes(self, path: str, *, version_id: str | None = None) -> bytes:
        with self._guard(path):
            stream = self._open_read(path, version_id)
        self._path(path)
        return stream.read()


class UploadRaises(MemoryBackend):
    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: Callable[[TransferResult], None] | None = None,
    ) -> list[TransferResult]:
        return [TransferResult(s, d, write=self.upload_file(s, d)) for s, d in pairs]


class CallbackTwice(MemoryBackend):
    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: Callable[[TransferResult], None] | None = None,
    ) -> list[TransferResult]:
        def twice(result: TransferResult) -> None:
            if callback:
                callback(result)
                callback(result)

        return super().upload_many(pairs, jobs=jobs, callback=twice)


class HealthLeavesAProbe(MemoryBackend):
    def _check_health(self) -> None:
        self._put("health-probe", b"", "etag", True, None)


class HealthRaises(MemoryBackend):
    def check_health(self) -> Any:
        self._check_health()
        return super().check_health()


class CopiesWholeFileOnRead(MemoryBackend):
    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        return io.BytesIO(bytearray(super()._open_read(path, version_id).read()))


class UnseekableStreams(MemoryBackend):
    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        return pipe(super()._open_read(path, version_id).read())


class DropsUserMetadata(MemoryBackend):
    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        return super()._write(path, data, overwrite=overwrite, metadata=None)


class NaiveTimestamps(MemoryBackend):
    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        info = super()._file_info(path, version_id)
        assert info.modified_at is not None
        return dataclasses.replace(info, modified_at=info.modified_at.replace(tzinfo=None))


class RootIsNothing(MemoryBackend):
    """Treats the root like any prefix, which has no marker object of its own."""

    def is_folder(self, path: str) -> bool:
        p = self._path(path)
        return bool(p) and self._is_folder(p)


class DeletesFullFolders(MemoryBackend):
    def _delete_folder(self, path: str, recursive: bool) -> None:
        super()._delete_folder(path, True)


class AlwaysOverwrites(MemoryBackend):
    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        return super()._write(path, data, overwrite=True, metadata=metadata)


class UnguardedInfo(MemoryBackend):
    def get_file_info(self, path: str, *, version_id: str | None = None) -> FileInfo:
        return self._file_info(self._path(path), version_id)


class CopyGivesSourceVersion(MemoryBackend):
    """Returns the version id of the copy's source instead of the one it made."""

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        result = super()._copy(src, dst, overwrite=overwrite)
        return dataclasses.replace(result, version_id=self._file_info(src, None).version_id)


class FolderDeleteForgetsHistory(MemoryBackend):
    """A recursive folder delete that drops every version of the files in it."""

    def _delete_folder(self, path: str, recursive: bool) -> None:
        doomed = [info.path for info in self._list_files(path, True)]
        super()._delete_folder(path, recursive)
        with self._store.lock:
            for gone in doomed:
                self._store.entries.pop(self._key(gone), None)


class DeletedCurrentVersionLeavesNothing(MemoryBackend):
    """Deleting the current version leaves no current one (the previous is not restored)."""

    def _delete_version(self, path: str, version_id: str) -> None:
        with self._store.lock:
            current = self._store.current(self._key(path))
            super()._delete_version(path, version_id)
            if current is not None and current.version_id == version_id:
                self._store.set_current(self._key(path), None)


class ListsDeleteMarkers(MemoryBackend):
    """Lists a deleted file's delete marker as its newest, current version."""

    def _list_versions(self, path: str) -> Iterator[FileInfo]:
        listed = list(super()._list_versions(path))
        with self._store.lock:
            deleted = bool(listed) and self._store.current(self._key(path)) is None
        if deleted:
            marker = FileInfo(path, 0, version_id="delete-marker", is_latest=True)
            return iter([marker, *listed])
        return iter(listed)


class CheckThenCreate(MemoryBackend):
    """Checks that the path is free, then writes as an overwrite: every racer wins."""

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        with self._store.lock:
            self._check_target(path, overwrite)
        content, etag = read_hashing(data)
        time.sleep(0.05)  # the round trip between a remote check and the write
        return self._put(path, content, etag, True, metadata)


class OverwriteDeletesFirst(MemoryBackend):
    """An "atomic" overwrite that deletes the old file before writing the new one."""

    def _write_atomic(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        if overwrite and self._is_file(path):
            self._delete(path)
            time.sleep(0.01)
        return super()._write_atomic(path, data, overwrite=overwrite, metadata=metadata)


class RefusalsAsBareErrors(MemoryBackend):
    """Every refusal of the storage comes out as a bare ``BackendError``: what a plugin
    gets from a catch-all in ``map_error`` (the SQLite plugin mapped each to one type)."""

    def _check_target(self, path: str, overwrite: bool) -> None:
        try:
            super()._check_target(path, overwrite)
        except (NotAFile, NotAFolder) as exc:
            raise BackendError(str(exc), path=path, backend=self.name) from exc

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        try:
            return super()._file_info(path, version_id)
        except NotAFile as exc:
            raise BackendError(str(exc), path=path, backend=self.name) from exc

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        try:
            return super()._open_read(path, version_id)
        except NotAFile as exc:
            raise BackendError(str(exc), path=path, backend=self.name) from exc


# ------------------------------------------------------------------------- cases
class _Request:
    """Just enough of pytest's request for the suites' optional fixtures."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def getfixturevalue(self, name: str) -> Any:
        return self._values[name]


@dataclass
class Case:
    broken: type[MemoryBackend]
    topic: type
    test: str
    kwargs: dict[str, Any] = field(default_factory=dict)


CASES = {
    "listing-prefix-match": Case(
        PrefixListing, ListingTests, "test_listing_respects_name_boundaries"),
    "listing-missing-raises": Case(
        MissingListingRaises, ListingTests, "test_listing_a_missing_path_yields_nothing",
        {"missing": "absent"}),
    "capabilities-disagree": Case(
        DisagreeingCapabilities, IdentityTests, "test_capabilities_property_agrees_with_class"),
    "undeclared-op-runs": Case(
        UncheckedMove, IdentityTests, "test_undeclared_capability_refused_before_backend_runs",
        {"capability": C.MOVE}),
    "capability-checked-after-io": Case(
        CheckAfterDelete, IdentityTests,
        "test_undeclared_capability_refused_before_backend_runs", {"capability": C.DELETE}),
    "secret-in-repr": Case(
        LeakyLocation, IdentityTests, "test_repr_shows_no_secret",
        {"request": _Request({"backend_secrets": ["hunter2"]})}),
    "secret-in-error": Case(
        UnredactedErrors, IdentityTests, "test_errors_show_no_secret",
        {"request": _Request({"backend_secrets": []})}),
    "root-missing": Case(RootIsNothing, IdentityTests, "test_root_exists_and_is_a_folder",
                         {"root": ""}),
    "atomic-write-shows-partial": Case(
        PublishesAsItReads, AtomicWriteTests,
        "test_failing_source_leaves_nothing_at_the_final_path"),
    "delete-drops-versions": Case(
        DeleteForgetsHistory, VersioningTests,
        "test_delete_hides_the_file_but_keeps_its_versions"),
    "bogus-version-accepted": Case(
        DeleteVersionIgnoresUnknown, VersioningTests,
        "test_unknown_version_raises_version_not_found"),
    "versions-oldest-first": Case(
        OldestVersionFirst, VersioningTests, "test_list_versions_newest_first"),
    "write-without-version-id": Case(
        NoVersionIdOnWrite, VersioningTests, "test_each_write_returns_a_new_version_id"),
    "exists-raises": Case(
        ExistsRaisesUnderAFile, ReadWriteTests, "test_exists_never_raises_not_found"),
    "overwrite-by-default": Case(
        AlwaysOverwrites, ReadWriteTests, "test_write_refuses_to_overwrite_by_default"),
    "absolute-path-accepted": Case(
        AcceptsAbsolutePaths, ErrorTests, "test_invalid_path_refused_before_any_io",
        {"bad": "/etc/passwd"}),
    "io-before-validation": Case(
        ReadsBeforeValidating, ErrorTests, "test_invalid_path_refused_before_any_io",
        {"bad": "../escape.bin"}),
    "native-exception-leaks": Case(
        UnguardedInfo, ErrorTests, "test_native_exceptions_never_leak",
        {"native": "KeyError"}),
    "non-recursive-delete-deletes": Case(
        DeletesFullFolders, ErrorTests, "test_non_recursive_delete_of_a_full_folder"),
    "bulk-failure-raised": Case(
        UploadRaises, BulkTests, "test_upload_many_returns_failures_instead_of_raising"),
    "callback-twice": Case(CallbackTwice, BulkTests, "test_upload_many", {"jobs": None}),
    "health-writes": Case(HealthLeavesAProbe, HealthTests, "test_health_check_changes_nothing"),
    "health-raises": Case(
        HealthRaises, HealthTests, "test_failing_storage_is_reported_not_raised",
        {"failure": lambda: RuntimeError("down")}),
    "lazy-read-loads-all": Case(
        CopiesWholeFileOnRead, StreamingTests, "test_lazy_read_does_not_load_the_whole_file"),
    "seekable-read-cannot-seek": Case(
        UnseekableStreams, StreamingTests, "test_seekable_read"),
    "user-metadata-dropped": Case(
        DropsUserMetadata, MetadataTests, "test_user_metadata_round_trip"),
    "naive-modified-at": Case(
        NaiveTimestamps, MetadataTests, "test_modified_at_is_an_aware_recent_datetime"),
    "copy-gives-source-version": Case(
        CopyGivesSourceVersion, VersioningTests,
        "test_copy_returns_the_new_version_of_the_destination"),
    "folder-delete-drops-versions": Case(
        FolderDeleteForgetsHistory, VersioningTests,
        "test_delete_folder_hides_files_but_keeps_their_versions"),
    "deleted-current-version-not-replaced": Case(
        DeletedCurrentVersionLeavesNothing, VersioningTests,
        "test_deleting_the_current_version_makes_the_previous_one_current"),
    "delete-marker-listed": Case(
        ListsDeleteMarkers, VersioningTests, "test_delete_markers_are_not_listed_as_versions"),
    "racing-creates-all-win": Case(
        CheckThenCreate, ThreadSafetyTests, "test_threads_racing_to_create_one_file"),
    "atomic-overwrite-goes-missing": Case(
        OverwriteDeletesFirst, ThreadSafetyTests,
        "test_readers_never_see_a_partial_atomic_overwrite"),
    **{
        f"bare-error-{label}": Case(
            RefusalsAsBareErrors, ErrorTests, "test_storage_failures_raise_their_own_type",
            {"capability": capability, "expected": expected, "operation": operation})
        for label, capability, expected, operation in STORAGE_FAILURES
        if label in (
            "read-of-a-folder", "file-info-of-a-folder", "write-over-a-folder", "write-under-a-file"
        )
    },
}


def _run(case: Case, backend: Backend, scratch: Path) -> None:
    test = getattr(case.topic(), case.test)
    kwargs = dict(case.kwargs)
    if "conformance_scratch" in inspect.signature(test).parameters:
        kwargs["conformance_scratch"] = scratch
    test(backend=backend, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_suite_notices_the_broken_rule(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    (tmp_path / "healthy").mkdir()
    (tmp_path / "broken").mkdir()
    _run(case, MemoryBackend(), tmp_path / "healthy")
    with pytest.raises((Exception, pytest.fail.Exception)):
        _run(case, case.broken(), tmp_path / "broken")


def test_topic_test_names_never_shadow_each_other() -> None:
    """With one class inheriting every topic, a repeated name would silently drop a test."""
    names = [n for topic in TOPICS for n in vars(topic) if n.startswith("test")]
    assert len(names) == len(set(names))
    assert set(names) <= set(dir(BackendConformance))
    assert set(BackendConformance.__mro__) >= set(TOPICS)


def test_every_operation_gating_capability_is_checked() -> None:
    """A capability added to the enum that gates an operation needs an entry in GATED."""
    not_operation_gates = {
        C.SEEKABLE_READ, C.LAZY_READ, C.WRITE_RESULT_NATIVE, C.EXCLUSIVE_CREATE
    }
    assert set(Capability) - not_operation_gates == set(GATED)


# ------------------------------------------------- unavailable storage (issue 11/14)
class ExistsSwallowsErrors(FsspecBackend):
    """fsspec's ``exists``: any failure, a dead server included, answers False."""

    def _exists(self, path: str, version_id: str | None) -> bool:
        return bool(self.fs.exists(self._full(path)))


class IsFileSwallowsErrors(FsspecBackend):
    def _is_file(self, path: str) -> bool:
        return bool(self.fs.isfile(self._full(path)))


class ExistsManySwallowsErrors(FsspecBackend):
    def exists_many(self, path_list: Iterable[str], *, jobs: int | None = None) -> dict[str, bool]:
        return {p: bool(self.fs.exists(self._full(p))) for p in path_list}


UNAVAILABLE_CASES: dict[str, tuple[type[FsspecBackend], str]] = {
    "exists-swallows": (ExistsSwallowsErrors, "exists"),
    "is-file-swallows": (IsFileSwallowsErrors, "is_file"),
    "exists-many-swallows": (ExistsManySwallowsErrors, "exists_many"),
}


@pytest.mark.parametrize("name", list(UNAVAILABLE_CASES))
@pytest.mark.parametrize(
    ("topic", "test", "fixture", "error"),
    [
        (UnreachableStorageTests, "test_unreachable_storage_raises_unavailable",
         "open_unreachable_backend", lambda: ConnectionRefusedError(111, "refused")),
        (RefusedCredentialsTests, "test_refused_credentials_raise_permission_denied",
         "open_refused_backend", lambda: PermissionError(13, "denied")),
    ],
    ids=["unreachable", "refused"],
)
def test_unavailable_suites_notice_answers_of_absent(
    name: str, topic: type, test: str, fixture: str, error: Callable[[], OSError], tmp_path: Path
) -> None:
    broken, label = UNAVAILABLE_CASES[name]

    def run(cls: type[FsspecBackend]) -> None:
        request = _Request({
            fixture: lambda: cls(DownFileSystem(error), "/remote"),
            "backend_secrets": [],
        })
        getattr(topic(), test)(request=request, label=label, unavailable_scratch=tmp_path)

    run(FsspecBackend)
    with pytest.raises((Exception, pytest.fail.Exception)):
        run(broken)
