"""``dvcremote test-remote`` against local folders, run as a child process like a user would.

A green run must leave the folder exactly as it was; a broken backend (a mutant patched
in by the child's preamble) must give exit 1 and name the tests that caught it; an
interrupted run still removes its run folder; a read-only run writes nothing at all.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from dvcremote.cli import COMMANDS_GROUP
from dvcremote_testing.backend_tests import TOPICS
from dvcremote_testing.testremote import (
    BACKEND_SUITES,
    READ_ONLY_SUITES,
    REMOTE_SUITES,
    RUN_PREFIX,
)
from dvcremote_testing.testremote.harness import command, interrupt, invoke, tree_snapshot

#: Makes the child's local backend refuse every change, as a read-only folder does
#: (the tests run as root here, for whom chmod would refuse nothing).
REFUSE_WRITES = """
import errno, os
from dvcremote.backends.local import LocalBackend
def _refuse(self, *args, **kwargs):
    raise PermissionError(errno.EACCES, "Permission denied (read-only folder)")
for _hook in ("_make_parents", "_create_temp", "_copy_in", "_move", "_write", "_delete"):
    setattr(LocalBackend, _hook, _refuse)
_delete_folder = LocalBackend._delete_folder
def _refuse_existing(self, path, recursive):
    if os.path.lexists(self._abs(path)):
        _refuse(self)
    return _delete_folder(self, path, recursive)  # a missing folder: NotFound, as ever
LocalBackend._delete_folder = _refuse_existing
"""

#: A backend whose recursive listing forgets the last file of every folder listing.
FORGETS_A_FILE = """
from dvcremote.backends.local import LocalBackend
_list = LocalBackend._list_files
def _forgetful(self, path, recursive):
    found = sorted(_list(self, path, recursive), key=lambda info: info.path)
    return found[:-1] if len(found) > 1 else found
LocalBackend._list_files = _forgetful
"""


@pytest.fixture
def remote_dir(tmp_path: Path) -> Path:
    """A remote folder that already holds data, as a real one does."""
    root = tmp_path / "remote"
    (root / "files" / "md5" / "ab").mkdir(parents=True)
    (root / "files" / "md5" / "ab" / "cdef0123").write_bytes(b"an object")
    (root / "notes.txt").write_text("kept as it is")
    return root


def test_the_command_runs_every_suite() -> None:
    """A new backend topic or remote suite is run by test-remote too."""
    assert tuple(topic.__name__ for topic in TOPICS) == BACKEND_SUITES
    from dvcremote_testing.testremote import suites

    for name in (*READ_ONLY_SUITES, *BACKEND_SUITES, *REMOTE_SUITES):
        assert getattr(suites, name).__module__ == suites.__name__
    assert COMMANDS_GROUP == "dvcremote.commands"


def test_green_run_leaves_the_folder_as_it_was(remote_dir: Path) -> None:
    before = tree_snapshot(remote_dir)
    result = invoke(str(remote_dir), "--json")
    assert result.code == 0, result.stderr + result.stdout
    report = result.json
    assert report["ok"] and report["run_folder"].startswith(RUN_PREFIX)
    for name in (*BACKEND_SUITES, "TestRemote"):
        if name != "VersioningTests":  # a plain folder keeps no versions: skipped
            assert result.suite(name)["passed"] > 0, name
    assert all(not suite["failed"] for suite in report["suites"])
    assert tree_snapshot(remote_dir) == before


def test_table_lists_each_suite(remote_dir: Path) -> None:
    result = invoke(str(remote_dir), "--fast")
    assert result.code == 0, result.stderr
    header, _rule, *rows = result.stdout.splitlines()
    assert header.split() == ["suite", "passed", "failed", "skipped", "seconds"]
    names = [row.split()[0] for row in rows if not row.startswith("-")]
    assert names[0] == "ReadOnlyChecks" and "TestRemote" in names and names[-1] == "total"
    # --fast leaves out big files and thread races
    assert "StreamingTests" not in names and "ThreadSafetyTests" not in names


def test_versioned_folder_runs_the_versioning_suites_and_keeps_nothing(
    remote_dir: Path,
) -> None:
    before = tree_snapshot(remote_dir)
    result = invoke(str(remote_dir), "--fast", "--json", options={"versioning": "true"})
    assert result.code == 0, result.stderr + result.stdout
    for name in ("VersioningTests", "TestRemoteVersionAware", "TestRemoteWorktree"):
        assert result.suite(name)["passed"] > 0 and not result.suite(name)["failed"], name
    assert tree_snapshot(remote_dir) == before  # no versions of the run left behind


def test_remote_modes_given_as_options_reach_only_their_suites(remote_dir: Path) -> None:
    """``-o version_aware=true`` (what picks S3's versioned backend) must not turn the
    content-addressed suite's remote into a version-aware one."""
    options = {"versioning": "true", "version_aware": "true"}
    result = invoke(str(remote_dir), "--fast", "--json", options=options)
    assert result.code == 0, result.stderr + result.stdout
    for name in ("TestRemote", "VersioningTests", "TestRemoteVersionAware"):
        assert result.suite(name)["passed"] > 0 and not result.suite(name)["failed"], name


def test_broken_backend_fails_naming_the_tests(remote_dir: Path) -> None:
    before = tree_snapshot(remote_dir)
    result = invoke(str(remote_dir), "--fast", preamble=FORGETS_A_FILE)
    assert result.code == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED ")]
    assert any(line.startswith("FAILED ListingTests::test_") for line in failed), failed
    assert all(": " in line.split("::", 1)[1] for line in failed)  # each with its error
    listing = next(row for row in result.stdout.splitlines() if row.startswith("ListingTests"))
    assert int(listing.split()[2]) > 0
    assert tree_snapshot(remote_dir) == before  # cleaned up after a failed run too


@pytest.mark.parametrize("options", [{}, {"versioning": "true"}], ids=["plain", "versioning"])
def test_read_only_run_writes_nothing(remote_dir: Path, options: dict[str, str]) -> None:
    """On a folder refusing every change the read-only checks pass, and nothing changed,
    not even the folder's own mtime (an entry made and removed again would change it).
    With versioning asked for too: the versioned local backend records a version of a
    file it is merely asked about, so the checks must open the folder without it."""
    before = tree_snapshot(remote_dir)
    mtime = remote_dir.stat().st_mtime_ns
    result = invoke(
        str(remote_dir), "--read-only", "--json", options=options, preamble=REFUSE_WRITES
    )
    assert result.code == 0, result.stderr + result.stdout
    assert [s["suite"] for s in result.json["suites"]] == ["ReadOnlyChecks"]
    checks = result.suite("ReadOnlyChecks")
    assert checks["passed"] == 7 and not checks["failed"] and not checks["skipped"]
    assert result.json["run_folder"] is None
    assert tree_snapshot(remote_dir) == before
    assert remote_dir.stat().st_mtime_ns == mtime


def test_writing_to_a_read_only_folder_fails_naming_the_tests(remote_dir: Path) -> None:
    before = tree_snapshot(remote_dir)
    result = invoke(str(remote_dir), "--fast", "--json", preamble=REFUSE_WRITES)
    assert result.code == 1, result.stderr
    failures = result.suite("ReadWriteTests")["failures"]
    assert failures and all("ermission" in f["error"] for f in failures), failures
    assert result.suite("ReadOnlyChecks")["failed"] == 0
    assert tree_snapshot(remote_dir) == before


def test_interrupted_run_removes_its_run_folder(remote_dir: Path) -> None:
    before = tree_snapshot(remote_dir)
    process = subprocess.Popen(
        command(str(remote_dir)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # Wait (not a timing assumption: just until it has written something).
        while not any(name.startswith(RUN_PREFIX) for name in os.listdir(remote_dir)):
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        time.sleep(0.5)  # well into the suites
        result = interrupt(process)
    finally:
        if process.poll() is None:
            process.kill()
    assert result.code == 130, result.stderr
    assert "Interrupted." in result.stderr
    assert tree_snapshot(remote_dir) == before


@pytest.mark.parametrize(
    ("url", "options", "code", "said"),
    [
        ("{file}", {}, 3, "is a file"),
        ("{missing}", {}, 3, "does not exist"),
        ("nosuchscheme://bucket", {}, 2, "nosuchscheme"),
        ("{dir}", {"no_such_option": "1"}, 2, "no_such_option"),
    ],
    ids=["root-is-a-file", "missing-folder", "unknown-scheme", "unknown-option"],
)
def test_unusable_remote_is_one_error_line(
    tmp_path: Path, url: str, options: dict[str, str], code: int, said: str
) -> None:
    (tmp_path / "file").write_text("x")
    target = url.format(
        file=tmp_path / "file", missing=tmp_path / "missing", dir=tmp_path
    )
    before = tree_snapshot(tmp_path)
    result = invoke(target, options=options)
    assert result.code == code, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1 and said in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert tree_snapshot(tmp_path) == before


def test_bad_option_syntax_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(str(tmp_path), "-o", "novalue")
    assert result.code == 2
    assert "expected KEY=VALUE" in result.stderr


def test_without_the_testing_package_it_says_how_to_install_it(tmp_path: Path) -> None:
    hide = "import sys; sys.modules['dvcremote_testing'] = None"
    result = invoke(str(tmp_path), preamble=hide)
    assert result.code == 3
    assert result.stderr.strip() == (
        "ERROR: test-remote needs the dvcremote-testing package (the suites it runs):"
        " pip install dvcremote-testing"
    )
    assert not os.listdir(tmp_path)


def test_failure_lines_never_show_a_credential() -> None:
    """A failing test's message quoting a secret option is redacted in table and JSON."""
    from dvcremote_testing.testremote.report import Outcomes, Report
    from dvcremote_testing.testremote.target import LiveTarget

    target = LiveTarget("s3://bucket", {"secret_access_key": "s3cr3t-value", "region": "x"})
    assert target.secrets == ["s3cr3t-value"]
    outcomes = Outcomes(target.secrets)
    outcomes.add("suites.py::ReadWriteTests::test_a", "passed", "")
    outcomes.add("suites.py::ReadWriteTests::test_a", "failed", "denied for s3cr3t-value")
    outcomes.add("suites.py::ReadWriteTests::test_b", "skipped", "no VERSIONING")
    report = Report("s3://bucket", "run", outcomes.by_suite(["ReadWriteTests"]))
    assert report.failure_lines() == ["FAILED ReadWriteTests::test_a: denied for ***"]
    (suite,) = report.to_json()["suites"]
    assert (suite["passed"], suite["failed"], suite["skipped"]) == (0, 1, 1)
    assert "s3cr3t-value" not in repr(report.to_json()) + report.table()
    assert not report.ok


def test_an_interrupt_surfacing_as_another_error_is_still_an_interrupt(
    remote_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while pytest starts or stops its session can come out of pytest as some
    other exception (a missing stash key): still exit 130, still nothing left behind.
    The double stands in for pytest only; the Ctrl-C is a real SIGINT."""
    import signal

    import dvcremote_testing.testremote as testremote

    before = tree_snapshot(remote_dir)

    def interrupted_pytest(target, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            pass
        raise KeyError("stash key")

    monkeypatch.setattr(testremote, "run_pytest", interrupted_pytest)
    report = testremote.run(str(remote_dir))
    assert report.interrupted
    assert tree_snapshot(remote_dir) == before
