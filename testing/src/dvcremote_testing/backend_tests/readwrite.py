"""Reads and writes: bytes in equal bytes out, overwrite rules, folders, delete, copy, move."""

from __future__ import annotations

import io

import pytest

from dvcremote.backend import Backend, Capability
from dvcremote.errors import AlreadyExists, NotFound
from dvcremote_testing.backend_tests._base import BackendSuite, md5, payload, pipe
from dvcremote_testing.markers import requires

C = Capability

#: Names a user's files really have; a backend that URL-encodes or decodes twice aliases them.
SPECIAL_NAMES = [
    "with space.txt",
    "ünïcødé-日本.bin",
    "percent%20encoded.txt",
    "plus+sign.txt",
    "at@sign=equals,comma.txt",
    "tilde~dash-under_score.txt",
    ".hidden",
]


@requires(C.READ, C.WRITE)
class ReadWriteTests(BackendSuite):
    def test_write_then_read_back(self, backend: Backend) -> None:
        data = payload(3000)
        backend.write("rw/file.bin", data)
        assert backend.read_bytes("rw/file.bin") == data

    def test_write_result_describes_the_write(self, backend: Backend) -> None:
        data = payload(1234, seed=1)
        result = backend.write("rw/result.bin", data)
        assert result.path == "rw/result.bin"
        assert result.size == len(data)
        assert result.etag is None or (isinstance(result.etag, str) and result.etag)
        assert result.digest is None or result.digest == md5(data)

    @pytest.mark.parametrize(
        "kind", ["bytes", "bytearray", "memoryview", "BytesIO", "unseekable-stream"]
    )
    def test_write_accepts_bytes_and_streams(self, backend: Backend, kind: str) -> None:
        data = payload(5000, seed=2)
        source = {
            "bytes": lambda: data,
            "bytearray": lambda: bytearray(data),
            "memoryview": lambda: memoryview(data),
            "BytesIO": lambda: io.BytesIO(data),
            "unseekable-stream": lambda: pipe(data, piece=777),
        }[kind]()
        result = backend.write("rw/source.bin", source)  # type: ignore[arg-type]
        assert result.size == len(data)
        assert backend.read_bytes("rw/source.bin") == data

    def test_empty_file(self, backend: Backend) -> None:
        result = backend.write("rw/empty", b"")
        assert result.size == 0
        assert backend.exists("rw/empty")
        assert backend.is_file("rw/empty")
        assert backend.read_bytes("rw/empty") == b""

    def test_every_byte_value_survives(self, backend: Backend) -> None:
        data = bytes(range(256)) * 3 + b"\r\n\n\r\x00\x1a"
        backend.write("rw/binary.bin", data)
        assert backend.read_bytes("rw/binary.bin") == data

    def test_write_refuses_to_overwrite_by_default(self, backend: Backend) -> None:
        backend.write("rw/keep.txt", b"original")
        with pytest.raises(AlreadyExists) as info:
            backend.write("rw/keep.txt", b"replacement")
        assert info.value.path == "rw/keep.txt"
        assert backend.read_bytes("rw/keep.txt") == b"original"

    def test_overwrite_replaces_whole_content(self, backend: Backend) -> None:
        """A shorter replacement must not keep the old tail."""
        backend.write("rw/file.txt", b"a much longer original content")
        result = backend.write("rw/file.txt", b"short", overwrite=True)
        assert result.size == 5
        assert backend.read_bytes("rw/file.txt") == b"short"

    def test_writing_a_nested_file_creates_its_folders(self, backend: Backend) -> None:
        backend.write("a/b/c/leaf.bin", b"x")
        for folder in ("a", "a/b", "a/b/c"):
            assert backend.exists(folder)
            assert backend.is_folder(folder)
            assert not backend.is_file(folder)

    def test_exists_is_file_is_folder(self, backend: Backend) -> None:
        backend.write("kind/file.bin", b"x")
        assert (backend.exists("kind/file.bin"), backend.is_file("kind/file.bin"),
                backend.is_folder("kind/file.bin")) == (True, True, False)
        assert (backend.exists("kind"), backend.is_file("kind"),
                backend.is_folder("kind")) == (True, False, True)
        assert (backend.exists("kind/missing"), backend.is_file("kind/missing"),
                backend.is_folder("kind/missing")) == (False, False, False)

    def test_exists_never_raises_not_found(self, backend: Backend) -> None:
        """Missing at any depth, or "inside" a file, is simply False."""
        backend.write("plain.bin", b"x")
        for path in ("nothing", "no/such/deep/path.bin", "plain.bin/child", "plain.bin/a/b"):
            assert backend.exists(path) is False, path
            assert backend.is_file(path) is False, path
            assert backend.is_folder(path) is False, path

    def test_a_file_name_is_not_a_prefix_match(self, backend: Backend) -> None:
        backend.write("prefix/file.bin.extra", b"x")
        assert not backend.exists("prefix/file.bin")
        assert not backend.exists("prefix/file")
        assert not backend.exists("pre")

    @pytest.mark.parametrize("name", SPECIAL_NAMES)
    def test_special_characters_in_names(self, backend: Backend, name: str) -> None:
        data = name.encode()
        result = backend.write(f"names/{name}", data)
        assert result.path == f"names/{name}"
        assert backend.read_bytes(f"names/{name}") == data
        assert backend.is_file(f"names/{name}")

    def test_names_differing_by_encoding_stay_distinct(self, backend: Backend) -> None:
        backend.write("enc/a b.txt", b"space")
        backend.write("enc/a%20b.txt", b"percent")
        backend.write("enc/a+b.txt", b"plus")
        assert backend.read_bytes("enc/a b.txt") == b"space"
        assert backend.read_bytes("enc/a%20b.txt") == b"percent"
        assert backend.read_bytes("enc/a+b.txt") == b"plus"

    @requires(C.DELETE)
    def test_delete_removes_only_that_file(self, backend: Backend) -> None:
        backend.write("del/gone.bin", b"x")
        backend.write("del/gone.bin.keep", b"y")
        backend.write("del/stay.bin", b"z")
        backend.delete("del/gone.bin")
        assert not backend.exists("del/gone.bin")
        assert backend.read_bytes("del/gone.bin.keep") == b"y"
        assert backend.read_bytes("del/stay.bin") == b"z"

    @requires(C.DELETE)
    def test_delete_then_write_again(self, backend: Backend) -> None:
        backend.write("del/again.bin", b"first")
        backend.delete("del/again.bin")
        backend.write("del/again.bin", b"second")
        assert backend.read_bytes("del/again.bin") == b"second"

    @requires(C.DELETE)
    def test_delete_folder_recursive_respects_name_boundaries(self, backend: Backend) -> None:
        for path in ("data/a.bin", "data/sub/b.bin", "data2/c.bin", "database/d.bin", "data.bin"):
            backend.write(path, path.encode())
        backend.delete_folder("data", recursive=True)
        assert not backend.exists("data")
        assert not backend.exists("data/a.bin")
        assert not backend.exists("data/sub/b.bin")
        for kept in ("data2/c.bin", "database/d.bin", "data.bin"):
            assert backend.read_bytes(kept) == kept.encode()

    @requires(C.DELETE)
    def test_delete_folder_of_a_nested_folder(self, backend: Backend) -> None:
        backend.write("outer/inner/x.bin", b"x")
        backend.write("outer/y.bin", b"y")
        backend.delete_folder("outer/inner", recursive=True)
        assert not backend.exists("outer/inner")
        assert backend.read_bytes("outer/y.bin") == b"y"

    @requires(C.COPY)
    def test_copy_duplicates_and_keeps_source(self, backend: Backend) -> None:
        data = payload(2048, seed=3)
        backend.write("cp/src.bin", data)
        result = backend.copy("cp/src.bin", "cp/other/dst.bin")
        assert result.path == "cp/other/dst.bin"
        assert result.size == len(data)
        assert backend.read_bytes("cp/other/dst.bin") == data
        assert backend.read_bytes("cp/src.bin") == data

    @requires(C.COPY)
    def test_copy_overwrite_rules(self, backend: Backend) -> None:
        backend.write("cp/a.bin", b"aaa")
        backend.write("cp/b.bin", b"b")
        with pytest.raises(AlreadyExists):
            backend.copy("cp/a.bin", "cp/b.bin")
        assert backend.read_bytes("cp/b.bin") == b"b"
        backend.copy("cp/a.bin", "cp/b.bin", overwrite=True)
        assert backend.read_bytes("cp/b.bin") == b"aaa"

    @requires(C.MOVE)
    def test_move_renames(self, backend: Backend) -> None:
        data = payload(2048, seed=4)
        backend.write("mv/src.bin", data)
        backend.move("mv/src.bin", "mv/new/place.bin")
        assert not backend.exists("mv/src.bin")
        assert backend.read_bytes("mv/new/place.bin") == data

    @requires(C.MOVE)
    def test_move_overwrite_rules(self, backend: Backend) -> None:
        backend.write("mv/a.bin", b"aaa")
        backend.write("mv/b.bin", b"b")
        with pytest.raises(AlreadyExists):
            backend.move("mv/a.bin", "mv/b.bin")
        assert backend.read_bytes("mv/a.bin") == b"aaa"
        assert backend.read_bytes("mv/b.bin") == b"b"
        backend.move("mv/a.bin", "mv/b.bin", overwrite=True)
        assert not backend.exists("mv/a.bin")
        assert backend.read_bytes("mv/b.bin") == b"aaa"

    @requires(C.MOVE)
    def test_move_missing_source_changes_nothing(self, backend: Backend) -> None:
        with pytest.raises(NotFound):
            backend.move("mv/absent.bin", "mv/target.bin")
        assert not backend.exists("mv/target.bin")
