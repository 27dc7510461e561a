"""Bad input: each case raises a clear, typed error, and nothing anywhere is lost."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from core_helpers import md5, read_tree, remote_file, snapshot, write_tree

from dvcremote.backend import Backend, Capability, registry
from dvcremote.errors import (
    BackendUnavailable,
    DvcFileError,
    InvalidManifest,
    PathOutsideRepo,
    RemoteNotFound,
    StorageFull,
    TargetNotFound,
)
from dvcremote.repo import Repo


@pytest.fixture
def pushed(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> Repo:
    write_tree(workspace, {"data": {"x": "xx", "y": "yy"}, "foo": "foo"})
    dvcrepo.add(["data", "foo"])
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    dvcrepo.push()
    return dvcrepo


def _cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvcremote", *args],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ----------------------------------------------------------------- path outside the repo
def test_path_outside_the_repo(pushed: Repo, workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    before = snapshot(workspace)
    for target in (str(outside), "../outside.txt", ".dvc/config", str(tmp_path)):
        with pytest.raises(PathOutsideRepo, match="outside"):
            pushed.add(target)
    with pytest.raises(PathOutsideRepo):
        pushed.push([str(outside)])
    with pytest.raises(TargetNotFound, match="does not exist"):
        pushed.add("no-such-file")
    assert snapshot(workspace) == before
    assert outside.read_text() == "not yours" and not (tmp_path / "outside.txt.dvc").exists()
    proc = _cli(workspace, "add", "../outside.txt")
    assert proc.returncode == 3
    assert "outside the repository" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(workspace) == before


# ------------------------------------------------------------------ unparsable .dvc file
def test_dvcfile_that_does_not_parse(pushed: Repo, workspace: Path, remote_dir: Path) -> None:
    (workspace / "broken.dvc").write_text("outs:\n- md5: [unclosed\n")
    before, remote_before = snapshot(workspace), snapshot(remote_dir)
    for call in (
        pushed.push,
        pushed.fetch,
        pushed.pull,
        pushed.checkout,
        lambda: pushed.status(cloud=True),
        lambda: pushed.gc(workspace=True, cloud=True, force=True),
    ):
        with pytest.raises(DvcFileError, match=r"broken\.dvc") as info:
            call()
        assert "not valid YAML" in str(info.value)
    assert snapshot(workspace) == before and snapshot(remote_dir) == remote_before
    proc = _cli(workspace, "status", "-c")
    assert proc.returncode == 3 and "broken.dvc" in proc.stderr and "Traceback" not in proc.stderr
    # Naming a good target still works: the broken file is only read when asked for.
    assert pushed.status(["foo.dvc"], cloud=True).in_sync


# ---------------------------------------------------------- manifest escaping its folder
def _evil_manifest(remote_dir: Path, relpath: str) -> str:
    data = json.dumps([{"md5": md5("pwned"), "relpath": relpath}], sort_keys=True).encode()
    oid = md5(data) + ".dir"
    for obj, content in ((oid, data), (md5("pwned"), b"pwned")):
        path = remote_file(remote_dir, obj)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return oid


@pytest.mark.parametrize("relpath", ["../../escaped", "/tmp/escaped-abs", "ok/../../../escaped"])
def test_manifest_escaping_its_directory(
    dvcrepo: Repo, workspace: Path, remote_dir: Path, tmp_path: Path, relpath: str
) -> None:
    oid = _evil_manifest(remote_dir, relpath)
    (workspace / "data.dvc").write_text(
        f"outs:\n- md5: {oid}\n  size: 5\n  nfiles: 1\n  hash: md5\n  path: data\n"
    )
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    before = snapshot(workspace)
    outside_before = sorted(p.name for p in tmp_path.iterdir())

    result = dvcrepo.pull()
    error = result.fetch.failed[oid]
    assert isinstance(error, InvalidManifest) and oid in str(error)
    assert not result.ok and "data" in result.checkout.failed
    with pytest.raises(InvalidManifest):
        dvcrepo.status(cloud=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == outside_before
    assert not Path("/tmp/escaped-abs").exists()
    assert snapshot(workspace) == before  # nothing entered the cache or the workspace


def test_unsafe_manifest_already_in_the_cache_is_not_checked_out(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    data = json.dumps([{"md5": md5("pwned"), "relpath": "../x"}], sort_keys=True).encode()
    oid = md5(data) + ".dir"
    cached = workspace / ".dvc" / "cache" / "files" / "md5" / oid[:2] / oid[2:]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(data)
    (workspace / "data.dvc").write_text(f"outs:\n- md5: {oid}\n  hash: md5\n  path: data\n")
    result = dvcrepo.checkout()
    assert "escapes" in result.failed["data"]
    assert not (workspace / "x").exists() and not (tmp_path / "x").exists()


# ------------------------------------------------------------------------ unknown remote
def test_unknown_remote(pushed: Repo, workspace: Path, remote_dir: Path) -> None:
    before, remote_before = snapshot(workspace), snapshot(remote_dir)
    for call in (
        lambda: pushed.push(remote="nope"),
        lambda: pushed.pull(remote="nope"),
        lambda: pushed.status(remote="nope"),
        lambda: pushed.gc(workspace=True, cloud=True, remote="nope"),
    ):
        with pytest.raises(RemoteNotFound, match="'nope' does not exist"):
            call()
    assert snapshot(workspace) == before and snapshot(remote_dir) == remote_before
    proc = _cli(workspace, "push", "-r", "nope")
    assert proc.returncode == 3 and "nope" in proc.stderr and "Traceback" not in proc.stderr


def test_no_default_remote(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "foo").write_text("foo")
    dvcrepo.add("foo")
    with pytest.raises(RemoteNotFound, match="no default remote"):
        dvcrepo.push()


# -------------------------------------------------------------------- unreachable remote
class _TcpBackend(Backend):
    """Storage behind a TCP port: every operation connects first, as a network SDK does."""

    name = "tcptest"
    CAPABILITIES = frozenset(
        {Capability.READ, Capability.WRITE, Capability.LIST, Capability.DELETE, Capability.METADATA}
    )

    def __init__(self, port: int) -> None:
        self.port = port

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Backend:
        return cls(int(url.rsplit(":", 1)[1]))

    def _connect(self) -> None:
        socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        raise AssertionError("nothing should listen on this port")

    def _open_read(self, path, version_id):  # type: ignore[no-untyped-def]
        self._connect()

    def _file_info(self, path, version_id):  # type: ignore[no-untyped-def]
        self._connect()

    def _folder_info(self, path):  # type: ignore[no-untyped-def]
        self._connect()

    def _list_files(self, path, recursive):  # type: ignore[no-untyped-def]
        self._connect()
        return []

    def _list_folders(self, path):  # type: ignore[no-untyped-def]
        self._connect()
        return []

    def _write(self, path, data, *, overwrite, metadata):  # type: ignore[no-untyped-def]
        self._connect()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tcp_scheme(monkeypatch: pytest.MonkeyPatch) -> str:
    scheme = f"tcptest{uuid.uuid4().hex[:6]}"
    entry = SimpleNamespace(name=scheme, value=f"{__name__}:_TcpBackend", load=lambda: _TcpBackend)
    monkeypatch.setitem(registry._entry_points(), scheme, entry)
    return scheme


def test_unreachable_remote(
    pushed: Repo,
    workspace: Path,
    tcp_scheme: str,
    closed_port: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pushed.remote_add("down", f"{tcp_scheme}://127.0.0.1:{closed_port}")
    (workspace / "new").write_text("new data")
    pushed.add("new")
    before = snapshot(workspace)
    for call in (
        lambda: pushed.push(remote="down"),
        lambda: pushed.status(remote="down"),
        lambda: pushed.gc(workspace=True, cloud=True, remote="down", force=True),
    ):
        with pytest.raises(BackendUnavailable, match=r"(?i)refused"):
            call()
    assert snapshot(workspace) == before
    # With an empty cache, pull stops at the first object it cannot get (the others
    # would fail alike, each after its retries) and keeps the data.
    import shutil

    shutil.rmtree(workspace / ".dvc" / "cache")
    before = snapshot(workspace)
    with pytest.raises(BackendUnavailable, match=r"(?i)refused"):
        pushed.pull(remote="down")
    assert snapshot(workspace) == before


# ------------------------------------------------------------------------------ full disk
def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    if not _mount_tmpfs(mount, "96k"):
        pytest.skip("needs the capability to mount a tmpfs (CAP_SYS_ADMIN) to fill a disk")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_remote_disk(dvcrepo: Repo, workspace: Path, tiny_disk: Path) -> None:
    files = {f"f{i}": os.urandom(24 * 1024) for i in range(8)}  # 192 KiB > 96 KiB
    write_tree(workspace, {"data": files})
    dvcrepo.add("data")
    dvcrepo.remote_add("full", str(tiny_disk / "remote"), default=True)
    before = snapshot(workspace)
    result = dvcrepo.push()
    assert result.failed and not result.ok
    assert any(isinstance(e, StorageFull) for e in result.failed.values())
    assert snapshot(workspace) == before
    # Whatever reached the remote is whole; no partial object sits at a final path.
    for path in (tiny_disk / "remote" / "files" / "md5").rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            oid = path.parent.name + path.name
            assert md5(path.read_bytes()) == oid.removesuffix(".dir"), path
    proc = _cli(workspace, "push")
    assert proc.returncode == 3 and "no space left" in proc.stderr.lower()


def test_full_workspace_disk_on_pull(
    tmp_path: Path, remote_dir: Path, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    files = {f"f{i}": os.urandom(24 * 1024) for i in range(8)}
    write_tree(src, {"data": files})
    repo = Repo.init(src)
    repo.add("data")
    repo.remote_add("store", str(remote_dir), default=True)
    assert repo.push().ok
    clone = tiny_disk / "clone"
    clone.mkdir()
    (clone / ".dvc").mkdir()
    for name in ("config",):
        (clone / ".dvc" / name).write_bytes((src / ".dvc" / name).read_bytes())
    (clone / "data.dvc").write_bytes((src / "data.dvc").read_bytes())
    (clone / ".dvc" / "config").write_text(
        f"[core]\n    remote = store\n['remote \"store\"']\n    url = {remote_dir}\n"
    )
    monkeypatch.chdir(clone)
    result = Repo(clone).pull()
    assert not result.ok
    assert any(
        isinstance(e, StorageFull) or (isinstance(e, OSError) and e.errno == errno.ENOSPC)
        for e in result.fetch.failed.values()
    )
    cache = clone / ".dvc" / "cache" / "files" / "md5"
    for path in cache.rglob("*"):
        if path.is_file():  # nothing truncated was accepted into the cache
            assert md5(path.read_bytes()) == (path.parent.name + path.name).removesuffix(".dir")
    for rel, data in read_tree(clone / "data").items() if (clone / "data").exists() else []:
        assert files[rel] == data  # what was checked out is whole
    assert snapshot(remote_dir)  # the remote is untouched by a failing pull


@pytest.mark.parametrize("size", [200 * 1024, 5 << 20])  # read whole / streamed
def test_full_cache_disk_on_add_names_the_cache(
    dvcrepo: Repo, workspace: Path, tiny_disk: Path, size: int
) -> None:
    """ENOSPC while add writes into the cache names the cache, not the file read
    (issue 11 item 10)."""
    cache = tiny_disk / "cache"
    with open(workspace / ".dvc" / "config", "a", encoding="utf-8") as f:
        f.write(f"[cache]\n    dir = {cache}\n    type = copy\n")
    write_tree(workspace, {"big.bin": os.urandom(size)})
    before = snapshot(workspace)
    proc = _cli(workspace, "add", "big.bin")
    assert proc.returncode == 3
    line = proc.stderr.strip()
    assert line.startswith(f"ERROR: No space left on device: {cache}"), line
    assert "big.bin" not in line and "Traceback" not in line
    assert snapshot(workspace) == before
    assert [p for p in cache.rglob("*") if p.is_file()] == []  # nothing partial kept


def test_enospc_is_reported_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Unit test of error mapping: the command layer turns ENOSPC into one clear line.
    from dvcremote import cli

    def full(args: Any, out: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/some/cache/file")

    monkeypatch.setattr(cli, "cmd_add", full)
    assert cli.main(["add", "x"]) == 3
    err = capsys.readouterr().err
    assert err.strip() == "ERROR: No space left on device: /some/cache/file"
