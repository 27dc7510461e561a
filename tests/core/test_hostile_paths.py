"""Hostile output paths (issue 11 item 1): a ``.dvc`` file, a manifest or a ``files:``
list naming ``.git/``, ``.dvc/``, the cache, a DVC file or a place outside the
workspace is refused by every command, before a byte is written or deleted.

Each case runs against a real local remote that holds the data the hostile file
names, so without the refusal the command would really write it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from core_helpers import md5, remote_file, write_tree

from dvcremote.errors import DvcFileError, InvalidManifest, UnsafePath
from dvcremote.repo import Repo
from dvcremote_testing.dvc import run_dvcremote

HOOK = b"#!/bin/sh\necho pwned > /tmp/dvcremote-pwned\n"


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file and symlink under ``root``, ``.git`` and ``.dvc`` included (the state
    database is left out: reads update it)."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel.startswith(".dvc/tmp/"):
                continue
            found[rel] = f"-> {os.readlink(full)}" if full.is_symlink() else full.read_bytes()
    return found


@pytest.fixture
def hostile(git_repo: Repo, workspace: Path, remote_dir: Path) -> Repo:
    """A git repository whose local remote and cache hold a hook script (``hook``) and a
    directory (``dir``); ``.git/hooks`` holds one sample hook."""
    hooks = workspace / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "pre-commit.sample").write_text("sample\n")
    write_tree(workspace, {"hook": HOOK, "dir": {"config.local": "x = 1\n", "a": "a"}})
    git_repo.add(["hook", "dir"])
    git_repo.remote_add("store", str(remote_dir), default=True)
    assert git_repo.push().ok
    return git_repo


def _oid(workspace: Path, name: str) -> str:
    text = (workspace / f"{name}.dvc").read_text()
    return next(line.split()[-1] for line in text.splitlines() if "md5:" in line)


def _write_dvcfile(workspace: Path, dvcfile: str, path: str, oid: str, *extra: str) -> None:
    target = workspace / dvcfile
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"- md5: {oid}", "  hash: md5", f"  path: {path}", *(f"  {e}" for e in extra)]
    target.write_text("outs:\n" + "\n".join(lines) + "\n")


COMMANDS: dict[str, Callable[[Repo], object]] = {
    "pull": lambda r: r.pull(force=True),
    "checkout": lambda r: r.checkout(force=True),
    "fetch": lambda r: r.fetch(),
    "push": lambda r: r.push(),
    "status": lambda r: r.status(),
    "status -c": lambda r: r.status(cloud=True),
    "gc": lambda r: r.gc(workspace=True, force=True),
}

# (name, .dvc file, output path, data it names, what sits in the workspace first)
SHAPES = {
    "git hook": ("evil.dvc", ".git/hooks/post-checkout", "hook", None),
    "dot-slash git": ("evil.dvc", "./.git/hooks/post-checkout", "hook", None),
    "dot-dot into git": ("evil.dvc", "a/../.git/hooks/post-checkout", "hook", None),
    "wdir into git": ("sub/evil.dvc", "../.git/hooks/post-checkout", "hook", None),
    "case variant of git": ("evil.dvc", ".GIT/hooks/post-checkout", "hook", None),
    "dvc config.local": ("evil.dvc", ".dvc/config.local", "hook", None),
    "dvc folder as a directory": ("evil.dvc", ".dvc", "dir", None),
    "the cache": ("evil.dvc", ".dvc/cache", "dir", None),
    "a .dvc file": ("evil.dvc", "hook.dvc", "hook", None),
    "dvc.yaml": ("evil.dvc", "dvc.yaml", "hook", None),
    "escapes the workspace": ("sub/evil.dvc", "../../outside", "hook", None),
    "symlinked folder into git": ("evil.dvc", "link/hooks/post-checkout", "hook", ".git"),
    "symlinked folder outside": ("evil.dvc", "link/outside", "hook", ".."),
}


def _plant(workspace: Path, shape: str) -> None:
    dvcfile, path, data, link = SHAPES[shape]
    if link is not None:
        (workspace / "link").symlink_to(link, target_is_directory=True)
    _write_dvcfile(workspace, dvcfile, path, _oid(workspace, data))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_hostile_output_is_refused_and_nothing_changes(
    hostile: Repo, workspace: Path, remote_dir: Path, tmp_path: Path, shape: str, command: str
) -> None:
    _plant(workspace, shape)
    (workspace / "hook").unlink()  # so checkout / pull has work to do
    before, remote_before = tree(workspace), tree(remote_dir)
    outside_before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(UnsafePath) as info:
        COMMANDS[command](hostile)

    message = str(info.value)
    assert SHAPES[shape][0] in message and SHAPES[shape][1] in message
    assert tree(workspace) == before  # .git/hooks, .dvc/config*, the cache: untouched
    assert tree(remote_dir) == remote_before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside_before


def test_cache_configured_outside_dvc_folder_is_refused(
    hostile: Repo, workspace: Path, remote_dir: Path
) -> None:
    """A cache the config puts in the workspace (not under .dvc/) is off limits too:
    checking a directory out over it would delete its objects."""
    import shutil

    shutil.copytree(workspace / ".dvc" / "cache", workspace / "mycache")
    hostile.config.set("cache", "dir", "../mycache")
    repo = Repo(workspace)
    _write_dvcfile(workspace, "evil.dvc", "mycache", _oid(workspace, "dir"))
    before = tree(workspace)
    for command in ("pull", "checkout", "status"):
        with pytest.raises(UnsafePath, match=r"evil\.dvc: output path 'mycache' is the cache"):
            COMMANDS[command](repo)
        assert tree(workspace) == before
    _write_dvcfile(workspace, "evil.dvc", "lnk/files", _oid(workspace, "dir"))
    (workspace / "lnk").symlink_to("mycache", target_is_directory=True)
    before = tree(workspace)
    with pytest.raises(UnsafePath, match="'lnk/files' is the cache folder or inside it"):
        repo.checkout(force=True)
    assert tree(workspace) == before
    repo.close()


def test_a_workspace_inside_its_cache_folder_still_works(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    """Guarding the cache must not refuse everything when the cache folder holds the
    workspace: only its object folder is off limits then."""
    dvcrepo.config.set("cache", "dir", "../..")
    repo = Repo(workspace)
    write_tree(workspace, {"foo": "foo", "data": {"x": "x"}})
    repo.add(["foo", "data"])
    (workspace / "foo").unlink()
    assert repo.checkout().added == ("foo",)
    assert (tmp_path / "files" / "md5").is_dir()
    repo.close()


def test_cli_names_the_file_and_exits_3(hostile: Repo, workspace: Path) -> None:
    _plant(workspace, "git hook")
    before = tree(workspace)
    proc = subprocess.run(
        [sys.executable, "-m", "dvcremote", "pull"],
        cwd=workspace, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "ERROR:" in proc.stderr and "evil.dvc" in proc.stderr
    assert ".git/hooks/post-checkout" in proc.stderr and "Traceback" not in proc.stderr
    assert tree(workspace) == before


# ------------------------------------------------------------------------------- add
ADD_SHAPES = {
    # target, symlink "link" -> where, cache dir (relative to .dvc)
    "through a symlinked folder into git": ("link/hooks", ".git", None),
    "a symlink into git": ("link", ".git/hooks", None),
    "the cache outside .dvc": ("mycache", None, "../mycache"),
    "a folder holding the cache": ("data", None, "../data/cache"),
    "dvc.lock": ("dvc.lock", None, None),
}


@pytest.mark.parametrize("shape", sorted(ADD_SHAPES))
def test_add_refuses_hostile_targets(hostile: Repo, workspace: Path, shape: str) -> None:
    target, link, cache_dir = ADD_SHAPES[shape]
    if link is not None:
        (workspace / "link").symlink_to(link, target_is_directory=True)
    if cache_dir is not None:
        write_tree(workspace, {"mycache": {"x": "x"}, "data": {"cache": {"y": "y"}}})
        hostile.config.set("cache", "dir", cache_dir)
    (workspace / "dvc.lock").write_text("schema: '2.0'\n")
    repo = Repo(workspace)
    before = tree(workspace)
    with pytest.raises((UnsafePath, DvcFileError)):
        repo.add(target)
    assert tree(workspace) == before
    repo.close()


# --------------------------------------------------------------- inside tracked dirs
def _planted_manifest(remote_dir: Path, relpath: str) -> str:
    data = json.dumps([{"md5": md5(HOOK), "relpath": relpath}], sort_keys=True).encode()
    oid = md5(data) + ".dir"
    path = remote_file(remote_dir, oid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return oid


@pytest.mark.parametrize("relpath", [".git/hooks/post-checkout", "sub/.DVC/config.local"])
def test_manifest_entry_into_a_protected_folder_is_refused(
    hostile: Repo, workspace: Path, remote_dir: Path, relpath: str
) -> None:
    oid = _planted_manifest(remote_dir, relpath)
    _write_dvcfile(workspace, "evil.dvc", "data", oid)
    before = tree(workspace)
    result = hostile.pull(["evil.dvc"])
    error = result.fetch.failed[oid]
    assert isinstance(error, InvalidManifest) and relpath in str(error)
    assert not result.ok
    assert tree(workspace) == before


@pytest.mark.parametrize("relpath", [".git/hooks/post-checkout", "x/.Git/config", "../x"])
def test_files_entry_into_a_protected_folder_is_refused(
    hostile: Repo, workspace: Path, relpath: str
) -> None:
    (workspace / "evil.dvc").write_text(
        "outs:\n- path: data\n  hash: md5\n  files:\n"
        f"  - relpath: {relpath}\n    md5: {md5(HOOK)}\n    size: {len(HOOK)}\n"
    )
    before = tree(workspace)
    for command in ("pull", "checkout", "fetch", "status"):
        with pytest.raises(UnsafePath, match=r"evil\.dvc: output path 'data' has a files:"):
            COMMANDS[command](hostile)
        assert tree(workspace) == before


@pytest.mark.parametrize("command", ["pull", "checkout", "fetch", "status"])
def test_hostile_dvc_lock_output_is_refused(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dvc.lock is as hostile as a .dvc file: its outputs go through the same check."""
    import hashlib

    ws = tmp_path / "ws"
    ws.mkdir()
    monkeypatch.chdir(ws)
    (ws / ".git" / "hooks").mkdir(parents=True)
    payload = b"#!/bin/sh\necho owned\n"
    oid = hashlib.md5(payload).hexdigest()
    repo = Repo.init(ws, no_scm=True)
    store = tmp_path / "store" / "files" / "md5" / oid[:2]
    store.mkdir(parents=True)
    (store / oid[2:]).write_bytes(payload)
    repo.remote_add("origin", str(tmp_path / "store"), default=True)
    target = ".git/hooks/post-checkout"
    (ws / "dvc.yaml").write_text(f"stages:\n  evil:\n    cmd: x\n    outs:\n    - {target}\n")
    (ws / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  evil:\n    cmd: x\n    outs:\n"
        f"    - path: {target}\n      hash: md5\n      md5: {oid}\n      size: {len(payload)}\n"
    )
    before = tree(ws)
    run = run_dvcremote(command, cwd=ws, check=False)
    assert run.returncode == 3, run.describe()
    assert "dvc.lock" in run.stderr and target in run.stderr, run.describe()
    assert not (ws / target).exists()
    assert tree(ws) == before
