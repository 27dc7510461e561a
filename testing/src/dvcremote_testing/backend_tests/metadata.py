"""Metadata: FileInfo/FolderInfo fields, agreement with writes and listings, user metadata."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dvcremote.backend import Backend, Capability, FileInfo, FolderInfo
from dvcremote.errors import NotAFile, NotAFolder, NotFound
from dvcremote_testing.backend_tests._base import BackendSuite, payload
from dvcremote_testing.markers import requires

C = Capability

#: Clock skew we tolerate between this machine and a storage server.
SKEW = timedelta(hours=12)


@requires(C.METADATA, C.WRITE)
class MetadataTests(BackendSuite):
    def test_file_info_fields(self, backend: Backend) -> None:
        data = payload(4321, seed=20)
        backend.write("meta/dir/file.bin", data)
        info = backend.get_file_info("meta/dir/file.bin")
        assert isinstance(info, FileInfo)
        assert info.path == "meta/dir/file.bin"
        assert info.name == "file.bin"
        assert info.size == len(data)
        assert info.etag is None or (isinstance(info.etag, str) and info.etag)
        assert info.version_id is None or isinstance(info.version_id, str)

    def test_modified_at_is_an_aware_recent_datetime(self, backend: Backend) -> None:
        """Naive datetimes are ambiguous across machines; seconds-vs-ms mixups land far off."""
        backend.write("meta/when.bin", b"x")
        modified = backend.get_file_info("meta/when.bin").modified_at
        if modified is not None:
            assert isinstance(modified, datetime)
            assert modified.utcoffset() is not None, "modified_at is naive"
            assert abs(datetime.now(timezone.utc) - modified) < SKEW

    def test_empty_file_has_size_zero(self, backend: Backend) -> None:
        backend.write("meta/empty", b"")
        assert backend.get_file_info("meta/empty").size == 0

    def test_file_info_agrees_with_write_result(self, backend: Backend) -> None:
        result = backend.write("meta/agree.bin", payload(999, seed=21))
        info = backend.get_file_info("meta/agree.bin")
        assert info.size == result.size
        if result.etag is not None and info.etag is not None:
            assert info.etag == result.etag
        if result.version_id is not None and info.version_id is not None:
            assert info.version_id == result.version_id

    def test_etag_follows_content(self, backend: Backend) -> None:
        backend.write("meta/etag.bin", b"first content")
        first = backend.get_file_info("meta/etag.bin").etag
        backend.write("meta/etag.bin", b"second, longer content", overwrite=True)
        second = backend.get_file_info("meta/etag.bin").etag
        assert (first is None) == (second is None), "etag known only sometimes"
        if first is not None:
            assert first != second
            assert backend.get_file_info("meta/etag.bin").etag == second

    def test_info_sizes_after_overwrite(self, backend: Backend) -> None:
        backend.write("meta/size.bin", payload(5000, seed=22))
        backend.write("meta/size.bin", payload(17, seed=23), overwrite=True)
        assert backend.get_file_info("meta/size.bin").size == 17

    def test_folder_info_fields(self, backend: Backend) -> None:
        backend.write("meta/a/b/file.bin", b"x")
        info = backend.get_folder_info("meta/a/b")
        assert isinstance(info, FolderInfo)
        assert (info.path, info.name) == ("meta/a/b", "b")
        assert backend.get_folder_info("meta").path == "meta"

    def test_info_of_missing_paths(self, backend: Backend) -> None:
        with pytest.raises(NotFound):
            backend.get_file_info("meta/absent.bin")
        with pytest.raises(NotFound):
            backend.get_folder_info("meta/absent")

    def test_info_refuses_the_wrong_kind(self, backend: Backend) -> None:
        backend.write("kind/file.bin", b"x")
        with pytest.raises((NotFound, NotAFile)):
            backend.get_file_info("kind")
        with pytest.raises((NotFound, NotAFolder)):
            backend.get_folder_info("kind/file.bin")

    @requires(C.LIST)
    def test_listing_agrees_with_file_info(self, backend: Backend) -> None:
        for i in range(3):
            backend.write(f"agree/{i}.bin", payload(100 * (i + 1), seed=i))
        for listed in backend.list_files("agree"):
            info = backend.get_file_info(listed.path)
            assert (listed.path, listed.name, listed.size) == (info.path, info.name, info.size)
            if listed.etag is not None and info.etag is not None:
                assert listed.etag == info.etag

    @requires(C.USER_METADATA)
    def test_user_metadata_round_trip(self, backend: Backend) -> None:
        stored = {"owner": "alice", "purpose": "conformance-check"}
        backend.write("meta/user.bin", b"x", metadata=stored)
        got = backend.get_file_info("meta/user.bin").metadata
        assert got is not None
        assert {k: got.get(k) for k in stored} == stored

    @requires(C.WRITE_RESULT_NATIVE)
    def test_write_result_comes_with_an_etag(self, backend: Backend) -> None:
        result = backend.write("meta/native.bin", b"native")
        assert result.etag
        assert backend.get_file_info("meta/native.bin").etag == result.etag
