"""Pipelines on version-aware storage of each built-in kind: what a push writes into
``dvc.lock``, how ``repro`` reads it back, and a pull into an empty cache. The bytes
are compared with the real dvc's in test_pipeline_interop_s3.py; these run anywhere."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from versioned_helpers import Store, fresh, read_tree, remove, write_tree

from dvcremote.errors import UnsafePath
from dvcremote.repo import Repo
from dvcremote_testing.dvc import run_dvcremote

TREE: dict[str, Any] = {"foo": "foo", "data": {"a": "a", "sub": {"b": "bb"}}}


def _pipeline(repo: Repo, ws: Path, store: Store) -> None:
    write_tree(ws, TREE)
    repo.add(["data"])
    repo.stage_add(
        "copy",
        "cp foo bar && cp -r data out_dir && echo c > out_dir/c",
        deps=["foo", "data"],
        outs=["bar", "out_dir"],
    )
    repo.stage_add("second", "cat bar out_dir/c > baz", deps=["bar", "out_dir"], outs=["baz"])
    repo.reproduce()
    store.add_to(repo, version_aware=True)


def _lock(ws: Path) -> dict[str, Any]:
    stages: dict[str, Any] = yaml.safe_load((ws / "dvc.lock").read_text())["stages"]
    return {name: {i["path"]: i for i in [*e["deps"], *e["outs"]]} for name, e in stages.items()}


def test_push_writes_dirs_as_files_and_repro_reads_them(
    repo: Repo, workspace: Path, store: Store
) -> None:
    _pipeline(repo, workspace, store)
    assert repo.push().ok
    lock = _lock(workspace)
    copy, second = lock["copy"], lock["second"]
    # A dir dep: relpath and md5 only; a dir out: size and version too; a file out: cloud.
    assert copy["data"] == {
        "path": "data",
        "hash": "md5",
        "files": [
            {"relpath": "a", "md5": "0cc175b9c0f1b6a831c399e269772661"},
            {"relpath": "sub/b", "md5": "21ad0bd836b90d08f4cf640b4c298e7c"},
        ],
    }
    assert [sorted(f) for f in second["out_dir"]["files"]] == [["md5", "relpath"]] * 3
    assert [sorted(f) for f in copy["out_dir"]["files"]] == [
        ["cloud", "md5", "relpath", "size"]
    ] * 3
    assert "upstream" in copy["bar"]["cloud"] and "md5" not in copy["out_dir"]
    pushed = (workspace / "dvc.lock").read_bytes()
    status = run_dvcremote("status", cwd=workspace).stdout
    assert status == "Data and pipelines are up to date.\n"

    result = repo.reproduce()
    assert result.skipped == ("data.dvc", "copy", "second")
    assert (workspace / "dvc.lock").read_bytes() == pushed

    remove(workspace / "out_dir" / "c")
    (workspace / "out_dir" / "c").write_text("changed")
    result = repo.reproduce()
    assert result.restored == ("copy",) and result.skipped == ("data.dvc", "second")
    lock = _lock(workspace)
    assert lock["copy"]["bar"] == copy["bar"]  # unchanged: keeps its cloud block
    assert lock["copy"]["out_dir"]["nfiles"] == 3 and "files" not in lock["copy"]["out_dir"]

    (workspace / "foo").write_text("new foo")
    repo.reproduce()
    lock = _lock(workspace)
    assert "cloud" not in lock["copy"]["bar"] and "cloud" not in lock["second"]["baz"]


def test_pull_into_an_empty_cache_is_up_to_date(repo: Repo, workspace: Path, store: Store) -> None:
    _pipeline(repo, workspace, store)
    assert repo.push().ok
    shutil.rmtree(workspace / ".dvc" / "cache")
    for name in ("data", "out_dir", "bar", "baz"):
        remove(workspace / name)
    repo = fresh(repo)
    try:
        assert repo.pull().ok
        assert (workspace / "out_dir" / "sub" / "b").read_text() == "bb"
        assert not repo.workspace_status().changes
        assert repo.reproduce().ran == ()
    finally:
        repo.close()


def test_a_hostile_files_entry_in_the_lock_is_refused(
    repo: Repo, workspace: Path, store: Store
) -> None:
    """A ``files:`` relpath leading out of its directory, in a dep or an out, is refused
    (UnsafePath naming ``dvc.lock``) before any command runs; nothing is written."""
    _pipeline(repo, workspace, store)
    assert repo.push().ok
    pushed = (workspace / "dvc.lock").read_text()
    for hostile in (
        pushed.replace(
            "- relpath: sub/b\n        md5: 21ad", "- relpath: ../../b\n        md5: 21ad", 1
        ),
        pushed.replace("relpath: c\n", "relpath: ../c\n", 1),
    ):
        assert hostile != pushed
        (workspace / "dvc.lock").write_text(hostile)
        before = read_tree(workspace)
        with pytest.raises(UnsafePath, match=r"dvc\.lock.*files: entry.*\.\./"):
            repo.reproduce()
        assert read_tree(workspace) == before
