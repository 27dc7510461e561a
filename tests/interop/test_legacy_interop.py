"""DVC 2.x data (``.dvc`` outputs with no ``hash:`` key, md5-dos2unix ids, objects at the
remote root), laid out by hand as dvc 2 left it; dvcremote and dvc 3 both pull and report on it."""

from __future__ import annotations

from pathlib import Path

from interop_helpers import (
    clone_workspace,
    dos2unix_md5,
    dvcfiles,
    manifest_bytes,
    md5,
    object_path,
    store_files,
    workspace_data,
)

from dvcremote_testing.dvc import DvcRunner, run_dvcremote

TEXT = b"line1\r\nline2\r\n"
BINARY = b"\x00\x01binary\r\nkept as is\r\n"
#: A dvc 2 directory: CRLF text (hashed as LF) beside binary (hashed raw) and an empty file.
LEGACY_DIR = {
    "notes.txt": b"a\r\nb\r\n",
    "sub/raw.bin": BINARY + b"\xff" * 40,
    "sub/empty": b"",
    "caf\u00e9.txt": "cr\u00e8me\r\n".encode(),
}


def _legacy_repo(ws: Path, remote: Path) -> dict[str, str]:
    """A workspace's ``.dvc`` files and its remote as DVC 2.x wrote them; returns the
    expected {output path or file in the directory: legacy id}."""
    # The check value from the formats reference: a CRLF text file's dos2unix md5.
    assert dos2unix_md5(TEXT) == "4fcc82a88ee38e0aa16c17f512c685c9" != md5(TEXT)
    assert dos2unix_md5(BINARY) == md5(BINARY)
    ids = {"text": dos2unix_md5(TEXT), "binary": dos2unix_md5(BINARY)}
    contents = {ids["text"]: TEXT, ids["binary"]: BINARY}
    entries = {rel: dos2unix_md5(data) for rel, data in LEGACY_DIR.items()}
    contents.update({entries[rel]: data for rel, data in LEGACY_DIR.items()})
    manifest = manifest_bytes(entries)
    ids["data"] = md5(manifest) + ".dir"
    contents[ids["data"]] = manifest
    for oid, data in contents.items():
        path = object_path(remote, oid, legacy=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    (ws / ".dvc").mkdir(parents=True)
    (ws / ".dvc" / "config").write_text(
        f"[core]\n    no_scm = True\n    remote = old\n['remote \"old\"']\n    url = {remote}\n"
    )
    (ws / "text.dvc").write_text(
        f"outs:\n- md5: {ids['text']}\n  size: {len(TEXT)}\n  path: text\n"
    )
    (ws / "binary.dvc").write_text(
        f"outs:\n- md5: {ids['binary']}\n  size: {len(BINARY)}\n  path: binary\n"
    )
    size = sum(len(d) for d in LEGACY_DIR.values())
    (ws / "data.dvc").write_text(
        f"outs:\n- md5: {ids['data']}\n  size: {size}\n  nfiles: {len(LEGACY_DIR)}\n  path: data\n"
    )
    ids.update({f"data/{rel}": oid for rel, oid in entries.items()})
    return ids


def _expected_data() -> dict[str, bytes]:
    return {
        "text": TEXT,
        "binary": BINARY,
        **{f"data/{rel}": data for rel, data in LEGACY_DIR.items()},
    }


def test_dvcremote_pulls_and_reports_dvc2_data(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws, remote = tmp_path / "ws", tmp_path / "remote"
    ids = _legacy_repo(ws, remote)
    written = dvcfiles(ws)
    before = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False)
    assert before.returncode == 1, before.describe()
    assert set(before.json()["deleted"]) == set(ids.values())

    run_dvcremote("pull", cwd=ws)

    assert workspace_data(ws) == _expected_data()  # the original bytes: CRLF kept
    assert dvcfiles(ws) == written, "dvcremote rewrote the 2.x .dvc files"
    status = run_dvcremote("status", "-c", "--json-objects", cwd=ws).json()
    assert set(status["ok"]) == set(ids.values()) and status["paths"] == {}
    assert run_dvcremote("status", "--json", cwd=ws).json() == {}
    # dvc 3 agrees: the cache (2.x layout, .dvc/cache/xx/...) and the workspace are in order.
    cache = ws / ".dvc" / "cache"
    assert object_path(cache, ids["text"], legacy=True).read_bytes() == TEXT
    assert not (cache / "files").exists()
    assert real_dvc.json("status", cwd=ws) == {}
    assert real_dvc.json("status", "-c", cwd=ws) == {}

    # Out of sync: both tools name the same outputs.
    object_path(remote, ids["text"], legacy=True).unlink()
    object_path(remote, ids["data/caf\u00e9.txt"], legacy=True).unlink()
    object_path(remote, ids["data"], legacy=True).unlink()
    expected = {"text": "new", "data": "new", "data/caf\u00e9.txt": "new"}
    assert real_dvc.json("status", "-c", cwd=ws) == expected
    ours = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False)
    assert ours.returncode == 1 and ours.json()["paths"] == expected, ours.describe()


def test_dvc3_pulls_dvc2_data_like_dvcremote(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """Cross-check: the real dvc 3 restores the same bytes into the same cache layout."""
    ws, remote = tmp_path / "ws", tmp_path / "remote"
    _legacy_repo(ws, remote)
    theirs = clone_workspace(ws, tmp_path / "theirs")
    written = dvcfiles(ws)

    run_dvcremote("pull", cwd=ws)
    real_dvc("pull", cwd=theirs)

    assert workspace_data(theirs) == workspace_data(ws) == _expected_data()
    assert dvcfiles(theirs) == dvcfiles(ws) == written
    assert store_files(theirs / ".dvc" / "cache") == store_files(ws / ".dvc" / "cache")
