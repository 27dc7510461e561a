"""gc -c on a version-aware or worktree remote is refused before anything is deleted:
not from the remote (its old versions are what older revisions pull) and not from
the local cache either, since the command as a whole did not run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dvcremote.cli import main
from dvcremote.errors import ConfigError
from dvcremote.repo import Repo


@pytest.mark.parametrize("kind", ["version_aware", "worktree"])
def test_gc_cloud_refused_and_cache_untouched(
    repo: Repo, store: Any, workspace: Path, kind: str
) -> None:
    (workspace / "keep").write_bytes(b"kept")
    (workspace / "gone").write_bytes(b"unused soon")
    repo.add(["keep", "gone"])
    store.add_to(repo, **{kind: True})
    repo.push()
    (workspace / "gone.dvc").unlink()
    cache_before = sorted(p for p in Path(repo.cache.root).rglob("*") if p.is_file())
    remote_before = store.current()

    with pytest.raises(ConfigError, match="not supported"):
        repo.gc(workspace=True, cloud=True, force=True)

    assert sorted(p for p in Path(repo.cache.root).rglob("*") if p.is_file()) == cache_before
    assert store.current() == remote_before
    assert main(["gc", "-w", "-c", "-f"]) == 3
    assert sorted(p for p in Path(repo.cache.root).rglob("*") if p.is_file()) == cache_before
