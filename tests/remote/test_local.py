"""The remote suites on a plain local directory (no versioning: content-addressed only).

The version-aware and worktree suites are subclassed here too: a plain directory
lacks VERSIONING, so they must skip by that capability (and say so), never run
against storage that cannot keep versions.
"""

from __future__ import annotations

import pytest

from dvcremote_testing.cloud import LocalCloud
from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree


@pytest.fixture
def make_plain_local(tmp_path_factory):
    def _make():
        return LocalCloud(tmp_path_factory.mktemp("plain-local-remote"))

    return _make


@pytest.fixture
def remote(make_remote):
    return make_remote(name="upstream", typ="local")


@pytest.fixture
def remote_version_aware(make_remote_version_aware):
    return make_remote_version_aware(name="upstream", typ="plain_local")


@pytest.fixture
def remote_worktree(make_remote_worktree):
    return make_remote_worktree(name="upstream", typ="plain_local")


class TestLocalRemote(TestRemote):
    on_builtin_storage = True


class TestLocalRemoteVersionAware(TestRemoteVersionAware):
    on_builtin_storage = True


class TestLocalRemoteWorktree(TestRemoteWorktree):
    on_builtin_storage = True
