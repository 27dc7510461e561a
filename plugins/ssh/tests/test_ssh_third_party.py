"""A third party loads the server fixtures with ``pytest_plugins`` and gets the whole suite."""

from __future__ import annotations

from pathlib import Path

from dvcremote_testing.pytest_project import run_pytest_project

CONFTEST = '''
pytest_plugins = ["dvcremote_ssh.testing"]
'''

TESTS = '''
import pytest
from dvcremote_testing.backend_tests import ReadWriteTests


class TestThirdParty(ReadWriteTests):
    @pytest.fixture
    def backend(self, ssh_backend):
        return ssh_backend


def test_fixture_names(ssh_server, ssh_root, ssh_url):
    assert ssh_url == ssh_server.url(ssh_root)
'''


def test_fixtures_load_through_pytest_plugins(tmp_path: Path) -> None:
    run = run_pytest_project(tmp_path, {"conftest.py": CONFTEST, "test_mine.py": TESTS})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
