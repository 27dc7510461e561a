"""What dvcremote wrote (``.dvc`` files, cache, a local remote), the real dvc reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from interop_helpers import (
    SAMPLE_TARGETS,
    clone_workspace,
    dvcfiles,
    flatten,
    manifest_bytes,
    md5,
    object_path,
    pushed_workspace,
    sample_tree,
    workspace_data,
)

from dvcremote_testing.dvc import DvcRunner, run_dvcremote


def _expected_objects(tree: dict[str, object]) -> dict[str, bytes]:
    """Every object the sample needs on a remote (oid -> bytes), computed without dvcremote."""
    flat = flatten(tree)
    objects = {md5(data): data for data in flat.values()}
    inside = {p.removeprefix("data/"): md5(d) for p, d in flat.items() if p.startswith("data/")}
    manifest = manifest_bytes(inside)
    objects[md5(manifest) + ".dir"] = manifest
    return objects


def test_dvc_pulls_what_dvcremote_pushed(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws, remote = pushed_workspace(tmp_path, run_dvcremote)
    tree = sample_tree()

    # The remote holds exactly DVC 3's layout: files/md5/xx/rest, manifests as .dir.
    expected = _expected_objects(tree)
    on_remote = {
        p.relative_to(remote).as_posix(): p.read_bytes() for p in remote.rglob("*") if p.is_file()
    }
    assert on_remote == {
        object_path(Path(), oid).as_posix(): data for oid, data in expected.items()
    }

    written = dvcfiles(ws)
    assert set(written) == {f"{t}.dvc" for t in SAMPLE_TARGETS}
    clone = clone_workspace(ws, tmp_path / "clone")
    real_dvc("pull", cwd=clone)

    assert workspace_data(clone) == flatten(tree)
    assert real_dvc.json("status", "-c", cwd=clone) == {}
    assert real_dvc.json("status", cwd=clone) == {}
    assert dvcfiles(clone) == written, "dvc rewrote dvcremote's .dvc files"


def test_dvc_reads_a_workspace_and_cache_dvcremote_made(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """dvc works in dvcremote's own workspace: reads its cache and its .dvc files as its own."""
    ws = pushed_workspace(tmp_path, run_dvcremote)[0]
    tree = sample_tree()
    written = dvcfiles(ws)

    assert real_dvc.json("status", cwd=ws) == {}
    assert real_dvc.json("status", "-c", cwd=ws) == {}
    # dvc restores the data from dvcremote's cache alone.
    shutil.rmtree(ws / "data")
    (ws / "foo").unlink()
    real_dvc("checkout", cwd=ws)
    assert workspace_data(ws) == flatten(tree)
    assert dvcfiles(ws) == written, "dvc rewrote dvcremote's .dvc files"
    # and dvcremote agrees with what dvc checked out
    assert run_dvcremote("status", "--json", cwd=ws).json() == {}
