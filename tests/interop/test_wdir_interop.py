"""``wdir`` in a ``.dvc`` file, against the real dvc (dvc-pipelines.md section 6): the
outputs resolve relative to it, and re-adding a tracked path rewrites that file in place."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dvcremote_testing.dvc import DvcRunner, run_dvcremote


def _project(ws: Path, real_dvc: DvcRunner) -> None:
    (ws / "sub").mkdir(parents=True)
    (ws / "meta").mkdir()
    (ws / "sub" / "foo").write_text("hello\n")
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("add", "sub/foo", cwd=ws)
    text = (ws / "sub" / "foo.dvc").read_text()
    (ws / "meta" / "foo.dvc").write_text("# owned by meta\nwdir: ../sub\n" + text)
    (ws / "sub" / "foo.dvc").unlink()
    real_dvc("remote", "add", "-d", "store", str(ws.parent / "store"), cwd=ws)


@pytest.mark.parametrize("tool_name", ["dvc", "dvcremote"])
def test_readd_updates_the_file_with_wdir_in_place(
    tmp_path: Path, real_dvc: DvcRunner, tool_name: str
) -> None:
    tools: dict[str, Callable[..., Any]] = {"dvc": real_dvc, "dvcremote": run_dvcremote}
    results = {}
    for name, tool in tools.items():
        ws = tmp_path / name / "ws"
        _project(ws, real_dvc)
        (ws / "sub" / "foo").write_text("changed\n")
        tool("add", "sub/foo", cwd=ws)
        assert not (ws / "sub" / "foo.dvc").exists(), name
        results[name] = (ws / "meta" / "foo.dvc").read_text()
    assert results["dvcremote"] == results["dvc"]
    assert "wdir: ../sub" in results["dvc"] and "# owned by meta" in results["dvc"]
    # and each side reads the result as up to date
    ws = tmp_path / tool_name / "ws"
    assert real_dvc.json("status", cwd=ws) == {}
    assert run_dvcremote("status", "--json", cwd=ws).json() == {}


def test_pull_resolves_paths_through_wdir(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = tmp_path / "ws"
    _project(ws, real_dvc)
    real_dvc("push", cwd=ws)
    shutil.rmtree(ws / ".dvc" / "cache")
    (ws / "sub" / "foo").unlink()
    assert run_dvcremote("status", "--json", cwd=ws, check=False).json() == {
        "meta/foo.dvc": [{"changed outs": {"sub/foo": "not in cache"}}]
    }
    run_dvcremote("pull", cwd=ws)
    assert (ws / "sub" / "foo").read_text() == "hello\n"
    assert not (ws / "meta" / "foo").exists()
    assert real_dvc.json("status", cwd=ws) == {}


def test_multi_output_file_with_comments_and_flow_style_rewritten_as_dvc(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    results = {}
    for name, tool in (("dvc", real_dvc), ("dvcremote", run_dvcremote)):
        ws = tmp_path / name
        ws.mkdir()
        (ws / "a").write_text("a\n")
        (ws / "b").write_text("b\n")
        real_dvc("init", "--no-scm", cwd=ws)
        real_dvc("add", "a", "b", cwd=ws)
        a_out = (ws / "a.dvc").read_text().split("outs:\n", 1)[1]
        b_out = (ws / "b.dvc").read_text().split("outs:\n", 1)[1]
        (ws / "both.dvc").write_text(
            "# two outputs, one file\nmeta: {owner: me, tags: [x, y]}\nouts:\n"
            + a_out
            + "  # b comes next\n"
            + b_out
        )
        (ws / "a.dvc").unlink()
        (ws / "b.dvc").unlink()
        (ws / "b").write_text("b changed\n")
        tool("add", "b", cwd=ws)
        assert not (ws / "b.dvc").exists(), name
        results[name] = (ws / "both.dvc").read_text()
    assert results["dvcremote"] == results["dvc"]
    assert "# two outputs, one file" in results["dvc"]
    assert "{owner: me, tags: [x, y]}" in results["dvc"]
