"""Output flags against the real dvc (reference: dvc-pipelines.md section 8).

One workspace with four outputs: ``a`` plain, ``b`` with ``push: false``, ``c`` with
``remote: rb`` and ``d`` with ``cache: false``; ``ra`` is the default remote. Each
command runs in two copies, one per tool, and what lands on the remotes, in the cache
and in ``status -c`` must be the same.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import md5

from dvcremote_testing.dvc import DvcRunner, run_dvcremote

FLAGS = {"a": {}, "b": {"push": False}, "c": {"remote": "rb"}, "d": {"cache": False}}


def _dvcfile(name: str, extra: dict[str, Any]) -> str:
    lines = [f"- md5: {md5(name.encode())}", "  size: 1", "  hash: md5", f"  path: {name}"]
    lines += [f"  {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in extra.items()]
    return "outs:\n" + "\n".join(lines) + "\n"


def _project(root: Path, real_dvc: DvcRunner) -> Path:
    ws = root / "ws"
    ws.mkdir(parents=True)
    real_dvc("init", "--no-scm", cwd=ws)
    for name, extra in FLAGS.items():
        (ws / name).write_bytes(name.encode())
        (ws / f"{name}.dvc").write_text(_dvcfile(name, extra))
    real_dvc("commit", "-f", cwd=ws)  # puts a, b, c into the cache
    real_dvc("remote", "add", "-d", "ra", str(root / "ra"), cwd=ws)
    real_dvc("remote", "add", "rb", str(root / "rb"), cwd=ws)
    return ws


def _objects(root: Path) -> set[str]:
    return {p.parent.name + p.name for p in root.rglob("*") if p.is_file()}


def _state(root: Path) -> dict[str, set[str]]:
    ws = root / "ws"
    return {
        "ra": _objects(root / "ra"),
        "rb": _objects(root / "rb"),
        "cache": _objects(ws / ".dvc" / "cache"),
    }


Tool = Callable[..., Any]


def _both(tmp_path: Path, real_dvc: DvcRunner, steps: Callable[[Tool, Path], None]) -> None:
    results = {}
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        root = tmp_path / name
        ws = _project(root, real_dvc)
        steps(tool, ws)
        results[name] = _state(root)
    assert results["ours"] == results["dvc"]


@pytest.mark.parametrize("args", [(), ("-r", "rb"), ("-r", "ra")], ids=["default", "r-rb", "r-ra"])
def test_push(tmp_path: Path, real_dvc: DvcRunner, args: tuple[str, ...]) -> None:
    _both(tmp_path, real_dvc, lambda tool, ws: tool("push", *args, cwd=ws))


@pytest.mark.parametrize("args", [(), ("-r", "ra")], ids=["default", "r-ra"])
def test_fetch_after_push_to_both(
    tmp_path: Path, real_dvc: DvcRunner, args: tuple[str, ...]
) -> None:
    def steps(tool: Tool, ws: Path) -> None:
        # everything on both remotes, then an empty cache
        for remote in ("ra", "rb"):
            shutil.copytree(ws / ".dvc" / "cache", ws.parent / remote, dirs_exist_ok=True)
        shutil.rmtree(ws / ".dvc" / "cache")
        tool("fetch", *args, cwd=ws)

    _both(tmp_path, real_dvc, steps)


def test_status_cloud_leaves_out_push_false(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """Both leave out ``push: false``. dvc also leaves out every output with ``remote:``;
    dvcremote checks it against its own remote (on purpose: a CI check must see it)."""
    ws = _project(tmp_path, real_dvc)
    assert real_dvc.json("status", "-c", cwd=ws) == {"a": "new"}
    ours = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False)
    assert ours.returncode == 1
    assert ours.json()["paths"] == {"a": "new", "c": "new"}
    run_dvcremote("push", cwd=ws)
    assert run_dvcremote("status", "-c", "--json-objects", cwd=ws).json()["paths"] == {}
    # -r follows dvc's push/fetch rules: an output pinned to another remote is left out
    assert run_dvcremote("status", "-c", "-r", "rb", "--json-objects", cwd=ws, check=False).json()[
        "paths"
    ] == {"a": "new"}


def _dvc_states(report: dict[str, Any]) -> dict[str, str]:
    """``dvc status --json`` ({file: [{"changed outs": {path: state}}]}) as {path: state}."""
    states: dict[str, str] = {}
    for entries in report.values():
        for entry in entries:
            if isinstance(entry, dict):
                states.update(entry.get("changed outs", {}))
    return states


def test_workspace_status_states_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """``not in cache`` wins over ``deleted``; a ``cache: false`` output is compared with
    the workspace (``modified`` / ``deleted``)."""
    ws = _project(tmp_path, real_dvc)
    (ws / "a").unlink()
    shutil.rmtree(ws / ".dvc" / "cache" / "files" / "md5" / md5(b"a")[:2])  # a: neither
    (ws / "b").unlink()  # b: cached, gone from the workspace
    (ws / "d").write_text("changed")  # d: cache: false
    expected = {"a": "not in cache", "b": "deleted", "d": "modified"}
    theirs = real_dvc.json("status", cwd=ws)
    assert _dvc_states(theirs) == expected
    ours = run_dvcremote("status", "--json", cwd=ws, check=False)
    assert ours.returncode == 1
    assert ours.json() == theirs
    (ws / "d").unlink()
    theirs = real_dvc.json("status", cwd=ws)
    assert _dvc_states(theirs)["d"] == "deleted"
    assert run_dvcremote("status", "--json", cwd=ws, check=False).json() == theirs


def test_repo_import_outputs_are_not_pushed_nor_in_status_cloud(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """A ``dvc import`` output's data belongs to the source repository's remote: push
    skips it and ``status -c`` leaves it out (dvc-pipelines.md section 7)."""
    remotes = {}
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        ws = tmp_path / name / "ws"
        ws.mkdir(parents=True)
        real_dvc("init", "--no-scm", cwd=ws)
        for item in ("plain", "imported"):
            (ws / item).write_bytes(item.encode())
        real_dvc("add", "plain", "imported", cwd=ws)
        out = (ws / "imported.dvc").read_text().split("outs:\n", 1)[1]
        (ws / "imported.dvc").write_text(
            "frozen: true\ndeps:\n- path: data/imported\n  repo:\n"
            "    url: https://example.com/source.git\n"
            f"    rev_lock: {'a' * 40}\nouts:\n" + out
        )
        real_dvc("remote", "add", "-d", "store", str(ws.parent / "store"), cwd=ws)
        tool("push", cwd=ws)
        remotes[name] = _objects(ws.parent / "store")
        assert real_dvc.json("status", "-c", cwd=ws) == {}
        assert run_dvcremote("status", "-c", "--json-objects", cwd=ws).json()["paths"] == {}
    assert remotes["ours"] == remotes["dvc"] == {md5(b"plain")}


def _garbage_everywhere(ws: Path) -> None:
    """Both remotes hold every cached object (a, b, c) plus an old version of a and c:
    what is garbage where depends on which outputs name which remote."""
    cache = ws / ".dvc" / "cache"
    for data in (b"old a", b"old c"):
        folder = cache / "files" / "md5" / md5(data)[:2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / md5(data)[2:]).write_bytes(data)
    for remote in ("ra", "rb"):
        shutil.copytree(cache, ws.parent / remote, dirs_exist_ok=True)


@pytest.mark.parametrize("args", [(), ("-r", "rb")], ids=["default", "r-rb"])
def test_gc_cloud_collects_per_output_remotes_as_dvc(
    tmp_path: Path, real_dvc: DvcRunner, args: tuple[str, ...]
) -> None:
    """``gc -c`` also collects every ``remote:`` remote, keeping there only the objects
    of the outputs naming it; the ``-r``/default remote keeps only the others'."""

    def steps(tool: Tool, ws: Path) -> None:
        _garbage_everywhere(ws)
        tool("gc", "-w", "-c", "-f", *args, cwd=ws)

    _both(tmp_path, real_dvc, steps)
    kept = _state(tmp_path / "ours")
    if not args:
        assert kept["ra"] == {md5(b"a"), md5(b"b")}  # c's object goes: c is rb's
        assert kept["rb"] == {md5(b"c")}
    else:
        assert kept["rb"] == {md5(b"a"), md5(b"b"), md5(b"c")}
        assert md5(b"old a") in kept["ra"], "ra is not collected with -r rb"


def test_gc_cloud_unknown_output_remote_removes_nothing(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """An output naming a remote the config lacks stops gc before anything is removed
    (dvc: "config file error: remote 'nosuch' doesn't exist")."""
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        root = tmp_path / name
        ws = _project(root, real_dvc)
        _garbage_everywhere(ws)
        (ws / "c.dvc").write_text(_dvcfile("c", {"remote": "nosuch"}))
        before = _state(root)
        run = tool("gc", "-w", "-c", "-f", cwd=ws, check=False)
        assert run.returncode != 0
        assert "nosuch" in run.stderr
        if name == "ours":
            assert "c.dvc: output 'c': remote 'nosuch' does not exist" in run.stderr
        assert _state(root) == before
