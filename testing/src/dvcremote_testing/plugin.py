"""The opt-in pytest plugin behind the remote suites.

Load it with ``pytest -p dvcremote_testing.plugin`` or ``pytest_plugins =
["dvcremote_testing.plugin"]`` in a conftest. It is deliberately not a ``pytest11``
entry point: installing dvcremote-testing must never change an unrelated test run
(DVC's own plugin once did exactly that).
"""

from __future__ import annotations

import pytest

# The suites live in an installed package, where pytest would not rewrite their
# asserts: register them before anything imports them, so failures show values.
pytest.register_assert_rewrite(
    "dvcremote_testing.remote_tests", "dvcremote_testing.expect", "dvcremote_testing.tmp_dir"
)

from dvcremote_testing.fixtures import (  # noqa: E402
    cloud,
    dvc,
    local_cloud,
    local_remote,
    make_cloud,
    make_cloud_version_aware,
    make_local,
    make_local_version_aware,
    make_memory,
    make_memory_version_aware,
    make_remote,
    make_remote_version_aware,
    make_remote_worktree,
    memory_cloud,
    remote,
    remote_version_aware,
    remote_worktree,
    repo,
    scm,
    tmp_dir,
)

__all__ = [
    "cloud",
    "dvc",
    "local_cloud",
    "local_remote",
    "make_cloud",
    "make_cloud_version_aware",
    "make_local",
    "make_local_version_aware",
    "make_memory",
    "make_memory_version_aware",
    "make_remote",
    "make_remote_version_aware",
    "make_remote_worktree",
    "memory_cloud",
    "remote",
    "remote_version_aware",
    "remote_worktree",
    "repo",
    "scm",
    "tmp_dir",
]
