"""The memory backend beyond the conformance suites: named shared stores, S3-like versions."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator

import pytest

from dvcremote.backend import ALL_CAPABILITIES, open_backend
from dvcremote.backends.memory import MemoryBackend
from dvcremote.errors import (
    ConfigError,
    DirectoryNotEmpty,
    NotAFile,
    NotAFolder,
    NotFound,
    VersionNotFound,
)


@pytest.fixture
def bucket() -> Iterator[str]:
    name = f"unit-{uuid.uuid4().hex}"
    yield name
    MemoryBackend.drop_store(name)


def test_declares_every_capability() -> None:
    assert MemoryBackend.CAPABILITIES == ALL_CAPABILITIES
    assert MemoryBackend().capabilities == ALL_CAPABILITIES


def test_same_url_means_same_data(bucket: str) -> None:
    repo_side = open_backend(f"memory://{bucket}/remote")
    test_side = MemoryBackend.from_url(f"memory://{bucket}/remote")
    assert isinstance(repo_side, MemoryBackend)
    repo_side.write("files/a.bin", b"pushed")
    assert test_side.read_bytes("files/a.bin") == b"pushed"
    test_side.delete("files/a.bin")
    assert not repo_side.exists("files/a.bin")


def test_prefix_is_a_folder_of_the_bucket(bucket: str) -> None:
    whole = MemoryBackend.from_url(f"memory://{bucket}")
    inner = MemoryBackend.from_url(f"memory://{bucket}/deep/prefix/")
    inner.write("x.txt", b"x")
    assert whole.read_bytes("deep/prefix/x.txt") == b"x"
    assert [f.path for f in inner.list_files(recursive=True)] == ["x.txt"]
    assert [f.path for f in whole.list_folders()] == ["deep"]
    assert inner.location == f"memory://{bucket}/deep/prefix"


def test_unnamed_backends_are_private() -> None:
    one, two = MemoryBackend(), MemoryBackend()
    one.write("a", b"1")
    assert not two.exists("a")
    assert one.location != two.location


def test_drop_store_forgets_the_data(bucket: str) -> None:
    old = MemoryBackend.from_url(f"memory://{bucket}")
    old.write("a", b"1")
    MemoryBackend.drop_store(bucket)
    fresh = MemoryBackend.from_url(f"memory://{bucket}")
    assert not fresh.exists("a")
    assert not old.check_health().ok  # it still holds the dropped store
    assert fresh.check_health().ok


def test_reset_stores_forgets_every_bucket(bucket: str) -> None:
    MemoryBackend.from_url(f"memory://{bucket}").write("a", b"1")
    MemoryBackend.reset_stores()
    assert not MemoryBackend.from_url(f"memory://{bucket}").exists("a")


@pytest.mark.parametrize("url", ["memory://", "memory:///", "s3://bucket", "bucket"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        MemoryBackend.from_url(url)


def test_unknown_options_are_refused_but_core_keys_accepted(bucket: str) -> None:
    with pytest.raises(ConfigError, match="colour"):
        MemoryBackend.from_url(f"memory://{bucket}", colour="blue")
    assert MemoryBackend.from_url(f"memory://{bucket}", version_aware=True, jobs=4).exists("")


def test_etag_and_digest_are_the_md5() -> None:
    backend = MemoryBackend()
    result = backend.write("f", b"content")
    md5 = hashlib.md5(b"content").hexdigest()
    assert result.etag == result.digest == md5
    assert backend.get_file_info("f").etag == md5


def test_user_metadata_is_kept_per_version_and_copied() -> None:
    backend = MemoryBackend()
    v1 = backend.write("f", b"1", metadata={"k": "one"})
    backend.write("f", b"2", overwrite=True, metadata={"k": "two"})
    backend.copy("f", "g")
    assert backend.get_file_info("f").metadata == {"k": "two"}
    assert backend.get_file_info("f", version_id=v1.version_id).metadata == {"k": "one"}
    assert backend.get_file_info("g").metadata == {"k": "two"}


def test_tree_rules_like_a_directory() -> None:
    backend = MemoryBackend()
    backend.write("a/file", b"x")
    with pytest.raises(NotAFolder):
        backend.write("a/file/below", b"y")
    with pytest.raises(NotAFile):
        backend.write("a", b"y", overwrite=True)
    with pytest.raises(DirectoryNotEmpty):
        backend.delete_folder("a")
    with pytest.raises(NotAFolder):
        backend.delete_folder("a/file")
    assert backend.read_bytes("a/file") == b"x"


def test_folders_exist_while_a_current_file_is_below() -> None:
    backend = MemoryBackend()
    v = backend.write("d/e/f", b"x")
    backend.delete("d/e/f")
    assert not backend.exists("d")
    assert list(backend.list_folders()) == []
    assert backend.read_bytes("d/e/f", version_id=v.version_id) == b"x"
    backend.write("d", b"now a file")  # the hidden file does not block the name
    assert backend.is_file("d")


def test_deleting_the_current_version_brings_back_the_previous() -> None:
    backend = MemoryBackend()
    v1 = backend.write("f", b"1")
    v2 = backend.write("f", b"2", overwrite=True)
    backend.delete_version("f", str(v2.version_id))
    assert backend.read_bytes("f") == b"1"
    assert [(v.version_id, v.is_latest) for v in backend.list_versions("f")] == [
        (v1.version_id, True)
    ]
    backend.delete_version("f", str(v1.version_id))
    assert not backend.exists("f")
    assert backend.list_versions("f") == []
    with pytest.raises(VersionNotFound):
        backend.delete_version("f", str(v1.version_id))


def test_deleting_an_old_version_of_a_deleted_file_keeps_it_deleted() -> None:
    backend = MemoryBackend()
    v1 = backend.write("f", b"1")
    v2 = backend.write("f", b"2", overwrite=True)
    backend.delete("f")
    backend.delete_version("f", str(v2.version_id))
    assert not backend.exists("f")
    assert [v.is_latest for v in backend.list_versions("f")] == [False]
    assert backend.read_bytes("f", version_id=v1.version_id) == b"1"


def test_move_keeps_the_source_history_readable() -> None:
    backend = MemoryBackend()
    v = backend.write("src", b"data")
    backend.move("src", "dst")
    assert backend.read_bytes("dst") == b"data"
    assert not backend.exists("src")
    assert backend.read_bytes("src", version_id=v.version_id) == b"data"
    with pytest.raises(NotFound):
        backend.move("src", "elsewhere")


def test_two_instances_writing_at_once_lose_nothing(bucket: str) -> None:
    backends = [MemoryBackend.from_url(f"memory://{bucket}") for _ in range(4)]

    def work(i: int) -> None:
        for k in range(50):
            backends[i].write(f"t{i}/{k}", f"{i}-{k}".encode())
            backends[i].write("shared", f"{i}-{k}".encode(), overwrite=True)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    files = {f.path for f in backends[0].list_files(recursive=True)}
    assert len(files) == 4 * 50 + 1
    assert len(backends[1].list_versions("shared")) == 200
    assert sum(v.is_latest is True for v in backends[2].list_versions("shared")) == 1
