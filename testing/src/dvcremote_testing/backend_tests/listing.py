"""Listing: what a folder holds, at one level or all, and nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from dvcremote.backend import Backend, Capability, FileInfo, FolderInfo
from dvcremote.errors import CapabilityNotSupported, InvalidPath
from dvcremote_testing.backend_tests._base import BackendSuite, everything, paths
from dvcremote_testing.backend_tests._doubles import derive, probe
from dvcremote_testing.markers import requires

C = Capability

TREE = {
    "top.txt": b"t",
    "other.bin": b"oo",
    "d/one.txt": b"111",
    "d/two.txt": b"2222",
    "d/sub/deep.txt": b"55555",
    "d/sub/deeper/deepest.txt": b"666666",
    "e/only.txt": b"7",
}


def _plant(backend: Backend, tree: dict[str, bytes] = TREE) -> None:
    for path, data in tree.items():
        backend.write(path, data)


def _names_only_listings(backend: Backend, folder: str) -> list[tuple[list[str], list[str]]]:
    """(list_paths, paths of list_files) at one level and recursively, both sorted."""
    return [
        (sorted(backend.list_paths(folder, recursive=rec)),
         sorted(i.path for i in backend.list_files(folder, recursive=rec)))
        for rec in (False, True)
    ]


@requires(C.LIST, C.WRITE)
class ListingTests(BackendSuite):
    def test_list_files_top_level_only(self, backend: Backend) -> None:
        _plant(backend)
        assert paths(backend.list_files("")) == {"top.txt", "other.bin"}
        assert paths(backend.list_files("d")) == {"d/one.txt", "d/two.txt"}

    def test_list_files_recursive_gives_every_file_by_full_path(self, backend: Backend) -> None:
        _plant(backend)
        assert paths(backend.list_files("", recursive=True)) == set(TREE)
        assert paths(backend.list_files("d/sub", recursive=True)) == {
            "d/sub/deep.txt", "d/sub/deeper/deepest.txt"
        }

    def test_listed_entries_are_file_infos_with_sizes(self, backend: Backend) -> None:
        _plant(backend)
        listed = list(backend.list_files("", recursive=True))
        assert all(isinstance(info, FileInfo) for info in listed)
        assert {info.path: info.size for info in listed} == {p: len(d) for p, d in TREE.items()}
        assert {info.name for info in listed if info.path.startswith("d/sub/")} == {
            "deep.txt", "deepest.txt"
        }

    def test_list_folders_one_level(self, backend: Backend) -> None:
        _plant(backend)
        root = list(backend.list_folders(""))
        assert all(isinstance(info, FolderInfo) for info in root)
        assert paths(root) == {"d", "e"}
        assert paths(backend.list_folders("d")) == {"d/sub"}
        assert paths(backend.list_folders("d/sub")) == {"d/sub/deeper"}
        assert paths(backend.list_folders("e")) == set()
        assert {info.name for info in backend.list_folders("d")} == {"sub"}

    def test_a_folder_holding_only_folders_is_listed(self, backend: Backend) -> None:
        backend.write("x/y/z.txt", b"z")
        assert paths(backend.list_folders("")) == {"x"}
        assert paths(backend.list_files("x")) == set()
        assert paths(backend.list_folders("x")) == {"x/y"}

    @pytest.mark.parametrize("missing", ["absent", "absent/deeper", "d/absent"])
    def test_listing_a_missing_path_yields_nothing(self, backend: Backend, missing: str) -> None:
        _plant(backend)
        assert list(backend.list_files(missing)) == []
        assert list(backend.list_files(missing, recursive=True)) == []
        assert list(backend.list_folders(missing)) == []

    def test_listing_respects_name_boundaries(self, backend: Backend) -> None:
        """``data`` must not match ``database/`` or ``data2/``: an object-store prefix trap."""
        _plant(backend, {
            "data/a.bin": b"a", "database/b.bin": b"b", "data2/c.bin": b"c", "data.bin": b"d",
        })
        assert paths(backend.list_files("data", recursive=True)) == {"data/a.bin"}
        assert paths(backend.list_files("data")) == {"data/a.bin"}
        assert paths(backend.list_folders("data")) == set()
        assert paths(backend.list_folders("")) == {"data", "database", "data2"}
        assert paths(backend.list_files("")) == {"data.bin"}

    def test_listing_shows_one_entry_per_file_after_overwrites(self, backend: Backend) -> None:
        """Temp files and older versions are the backend's business, never listed."""
        backend.write("ow/file.bin", b"1")
        backend.write("ow/file.bin", b"22", overwrite=True)
        backend.write("ow/file.bin", b"333", overwrite=True)
        listed = list(backend.list_files("", recursive=True))
        assert [(i.path, i.size) for i in listed] == [("ow/file.bin", 3)]
        assert paths(backend.list_folders("")) == {"ow"}

    @requires(C.DELETE)
    def test_deleted_files_are_not_listed(self, backend: Backend) -> None:
        _plant(backend)
        backend.delete("d/one.txt")
        backend.delete_folder("e", recursive=True)
        files, folders = everything(backend)
        assert files == set(TREE) - {"d/one.txt", "e/only.txt"}
        assert folders == {"d"}

    def test_many_files_in_one_folder(self, backend: Backend) -> None:
        names = {f"many/{i:03d}.bin" for i in range(60)}
        for name in names:
            backend.write(name, b"m")
        assert paths(backend.list_files("many")) == names
        assert len(list(backend.list_files("many"))) == len(names)

    # -- list_paths: what list_files lists, by path only (the ODB's cheap listing)

    @pytest.mark.parametrize("folder", ["", "d", "d/sub", "e", "d/sub/deeper"])
    def test_list_paths_equals_the_paths_of_list_files(
        self, backend: Backend, folder: str
    ) -> None:
        _plant(backend)
        for names, infos in _names_only_listings(backend, folder):
            assert names == infos
            assert all(isinstance(name, str) for name in names)
        assert set(backend.list_paths("", recursive=True)) == set(TREE)
        assert set(backend.list_paths("d")) == {"d/one.txt", "d/two.txt"}

    def test_list_paths_respects_name_boundaries_and_overwrites(self, backend: Backend) -> None:
        _plant(backend, {"data/a.bin": b"a", "database/b.bin": b"b", "data.bin": b"d"})
        backend.write("data/a.bin", b"aa", overwrite=True)
        assert list(backend.list_paths("data", recursive=True)) == ["data/a.bin"]
        assert list(backend.list_paths("data")) == ["data/a.bin"]
        assert list(backend.list_paths("")) == ["data.bin"]

    @pytest.mark.parametrize("missing", ["absent", "absent/deeper", "d/absent", "top.txt"])
    def test_list_paths_of_a_missing_folder_yields_nothing(
        self, backend: Backend, missing: str
    ) -> None:
        _plant(backend)
        expected = [sorted(i.path for i in backend.list_files(missing, recursive=rec))
                    for rec in (False, True)]
        assert [sorted(backend.list_paths(missing, recursive=rec))
                for rec in (False, True)] == expected
        if missing != "top.txt":
            assert expected == [[], []]

    @pytest.mark.parametrize("bad", ["..", "a/../../escape.bin", "/etc/passwd", "a//b", "x/"])
    def test_list_paths_refuses_an_invalid_path_before_any_io(
        self, backend: Backend, bad: str
    ) -> None:
        calls: list[str] = []

        def refuse(name: str) -> Any:
            def hook(self: Backend, *args: Any, **kwargs: Any) -> Any:
                calls.append(name)
                raise RuntimeError(f"{name} reached with an invalid path")
            return hook

        double = derive(backend, {n: refuse(n) for n in ("_list_paths", "_list_files")})
        for recursive in (False, True):
            with pytest.raises(InvalidPath):
                double.list_paths(bad, recursive=recursive)  # raises at the call, not lazily
        assert calls == []

    def test_list_paths_needs_the_list_capability(self, backend: Backend) -> None:
        _plant(backend, {"c/file.bin": b"c"})
        double, log = probe(backend, without=[C.LIST])
        with pytest.raises(CapabilityNotSupported):
            double.list_paths("c")
        with pytest.raises(CapabilityNotSupported):
            double.list_paths("", recursive=True)
        assert log.calls == []
