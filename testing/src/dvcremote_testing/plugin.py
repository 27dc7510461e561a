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

# pytest finds fixtures by name in a plugin's namespace: every one fixtures.py exports.
from dvcremote_testing import fixtures as _fixtures  # noqa: E402
from dvcremote_testing.fixtures import *  # noqa: E402, F403

__all__ = list(_fixtures.__all__)
