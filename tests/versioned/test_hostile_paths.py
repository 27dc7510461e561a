"""Hostile paths on version-aware and worktree remotes (issue 11 item 1): a ``.dvc``
file, a ``files:`` list or a worktree remote's listing naming ``.git/``, ``.dvc/`` or
a place outside the output is refused before anything is downloaded or written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from versioned_helpers import DATA_DIR, write_tree

from dvcremote.backends.memory import MemoryBackend
from dvcremote.errors import UnsafePath

HOOK = b"#!/bin/sh\necho pwned\n"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, ``.dvc`` included (not the state database)."""
    found: dict[str, bytes] = {}
    for dirpath, _dirs, filenames in os.walk(root):
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if not rel.startswith(".dvc/tmp/"):
                found[rel] = full.read_bytes()
    return found


@pytest.fixture(params=["worktree", "version_aware"])
def pushed(request: pytest.FixtureRequest, repo: Any, workspace: Path, store: Any) -> Any:
    write_tree(workspace, {"foo": "foo", "data_dir": DATA_DIR})
    repo.add(["foo", "data_dir"])
    store.add_to(repo, "upstream", **{request.param: True})
    assert repo.push().ok
    return repo


@pytest.mark.parametrize("relpath", [".git/hooks/post-checkout", "sub/.dvc/config.local"])
def test_files_entry_into_a_protected_folder_is_refused(
    pushed: Any, workspace: Path, store: Any, relpath: str
) -> None:
    """A version-aware ``files:`` entry naming ``.git``/``.dvc`` inside the directory,
    whose version really is on the remote: pull and fetch refuse it."""
    info = store.backend.write(f"data_dir/{relpath}", HOOK)
    dvcfile = workspace / "data_dir.dvc"
    dvcfile.write_text(
        dvcfile.read_text()
        + f"  - relpath: {relpath}\n    md5: 4b3a1bd7e6bd5a77a4c3fdc1a80d4a1c\n"
        + f"    size: {len(HOOK)}\n    cloud:\n      upstream:\n"
        + f"        version_id: {info.version_id}\n"
    )
    before = tree(workspace)
    for call in (pushed.pull, pushed.fetch, pushed.checkout, pushed.push):
        with pytest.raises(UnsafePath, match=r"data_dir\.dvc: output path 'data_dir' has a files:"):
            call()
        assert tree(workspace) == before


def test_update_refuses_a_hostile_dvcfile(
    repo: Any, workspace: Path, store: Any
) -> None:
    write_tree(workspace, {"foo": "foo"})
    repo.add("foo")
    store.add_to(repo, "upstream", worktree=True)
    assert repo.push().ok
    store.backend.write(".dvc/config.local", b"[core]\n")
    (workspace / "evil.dvc").write_text(
        "outs:\n- md5: 4b3a1bd7e6bd5a77a4c3fdc1a80d4a1c\n  size: 3\n  hash: md5\n"
        "  path: .dvc/config.local\n"
    )
    before = tree(workspace)
    with pytest.raises(UnsafePath, match=r"evil\.dvc: output path '\.dvc/config\.local'"):
        repo.update()
    assert tree(workspace) == before


@pytest.fixture
def worktree(repo: Any, workspace: Path, store: Any) -> Any:
    write_tree(workspace, {"data_dir": DATA_DIR})
    repo.add("data_dir")
    store.add_to(repo, "upstream", worktree=True)
    assert repo.push().ok
    return repo


@pytest.mark.parametrize("key", [".git/hooks/post-checkout", "x/.Dvc/config.local"])
def test_update_refuses_a_listing_into_a_protected_folder(
    worktree: Any, workspace: Path, store: Any, key: str
) -> None:
    store.backend.write(f"data_dir/{key}", HOOK)
    before = tree(workspace)
    with pytest.raises(UnsafePath, match=r"remote 'upstream': output path 'data_dir' is listed"):
        worktree.update()
    assert tree(workspace) == before
    assert not (workspace / "data_dir" / key.split("/")[0]).exists()


def test_update_refuses_a_listing_that_escapes_the_directory(
    repo: Any, workspace: Path, make_store: Any
) -> None:
    """A storage that lists ``data_dir/../x`` (S3 keys may hold ``..``; here planted in
    the memory store, which the backend API itself refuses to write)."""
    store = make_store("memory")
    write_tree(workspace, {"data_dir": DATA_DIR})
    repo.add("data_dir")
    store.add_to(repo, "upstream", worktree=True)
    assert repo.push().ok
    backend: MemoryBackend = store.backend
    planted = backend._store.entries["data_dir/data"]  # noqa: SLF001 - a hostile storage
    backend._store.entries["data_dir/../escaped"] = planted  # noqa: SLF001
    before = tree(workspace)
    with pytest.raises(UnsafePath, match=r"escapes its directory"):
        repo.update()
    assert tree(workspace) == before
    assert not (workspace / "escaped").exists()
