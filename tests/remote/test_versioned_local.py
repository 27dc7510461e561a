"""The remote suites on a local directory with versioning on (no server needed)."""

from __future__ import annotations

import pytest

from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree


@pytest.fixture
def remote(make_remote):
    # A content-addressed remote on versioned storage: every object write makes a version.
    return make_remote(name="upstream", typ="local_version_aware")


@pytest.fixture
def remote_version_aware(make_remote_version_aware):
    return make_remote_version_aware(name="upstream", typ="local")


@pytest.fixture
def remote_worktree(make_remote_worktree):
    return make_remote_worktree(name="upstream", typ="local")


class TestVersionedLocalRemote(TestRemote):
    on_builtin_storage = True


class TestVersionedLocalRemoteVersionAware(TestRemoteVersionAware):
    on_builtin_storage = True


class TestVersionedLocalRemoteWorktree(TestRemoteWorktree):
    on_builtin_storage = True
