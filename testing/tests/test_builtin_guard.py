"""A plugin's suite class never passes on dvcremote's own storage by mistake (issue 14).

The remote suites' default fixtures give a local folder: a subclass whose module forgot
to override ``remote`` used to test the built-in local backend and pass. The suites now
fail such a class with a message saying what to define, unless it opts in.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PLUGIN_TESTS = '''
import pytest

from dvcremote.backends.local import LocalBackend
from dvcremote.backends.memory import MemoryBackend
from dvcremote_testing.backend_tests import IdentityTests
from dvcremote_testing.remote_tests import TestRemote


@pytest.fixture
def backend(tmp_path):
    """A plugin fixture that opened a plain path (the built-in local backend) by mistake."""
    return LocalBackend(tmp_path)


class TestForgotBackend(IdentityTests):
    pass


class TestBuiltinOnPurpose(IdentityTests):
    on_builtin_storage = True


class PluginBackend(MemoryBackend):
    """Stands for a plugin's own class: it lives in the plugin's module."""


class TestPluginBackend(IdentityTests):
    @pytest.fixture
    def backend(self):
        return PluginBackend()


class TestForgotRemote(TestRemote):
    """No ``remote`` fixture in this module: the kit's default is a local folder."""
'''


def test_suites_refuse_builtin_storage_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin=PLUGIN_TESTS)
    result = pytester.runpytest(
        "-p", "dvcremote_testing.plugin", "-p", "no:cacheprovider",
        "-k", "test_name_is_a_short_identifier or test_pull_00_prefix",
    )
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    outcome = {
        r.nodeid.split("::", 1)[1]: (r.when, r.outcome, str(r.longrepr or ""))
        for r in reports if r.failed or r.when == "call"
    }
    forgot_backend = outcome["TestForgotBackend::test_name_is_a_short_identifier"]
    assert forgot_backend[:2] == ("setup", "failed")
    assert "TestForgotBackend runs on dvcremote's built-in LocalBackend" in forgot_backend[2]
    assert "`backend` fixture" in forgot_backend[2]
    assert "on_builtin_storage = True" in forgot_backend[2]

    remote = [v for k, v in outcome.items() if k.startswith("TestForgotRemote::")]
    assert remote, "the remote suite ran no test"
    for when, result_, text in remote:
        assert (when, result_) == ("setup", "failed")
        assert "TestForgotRemote runs on dvcremote's built-in LocalBackend" in text
        assert "'remote' fixture was not overridden" in text

    passed = {k for k, (when, res, _) in outcome.items() if res == "passed"}
    assert passed == {
        "TestBuiltinOnPurpose::test_name_is_a_short_identifier",
        "TestPluginBackend::test_name_is_a_short_identifier",
    }
