"""Options dvcremote sets never make dvc refuse the repository's config."""

from __future__ import annotations

from pathlib import Path

from interop_helpers import write_tree

from dvcremote_testing.dvc import DvcRunner, run_dvcremote


def test_dvc_runs_after_dvcremote_sets_a_dvcremote_only_option(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = tmp_path / "ws"
    write_tree(ws, {"data": {"a": "alpha"}})
    store = tmp_path / "store"
    run_dvcremote("init", "--no-scm", cwd=ws)
    run_dvcremote("remote", "add", "-d", "r", str(store), cwd=ws)
    run_dvcremote("remote", "modify", "r", "versioning", "true", cwd=ws)
    run_dvcremote("remote", "modify", "r", "jobs", "2", cwd=ws)
    run_dvcremote("add", "data", cwd=ws)
    run_dvcremote("push", cwd=ws)

    listed = real_dvc("remote", "list", cwd=ws)  # dvc validates the whole config first
    assert listed.stdout.split()[0] == "r"
    assert real_dvc("config", "remote.r.jobs", cwd=ws).stdout.strip() == "2"
    assert real_dvc.json("status", "-c", cwd=ws) == {}


def test_remote_rename_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """``remote rename`` renames the section and the default: the file is what
    ``dvc remote rename`` writes, and each tool reads the other's."""
    results = {}
    for name, tool in (("dvc", real_dvc), ("dvcremote", run_dvcremote)):
        ws = tmp_path / name
        write_tree(ws, {"foo": "foo"})
        real_dvc("init", "--no-scm", cwd=ws)
        real_dvc("remote", "add", "-d", "old", str(tmp_path / "store"), cwd=ws)
        real_dvc("remote", "modify", "old", "jobs", "3", cwd=ws)
        tool("remote", "rename", "old", "new", cwd=ws)
        results[name] = (ws / ".dvc" / "config").read_text()
        assert real_dvc("remote", "default", cwd=ws).stdout.strip() == "new"
        assert run_dvcremote("remote", "default", cwd=ws).stdout.strip() == "new"
    assert results["dvcremote"] == results["dvc"]
    refused = run_dvcremote("remote", "rename", "nosuch", "x", cwd=tmp_path / "dvc", check=False)
    assert refused.returncode == 3 and "nosuch" in refused.stderr


def test_relative_remote_urls_are_stored_relative_to_dvc_folder(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """A relative path given to ``remote add`` is relative to where the command runs and
    is stored relative to ``.dvc/``, as dvc stores it."""
    results = {}
    for name, tool in (("dvc", real_dvc), ("dvcremote", run_dvcremote)):
        ws = tmp_path / name / "ws"
        write_tree(ws, {"sub": {"x": "x"}})
        real_dvc("init", "--no-scm", cwd=ws)
        tool("remote", "add", "top", "../store", cwd=ws)
        tool("remote", "add", "nested", "../../other", cwd=ws / "sub")
        results[name] = (ws / ".dvc" / "config").read_text()
    assert results["dvcremote"] == results["dvc"]
    assert "url = ../../store" in results["dvc"]
