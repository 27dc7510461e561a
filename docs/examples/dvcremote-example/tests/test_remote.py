"""Every remote suite on example:// storage.

The version-aware and worktree suites are inherited too: this storage keeps no
versions, so they report themselves skipped for lack of the VERSIONING capability.
A versioned storage would also define ``make_example_version_aware``.
"""

import pytest

from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree


@pytest.fixture
def remote(make_remote):
    return make_remote(name="upstream", typ="example")


@pytest.fixture
def remote_version_aware(make_remote_version_aware):
    return make_remote_version_aware(name="upstream", typ="example")


@pytest.fixture
def remote_worktree(make_remote_worktree):
    return make_remote_worktree(name="upstream", typ="example")


class TestExampleRemote(TestRemote):
    pass


class TestExampleRemoteVersionAware(TestRemoteVersionAware):
    pass


class TestExampleRemoteWorktree(TestRemoteWorktree):
    pass
