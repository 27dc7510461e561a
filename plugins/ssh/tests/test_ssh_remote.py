"""Every remote suite against a real SSH server (OpenSSH's sshd where installed).

The repository pushes and pulls over SFTP through the plugin; each test looks at the
server's directory through ``SSHCloud``, the standard library on this machine's files
(the server runs here), never through the plugin. SSH keeps no versions, so the
version-aware and worktree suites skip for lack of VERSIONING, the reason saying so.
"""

from __future__ import annotations

import os

import pytest

from dvcremote_ssh.testing import SSHCloud, SSHServer, make_ssh
from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree

# A module-level fixture (this package's conftest is not the place to add it).
__all__ = ["make_ssh"]


@pytest.fixture
def remote(make_remote) -> SSHCloud:
    return make_remote(name="upstream", typ="ssh")


@pytest.fixture
def remote_version_aware(make_remote_version_aware) -> SSHCloud:
    return make_remote_version_aware(name="upstream", typ="ssh")


@pytest.fixture
def remote_worktree(make_remote_worktree) -> SSHCloud:
    return make_remote_worktree(name="upstream", typ="ssh")


class TestSSHRemote(TestRemote):
    pass


class TestSSHRemoteVersionAware(TestRemoteVersionAware):
    pass


class TestSSHRemoteWorktree(TestRemoteWorktree):
    pass


def test_remote_is_a_server_directory(remote: SSHCloud, ssh_server: SSHServer, dvc) -> None:
    """The repository's remote is the ssh:// URL of the directory the Cloud reads."""
    assert remote.url == f"ssh://{ssh_server.user}@127.0.0.1:{ssh_server.port}{remote.root}"
    assert remote.local_path.is_dir() and not any(remote.local_path.iterdir())
    assert dvc.config.remote("upstream").url == remote.url
    assert (remote / "a" / "b").url == remote.url + "/a/b"
    assert os.path.commonpath([remote.root, ssh_server.workdir]) == ssh_server.workdir
