"""Cache permissions as dvc sets them (dvc-pipelines.md section 10, ``cache.shared``).

With ``cache.shared = group`` dvc (dvc_data's ``LocalHashFileDB``) makes every cache
folder ``0o2775`` and every object ``0o444``, whatever the umask, so that a group can
share one cache. Without it, folders follow the umask and objects are still ``0o444``.
Both tools run as processes under ``umask 077`` (the case where it shows), each adds,
pushes, empties its cache and pulls again; the modes of everything in the cache must
be the same.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import write_tree

from dvcremote_testing.dvc import DvcRunner

#: dvcremote's own temp folder inside the cache (dvc has none there).
_OURS_ONLY = ".dvcremote-tmp"


def _modes(cache: Path) -> dict[str, int]:
    """Every folder and file under ``cache`` -> its permission bits (setgid included)."""
    found = {".": cache.stat().st_mode & 0o7777}
    for path in cache.rglob("*"):
        rel = path.relative_to(cache).as_posix()
        if rel.split("/")[0] != _OURS_ONLY:
            found[rel] = path.stat().st_mode & 0o7777
    return found


def _cycle(run: Callable[..., Any], ws: Path, shared: bool) -> dict[str, int]:
    write_tree(ws, {"foo": "foo", "data": {"a": "a", "sub": {"b": "b"}}})
    run("init", "--no-scm", cwd=ws)
    if shared:
        with (ws / ".dvc" / "config").open("a") as f:
            f.write("[cache]\n    shared = group\n")
    run("add", "foo", "data", cwd=ws)
    run("remote", "add", "-d", "store", "../store", cwd=ws)
    run("push", cwd=ws)
    added = _modes(ws / ".dvc" / "cache")
    shutil.rmtree(ws / ".dvc" / "cache")
    run("pull", cwd=ws)
    pulled = _modes(ws / ".dvc" / "cache")
    assert pulled == added, "a pulled object or folder got other modes than an added one"
    return added


@pytest.mark.parametrize("shared", [True, False], ids=["shared-group", "not-shared"])
def test_cache_modes_as_dvc(tmp_path: Path, real_dvc: DvcRunner, shared: bool) -> None:
    dvcremote = real_dvc.running("dvcremote")  # a process, so that it gets the umask
    old = os.umask(0o077)  # inherited by both tools' processes
    try:
        theirs = _cycle(real_dvc, tmp_path / "dvc" / "ws", shared)
        ours = _cycle(dvcremote, tmp_path / "ours" / "ws", shared)
    finally:
        os.umask(old)
    assert ours == theirs
    cache = tmp_path / "ours" / "ws" / ".dvc" / "cache"
    objects = {rel: mode for rel, mode in ours.items() if (cache / rel).is_file()}
    assert set(objects.values()) == {0o444} and len(objects) == 4  # foo, a, b, data's .dir
    folders = {mode for rel, mode in ours.items() if rel not in objects}
    assert folders == ({0o2775} if shared else {0o700})


def test_an_unknown_shared_value_is_refused(tmp_path: Path) -> None:
    from dvcremote.errors import ConfigError
    from dvcremote.repo import Repo

    ws = tmp_path / "ws"
    ws.mkdir()
    Repo.init(ws, no_scm=True)
    with (ws / ".dvc" / "config").open("a") as f:
        f.write("[cache]\n    shared = everyone\n")
    with pytest.raises(ConfigError, match=r"cache\.shared"):
        Repo(ws).cache  # noqa: B018 - opening the cache reads the key
