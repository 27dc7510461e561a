"""Options dvcremote sets never make dvc refuse the repository's config."""

from __future__ import annotations

from pathlib import Path

import pytest
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


def test_system_and_global_config_are_read_as_dvc_reads_them(
    tmp_path: Path, real_dvc: DvcRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """system < global < repo < local, key by key; a relative url is relative to the file
    that holds it. The global config defines the default remote (a path relative to the
    global config folder) and the system config a jobs value the repo overrides."""
    system = real_dvc.home / "system-config"  # where DvcRunner points dvc
    user = real_dvc.home / "global-config"
    (system / "config").write_text(
        "[core]\n    remote = shared\n['remote \"shared\"']\n    url = /nowhere\n    jobs = 3\n"
    )
    (user / "config").write_text(
        "[core]\n    check_update = false\n    remote = mine\n"
        "['remote \"mine\"']\n    url = ../store\n"
    )
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(system))
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(user))
    ws = tmp_path / "ws"
    write_tree(ws, {"foo": "foo"})
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("remote", "modify", "--local", "shared", "url", str(tmp_path / "other"), cwd=ws)
    real_dvc("add", "foo", cwd=ws)
    real_dvc("push", cwd=ws)  # to "mine": <global config dir>/../store
    store = (user / ".." / "store").resolve()
    assert any(p.is_file() for p in store.rglob("*"))

    assert run_dvcremote("remote", "default", cwd=ws).stdout.strip() == "mine"
    assert run_dvcremote("status", "-c", "--json-objects", cwd=ws).json()["paths"] == {}
    listed = run_dvcremote("remote", "list", cwd=ws).stdout
    assert f"shared\t{tmp_path / 'other'}" in listed  # the local file wins over the system one
    refused = run_dvcremote("remote", "remove", "mine", cwd=ws, check=False)
    assert refused.returncode == 3 and "global-config" in refused.stderr
