"""Checks that only look: list, read, metadata and health on what a remote already holds.

``dvcremote test-remote --read-only`` runs these alone, so a production remote (or one
the tester may not write to) can be checked without a single write. They look at a
bounded sample, so a remote of millions of objects costs a few requests, not a crawl.
"""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path

import pytest

from dvcremote.backend import Backend, Capability, FileInfo
from dvcremote.errors import NotFound
from dvcremote_testing.backend_tests._base import BackendSuite, md5
from dvcremote_testing.markers import requires
from dvcremote_testing.testremote.target import RUN_PREFIX

C = Capability

#: How many listed files and folders the checks look at.
SAMPLE = 50
#: How many of the sampled files are read in full, and up to what size.
READS = 10
READ_LIMIT = 1 << 20


class ReadOnlyChecks(BackendSuite):
    """Against the URL itself (``backend`` is its root here, never a fresh location)."""

    @pytest.fixture
    def sample(self, backend: Backend) -> list[FileInfo]:
        files = list(itertools.islice(backend.list_files("", recursive=True), SAMPLE))
        if not files:
            pytest.skip("the remote holds no files to read")
        return files

    def test_health_is_ok(self, backend: Backend) -> None:
        report = backend.check_health()
        assert report.ok, report.detail

    @requires(C.LIST)
    def test_listed_files_are_files(self, backend: Backend, sample: list[FileInfo]) -> None:
        for info in sample:
            assert backend.is_file(info.path), f"{info.path} is listed but is_file is False"
            assert backend.exists(info.path), f"{info.path} is listed but exists is False"
            assert not backend.is_folder(info.path), f"{info.path} is both file and folder"
            if "/" in info.path:
                parent = info.path.rsplit("/", 1)[0]
                assert backend.is_folder(parent), f"{parent} holds {info.path}, not a folder"

    @requires(C.LIST, C.METADATA)
    def test_file_info_agrees_with_listing(
        self, backend: Backend, sample: list[FileInfo]
    ) -> None:
        for info in sample:
            found = backend.get_file_info(info.path)
            assert found.path == info.path
            assert found.size == info.size, f"{info.path}: listed {info.size}, info {found.size}"

    @requires(C.LIST)
    def test_list_paths_agrees_with_list_files(self, backend: Backend) -> None:
        files = {info.path for info in backend.list_files("")}
        assert set(backend.list_paths("")) == files

    @requires(C.LIST)
    def test_listed_folders_are_folders(self, backend: Backend) -> None:
        folders = list(itertools.islice(backend.list_folders(""), SAMPLE))
        if not folders:
            pytest.skip("the remote holds no folders")
        for folder in folders:
            assert backend.is_folder(folder.path), f"{folder.path} is listed, not a folder"
            assert not backend.is_file(folder.path), f"{folder.path} is both folder and file"
            below = itertools.islice(backend.list_files(folder.path, recursive=True), SAMPLE)
            for info in below:
                assert info.path.startswith(folder.path + "/"), (
                    f"listing {folder.path} gave {info.path}, outside it"
                )

    @requires(C.LIST, C.READ)
    def test_reads_match_listed_sizes(
        self, backend: Backend, sample: list[FileInfo], tmp_path: Path
    ) -> None:
        small = [info for info in sample if info.size <= READ_LIMIT][:READS]
        if not small:
            pytest.skip(f"no listed file is at most {READ_LIMIT} bytes")
        for i, info in enumerate(small):
            data = backend.read_bytes(info.path)
            assert len(data) == info.size, f"{info.path}: read {len(data)} of {info.size} bytes"
            with backend.read(info.path) as stream:
                assert md5(stream.read()) == md5(data), f"{info.path}: two reads differ"
            local = tmp_path / f"{i}.bin"
            backend.download_file(info.path, str(local))
            assert md5(local.read_bytes()) == md5(data), f"{info.path}: download differs"

    def test_missing_path_is_not_found(self, backend: Backend) -> None:
        absent = f"{RUN_PREFIX}absent-{secrets.token_hex(6)}/file"
        assert not backend.exists(absent)
        assert not backend.is_file(absent)
        with pytest.raises(NotFound):
            backend.get_file_info(absent)
        with pytest.raises(NotFound):
            backend.read_bytes(absent)
