"""The server fixture itself: both server kinds serve what sshfs needs, and stop for good."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import asyncssh
import pytest
from sshfs import SSHFileSystem

from dvcremote_ssh.testing import SSHServer, running_ssh_server, sshd_available


def _listening(server: SSHServer) -> bool:
    try:
        with socket.create_connection((server.host, server.port), timeout=1):
            return True
    except OSError:
        return False


KINDS = [
    pytest.param(
        "openssh",
        marks=pytest.mark.skipif(not sshd_available(), reason="OpenSSH sshd is not installed"),
    ),
    "asyncssh",
]


@pytest.mark.parametrize("kind", KINDS)
def test_server_serves_sftp_and_exec_then_stops(kind: str) -> None:
    with running_ssh_server(kind) as server:
        assert server.kind == kind
        assert server.port > 0 and server.user
        fs = SSHFileSystem(
            server.host, port=server.port, username=server.user,
            client_keys=[server.keyfile], known_hosts=server.known_hosts,
            skip_instance_cache=True,
        )
        target = f"{server.workdir}/t/a.bin"
        fs.pipe_file(target, b"payload")
        assert fs.cat_file(target) == b"payload"
        # sshfs runs shell commands for these; third parties using sshfs directly need them.
        fs.cp_file(target, target + ".copy")
        assert fs.cat_file(target + ".copy") == b"payload"
        assert fs.checksum(target) == "321c3cf486ed509164edec1e1981fec8"
        fs.client.close()
        workdir = server.workdir
        assert _listening(server)
    assert not _listening(server), "the server still accepts connections after stop()"
    assert not os.path.exists(workdir)


def test_each_test_gets_a_fresh_empty_root(ssh_root: str, ssh_server: SSHServer) -> None:
    root = Path(ssh_root)
    assert root.is_dir() and list(root.iterdir()) == []
    assert root.is_relative_to(ssh_server.workdir)
    (root / "left-behind.bin").write_bytes(b"x")


def test_roots_are_not_shared(ssh_root: str) -> None:
    assert not (Path(ssh_root) / "left-behind.bin").exists()


@pytest.mark.skipif(not sshd_available(), reason="OpenSSH sshd is not installed")
def test_default_kind_is_openssh_where_installed(
    ssh_server: SSHServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.environ.get("DVCREMOTE_SSH_SERVER"):
        pytest.skip("DVCREMOTE_SSH_SERVER chooses the server kind for this run")
    assert ssh_server.kind == "openssh"


@pytest.mark.parametrize("kind", KINDS)
def test_sftp_only_server_runs_no_commands(kind: str) -> None:
    async def echo(server: SSHServer) -> str:
        async with asyncssh.connect(
            server.host, server.port, username=server.user,
            client_keys=[server.keyfile], known_hosts=server.known_hosts,
        ) as conn:
            try:
                result = await asyncio.wait_for(conn.run("echo from-a-shell", input=""), 10)
            except asyncssh.ChannelOpenError:
                return ""  # refused outright (asyncssh) rather than answered by sftp (sshd)
            return str(result.stdout or "")

    with running_ssh_server(kind, sftp_only=True) as server:
        assert "from-a-shell" not in asyncio.run(echo(server))
