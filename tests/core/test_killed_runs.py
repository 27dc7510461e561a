"""Runs killed with SIGKILL half-way: nothing partial at a final path, no temp file in the
workspace, and the next run (without force) finishes the job.

Each run is a real ``dvcremote`` child process. To kill it at a chosen point, and not
by luck of timing, the child is started through a small driver that wraps one system
call (the copy of file bytes, or the creation of a link) so that, for a workspace
destination, it does part of its work, drops a marker file and waits; the test then
sends SIGKILL. Nothing of dvcremote itself is replaced.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from core_helpers import read_tree, write_tree

from dvcremote.repo import Repo

_DRIVER = r'''
import os, sys, time

marker, root, call = sys.argv[1], sys.argv[2], sys.argv[3]
cache = os.path.join(root, ".dvc", "cache") + os.sep


def _ours(path):
    """A destination in the workspace (or its place folder), not in the cache."""
    path = os.path.abspath(path)
    return path.startswith(root + os.sep) and not path.startswith(cache)


def _stop():
    open(marker, "w").close()
    time.sleep(3600)


if call == "copy":
    real_copy = os.copy_file_range

    def copy_file_range(src, dst, count, *args, **kwargs):
        if _ours(os.readlink(f"/proc/self/fd/{dst}")):
            real_copy(src, dst, min(count, 64 * 1024), *args, **kwargs)
            _stop()
        return real_copy(src, dst, count, *args, **kwargs)

    os.copy_file_range = copy_file_range
else:
    real = getattr(os, call)

    def make_link(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        if _ours(dst):
            _stop()

    setattr(os, call, make_link)

from dvcremote.cli import main

sys.exit(main(sys.argv[4:]))
'''

BIG = 1 << 20  # bigger than what the driver lets through before it stops


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvcremote", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _kill_during(root: Path, call: str, *args: str) -> None:
    """Run ``dvcremote args`` in ``root`` and SIGKILL it inside ``call`` on a workspace file."""
    marker = root.parent / f"marker-{os.getpid()}-{time.monotonic_ns()}"
    driver = root.parent / "driver.py"
    driver.write_text(_DRIVER)
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(marker), str(root), call, *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        while not marker.exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"the run ended before the kill point: {out!r} {err!r}")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def _temps(root: Path) -> list[str]:
    """Temp files anywhere in the workspace or in dvcremote's place folder."""
    found = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "dvcremote-tmp" in p.name and ".dvc" not in p.relative_to(root).parts
    ]
    place = root / ".dvc" / "tmp" / "dvcremote" / "place"
    if place.exists():
        found += [f"place/{p.name}" for p in place.iterdir()]
    return found


def _set_link_type(root: Path, kind: str) -> None:
    config = root / ".dvc" / "config"
    text = re.sub(r"\[cache\]\n    type = \w+\n", "", config.read_text())
    config.write_text(f"{text}[cache]\n    type = {kind}\n")


def _tracked(root: Path, shape: str) -> dict[str, bytes]:
    """A big file, or a folder of big files, added and pushed to a local remote."""
    data = {f"f{i}": bytes([i]) * BIG + os.urandom(64) for i in range(3)}
    write_tree(root, {"data": data} if shape == "dir" else {"data": data["f0"]})
    repo = Repo(root)
    repo.add("data")
    repo.remote_add("store", str(root.parent / "remote"), default=True)
    assert repo.push().ok
    repo.close()
    return data


def _assert_absent_or_whole(root: Path, shape: str, data: dict[str, bytes]) -> None:
    target = root / "data"
    if shape == "file":
        assert not target.exists() or target.read_bytes() == data["f0"]
        return
    for rel, content in read_tree(target).items() if target.exists() else []:
        assert content == data[rel], f"{rel} is partial"


@pytest.mark.parametrize("shape", ["file", "dir"])
@pytest.mark.parametrize("command", ["checkout", "pull"])
def test_sigkill_mid_copy_leaves_no_partial_file(
    dvcrepo: Repo, workspace: Path, command: str, shape: str
) -> None:
    _set_link_type(workspace, "copy")
    data = _tracked(workspace, shape)
    import shutil

    shutil.rmtree(workspace / "data") if shape == "dir" else (workspace / "data").unlink()
    if command == "pull":
        shutil.rmtree(workspace / ".dvc" / "cache")
    _kill_during(workspace, "copy", command)
    _assert_absent_or_whole(workspace, shape, data)
    assert not [t for t in _temps(workspace) if not t.startswith("place/")]
    rerun = _run(workspace, command)  # no --force
    assert rerun.returncode == 0, rerun.stderr
    expected = data["f0"] if shape == "file" else None
    if expected is not None:
        assert (workspace / "data").read_bytes() == expected
    else:
        assert read_tree(workspace / "data") == data
    assert _temps(workspace) == []  # the killed run's temps were removed


def test_sigkill_mid_copy_over_an_old_version_keeps_one_whole_file(
    dvcrepo: Repo, workspace: Path
) -> None:
    """Replacing a file with another version: the old one stays until the new is whole."""
    _set_link_type(workspace, "copy")
    old = b"o" * BIG
    write_tree(workspace, {"data": old})
    dvcrepo.add("data")
    old_dvc = (workspace / "data.dvc").read_bytes()
    new = b"n" * BIG
    (workspace / "data").unlink()
    write_tree(workspace, {"data": new})
    dvcrepo.add("data")
    (workspace / "data.dvc").write_bytes(old_dvc)
    _kill_during(workspace, "copy", "checkout")
    assert (workspace / "data").read_bytes() in (old, new)
    rerun = _run(workspace, "checkout")
    assert rerun.returncode == 0, rerun.stderr
    assert (workspace / "data").read_bytes() == old
    assert _temps(workspace) == []


# ------------------------------------------------------------------- add (issue 11 item 5)
@pytest.mark.parametrize(("kind", "call"), [("symlink", "symlink"), ("hardlink", "link")])
def test_sigkill_while_add_links_leaves_no_temp_in_the_workspace(
    dvcrepo: Repo, workspace: Path, kind: str, call: str
) -> None:
    files = {f"f{i}": f"content {i}" for i in range(3)}
    write_tree(workspace, {"data": files})
    if kind == "hardlink":
        # Added as copies first: the re-add replaces each workspace copy by a hard link.
        _set_link_type(workspace, "copy")
        assert _run(workspace, "add", "data").returncode == 0
        for p in (workspace / "data").iterdir():
            os.utime(p, ns=(10**18, 10**18))
    _set_link_type(workspace, kind)
    _kill_during(workspace, call, "add", "data")
    assert [t for t in _temps(workspace) if not t.startswith("place/")] == []
    assert read_tree(workspace / "data") == {k: v.encode() for k, v in files.items()}
    rerun = _run(workspace, "add", "data")
    assert rerun.returncode == 0, rerun.stderr
    assert read_tree(workspace / "data") == {k: v.encode() for k, v in files.items()}
    assert _temps(workspace) == []


def test_next_run_removes_only_the_temps_of_runs_that_are_gone(
    dvcrepo: Repo, workspace: Path
) -> None:
    """A temp of a process still running (a concurrent run) is left alone."""
    place = workspace / ".dvc" / "tmp" / "dvcremote" / "place"
    place.mkdir(parents=True)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        (place / f"{alive.pid}-abcd.0").write_bytes(b"in progress")
        (place / f"{gone.pid}-abcd.0").write_bytes(b"partial")
        (place / "junk").write_bytes(b"?")
        write_tree(workspace, {"foo": "foo"})
        dvcrepo.add("foo")
        assert sorted(p.name for p in place.iterdir()) == [f"{alive.pid}-abcd.0"]
    finally:
        alive.kill()
        alive.wait()
