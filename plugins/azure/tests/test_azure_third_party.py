"""A third party loads the server fixtures with ``pytest_plugins`` and gets the whole suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFTEST = '''
pytest_plugins = ["dvcremote_azure.testing"]
'''

TESTS = '''
import pytest
from dvcremote_testing.backend_tests import ReadWriteTests


class TestThirdParty(ReadWriteTests):
    @pytest.fixture
    def backend(self, azure_backend):
        return azure_backend


def test_fixture_names(azurite, azure_container, azure_url):
    assert azure_url == f"azure://{azure_container}/root"
    assert azurite.connection_string
'''


def test_fixtures_load_through_pytest_plugins(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_mine.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # keep this repository's config out
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
