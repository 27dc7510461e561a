"""The versioned local backend beyond the conformance suites: its layout and crash safety."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dvcremote.backend import Capability, open_backend
from dvcremote.backend.naming import is_version_id
from dvcremote.backends.local import LocalBackend
from dvcremote.backends.versioned_local import VersionedLocalBackend
from dvcremote.errors import ConfigError, InvalidPath, VersionNotFound


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "remote"


@pytest.fixture
def backend(root: Path) -> VersionedLocalBackend:
    opened = LocalBackend.from_url(str(root), versioning=True)
    assert isinstance(opened, VersionedLocalBackend)
    return opened


def blobs(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".dvcremote" / "versions").rglob("*")
                  if p.is_file() and p.name != "path")


def test_capabilities_are_the_local_ones_plus_versioning() -> None:
    expected = LocalBackend.CAPABILITIES | {Capability.VERSIONING}
    assert expected == VersionedLocalBackend.CAPABILITIES


def test_live_files_are_plain_files_and_versions_are_hidden(
    backend: VersionedLocalBackend, root: Path
) -> None:
    backend.write("d/f.txt", b"one")
    backend.write("d/f.txt", b"two", overwrite=True)
    assert (root / "d" / "f.txt").read_bytes() == b"two"
    assert len(blobs(root)) == 2
    assert [f.path for f in backend.list_files(recursive=True)] == ["d/f.txt"]
    assert [f.path for f in backend.list_folders()] == ["d"]
    with pytest.raises(InvalidPath):
        backend.exists(".dvcremote/versions")
    plain = LocalBackend(root)
    assert plain.read_bytes("d/f.txt") == b"two"
    assert [f.path for f in plain.list_files(recursive=True)] == ["d/f.txt"]


def test_a_versioned_root_reopens_versioned(backend: VersionedLocalBackend, root: Path) -> None:
    backend.write("f", b"x")
    assert type(open_backend(str(root))) is VersionedLocalBackend
    assert type(LocalBackend.from_url(f"file://{root}")) is VersionedLocalBackend
    assert type(LocalBackend.from_url(str(root), versioning=False)) is LocalBackend
    with pytest.raises(ConfigError):
        VersionedLocalBackend.from_url(str(root), versioning=False)


def test_version_ids_are_opaque_unique_and_ordered(backend: VersionedLocalBackend) -> None:
    ids = [backend.write("f", bytes([i]), overwrite=True).version_id for i in range(30)]
    assert all(v is not None and is_version_id(v) for v in ids)
    assert len(set(ids)) == 30
    assert ids == sorted(ids, key=str)
    assert [v.version_id for v in backend.list_versions("f")] == ids[::-1]


def test_history_is_read_only_and_shared_with_the_live_file(
    backend: VersionedLocalBackend, root: Path
) -> None:
    backend.write("f", b"x")
    [blob] = blobs(root)
    live = root / "f"
    assert live.stat().st_ino == blob.stat().st_ino
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444


def test_version_ids_cannot_reach_outside(backend: VersionedLocalBackend, root: Path) -> None:
    backend.write("f", b"x")
    (root.parent / "outside").write_bytes(b"secret")
    for bad in ("../../../../outside", "/etc/passwd", "", "f" * 24, "ZZ" * 12):
        with pytest.raises(VersionNotFound):
            backend.read_bytes("f", version_id=bad)
        assert not backend.exists("f", version_id=bad)


def test_files_written_before_versioning_are_kept(tmp_path: Path) -> None:
    root = tmp_path / "remote"
    plain = LocalBackend(root)
    plain.write("old.txt", b"from before")
    plain.write("gone.txt", b"deleted later")
    versioned = LocalBackend.from_url(str(root), versioning=True)
    versioned.write("old.txt", b"new", overwrite=True)
    versioned.delete("gone.txt")
    [new, old] = versioned.list_versions("old.txt")
    assert (new.is_latest, old.is_latest) == (True, False)
    assert versioned.read_bytes("old.txt", version_id=old.version_id) == b"from before"
    [gone] = versioned.list_versions("gone.txt")
    assert not gone.is_latest
    assert versioned.read_bytes("gone.txt", version_id=gone.version_id) == b"deleted later"


def test_a_file_replaced_out_of_band_becomes_a_version(
    backend: VersionedLocalBackend, root: Path
) -> None:
    first = backend.write("f", b"1")
    tmp = root / "elsewhere"
    tmp.write_bytes(b"edited by hand")
    os.replace(tmp, root / "f")
    info = backend.get_file_info("f")
    assert info.version_id not in (None, first.version_id)
    assert backend.read_bytes("f", version_id=info.version_id) == b"edited by hand"
    assert [v.is_latest for v in backend.list_versions("f")] == [True, False]


def test_an_unpublished_version_stays_invisible(
    backend: VersionedLocalBackend, root: Path
) -> None:
    """A crash after the blob was recorded but before the live file was replaced."""
    v1 = backend.write("f", b"current")
    vdir = backend._vdir("f")
    orphan = Path(vdir) / "ffffffffffffffff00000000.pending"
    orphan.write_bytes(b"never published")
    assert backend.read_bytes("f") == b"current"
    assert backend.get_file_info("f").version_id == v1.version_id
    assert [v.version_id for v in backend.list_versions("f")] == [v1.version_id]
    assert not backend.exists("f", version_id="ffffffffffffffff00000000")


def test_a_published_but_unfinished_version_counts(
    backend: VersionedLocalBackend, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the live file was replaced but before its blob lost ``.pending``."""
    backend.write("f", b"one")
    with monkeypatch.context() as m:
        m.setattr(VersionedLocalBackend, "_finalize", staticmethod(lambda blob: blob))
        v2 = backend.write("f", b"two", overwrite=True)
    assert any(p.name.endswith(".pending") for p in blobs(root))
    reopened = LocalBackend.from_url(str(root))
    assert reopened.get_file_info("f").version_id == v2.version_id
    assert reopened.read_bytes("f", version_id=v2.version_id) == b"two"
    assert [v.is_latest for v in reopened.list_versions("f")] == [True, False]
    assert not any(p.name.endswith(".pending") for p in blobs(root))  # finished on sight


def test_a_failed_publish_leaves_no_version(
    backend: VersionedLocalBackend, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = backend.write("f", b"one")

    def crash(self: LocalBackend, path: str, tmp: str, *, overwrite: bool) -> str | None:
        raise OSError(5, "disk on fire")

    monkeypatch.setattr(LocalBackend, "_publish", crash)
    with pytest.raises(Exception, match="disk on fire"):
        backend.write("f", b"two", overwrite=True)
    monkeypatch.undo()
    assert backend.read_bytes("f") == b"one"
    assert [v.version_id for v in backend.list_versions("f")] == [v1.version_id]
    assert len(blobs(root)) == 1


def test_deleting_the_current_version_republishes_the_previous(
    backend: VersionedLocalBackend, root: Path
) -> None:
    v1 = backend.write("d/f", b"1")
    v2 = backend.write("d/f", b"2", overwrite=True)
    backend.delete_version("d/f", str(v2.version_id))
    assert (root / "d" / "f").read_bytes() == b"1"
    assert backend.get_file_info("d/f").version_id == v1.version_id
    backend.delete_version("d/f", str(v1.version_id))
    assert not (root / "d").exists()
    assert backend.list_versions("d/f") == []
    assert not os.path.exists(backend._vdir("d/f"))


def test_move_and_folder_delete_keep_history(backend: VersionedLocalBackend) -> None:
    a = backend.write("a/x", b"x")
    backend.move("a/x", "b/x")
    assert backend.read_bytes("a/x", version_id=a.version_id) == b"x"
    [moved] = backend.list_versions("b/x")
    assert moved.is_latest and moved.version_id != a.version_id
    backend.delete_folder("b", recursive=True)
    assert not backend.exists("b/x")
    assert backend.read_bytes("b/x", version_id=moved.version_id) == b"x"


def test_download_many_at_versions_uses_the_fast_path(
    backend: VersionedLocalBackend, tmp_path: Path
) -> None:
    v1 = backend.write("f", b"first")
    backend.write("f", b"second", overwrite=True)
    out = tmp_path / "out"
    out.mkdir()
    results = backend.download_many([
        ("f", str(out / "old"), v1.version_id), ("f", str(out / "new"), None),
        ("f", str(out / "bad"), "0" * 24),
    ])
    assert [r.ok for r in results] == [True, True, False]
    assert isinstance(results[2].error, VersionNotFound)
    assert (out / "old").read_bytes() == b"first"
    assert (out / "new").read_bytes() == b"second"
