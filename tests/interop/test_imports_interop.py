"""Imports against the real dvc (reference: dvc-pipelines.md sections 7 and 9).

A source project is a git repository whose data was added and pushed to its own
remote (then its cache is dropped, so the data is only there); a consumer
``dvc import``s from it (the real dvc writes the ``.dvc`` files). Both tools then
pull the import into a fresh copy of the consumer, and gc on copies of one
consumer must remove exactly what ``dvc gc`` removes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import IMPORT_SOURCE as SOURCE
from interop_helpers import (
    clone_workspace,
    dvcfiles,
    md5,
    store_files,
    workspace_data,
)
from interop_helpers import import_source as _source

from dvcremote_testing.dvc import DvcRunner, run_dvcremote

Tool = Callable[..., Any]

def _consumer(tmp_path: Path, src: Path, real_dvc: DvcRunner) -> Path:
    """``tmp_path/ws``, a dvc project (no git) importing from ``src`` with the real dvc:
    a tracked directory, a file under another name, a folder inside a tracked
    directory and a file git tracks; plus ``own``, a plain output."""
    ws = tmp_path / "ws"
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("import", str(src), "data", cwd=ws)
    real_dvc("import", str(src), "file.txt", "-o", "renamed.txt", cwd=ws)
    real_dvc("import", str(src), "data/sub", "-o", "sub", cwd=ws)
    real_dvc("import", str(src), "gitfile.txt", cwd=ws)
    (ws / "own").write_bytes(b"own\n")
    real_dvc("add", "own", cwd=ws)
    real_dvc("remote", "add", "-d", "store", str(tmp_path / "ws-store"), cwd=ws)
    real_dvc("push", cwd=ws)
    return ws


IMPORTED = {
    "data/a.txt": b"alpha\n",
    "data/sub/b.txt": b"beta\n",
    "renamed.txt": b"file\n",
    "sub/b.txt": b"beta\n",
    "gitfile.txt": b"in git\n",
    "own": b"own\n",
}


def _replace_in_dvcfiles(ws: Path, old: str, new: str, pattern: str = "*.dvc") -> None:
    for dvcfile in (p for p in ws.glob(pattern) if p.is_file()):
        dvcfile.write_text(dvcfile.read_text().replace(old, new))


def _objects(root: Path) -> set[str]:
    return set(store_files(root)) if root.exists() else set()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, dvc_pycache: Path) -> tuple[Path, str, Path]:
    """A dvc-made source (its sha) and a consumer importing from it, made once for the
    module: tests work on copies and leave these alone."""
    root = tmp_path_factory.mktemp("imports")
    dvc = DvcRunner(root / "dvc-home", dvc_pycache)
    src, sha = _source(root, dvc)
    return src, sha, _consumer(root, src, dvc)


@pytest.mark.parametrize("source_tool", ["dvc", "dvcremote"])
def test_pull_brings_repo_imports_from_the_source_repository(
    tmp_path: Path, real_dvc: DvcRunner, request: pytest.FixtureRequest, source_tool: str
) -> None:
    """Both tools pull every import from the source's remote (and git) into a fresh
    copy of the consumer: the same workspace and the same cache."""
    if source_tool == "dvc":
        src, _, ws = request.getfixturevalue("project")
    else:
        src, _ = _source(tmp_path, run_dvcremote)
        ws = _consumer(tmp_path, src, real_dvc)
    results = {}
    for name, puller in (("dvc", real_dvc), ("ours", run_dvcremote)):
        copy = clone_workspace(ws, tmp_path / f"pull-{name}")
        puller("pull", cwd=copy)
        assert workspace_data(copy) == IMPORTED, name
        results[name] = _objects(copy / ".dvc" / "cache")
    assert results["ours"] == results["dvc"]
    assert not (src / ".dvc" / "cache").exists()  # nothing came from the source's cache


def test_fetch_of_one_import_target(tmp_path: Path, project: tuple[Path, str, Path]) -> None:
    copy = clone_workspace(project[2], tmp_path / "copy")
    run_dvcremote("fetch", "renamed.txt", cwd=copy)
    oid = md5(SOURCE["file.txt"])
    assert _objects(copy / ".dvc" / "cache") == {f"files/md5/{oid[:2]}/{oid[2:]}"}


def test_source_by_file_url_is_cloned(
    tmp_path: Path, real_dvc: DvcRunner, project: tuple[Path, str, Path]
) -> None:
    """A ``file://`` URL is cloned (as a remote git URL is), by both tools."""
    src, _, ws = project
    for name, puller in (("dvc", real_dvc), ("ours", run_dvcremote)):
        copy = clone_workspace(ws, tmp_path / f"pull-{name}")
        _replace_in_dvcfiles(copy, f"url: {src}", f"url: file://{src}")
        puller("pull", cwd=copy)
        assert workspace_data(copy) == IMPORTED, name


def _pull_fails(copy: Path, *targets: str) -> str:
    """A pull that fails for the imports only: the own output still comes."""
    failed = run_dvcremote("pull", *targets, cwd=copy, check=False)
    assert failed.returncode != 0
    assert workspace_data(copy) == {"own": b"own\n"}, failed.describe()
    return failed.stderr


def test_unreachable_source_is_an_error_naming_the_dvc_file(
    tmp_path: Path, project: tuple[Path, str, Path]
) -> None:
    src, _, ws = project
    copy = clone_workspace(ws, tmp_path / "copy")
    _replace_in_dvcfiles(copy, f"url: {src}", f"url: {tmp_path}/gone")
    assert "data.dvc: cannot import from" in _pull_fails(copy)


def test_missing_rev_lock_is_an_error_naming_the_dvc_file(
    tmp_path: Path, project: tuple[Path, str, Path]
) -> None:
    _, sha, ws = project
    copy = clone_workspace(ws, tmp_path / "copy")
    _replace_in_dvcfiles(copy, sha, "dead" * 10, "renamed.txt.dvc")
    stderr = _pull_fails(copy, "renamed.txt", "own")
    assert "renamed.txt.dvc" in stderr and "dead" * 10 in stderr
    assert stderr.count("renamed.txt.dvc: cannot import from") == 1  # reported once


def test_gc_removes_exactly_what_dvc_gc_removes(
    tmp_path: Path, real_dvc: DvcRunner, project: tuple[Path, str, Path]
) -> None:
    """Repo-import objects are not kept (dvc-pipelines.md section 9); the own output is."""
    ws = project[2]
    caches = {}
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        copy = tmp_path / f"gc-{name}"
        shutil.copytree(ws, copy, symlinks=True)
        tool("gc", "-w", "-f", cwd=copy)
        caches[name] = _objects(copy / ".dvc" / "cache")
    own = md5(b"own\n")
    assert caches["ours"] == caches["dvc"] == {f"files/md5/{own[:2]}/{own[2:]}"}


IMPORTS = (
    ("data",),
    ("file.txt", "-o", "renamed.txt"),
    ("data/sub", "-o", "sub"),
    ("gitfile.txt",),
)


def test_import_writes_the_same_dvc_files_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """``dvcremote import`` writes dvc's bytes (stage md5, rev_lock, sizes) and the data."""
    src, _ = _source(tmp_path, real_dvc)
    made = {}
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        ws = tmp_path / name
        ws.mkdir()
        real_dvc("init", "--no-scm", cwd=ws)
        for args in IMPORTS:
            tool("import", str(src), *args, cwd=ws)
        tool("import", str(src), "data", "-o", "at-rev", "--rev", "main", cwd=ws)
        made[name] = dvcfiles(ws), workspace_data(ws), _objects(ws / ".dvc" / "cache")
    assert made["ours"] == made["dvc"]
    assert b"rev: main\n" in made["ours"][0]["at-rev.dvc"]
