"""dvcremote and the real dvc, given the same data and the same commands, write the same bytes:
``.dvc`` files, ``.gitignore`` entries, ``.dvc/config``, the cache and the remote."""

from __future__ import annotations

from pathlib import Path

import pygit2
from interop_helpers import (
    SAMPLE_TARGETS,
    read_files,
    sample_tree,
    store_files,
    write_tree,
)

from dvcremote_testing.dvc import DvcRunner, run_dvcremote


def _git_workspace(path: Path) -> Path:
    path.mkdir(parents=True)
    pygit2.init_repository(str(path), initial_head="main")
    write_tree(path, sample_tree())
    return path


def _metadata(ws: Path) -> dict[str, bytes]:
    """What the tools wrote for git to track: .dvc files, .gitignore files, the config."""
    files = read_files(ws, skip=(".git",))
    return {
        path: data
        for path, data in files.items()
        if path.endswith((".dvc", ".gitignore")) or path in (".dvc/config", ".dvc/.gitignore")
    }


def test_add_and_push_write_what_dvc_writes(tmp_path: Path, real_dvc: DvcRunner) -> None:
    # Each workspace pushes to "../remote" (relative, so the configs can be equal).
    ours = _git_workspace(tmp_path / "ours" / "ws")
    theirs = _git_workspace(tmp_path / "theirs" / "ws")

    run_dvcremote("init", cwd=ours)
    real_dvc("init", cwd=theirs)
    assert _metadata(ours) == _metadata(theirs)

    run_dvcremote("add", *SAMPLE_TARGETS, cwd=ours)
    real_dvc("add", *SAMPLE_TARGETS, cwd=theirs)
    run_dvcremote("remote", "add", "-d", "store", "../remote", cwd=ours)
    real_dvc("remote", "add", "-d", "store", "../remote", cwd=theirs)

    ours_meta, theirs_meta = _metadata(ours), _metadata(theirs)
    assert set(ours_meta) == set(theirs_meta)
    for path in sorted(theirs_meta):
        assert ours_meta[path].decode() == theirs_meta[path].decode(), path
    assert {f"{t}.dvc" for t in SAMPLE_TARGETS} <= set(theirs_meta)
    assert b"/my data \xc3\xbc.txt\n" in theirs_meta[".gitignore"]

    # Same cache: the same object paths, bytes (manifests included) and read-only modes.
    ours_cache = store_files(ours / ".dvc" / "cache")
    theirs_cache = store_files(theirs / ".dvc" / "cache")
    assert sorted(ours_cache) == sorted(theirs_cache)
    assert ours_cache == theirs_cache
    assert any(path.endswith(".dir") for path in theirs_cache)

    run_dvcremote("push", cwd=ours)
    real_dvc("push", cwd=theirs)
    ours_remote = {p: d for p, (d, _mode) in store_files(ours.parent / "remote").items()}
    theirs_remote = {p: d for p, (d, _mode) in store_files(theirs.parent / "remote").items()}
    assert sorted(ours_remote) == sorted(theirs_remote)
    assert ours_remote == theirs_remote
