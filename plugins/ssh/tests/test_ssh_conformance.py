"""The whole backend conformance suite against a real SSH server (OpenSSH's sshd in CI).

The backend logs in with a passphrase-protected key and also carries a password, so
every repr and error the suite produces is checked for both secrets.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dvcremote_ssh.backend import SSHBackend
from dvcremote_ssh.testing import SSHServer, running_ssh_server
from dvcremote_testing.backend_tests import (
    AtomicWriteTests,
    BackendConformance,
    BulkTests,
    ReadWriteTests,
)

PASSWORD = "ssh-password-not-shown-5b20c8"


def _backend(server: SSHServer, url: str) -> SSHBackend:
    return SSHBackend.from_url(
        url,
        keyfile=server.encrypted_keyfile,
        passphrase=server.passphrase,
        password=PASSWORD,
        known_hosts=server.known_hosts,
    )


@pytest.fixture
def backend_secrets(ssh_server: SSHServer) -> list[str]:
    return [PASSWORD, ssh_server.passphrase]


class TestSSHConformance(BackendConformance):
    @pytest.fixture
    def backend(self, ssh_server: SSHServer, ssh_url: str) -> Iterator[SSHBackend]:
        backend = _backend(ssh_server, ssh_url)
        yield backend
        backend.close()


@pytest.fixture(scope="module", params=["asyncssh", "sftp-only"])
def other_server(request: pytest.FixtureRequest) -> Iterator[SSHServer]:
    """The pure-Python fallback server, and an sshd that allows nothing but SFTP."""
    kind, sftp_only = ("asyncssh", False) if request.param == "asyncssh" else (None, True)
    with running_ssh_server(kind, sftp_only=sftp_only) as server:
        yield server


class TestOtherServersConformance(ReadWriteTests, AtomicWriteTests, BulkTests):
    """The backend needs nothing but SFTP, and the fallback server behaves like sshd."""

    @pytest.fixture
    def backend(self, other_server: SSHServer, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[SSHBackend]:
        root = tmp_path_factory.mktemp("other-remote")
        backend = _backend(other_server, other_server.url(str(root)))
        yield backend
        backend.close()
