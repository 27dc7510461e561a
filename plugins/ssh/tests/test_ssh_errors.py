"""Failures against a real SSH server come out as the right dvcremote error, with no secret."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from dvcremote.backend import open_backend
from dvcremote.errors import BackendError, BackendUnavailable, PermissionDenied
from dvcremote_ssh.backend import SSHBackend
from dvcremote_ssh.testing import SSHServer, free_port, running_ssh_server

PASSWORD = "ssh-password-in-errors-9d0e1f"


def _text(exc: BaseException) -> str:
    return f"{exc} {exc!r} {exc.args}"


def _stranger_key(tmp_path: Path) -> str:
    """A valid private key the server has never been told about."""
    path = tmp_path / "stranger_ed25519"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(path))
    return str(path)


def test_key_the_server_does_not_accept_is_permission_denied(
    ssh_server: SSHServer, ssh_url: str, tmp_path: Path
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        SSHBackend.from_url(
            ssh_url,
            keyfile=_stranger_key(tmp_path),
            password=PASSWORD,  # the server allows no passwords: this must fail too
            known_hosts=ssh_server.known_hosts,
            allow_agent=False,
        )
    assert "authentication failed" in str(caught.value)
    assert caught.value.backend == "ssh"
    assert PASSWORD not in _text(caught.value)
    assert isinstance(caught.value.__cause__, Exception), "the native error is chained"


def test_wrong_passphrase_is_permission_denied_and_not_shown(
    ssh_server: SSHServer, ssh_url: str
) -> None:
    wrong = "wrong-passphrase-3e7d11"
    with pytest.raises(PermissionDenied) as caught:
        SSHBackend.from_url(
            ssh_url,
            keyfile=ssh_server.encrypted_keyfile,
            passphrase=wrong,
            known_hosts=ssh_server.known_hosts,
        )
    assert "keyfile" in str(caught.value)
    assert wrong not in _text(caught.value)


def test_connection_refused_is_backend_unavailable(ssh_server: SSHServer) -> None:
    port = free_port()  # nothing listens there
    url = f"ssh://{ssh_server.user}@127.0.0.1:{port}/data"
    with pytest.raises(BackendUnavailable) as caught:
        SSHBackend.from_url(
            url, keyfile=ssh_server.keyfile, password=PASSWORD, known_hosts="ignore"
        )
    assert "cannot connect" in str(caught.value)
    assert PASSWORD not in _text(caught.value)


def test_unknown_host_key_is_refused(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    """A known_hosts file that names another key for this host: a possible impostor."""
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    known = tmp_path / "known_hosts"
    known.write_text(f"[{ssh_server.host}]:{ssh_server.port} {other}")
    with pytest.raises(PermissionDenied) as caught:
        SSHBackend.from_url(ssh_url, keyfile=ssh_server.keyfile, known_hosts=str(known))
    assert "host key" in str(caught.value)


def test_default_known_hosts_is_checked_when_it_exists(
    ssh_server: SSHServer, ssh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    # No ~/.ssh/known_hosts: like DVC, any host key is accepted.
    with SSHBackend.from_url(ssh_url, keyfile=ssh_server.keyfile) as backend:
        assert backend.write("x.bin", b"1").size == 1
    # With one that does not list this server: refused, as ssh would.
    (home / ".ssh" / "known_hosts").write_text("")
    with pytest.raises(PermissionDenied, match="host key"):
        SSHBackend.from_url(ssh_url, keyfile=ssh_server.keyfile)
    # With one that does: accepted.
    (home / ".ssh" / "known_hosts").write_text(Path(ssh_server.known_hosts).read_text())
    with SSHBackend.from_url(ssh_url, keyfile=ssh_server.keyfile) as backend:
        assert backend.read_bytes("x.bin") == b"1"


def test_ignore_accepts_any_host_key(ssh_server: SSHServer, ssh_url: str) -> None:
    with open_backend(ssh_url, keyfile=ssh_server.keyfile, known_hosts="ignore") as backend:
        backend.write("a.bin", b"abc")
        assert backend.read_bytes("a.bin") == b"abc"


def test_server_gone_mid_session_is_backend_unavailable(tmp_path: Path) -> None:
    with running_ssh_server() as server:
        backend = SSHBackend.from_url(
            server.url(str(tmp_path)), password=PASSWORD, **server.options()
        )
        backend.write("before.bin", b"x")
    # The server and its session processes are gone now.
    try:
        with pytest.raises(BackendUnavailable) as caught:
            backend.read_bytes("before.bin")
        assert PASSWORD not in _text(caught.value)
        report = backend.check_health()
        assert report.ok is False
        assert PASSWORD not in report.detail
    finally:
        backend.close()


def test_errors_from_sftp_carry_the_relative_path(ssh_backend: SSHBackend) -> None:
    ssh_backend.write("dir/file.bin", b"x")
    with pytest.raises(BackendError) as caught:
        ssh_backend.read_bytes("dir")
    assert caught.value.path == "dir"
    assert caught.value.backend == "ssh"
