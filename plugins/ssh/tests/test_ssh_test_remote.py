"""``dvcremote test-remote ssh://...`` against the test sshd: green, nothing left behind.

The command runs in a child process; the server's directory (on this machine) is
compared before and after with the standard library.
"""

from __future__ import annotations

from pathlib import Path

from dvcremote_ssh.testing import SSHServer, free_port
from dvcremote_testing.testremote.harness import invoke, tree_snapshot


def _seed(root: Path) -> None:
    (root / "files" / "md5" / "ab").mkdir(parents=True)
    (root / "files" / "md5" / "ab" / "cdef").write_bytes(b"an object")
    (root / "notes.txt").write_text("kept as it is")


def test_green_run_leaves_the_directory_as_it_was(ssh_server: SSHServer, ssh_root: str) -> None:
    _seed(Path(ssh_root))
    before = tree_snapshot(ssh_root)
    result = invoke(ssh_server.url(ssh_root), "--fast", "--json", options=ssh_server.options())
    assert result.code == 0, result.stderr + result.stdout
    for name in ("ReadOnlyChecks", "ReadWriteTests", "ListingTests", "AtomicWriteTests",
                 "TestRemote"):
        counts = result.suite(name)
        assert counts["passed"] > 0 and not counts["failed"], (name, counts)
    assert tree_snapshot(ssh_root) == before


def test_read_only_run_changes_nothing(ssh_server: SSHServer, ssh_root: str) -> None:
    _seed(Path(ssh_root))
    before = tree_snapshot(ssh_root)
    mtime = Path(ssh_root).stat().st_mtime_ns
    result = invoke(ssh_server.url(ssh_root), "--read-only", "--json",
                    options=ssh_server.options())
    assert result.code == 0, result.stderr + result.stdout
    assert result.suite("ReadOnlyChecks")["passed"] == 7
    assert tree_snapshot(ssh_root) == before
    assert Path(ssh_root).stat().st_mtime_ns == mtime


def test_nothing_listening_is_exit_3(ssh_server: SSHServer, ssh_root: str) -> None:
    url = f"ssh://{ssh_server.user}@127.0.0.1:{free_port()}{ssh_root}"
    result = invoke(url, options=ssh_server.options())
    assert result.code == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1 and "is unreachable" in errors[0], result.stderr
