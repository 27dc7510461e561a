"""Run the suites with pytest, in this process, cut off from the caller's pytest setup.

pytest gets only ``suites.py``, an ini file of its own, no conftest and no cache, so a
``pytest.ini``, ``conftest.py``, ``PYTEST_ADDOPTS`` or an installed pytest plugin
(no autoload) changes nothing. Two plugin objects drive it: one gives the suites the live target
and keeps only the selected tests, the other records each test's outcome.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dvcremote_testing.testremote.report import Outcomes, one_line
from dvcremote_testing.testremote.target import LiveTarget

_MODULE = "dvcremote_testing.testremote.suites"
_INI = """\
[pytest]
python_files = suites.py
python_classes = Test* *Tests *Checks
python_functions = test*
"""

#: Suite classes ``--fast`` leaves out: big files, and threads racing each other.
FAST_SKIPS_SUITES = frozenset({"StreamingTests", "ThreadSafetyTests"})
#: Single tests ``--fast`` leaves out (each pushes hundreds of objects).
FAST_SKIPS_TESTS = frozenset({"test_push_nothing_to_do"})


class Selection:
    """Which suites a run keeps, by mode."""

    def __init__(self, suites: tuple[str, ...], fast: bool) -> None:
        self.suites = suites
        self.fast = fast

    def keeps(self, item: pytest.Item) -> bool:
        cls = getattr(item, "cls", None)
        if cls is None or cls.__name__ not in self.suites:
            return False
        if self.fast:
            name = getattr(item, "originalname", item.name)
            return cls.__name__ not in FAST_SKIPS_SUITES and name not in FAST_SKIPS_TESTS
        return True


#: Where the suites find the run's target (``suites.live``).
TARGET = pytest.StashKey[LiveTarget]()


class _LivePlugin:
    def __init__(self, target: LiveTarget, selection: Selection, outcomes: Outcomes) -> None:
        self.target = target
        self.selection = selection
        self.outcomes = outcomes
        self.collection_errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[TARGET] = self.target

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        kept = [item for item in items if self.selection.keeps(item)]
        dropped = [item for item in items if not self.selection.keeps(item)]
        items[:] = kept
        if dropped:
            config.hook.pytest_deselected(items=dropped)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(one_line(report.longrepr))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.outcomes.took(report.nodeid, report.duration)
        if report.when == "call" or report.failed or report.skipped:
            outcome = "failed" if report.failed else report.outcome
            message = one_line(report.longrepr) if outcome != "passed" else ""
            self.outcomes.add(report.nodeid, outcome, message)


@contextmanager
def _without_env(*names: str) -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@contextmanager
def _with_env(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_pytest(
    target: LiveTarget, selection: Selection, outcomes: Outcomes, *, verbose: bool
) -> tuple[pytest.ExitCode | int, list[str]]:
    """pytest's exit code and any collection errors; outcomes land in ``outcomes``."""
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"cannot find {_MODULE}: is dvcremote-testing installed whole?")
    plugin = _LivePlugin(target, selection, outcomes)
    with tempfile.TemporaryDirectory(prefix="dvcremote-test-remote-") as tmp:
        ini = Path(tmp, "pytest.ini")
        ini.write_text(_INI)
        args: list[Any] = [
            spec.origin,
            "-c", str(ini),
            "--rootdir", tmp,
            "--basetemp", str(Path(tmp, "basetemp")),
            "--noconftest",
            "-p", "dvcremote_testing.plugin",
            "-p", "no:cacheprovider",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
        ]
        args += ["-v", "-rfE", "--tb=short"] if verbose else ["-p", "no:terminal"]
        with _without_env("PYTEST_ADDOPTS", "PYTEST_PLUGINS"), _with_env(
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"
        ):
            code = pytest.main(args, plugins=[plugin])
    return code, plugin.collection_errors
