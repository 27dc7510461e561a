"""The unavailable-storage suites against sshd: a closed port, a key it does not accept.

The SSH backend connects when it is built, so both refusals come from the opener itself
(the suites accept that as refusing every method). A missing remote folder is not an
error over SSH: it is an empty remote that the first push creates, so there is no
missing-storage case. A server lost mid-session is the fault suites' business.
"""

from __future__ import annotations

import pytest

from dvcremote_ssh.backend import SSHBackend
from dvcremote_ssh.testing import (
    WRONG_PASSWORD,
    SSHOpener,
    SSHServer,
    ssh_open_refused,
    ssh_open_unreachable,
)
from dvcremote_testing.backend_tests import UnavailableStorageTests

__all__ = ["ssh_open_refused", "ssh_open_unreachable"]


@pytest.fixture
def backend_secrets() -> list[str]:
    return [WRONG_PASSWORD]


class TestSSHUnavailable(UnavailableStorageTests):
    @pytest.fixture
    def open_unreachable_backend(self, ssh_open_unreachable: SSHOpener) -> SSHOpener:
        return ssh_open_unreachable

    @pytest.fixture
    def open_refused_backend(self, ssh_open_refused: SSHOpener) -> SSHOpener:
        return ssh_open_refused


def test_missing_remote_folder_is_an_empty_remote(ssh_server: SSHServer, ssh_root: str) -> None:
    """Over SSH a missing root is normal before the first push: absent, never an error."""
    with SSHBackend.from_url(ssh_server.url(f"{ssh_root}/not/yet"), **ssh_server.options()) as b:
        assert b.exists("never/made.bin") is False
        assert b.exists_many(["a/b.bin"]) == {"a/b.bin": False}
        assert list(b.list_paths("files/md5/00")) == []
        assert b.check_health().ok
        b.write("files/md5/00/abc", b"x")
        assert b.exists("files/md5/00/abc")
