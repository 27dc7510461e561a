"""The command line: the issue's scenario end to end, exit codes, output, fast start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import cache_file, md5, read_tree, remote_file, write_tree

from dvcremote.cli import main


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "dvcremote", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        input=stdin,
    )


def test_scenario_through_the_cli(workspace: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(workspace)], check=False, capture_output=True)
    write_tree(workspace, {"data": {"a": "alpha", "b": {"c": "gamma"}}, "model.bin": b"\x00m"})
    data = read_tree(workspace)
    store = tmp_path / "backup" / "store"

    assert run(workspace, "init").returncode == 0
    added = run(workspace, "add", "data", "model.bin")
    assert added.returncode == 0, added.stderr
    assert "Added 2 outputs (3 files)" in added.stdout
    assert run(workspace, "remote", "add", "-d", "store", str(store)).returncode == 0
    pushed = run(workspace, "push")
    assert pushed.returncode == 0 and pushed.stdout.strip() == "4 files pushed"
    status = run(workspace, "status", "-c")
    assert status.returncode == 0 and "in sync" in status.stdout

    shutil.rmtree(workspace / ".dvc" / "cache")
    shutil.rmtree(workspace / "data")
    (workspace / "model.bin").unlink()
    status = run(workspace, "status", "-c")
    assert status.returncode == 1
    assert "deleted:" in status.stdout and "data/b/c" in status.stdout
    report = json.loads(run(workspace, "status", "-c", "--json-objects").stdout)
    assert report["deleted"] == sorted(report["deleted"]) and md5("alpha") in report["deleted"]
    assert report["paths"] == {
        "data": "deleted",
        "data/a": "deleted",
        "data/b/c": "deleted",
        "model.bin": "deleted",
    }
    assert report["remote"] == "store" and report["ok"] == [] == report["new"]

    pulled = run(workspace, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == "4 files fetched; 3 added, 0 modified"
    for rel, content in data.items():
        assert (workspace / rel).read_bytes() == content
    assert run(workspace, "status").returncode == 0
    (workspace / "model.bin").write_bytes(b"changed")
    changed = run(workspace, "status", "--json")
    assert changed.returncode == 1 and json.loads(changed.stdout) == {
        "model.bin.dvc": [{"changed outs": {"model.bin": "modified"}}]
    }


def test_exit_codes_and_errors(workspace: Path) -> None:
    outside = run(workspace, "status")
    assert outside.returncode == 3 and "not inside a dvcremote repository" in outside.stderr
    assert "Traceback" not in outside.stderr
    assert run(workspace, "init").returncode == 0
    again = run(workspace, "init")
    assert again.returncode == 3 and "already initialised" in again.stderr
    assert run(workspace, "add").returncode == 2  # usage
    assert run(workspace, "frobnicate").returncode == 2
    assert run(workspace, "push", "-j", "0").returncode == 2
    (workspace / "foo").write_text("foo")
    assert run(workspace, "add", "foo").returncode == 0
    nothing = run(workspace, "push")
    assert nothing.returncode == 3 and "no default remote" in nothing.stderr
    assert run(workspace, "-q", "add", "foo").stdout == ""
    assert run(workspace, "add", "foo", "-q").stdout == ""


def test_remote_commands(workspace: Path, tmp_path: Path) -> None:
    assert run(workspace, "init", "--no-scm").returncode == 0
    assert run(workspace, "remote", "add", "-d", "a", "s3://bucket/path").returncode == 0
    assert run(workspace, "remote", "add", "b", "../store").returncode == 0
    dup = run(workspace, "remote", "add", "a", "x")
    assert dup.returncode == 3 and "already exists" in dup.stderr
    secret = run(workspace, "remote", "modify", "a", "secret_access_key", "SEKRIT")
    assert secret.returncode == 0 and "config.local" in secret.stdout
    assert run(workspace, "remote", "modify", "a", "endpointurl", "http://x").returncode == 0
    config = (workspace / ".dvc" / "config").read_text()
    assert "SEKRIT" not in config and "endpointurl = http://x" in config
    assert "SEKRIT" in (workspace / ".dvc" / "config.local").read_text()
    listed = run(workspace, "remote", "list").stdout.splitlines()
    assert listed == ["a\ts3://bucket/path\t(default)", f"b\t{tmp_path / 'store'}"]
    assert run(workspace, "remote", "default").stdout.strip() == "a"
    assert run(workspace, "remote", "default", "b").returncode == 0
    assert run(workspace, "remote", "default").stdout.strip() == "b"
    assert run(workspace, "remote", "modify", "a", "--unset", "endpointurl").returncode == 0
    assert "endpointurl" not in (workspace / ".dvc" / "config").read_text()
    assert run(workspace, "remote", "modify", "a", "jobs").returncode == 2  # no value
    bad = run(workspace, "remote", "modify", "nope", "url", "x")
    assert bad.returncode == 3 and "'nope' does not exist" in bad.stderr
    assert run(workspace, "remote", "remove", "b").returncode == 0
    assert run(workspace, "remote", "default").returncode == 3  # the default went with it
    assert run(workspace, "remote", "list").stdout.splitlines() == ["a\ts3://bucket/path"]
    assert run(workspace, "remote", "default", "--unset").returncode == 0


def test_gc_cloud_asks_unless_forced(workspace: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    run(workspace, "init")
    (workspace / "foo").write_text("v1")
    run(workspace, "add", "foo")
    run(workspace, "remote", "add", "-d", "s", str(store))
    run(workspace, "push")
    (workspace / "foo").write_text("v2")
    run(workspace, "add", "foo")
    run(workspace, "push")
    refused = run(workspace, "gc", "-w", "-c", stdin="y\n")  # not a terminal: never assumed yes
    assert refused.returncode == 3 and "-f" in refused.stderr
    assert remote_file(store, md5("v1")).exists() and cache_file(workspace, md5("v1")).exists()
    done = run(workspace, "gc", "-w", "-c", "-f")
    assert done.returncode == 0, done.stderr
    assert "Removed 1 object from the cache" in done.stdout
    assert "Removed 1 object from remote 's'" in done.stdout
    assert not remote_file(store, md5("v1")).exists()
    assert remote_file(store, md5("v2")).exists()


def test_push_failure_exit_code_and_summary(workspace: Path, tmp_path: Path) -> None:
    run(workspace, "init")
    write_tree(workspace, {"foo": "foo", "bar": "bar"})
    run(workspace, "add", "foo", "bar")
    run(workspace, "remote", "add", "-d", "s", str(tmp_path / "store"))
    lost = cache_file(workspace, md5("bar"))
    lost.chmod(0o644)
    lost.unlink()
    proc = run(workspace, "push")
    assert proc.returncode == 3
    assert "1 object not in the cache" in proc.stderr
    assert proc.stdout.strip() == "1 file pushed, 1 missing"


def test_checkout_and_fetch_commands(workspace: Path, tmp_path: Path) -> None:
    run(workspace, "init")
    write_tree(workspace, {"data": {"x": "x"}})
    run(workspace, "add", "data")
    run(workspace, "remote", "add", "-d", "s", str(tmp_path / "store"))
    run(workspace, "push")
    shutil.rmtree(workspace / ".dvc" / "cache")
    fetched = run(workspace, "fetch", "data.dvc")
    assert fetched.returncode == 0 and fetched.stdout.strip() == "2 files fetched"
    shutil.rmtree(workspace / "data")
    out = run(workspace, "checkout")
    assert out.returncode == 0 and out.stdout.strip() == "1 added, 0 modified"
    (workspace / "data" / "x").write_text("local edit")
    kept = run(workspace, "checkout")
    assert kept.returncode == 3 and "local changes kept" in kept.stderr
    assert run(workspace, "checkout", "-f").returncode == 0
    assert (workspace / "data" / "x").read_text() == "x"


def test_in_process_main_and_help(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for command in ("init", "add", "push", "fetch", "pull", "status", "checkout", "gc", "remote"):
        assert command in text
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dvcremote ")
    assert main([]) == 2


def test_cli_imports_nothing_heavy_at_start() -> None:
    code = (
        "import sys, dvcremote.cli\n"
        "heavy = ('yaml', 'ruamel', 'configobj', 'pygit2', 'fsspec', 'sqlite3', 'tqdm',"
        " 'dvc_objects', 'dvcremote.repo', 'dvcremote.backend')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "[]"
    helped = subprocess.run(
        [sys.executable, "-m", "dvcremote", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert helped.returncode == 0 and "usage: dvcremote" in helped.stdout


def test_progress_bar_only_on_a_terminal(dvcrepo, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    import io

    from dvcremote.progress import NullProgress, TqdmProgress, for_terminal

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(for_terminal(False, io.StringIO()), NullProgress)  # CI logs: no bar
    assert isinstance(for_terminal(True, Terminal()), NullProgress)  # -q: no bar
    screen = Terminal()
    bar = for_terminal(False, screen)
    assert isinstance(bar, TqdmProgress)
    write_tree(workspace, {"data": {f"f{i}": str(i) for i in range(5)}})
    dvcrepo.add("data", progress=bar)
    assert "Adding data" in screen.getvalue() and "/5" in screen.getvalue()
