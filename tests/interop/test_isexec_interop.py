"""Executable files: dvcremote and the real dvc write the same ``isexec`` bytes, each reads
the other's unchanged, and each checks an executable file out executable again."""

from __future__ import annotations

import stat
from pathlib import Path

from dvcremote_testing.dvc import DvcRunner, run_dvcremote

#: tool/ holds one executable file; run.sh is an executable file output.
TREE = {"run.sh": b"#!/bin/sh\necho hi\n", "tool/bin": b"\x7fELF\x00", "tool/notes": b"n\n"}
EXECUTABLE = ("run.sh", "tool/bin")
TARGETS = ("run.sh", "tool")


def _workspace(path: Path) -> Path:
    for rel, data in TREE.items():
        full = path / rel
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(data)
    for rel in EXECUTABLE:
        full = path / rel
        full.chmod(stat.S_IMODE(full.stat().st_mode) | 0o111)
    return path


def _dvcfiles(ws: Path) -> dict[str, bytes]:
    return {f"{t}.dvc": (ws / f"{t}.dvc").read_bytes() for t in TARGETS}


def _manifests(ws: Path) -> dict[str, bytes]:
    cache = ws / ".dvc" / "cache"
    return {p.relative_to(cache).as_posix(): p.read_bytes() for p in cache.rglob("*.dir")}


def _is_exec(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def test_isexec_is_written_and_read_alike(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ours = _workspace(tmp_path / "ours")
    theirs = _workspace(tmp_path / "theirs")
    run_dvcremote("init", "--no-scm", cwd=ours)
    real_dvc("init", "--no-scm", cwd=theirs)
    run_dvcremote("add", *TARGETS, cwd=ours)
    real_dvc("add", *TARGETS, cwd=theirs)

    written = _dvcfiles(ours)
    assert written == _dvcfiles(theirs)
    assert b"  isexec: true\n" in written["run.sh.dvc"]
    assert b"isexec" not in written["tool.dvc"]
    assert _manifests(ours) == _manifests(theirs) != {}

    # Each tool adds the other's workspace again and leaves its .dvc files as they are.
    real_dvc("add", *TARGETS, cwd=ours)
    assert _dvcfiles(ours) == written
    run_dvcremote("add", *TARGETS, cwd=theirs)
    assert _dvcfiles(theirs) == written

    # Each checks out the other's records with the same modes: run.sh executable, the
    # files of a directory (whose manifest records no modes) not.
    for ws, checkout in (
        (ours, lambda: real_dvc("checkout", cwd=ours)),
        (theirs, lambda: run_dvcremote("checkout", cwd=theirs)),
    ):
        for rel in TREE:
            (ws / rel).unlink()
        checkout()
        assert {rel: (ws / rel).read_bytes() for rel in TREE} == TREE
        assert _is_exec(ws / "run.sh"), ws
        assert not _is_exec(ws / "tool" / "bin") and not _is_exec(ws / "tool" / "notes"), ws
        # An unchanged file that lost its bit gets it back.
        (ws / "run.sh").chmod(0o644)
        checkout()
        assert _is_exec(ws / "run.sh"), ws
