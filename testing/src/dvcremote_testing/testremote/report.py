"""What a ``test-remote`` run found: counts per suite, and each failure in one line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Worst first: a test that failed in teardown after passing is a failure.
_RANK = {"passed": 0, "skipped": 1, "failed": 2}
_WIDTH = 160


@dataclass
class SuiteResult:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    #: Wall time of the suite's tests, setup and teardown included.
    seconds: float = 0.0
    #: ``(test name, one-line error)`` for each failed test.
    failures: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.name,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "failures": [{"test": test, "error": error} for test, error in self.failures],
        }


@dataclass
class Report:
    url: str
    run_folder: str | None
    suites: list[SuiteResult]
    interrupted: bool = False
    #: Why the run folder could not be removed (None when it was, or never made).
    cleanup_error: str | None = None

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.suites)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted and self.cleanup_error is None

    def table(self) -> str:
        keys = ("passed", "failed", "skipped", "seconds")
        rows: list[tuple[str, ...]] = [("suite", *keys)]
        rows += [(s.name, *(_cell(getattr(s, k)) for k in keys)) for s in self.suites]
        rows.append(("total", *(_cell(sum(getattr(s, k) for s in self.suites)) for k in keys)))
        width = max(len(r[0]) for r in rows)
        lines = [f"{r[0]:<{width}}  {r[1]:>6}  {r[2]:>6}  {r[3]:>7}  {r[4]:>7}" for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines.insert(len(lines) - 1, "-" * len(lines[0]))
        return "\n".join(lines)

    def failure_lines(self) -> list[str]:
        return [
            f"FAILED {suite.name}::{test}: {error}"
            for suite in self.suites
            for test, error in suite.failures
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "run_folder": self.run_folder,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "cleanup_error": self.cleanup_error,
            "suites": [s.to_json() for s in self.suites],
        }


def _cell(value: float) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


class Outcomes:
    """Each test's worst outcome over setup, call and teardown, with its one-line reason."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._by_test: dict[str, tuple[str, str]] = {}
        self._seconds: dict[str, float] = {}
        self._secrets = [s for s in secrets if s]

    def add(self, nodeid: str, outcome: str, message: str) -> None:
        before = self._by_test.get(nodeid)
        if before is None or _RANK[outcome] > _RANK[before[0]]:
            self._by_test[nodeid] = (outcome, self._redact(message))

    def took(self, nodeid: str, seconds: float) -> None:
        self._seconds[nodeid] = self._seconds.get(nodeid, 0.0) + seconds

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def by_suite(self, order: Iterable[str]) -> list[SuiteResult]:
        """Results for the suites named in ``order`` that ran (in that order)."""
        results = {name: SuiteResult(name) for name in order}
        for nodeid, (outcome, message) in self._by_test.items():
            _, suite, test = nodeid.split("::", 2)
            result = results.setdefault(suite, SuiteResult(suite))
            setattr(result, outcome, getattr(result, outcome) + 1)
            result.seconds += self._seconds.get(nodeid, 0.0)
            if outcome == "failed":
                result.failures.append((test, message))
        return [r for r in results.values() if r.passed or r.failed or r.skipped]


def one_line(longrepr: Any) -> str:
    """The first line of a pytest report's reason (the exception, or the skip reason)."""
    if isinstance(longrepr, tuple):  # a skip: (path, line, "Skipped: why")
        text = str(longrepr[2]).removeprefix("Skipped: ")
    else:
        crash = getattr(longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(longrepr)
    first = text.strip().splitlines()[0] if text.strip() else "(no message)"
    return first if len(first) <= _WIDTH else first[: _WIDTH - 3] + "..."
