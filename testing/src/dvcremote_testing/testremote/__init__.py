"""``dvcremote test-remote URL``: the suites against a live remote, as git-annex's testremote.

The core's CLI finds :func:`main` through the ``dvcremote.commands`` entry point, so
dvcremote itself never imports this package. A run checks the remote is reachable,
runs the backend suites (each test in a fresh folder) and the remote suites (a real
repository pushing to and pulling from a fresh folder) below one run folder
``<URL>/dvcremote-test-remote-<random>``, removes that folder whatever happened, and
prints a table. ``--read-only`` runs only :mod:`.readonly`'s checks and writes nothing.

Exit codes: 0 all passed · 1 a test failed (or the run folder could not be removed) ·
2 a bad URL or option · 3 the remote is unreachable (or the suites could not run) ·
130 interrupted (the run folder is still removed).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from dvcremote.backend import scheme_of
from dvcremote.errors import BackendError, ConfigError, DvcRemoteError, StorageNotFound
from dvcremote_testing.testremote.report import Outcomes, Report
from dvcremote_testing.testremote.session import Selection, run_pytest
from dvcremote_testing.testremote.target import RUN_PREFIX, LiveTarget

__all__ = ["RUN_PREFIX", "main", "run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

#: Suite names by kind, in report order (the classes live in ``suites.py``).
BACKEND_SUITES = (
    "IdentityTests", "ReadWriteTests", "ListingTests", "AtomicWriteTests", "MetadataTests",
    "StreamingTests", "ErrorTests", "HealthTests", "VersioningTests", "BulkTests",
    "ThreadSafetyTests",
)
REMOTE_SUITES = ("TestRemote", "TestRemoteVersionAware", "TestRemoteWorktree")
READ_ONLY_SUITES = ("ReadOnlyChecks",)

#: pytest's exit codes after which the outcomes recorded are the whole story.
_EXIT = pytest.ExitCode
_RAN = (_EXIT.OK, _EXIT.TESTS_FAILED, _EXIT.INTERRUPTED, _EXIT.NO_TESTS_COLLECTED)


class Unusable(Exception):
    """The run cannot start; ``code`` says whether the input or the remote is at fault."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def preflight(target: LiveTarget) -> None:
    """Open the remote and probe it; raise :class:`Unusable` instead of running tests."""
    try:
        backend = target.open()
    except StorageNotFound as exc:
        raise Unusable(f"remote {target.url} does not exist: {exc}", EXIT_UNREACHABLE) from exc
    except (ConfigError, ValueError, TypeError) as exc:
        raise Unusable(f"cannot open {target.url}: {exc}", EXIT_USAGE) from exc
    except DvcRemoteError as exc:
        raise Unusable(f"remote {target.url} is unreachable: {exc}", EXIT_UNREACHABLE) from exc
    with backend:
        health = backend.check_health()
        if not health.ok:
            raise Unusable(f"remote {target.url} is unreachable: {health.detail}", EXIT_UNREACHABLE)
        root = getattr(backend, "root", None)
        local = scheme_of(target.url) in ("local", "file") and isinstance(root, str)
        if local and not os.path.isdir(str(root)):
            # The run would create it and could only remove the run folder inside.
            raise Unusable(f"folder {root} does not exist: create it first", EXIT_UNREACHABLE)


@contextmanager
def _noting_interrupts() -> Iterator[threading.Event]:
    """Ctrl-C raises KeyboardInterrupt as usual, and is remembered: one that lands while
    pytest starts or stops a session can surface as another error from its teardown."""
    seen = threading.Event()

    def interrupted(signum: int, frame: object) -> None:
        seen.set()
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, interrupted)
    except ValueError:  # not the main thread: signals go elsewhere
        yield seen
        return
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _no_interrupts() -> Iterator[None]:
    """Ctrl-C must not stop the cleanup half way."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to shield
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    url: str,
    options: Mapping[str, Any] | None = None,
    *,
    fast: bool = False,
    read_only: bool = False,
    verbose: bool = False,
) -> Report:
    """Run the suites against ``url``; :class:`Unusable` if it cannot even start."""
    target = LiveTarget(url, options or {})
    preflight(target)
    if read_only:
        order: tuple[str, ...] = READ_ONLY_SUITES
    else:
        order = (*READ_ONLY_SUITES, *BACKEND_SUITES, *REMOTE_SUITES)
    outcomes = Outcomes(target.secrets)
    report = Report(url, None if read_only else target.run_folder, [])
    try:
        with _noting_interrupts() as seen:
            try:
                code, errors = run_pytest(
                    target, Selection(order, fast), outcomes, verbose=verbose
                )
            except Exception:
                if not seen.is_set():
                    raise
                code, errors = pytest.ExitCode.INTERRUPTED, []
        report.interrupted = code == pytest.ExitCode.INTERRUPTED or seen.is_set()
        if not report.interrupted and (errors or code not in _RAN):
            detail = "; ".join(errors) or f"pytest exit code {int(code)}"
            raise Unusable(f"the suites could not run: {detail}", EXIT_UNREACHABLE)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        if not read_only:
            with _no_interrupts():
                try:
                    target.cleanup()
                except (BackendError, OSError) as exc:
                    report.cleanup_error = str(exc)
    report.suites = outcomes.by_suite(order)
    return report


def main(
    url: str,
    options: Mapping[str, Any],
    *,
    fast: bool = False,
    read_only: bool = False,
    as_json: bool = False,
    quiet: bool = False,
    verbose: bool = False,
) -> int:
    """The command: run, print the table (or JSON), return the exit code."""
    if not (quiet or as_json):
        where = "read-only" if read_only else "below a run folder it removes afterwards"
        print(f"Testing {url} ({where}){' --fast' if fast else ''} ...", file=sys.stderr)
    try:
        report = run(url, options, fast=fast, read_only=read_only, verbose=verbose)
    except Unusable as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return exc.code
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        if not quiet:
            print(report.table())
        for line in report.failure_lines():
            print(line, file=sys.stderr)
    if report.cleanup_error is not None:
        print(
            f"ERROR: could not remove {report.run_folder} below {url}: {report.cleanup_error}",
            file=sys.stderr,
        )
    if report.interrupted:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED
