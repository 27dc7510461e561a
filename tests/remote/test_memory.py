"""The remote suites on the in-process memory backend."""

from __future__ import annotations

import pytest

from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree


@pytest.fixture
def remote(make_remote):
    return make_remote(name="upstream", typ="memory")


@pytest.fixture
def remote_version_aware(make_remote_version_aware):
    return make_remote_version_aware(name="upstream", typ="memory")


@pytest.fixture
def remote_worktree(make_remote_worktree):
    return make_remote_worktree(name="upstream", typ="memory")


class TestMemoryRemote(TestRemote):
    on_builtin_storage = True


class TestMemoryRemoteVersionAware(TestRemoteVersionAware):
    on_builtin_storage = True


class TestMemoryRemoteWorktree(TestRemoteWorktree):
    on_builtin_storage = True
