"""``import-url`` outputs against the real dvc (reference: dvc-pipelines.md sections 7, 9).

The real dvc imports a file and a directory from outside the workspace (absolute
paths), and a directory with ``--no-download`` (a partial import). Imported data is
pushed, pulled and kept by gc like any output; a partial import has nothing to push
and its data only at the source, which dvcremote does not read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from interop_helpers import clone_workspace, dvcfiles, store_files, workspace_data, write_tree

from dvcremote.checkout import PARTIAL_IMPORT
from dvcremote_testing.dvc import DvcRunner, run_dvcremote

EXTERNAL = {
    "file.txt": b"external\n",
    "dir": {"a": b"a\n", "sub": {"b": b"b\n"}},
    "lazy.txt": b"lazy\n",
}


@pytest.fixture
def ws(tmp_path: Path, real_dvc: DvcRunner) -> Path:
    """A dvc project (no git) with ``file.txt`` and ``dir`` import-url'ed from
    ``tmp_path/ext``, ``lazy.txt`` with ``--no-download``, and default remote ``store``."""
    ext, ws = tmp_path / "ext", tmp_path / "ws"
    write_tree(ext, EXTERNAL)
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("import-url", str(ext / "file.txt"), cwd=ws)
    real_dvc("import-url", str(ext / "dir"), cwd=ws)
    real_dvc("import-url", "--no-download", str(ext / "lazy.txt"), cwd=ws)
    real_dvc("remote", "add", "-d", "store", "../store", cwd=ws)
    return ws


def _copies(ws: Path) -> dict[str, Path]:
    copies = {}
    for name in ("dvc", "ours"):
        copies[name] = ws.parent / name / "ws"
        shutil.copytree(ws, copies[name], symlinks=True)
    return copies


def test_push_sends_import_url_outputs_as_dvc_and_dvc_pulls_them(
    tmp_path: Path, real_dvc: DvcRunner, ws: Path
) -> None:
    """Imported data goes to the default remote; the partial import sends nothing."""
    copies = _copies(ws)
    real_dvc("push", cwd=copies["dvc"])
    run_dvcremote("push", cwd=copies["ours"])
    stores = {  # remote file modes are not compared (as in test_same_bytes)
        name: {p: data for p, (data, _mode) in store_files(copy.parent / "store").items()}
        for name, copy in copies.items()
    }
    assert stores["ours"] == stores["dvc"]
    assert len(stores["ours"]) == 4  # file.txt, dir's manifest and its two files
    shutil.rmtree(tmp_path / "ext" / "file.txt", ignore_errors=True)
    fresh = clone_workspace(copies["ours"], tmp_path / "ours" / "fresh")
    real_dvc("pull", "file.txt", "dir", cwd=fresh)
    assert workspace_data(fresh) == {
        "file.txt": b"external\n",
        "dir/a": b"a\n",
        "dir/sub/b": b"b\n",
    }


def test_pull_fetches_import_url_outputs_and_names_the_partial_import(
    tmp_path: Path, real_dvc: DvcRunner, ws: Path
) -> None:
    """Pushed data comes back; the partial import is reported, not downloaded."""
    real_dvc("push", cwd=ws)
    fresh = clone_workspace(ws, tmp_path / "fresh")
    pulled = run_dvcremote("pull", cwd=fresh, check=False)
    assert pulled.returncode != 0
    assert f"lazy.txt: {PARTIAL_IMPORT}" in pulled.stderr, pulled.describe()
    assert workspace_data(fresh) == {
        "file.txt": b"external\n",
        "dir/a": b"a\n",
        "dir/sub/b": b"b\n",
    }
    assert set(store_files(fresh / ".dvc" / "cache")) == set(store_files(ws / ".dvc" / "cache"))


def test_gc_keeps_import_url_outputs_and_never_touches_fs(real_dvc: DvcRunner, ws: Path) -> None:
    """gc keeps imported data and leaves dvc's partial-import cache (``fs/``) alone."""
    real_dvc("pull", "lazy.txt", cwd=ws)  # dvc downloads it into .dvc/cache/fs/
    assert len(list((ws / ".dvc" / "cache" / "fs").rglob("*"))) == 2  # local/<token>
    stray = ws / ".dvc" / "cache" / "files" / "md5" / "00" / ("0" * 30)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"unused")
    copies = _copies(ws)
    real_dvc("gc", "-w", "-f", cwd=copies["dvc"])
    run_dvcremote("gc", "-w", "-f", cwd=copies["ours"])
    caches = {name: set(store_files(copy / ".dvc" / "cache")) for name, copy in copies.items()}
    assert caches["ours"] == caches["dvc"]
    assert f"files/md5/00/{'0' * 30}" not in caches["ours"]
    assert len([p for p in caches["ours"] if p.startswith("files/")]) == 4
    assert any(p.startswith("fs/") for p in caches["ours"])


def test_frozen_status_does_not_check_the_source(
    tmp_path: Path, real_dvc: DvcRunner, ws: Path
) -> None:
    """A changed source is not reported (use ``dvc update``); a changed output is."""
    (tmp_path / "ext" / "file.txt").write_bytes(b"changed at the source\n")
    (ws / "lazy.txt.dvc").unlink()  # no data in the workspace: dvc says "deleted"
    assert real_dvc.json("status", cwd=ws) == {}
    assert run_dvcremote("status", "--json", cwd=ws).json() == {}


def test_add_keeps_the_stage_md5_as_dvc(real_dvc: DvcRunner, ws: Path) -> None:
    """``add`` of a changed import-url output rewrites its ``outs`` in place and keeps
    the stage ``md5``, ``frozen`` and ``deps`` as dvc does: the same bytes."""
    copies = _copies(ws)
    for copy in copies.values():
        (copy / "file.txt").unlink()
        (copy / "file.txt").write_bytes(b"edited here\n")
    real_dvc("add", "file.txt", cwd=copies["dvc"])
    run_dvcremote("add", "file.txt", cwd=copies["ours"])
    theirs = (copies["dvc"] / "file.txt.dvc").read_bytes()
    assert (copies["ours"] / "file.txt.dvc").read_bytes() == theirs
    assert theirs.splitlines()[0] == (ws / "file.txt.dvc").read_bytes().splitlines()[0]


def test_import_url_writes_the_same_dvc_files_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """Absolute and relative sources (a relative one is stored relative to the ``.dvc``
    file's folder), a file and a directory, from the root and from a sub-folder."""
    ext = tmp_path / "ext"
    write_tree(ext, EXTERNAL)
    made = {}
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        ws = tmp_path / name
        (ws / "sub").mkdir(parents=True)
        real_dvc("init", "--no-scm", cwd=ws)
        tool("import-url", str(ext / "file.txt"), cwd=ws)
        tool("import-url", str(ext / "dir"), "copied", cwd=ws)
        tool("import-url", "../ext/lazy.txt", cwd=ws)
        tool("import-url", "../../ext/file.txt", "again.txt", cwd=ws / "sub")
        made[name] = dvcfiles(ws), workspace_data(ws), set(store_files(ws / ".dvc" / "cache"))
    assert made["ours"] == made["dvc"]
    assert b"path: ../../ext/file.txt\n" in made["ours"][0]["sub/again.txt.dvc"]
