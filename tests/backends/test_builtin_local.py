"""The local backend beyond the conformance suites: what is on disk, URLs, fast copies."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from dvcremote.backend import Capability, open_backend
from dvcremote.backend.naming import TEMP_PREFIX
from dvcremote.backends import fastcopy
from dvcremote.backends.local import LocalBackend
from dvcremote.backends.versioned_local import VersionedLocalBackend
from dvcremote.errors import BackendError, ConfigError, InvalidPath, NotAFile, NotAFolder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "remote"


@pytest.fixture
def backend(root: Path) -> LocalBackend:
    return LocalBackend(root)


def on_disk(root: Path) -> set[str]:
    """Everything under the root, hidden names included."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


class _Fails(io.RawIOBase):
    def __init__(self, good: bytes) -> None:
        super().__init__()
        self._good = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        data = self._good.read(len(b))
        if not data:
            raise RuntimeError("source died")
        b[: len(data)] = data
        return len(data)


def test_capabilities() -> None:
    assert Capability.VERSIONING not in LocalBackend.CAPABILITIES
    assert Capability.USER_METADATA not in LocalBackend.CAPABILITIES
    assert Capability.ATOMIC_WRITE in LocalBackend.CAPABILITIES


def test_the_root_is_created_by_the_first_write(backend: LocalBackend, root: Path) -> None:
    assert not root.exists()
    assert backend.check_health().ok
    backend.write("a/b.txt", b"x")
    assert (root / "a" / "b.txt").read_bytes() == b"x"


def test_a_root_that_is_a_file_is_unhealthy(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    report = LocalBackend(tmp_path / "file" / "below").check_health()
    assert not report.ok
    assert "file" in report.detail


def test_failed_write_leaves_nothing_on_disk(backend: LocalBackend, root: Path) -> None:
    backend.write("keep.txt", b"old")
    for overwrite in (False, True):
        with pytest.raises(BackendError):
            backend.write(
                f"d/new-{overwrite}.bin", io.BufferedReader(_Fails(b"x" * 300_000)),
                overwrite=overwrite,
            )
        with pytest.raises(BackendError):
            backend.write("keep.txt", io.BufferedReader(_Fails(b"y" * 300_000)), overwrite=True)
    assert (root / "keep.txt").read_bytes() == b"old"
    assert on_disk(root) == {"keep.txt"}  # no temp file, no folder made for the write


def test_a_reader_keeps_the_old_bytes_across_an_overwrite(backend: LocalBackend) -> None:
    backend.write("f", b"old" * 1000)
    with backend.read("f") as stream:
        backend.write("f", b"new" * 1000, overwrite=True)
        assert stream.read() == b"old" * 1000  # a rename, not an in-place rewrite
    assert backend.read_bytes("f") == b"new" * 1000


def test_interrupted_writes_are_hidden(backend: LocalBackend, root: Path) -> None:
    backend.write("d/real.txt", b"r")
    (root / "d" / f"{TEMP_PREFIX}deadbeef").write_bytes(b"half")
    assert [f.path for f in backend.list_files("", recursive=True)] == ["d/real.txt"]
    assert [f.path for f in backend.list_files("d")] == ["d/real.txt"]
    with pytest.raises(InvalidPath):
        backend.exists(f"d/{TEMP_PREFIX}deadbeef")
    with pytest.raises(InvalidPath):
        backend.write(f"{TEMP_PREFIX}x", b"")


def test_the_bookkeeping_folder_is_reserved_and_hidden(backend: LocalBackend, root: Path) -> None:
    (root / ".dvcremote").mkdir(parents=True)
    (root / ".dvcremote" / "x").write_bytes(b"")
    assert list(backend.list_folders()) == []
    assert list(backend.list_files(recursive=True)) == []
    for bad in (".dvcremote", ".dvcremote/x"):
        with pytest.raises(InvalidPath):
            backend.read_bytes(bad)
    backend.write("sub/.dvcremote", b"only the top level is reserved")
    assert backend.read_bytes("sub/.dvcremote") == b"only the top level is reserved"


def test_new_files_follow_the_umask(backend: LocalBackend, root: Path) -> None:
    old = os.umask(0o027)
    try:
        backend.write("f", b"x")
    finally:
        os.umask(old)
    assert (root / "f").stat().st_mode & 0o777 == 0o640


def test_deleting_the_last_file_removes_empty_folders(backend: LocalBackend, root: Path) -> None:
    backend.write("a/b/c/one", b"1")
    backend.write("a/two", b"2")
    backend.delete("a/b/c/one")
    assert on_disk(root) == {"a", "a/two"}
    backend.move("a/two", "z/two")
    assert on_disk(root) == {"z", "z/two"}
    backend.delete_folder("z", recursive=True)
    assert root.is_dir() and on_disk(root) == set()  # never the root itself


def test_an_empty_folder_made_by_hand_is_a_folder(backend: LocalBackend, root: Path) -> None:
    (root / "empty" / "inner").mkdir(parents=True)
    assert [f.path for f in backend.list_folders()] == ["empty"]
    backend.delete_folder("empty/inner")
    assert on_disk(root) == set()


def test_writing_below_a_file_is_not_a_folder(backend: LocalBackend) -> None:
    backend.write("f", b"x")
    with pytest.raises(NotAFolder):
        backend.write("f/g", b"y")
    with pytest.raises(NotAFolder):
        backend.upload_file(__file__, "f/g/h")
    assert not backend.exists("f/g")


def test_upload_and_download_many_copy_real_files(backend: LocalBackend, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    blobs = {f"{i:02d}.bin": os.urandom(1000 + i) for i in range(20)}
    for name, data in blobs.items():
        (src / name).write_bytes(data)
    pairs = [(str(src / name), f"files/{name[:1]}/{name}") for name in blobs]
    results = backend.upload_many(pairs)
    assert all(r.ok for r in results)
    for (_, dst), r in zip(pairs, results, strict=True):
        assert r.write is not None and r.write.etag == backend.get_file_info(dst).etag
    out = tmp_path / "out"
    out.mkdir()
    got = backend.download_many([(dst, str(out / Path(dst).name)) for _, dst in pairs])
    assert all(r.ok for r in got)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == blobs


def test_uploading_a_folder_is_refused(backend: LocalBackend, tmp_path: Path) -> None:
    [result] = backend.upload_many([(str(tmp_path), "x")])
    assert isinstance(result.error, NotAFile)
    assert not backend.exists("x")


def test_bulk_metadata(backend: LocalBackend) -> None:
    backend.write("d/f", b"abc")
    assert backend.exists_many(["d/f", "d", "", "nope", "d/f/below"]) == {
        "d/f": True, "d": True, "": True, "nope": False, "d/f/below": False,
    }
    infos = backend.get_file_info_many(["d/f", "nope"])
    assert infos["nope"] is None
    assert infos["d/f"] is not None and infos["d/f"].size == 3
    with pytest.raises(NotAFile):
        backend.get_file_info_many(["d"])


def test_etag_changes_with_every_write(backend: LocalBackend) -> None:
    first = backend.write("f", b"same").etag
    second = backend.write("f", b"same", overwrite=True).etag
    assert first and second and first != second
    assert backend.get_file_info("f").etag == second


@pytest.mark.parametrize("spelling", ["plain", "file", "file-localhost", "local", "relative"])
def test_from_url_spellings(
    spelling: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "my remote"
    monkeypatch.chdir(tmp_path)
    url = {
        "plain": str(target),
        "file": "file://" + str(target).replace(" ", "%20"),
        "file-localhost": "file://localhost" + str(target),
        "local": "local://" + str(target),
        "relative": "my remote",
    }[spelling]
    backend = open_backend(url)
    assert type(backend) is LocalBackend
    assert backend.location == str(target)


def test_from_url_expands_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    backend = LocalBackend.from_url("~/store")
    assert backend.location == str(tmp_path / "store")


@pytest.mark.parametrize(
    ("url", "options"),
    [("file://otherhost/x", {}), ("", {}), ("/x", {"colour": "red"}),
     ("/x", {"versioning": "maybe"})],
)
def test_from_url_refuses_bad_config(url: str, options: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        LocalBackend.from_url(url, **options)


def test_versioning_option_strings(tmp_path: Path) -> None:
    assert type(LocalBackend.from_url(str(tmp_path), versioning="true")) is VersionedLocalBackend
    assert type(LocalBackend.from_url(str(tmp_path), versioning="false")) is LocalBackend


def test_fast_copy_falls_back_to_plain_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(3 << 20)
    (tmp_path / "src").write_bytes(data)

    def unsupported(*args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(fastcopy, "_reflink", lambda src, dst: False)
    monkeypatch.setattr(os, "copy_file_range", unsupported)
    fd = os.open(tmp_path / "dst", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fastcopy.copy_into(str(tmp_path / "src"), fd)
    finally:
        os.close(fd)
    assert (tmp_path / "dst").read_bytes() == data


def test_fast_copy_of_a_big_file(tmp_path: Path) -> None:
    data = os.urandom((2 << 20) + 7)
    (tmp_path / "src").write_bytes(data)
    backend = LocalBackend(tmp_path / "remote")
    backend.upload_file(str(tmp_path / "src"), "big.bin")
    backend.download_file("big.bin", str(tmp_path / "back"))
    assert (tmp_path / "back").read_bytes() == data
