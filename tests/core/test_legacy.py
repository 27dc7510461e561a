"""DVC 2.x outputs (no ``hash:`` key): md5-dos2unix ids, objects at the remote root."""

from __future__ import annotations

from pathlib import Path

from core_helpers import md5, read_tree

from dvcremote.hashing import MD5_DOS2UNIX, bytes_md5
from dvcremote.manifest import Manifest
from dvcremote.repo import Repo

TEXT = b"line1\r\nline2\r\n"  # md5-dos2unix 4fcc82a88ee38e0aa16c17f512c685c9
BINARY = b"\x00\r\nbinary"


def _legacy_remote(root: Path) -> tuple[str, str]:
    """A remote as DVC 2.x left it: objects at <root>/xx/yyy; returns (file id, dir id)."""
    text_id = bytes_md5(TEXT, MD5_DOS2UNIX)
    assert text_id == "4fcc82a88ee38e0aa16c17f512c685c9"
    manifest = Manifest.build([("t.txt", text_id), ("b.bin", bytes_md5(BINARY, MD5_DOS2UNIX))])
    dir_id = md5(manifest.to_bytes()) + ".dir"
    for oid, data in (
        (text_id, TEXT),
        (bytes_md5(BINARY, MD5_DOS2UNIX), BINARY),
        (dir_id, manifest.to_bytes()),
    ):
        path = root / oid[:2] / oid[2:]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return text_id, dir_id


def test_legacy_outputs_pull_status_and_push(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old-remote"
    text_id, dir_id = _legacy_remote(old)
    (workspace / "text.dvc").write_text(f"outs:\n- md5: {text_id}\n  size: 14\n  path: text\n")
    (workspace / "data.dvc").write_text(
        f"outs:\n- md5: {dir_id}\n  size: {len(TEXT) + len(BINARY)}\n  nfiles: 2\n  path: data\n"
    )
    dvcrepo.remote_add("old", str(old), default=True)
    ids = {text_id, dir_id, bytes_md5(BINARY, MD5_DOS2UNIX)}

    status = dvcrepo.status(cloud=True)
    assert status.deleted == ids and status.paths["data/t.txt"] == "deleted"

    pulled = dvcrepo.pull()
    assert pulled.ok and pulled.transferred == ids
    assert (workspace / "text").read_bytes() == TEXT  # the original bytes, \r\n kept
    assert read_tree(workspace / "data") == {"t.txt": TEXT, "b.bin": BINARY}
    # The cache keeps them in the legacy layout, as DVC 3 does.
    assert (workspace / ".dvc" / "cache" / text_id[:2] / text_id[2:]).read_bytes() == TEXT
    assert dvcrepo.status(cloud=True).ok == ids
    assert dvcrepo.workspace_status().clean

    new = tmp_path / "new-remote"
    dvcrepo.remote_add("new", str(new))
    pushed = dvcrepo.push(remote="new")
    assert pushed.transferred == ids
    assert (new / text_id[:2] / text_id[2:]).read_bytes() == TEXT
    assert not (new / "files").exists()
    # The .dvc files are left in their 2.x form.
    assert "hash:" not in (workspace / "text.dvc").read_text()


def test_readding_a_changed_legacy_output_upgrades_it(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    text_id, _ = _legacy_remote(tmp_path / "old")
    (workspace / "text.dvc").write_text(f"outs:\n- md5: {text_id}\n  size: 14\n  path: text\n")
    changed = b"line1\r\nline3\r\n"
    (workspace / "text").write_bytes(changed)
    dvcrepo.add("text")
    # What dvc 3.67 writes here: a 3.x md5, and ``hash:`` goes after the keys the
    # file already had (DVC lays its new serialisation onto the parsed file).
    assert (workspace / "text.dvc").read_text() == (
        f"outs:\n- md5: {md5(changed)}\n  size: 14\n  path: text\n  hash: md5\n"
    )


def test_legacy_corrupt_object_is_refused(dvcrepo: Repo, workspace: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    text_id, _ = _legacy_remote(old)
    (old / text_id[:2] / text_id[2:]).write_bytes(b"line1\nline3\n")
    (workspace / "text.dvc").write_text(f"outs:\n- md5: {text_id}\n  size: 14\n  path: text\n")
    dvcrepo.remote_add("old", str(old), default=True)
    result = dvcrepo.pull()
    assert text_id in result.fetch.failed and not (workspace / "text").exists()


def test_readding_an_unchanged_legacy_output_leaves_it_as_it_is(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    """dvc 3.67 hashes a 2.x output the 2.x way first: unchanged data keeps its ``.dvc``
    file byte for byte (only a newly seen ``isexec`` is appended), and its objects go
    into the cache's 2.x layout."""
    text_id, dir_id = _legacy_remote(tmp_path / "old")
    dvcfiles = {
        "text.dvc": f"outs:\n- md5: {text_id}\n  size: 14\n  path: text\n",
        "xtext.dvc": f"outs:\n- md5: {text_id}\n  size: 14\n  path: xtext\n",
        "data.dvc": f"outs:\n- md5: {dir_id}\n  size: {len(TEXT) + len(BINARY)}\n"
        "  nfiles: 2\n  path: data\n",
    }
    for name, text in dvcfiles.items():
        (workspace / name).write_text(text)
    (workspace / "text").write_bytes(TEXT)
    (workspace / "xtext").write_bytes(TEXT)
    (workspace / "xtext").chmod(0o755)
    (workspace / "data").mkdir()
    (workspace / "data" / "t.txt").write_bytes(TEXT)
    (workspace / "data" / "b.bin").write_bytes(BINARY)

    result = dvcrepo.add(["text", "xtext", "data"])

    assert {a.path: a.oid for a in result.outputs} == {
        "text": text_id, "xtext": text_id, "data": dir_id,
    }
    assert (workspace / "text.dvc").read_text() == dvcfiles["text.dvc"]
    assert (workspace / "data.dvc").read_text() == dvcfiles["data.dvc"]
    # What dvc 3.67 wrote for the executable one.
    assert (workspace / "xtext.dvc").read_text() == dvcfiles["xtext.dvc"] + "  isexec: true\n"
    cache = workspace / ".dvc" / "cache"
    assert (cache / text_id[:2] / text_id[2:]).read_bytes() == TEXT
    assert (cache / dir_id[:2] / dir_id[2:]).exists()
    assert not (cache / "files").exists()
    assert dvcrepo.workspace_status().clean


def test_readding_a_changed_legacy_directory_upgrades_it(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    _, dir_id = _legacy_remote(tmp_path / "old")
    (workspace / "data.dvc").write_text(
        f"outs:\n- md5: {dir_id}\n  size: {len(TEXT) + len(BINARY)}\n  nfiles: 2\n  path: data\n"
    )
    (workspace / "data").mkdir()
    (workspace / "data" / "t.txt").write_bytes(TEXT + b"more\r\n")
    (workspace / "data" / "b.bin").write_bytes(BINARY)
    dvcrepo.add("data")
    manifest = Manifest.build([("t.txt", md5(TEXT + b"more\r\n")), ("b.bin", md5(BINARY))])
    new_id = md5(manifest.to_bytes()) + ".dir"
    assert (workspace / "data.dvc").read_text() == (
        f"outs:\n- md5: {new_id}\n  size: {len(TEXT) + 6 + len(BINARY)}\n  nfiles: 2\n"
        "  path: data\n  hash: md5\n"
    )
