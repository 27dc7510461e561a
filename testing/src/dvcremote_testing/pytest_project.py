"""pytest run in a child process on a throwaway project, as a plugin's user would run it.

For checking what a third party gets from a fixture module or suite (``pytest_plugins``
in its own conftest, say) without this test run's plugins, options or rootdir.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["run_pytest_project"]


def run_pytest_project(
    root: Path, files: Mapping[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Write ``files`` (name -> text) under ``root`` and run ``pytest -q ARGS`` on it.

    An empty ``pytest.ini`` makes ``root`` the rootdir, so an enclosing repository's
    configuration stays out; the cache and xdist plugins are off.
    """
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         *args, str(root)],
        cwd=root, capture_output=True, text=True, timeout=timeout, check=False,
    )
