"""Versioning: every write is a version; old versions stay readable until deleted for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.backend import Backend, Capability, FileInfo
from dvcremote.errors import NotFound, VersionNotFound
from dvcremote_testing.backend_tests._base import BackendSuite, paths
from dvcremote_testing.markers import requires

C = Capability

#: Shaped like no backend's ids (S3's are 32 url-safe chars, local ones whatever they are).
BOGUS_VERSION = "no-such-version-0000000000000000"


def _versions(backend: Backend, path: str, *contents: bytes) -> list[str]:
    """Write ``contents`` in order to ``path``; return their version ids."""
    ids = []
    for i, data in enumerate(contents):
        result = backend.write(path, data, overwrite=i > 0)
        assert isinstance(result.version_id, str), "write gave no version id"
        assert result.version_id
        ids.append(result.version_id)
    return ids


@requires(C.VERSIONING, C.READ, C.WRITE)
class VersioningTests(BackendSuite):
    def test_each_write_returns_a_new_version_id(self, backend: Backend) -> None:
        ids = _versions(backend, "v/file.txt", b"one", b"two", b"three")
        assert len(set(ids)) == 3

    def test_versions_of_different_files_are_independent(self, backend: Backend) -> None:
        a1, _ = _versions(backend, "v/a.txt", b"a1", b"a2")
        (b1,) = _versions(backend, "v/b.txt", b"b1")
        assert backend.read_bytes("v/a.txt", version_id=a1) == b"a1"
        assert backend.read_bytes("v/b.txt", version_id=b1) == b"b1"
        assert backend.read_bytes("v/a.txt") == b"a2"

    def test_read_any_version(self, backend: Backend) -> None:
        v1, v2, v3 = _versions(backend, "v/file.txt", b"one", b"two!", b"three")
        assert backend.read_bytes("v/file.txt", version_id=v1) == b"one"
        assert backend.read_bytes("v/file.txt", version_id=v2) == b"two!"
        assert backend.read_bytes("v/file.txt", version_id=v3) == b"three"
        assert backend.read_bytes("v/file.txt") == b"three"
        with backend.read("v/file.txt", version_id=v2) as stream:
            assert stream.read() == b"two!"

    def test_exists_with_version_id(self, backend: Backend) -> None:
        (v1,) = _versions(backend, "v/file.txt", b"one")
        (other,) = _versions(backend, "v/other.txt", b"other")
        assert backend.exists("v/file.txt", version_id=v1) is True
        assert backend.exists("v/missing.txt", version_id=v1) is False
        assert backend.exists("v/file.txt", version_id=BOGUS_VERSION) is False
        assert backend.exists("v/file.txt", version_id=other) is False

    @requires(C.METADATA)
    def test_file_info_of_a_version(self, backend: Backend) -> None:
        v1, v2 = _versions(backend, "v/file.txt", b"one", b"second")
        old = backend.get_file_info("v/file.txt", version_id=v1)
        assert (old.path, old.size, old.version_id) == ("v/file.txt", 3, v1)
        current = backend.get_file_info("v/file.txt")
        assert (current.size, current.version_id) == (6, v2)

    def test_list_versions_newest_first(self, backend: Backend) -> None:
        v1, v2, v3 = _versions(backend, "v/file.txt", b"1", b"22", b"333")
        _versions(backend, "v/file.txt.other", b"unrelated")
        listed = backend.list_versions("v/file.txt")
        assert all(isinstance(info, FileInfo) for info in listed)
        assert [info.version_id for info in listed] == [v3, v2, v1]
        assert [info.size for info in listed] == [3, 2, 1]
        assert [info.is_latest for info in listed] == [True, False, False]
        assert {info.path for info in listed} == {"v/file.txt"}

    @requires(C.DELETE)
    def test_delete_hides_the_file_but_keeps_its_versions(self, backend: Backend) -> None:
        v1, v2 = _versions(backend, "v/file.txt", b"one", b"two")
        backend.delete("v/file.txt")
        assert backend.exists("v/file.txt") is False
        with pytest.raises(NotFound):
            backend.read_bytes("v/file.txt")
        assert backend.read_bytes("v/file.txt", version_id=v1) == b"one"
        assert backend.read_bytes("v/file.txt", version_id=v2) == b"two"
        assert backend.exists("v/file.txt", version_id=v1) is True
        kept = {info.version_id for info in backend.list_versions("v/file.txt")}
        assert {v1, v2} <= kept

    @requires(C.DELETE, C.LIST)
    def test_deleted_file_is_not_listed(self, backend: Backend) -> None:
        _versions(backend, "v/gone.txt", b"one", b"two")
        _versions(backend, "v/kept.txt", b"kept")
        backend.delete("v/gone.txt")
        assert paths(backend.list_files("", recursive=True)) == {"v/kept.txt"}

    @requires(C.DELETE)
    def test_write_after_delete_makes_a_new_current_version(self, backend: Backend) -> None:
        (v1,) = _versions(backend, "v/file.txt", b"one")
        backend.delete("v/file.txt")
        v3 = backend.write("v/file.txt", b"reborn").version_id
        assert v3 is not None
        assert v3 != v1
        assert backend.read_bytes("v/file.txt") == b"reborn"
        assert backend.read_bytes("v/file.txt", version_id=v1) == b"one"

    def test_delete_version_removes_exactly_one(self, backend: Backend) -> None:
        v1, v2, v3 = _versions(backend, "v/file.txt", b"one", b"two", b"three")
        backend.delete_version("v/file.txt", v2)
        with pytest.raises(VersionNotFound):
            backend.read_bytes("v/file.txt", version_id=v2)
        assert backend.exists("v/file.txt", version_id=v2) is False
        assert backend.read_bytes("v/file.txt", version_id=v1) == b"one"
        assert backend.read_bytes("v/file.txt") == b"three"
        assert [info.version_id for info in backend.list_versions("v/file.txt")] == [v3, v1]

    def test_deleting_the_current_version_makes_the_previous_one_current(
        self, backend: Backend
    ) -> None:
        v1, v2 = _versions(backend, "v/file.txt", b"one", b"two")
        backend.delete_version("v/file.txt", v2)
        assert backend.read_bytes("v/file.txt") == b"one"
        assert backend.exists("v/file.txt") is True
        listed = backend.list_versions("v/file.txt")
        assert [(i.version_id, i.is_latest) for i in listed] == [(v1, True)]
        if backend.supports(C.METADATA):
            assert backend.get_file_info("v/file.txt").version_id == v1

    @requires(C.DELETE)
    def test_delete_markers_are_not_listed_as_versions(self, backend: Backend) -> None:
        """After a delete, ``list_versions`` gives the kept versions and nothing else:
        no delete marker, none of them current, each readable by its id."""
        v1, v2 = _versions(backend, "v/file.txt", b"one", b"two")
        backend.delete("v/file.txt")
        listed = backend.list_versions("v/file.txt")
        assert [(i.version_id, i.is_latest) for i in listed] == [(v2, False), (v1, False)]
        for info in listed:
            assert info.version_id is not None
            assert backend.read_bytes("v/file.txt", version_id=info.version_id)

    @requires(C.DELETE, C.LIST)
    def test_delete_folder_hides_files_but_keeps_their_versions(self, backend: Backend) -> None:
        """A recursive folder delete is a delete of each file: history stays readable."""
        a1, a2 = _versions(backend, "v/dir/a.txt", b"a1", b"a2")
        (b1,) = _versions(backend, "v/dir/sub/b.txt", b"b1")
        backend.delete_folder("v/dir", recursive=True)
        assert not backend.exists("v/dir/a.txt")
        assert not backend.exists("v/dir/sub/b.txt")
        assert paths(backend.list_files("", recursive=True)) == set()
        assert backend.read_bytes("v/dir/a.txt", version_id=a1) == b"a1"
        assert backend.read_bytes("v/dir/a.txt", version_id=a2) == b"a2"
        assert backend.read_bytes("v/dir/sub/b.txt", version_id=b1) == b"b1"
        assert [i.version_id for i in backend.list_versions("v/dir/a.txt")] == [a2, a1]
        assert [i.version_id for i in backend.list_versions("v/dir/sub/b.txt")] == [b1]

    @requires(C.COPY)
    def test_copy_returns_the_new_version_of_the_destination(self, backend: Backend) -> None:
        """The id a copy returns names the version it made at the destination, never the
        source's version: a version-aware push records it as the file's version."""
        (src,) = _versions(backend, "v/src.txt", b"source")
        (old,) = _versions(backend, "v/dst.txt", b"old destination")
        made = backend.copy("v/src.txt", "v/dst.txt", overwrite=True).version_id
        assert made is not None, "copy gave no version id"
        assert made not in (src, old), "copy returned the version id of another file"
        assert backend.read_bytes("v/dst.txt", version_id=made) == b"source"
        dst_versions = backend.list_versions("v/dst.txt")
        assert [(i.version_id, i.is_latest) for i in dst_versions] == [(made, True), (old, False)]
        assert [i.version_id for i in backend.list_versions("v/src.txt")] == [src]

    def test_unknown_version_raises_version_not_found(self, backend: Backend) -> None:
        _versions(backend, "v/file.txt", b"one")
        (foreign,) = _versions(backend, "v/foreign.txt", b"foreign")
        for bogus in (foreign, BOGUS_VERSION):
            with pytest.raises(VersionNotFound) as info:
                backend.read_bytes("v/file.txt", version_id=bogus)
            assert info.value.path == "v/file.txt"
            assert info.value.backend == backend.name
            with pytest.raises(VersionNotFound):
                backend.delete_version("v/file.txt", bogus)
        assert backend.read_bytes("v/file.txt") == b"one"

    @requires(C.METADATA)
    def test_file_info_of_unknown_version(self, backend: Backend) -> None:
        _versions(backend, "v/file.txt", b"one")
        with pytest.raises(VersionNotFound):
            backend.get_file_info("v/file.txt", version_id=BOGUS_VERSION)

    def test_download_many_at_versions(self, backend: Backend, conformance_scratch: Path) -> None:
        v1, _ = _versions(backend, "v/file.txt", b"old", b"new")
        results = backend.download_many([
            ("v/file.txt", str(conformance_scratch / "old"), v1),
            ("v/file.txt", str(conformance_scratch / "new"), None),
            ("v/file.txt", str(conformance_scratch / "bogus"), BOGUS_VERSION),
        ])
        by_dst = {Path(r.dst).name: r for r in results}
        assert by_dst["old"].ok
        assert by_dst["new"].ok
        assert isinstance(by_dst["bogus"].error, VersionNotFound)
        assert (conformance_scratch / "old").read_bytes() == b"old"
        assert (conformance_scratch / "new").read_bytes() == b"new"
