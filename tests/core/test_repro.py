"""``repro`` and ``dvc.lock``: dvc's change rules, how commands run, what is written.

Facts from dvc-pipelines.md sections 2 and 3 (checked against dvc 3.67); the same
pipelines run by the real dvc are compared in tests/interop/test_repro_interop.py.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from core_helpers import cache_file, md5, snapshot, write_tree

from dvcremote.cli import main
from dvcremote.errors import (
    CyclicPipeline,
    DvcFileError,
    MissingParams,
    OutputDuplication,
    PipelineError,
    StageCommandFailed,
    StageNotFound,
    UnsafePath,
)
from dvcremote.lockfile import build_entry, write_entry
from dvcremote.repo import Repo
from dvcremote.stage import Stage, StageOut

COPY_LOCK = (
    "schema: '2.0'\nstages:\n  copy:\n    cmd: cp foo bar\n    deps:\n    - path: foo\n"
    "      hash: md5\n      md5: acbd18db4cc2f85cedef654fccc4a4d8\n      size: 3\n    outs:\n"
    "    - path: bar\n      hash: md5\n      md5: acbd18db4cc2f85cedef654fccc4a4d8\n"
    "      size: 3\n"
)


def _messages(repo: Repo, *args: str, **kwargs: object) -> tuple[list[str], object]:
    lines: list[str] = []
    result = repo.reproduce(*args, log=lines.append, **kwargs)  # type: ignore[arg-type]
    return lines, result


def _copy(repo: Repo, ws: Path) -> None:
    write_tree(ws, {"foo": "foo"})
    repo.add("foo")
    repo.stage_add("copy", "cp foo bar", deps=["foo"], outs=["bar"])


# ------------------------------------------------------------------------- dvc.lock
def test_lock_entry_order_and_items() -> None:
    stage = Stage(
        "s",
        "run",
        deps=["b", "a"],
        params=["lr", {"p2.yaml": ["z"]}],
        outs=[StageOut("o")],
    )
    entry = build_entry(
        stage,
        {
            "b": {"md5": "1" * 32, "size": 1},
            "a": {"md5": "2" * 32 + ".dir", "size": 2, "nfiles": 1},
        },
        {"p2.yaml": {"z": 1}, "params.yaml": {"lr": 0.1, "b": 2}},
        {"o": {"md5": "3" * 32, "size": 3, "isexec": True}},
    )
    assert list(entry) == ["cmd", "deps", "params", "outs"]
    assert [d["path"] for d in entry["deps"]] == ["a", "b"]
    assert list(entry["deps"][0]) == ["path", "hash", "md5", "size", "nfiles"]
    assert list(entry["params"]) == ["params.yaml", "p2.yaml"]
    assert list(entry["params"]["params.yaml"]) == ["b", "lr"]
    assert list(entry["outs"][0]) == ["path", "hash", "md5", "size", "isexec"]
    bare = build_entry(Stage("c", "echo"), {}, {}, {})
    assert bare == {"cmd": "echo"}


def test_lock_write_replaces_one_entry_and_keeps_the_rest(dvcrepo: Repo, workspace: Path) -> None:
    original = (
        "schema: '2.0'\nstages:\n  gone:  # deleted from dvc.yaml by hand\n    cmd: old\n"
        "  s:\n    cmd: before\n    outs:\n    - path: x\n      hash: md5\n"
        "      md5: acbd18db4cc2f85cedef654fccc4a4d8\n      size: 1\n  last:\n    cmd: z\n"
    )
    (workspace / "dvc.lock").write_text(original)
    lines: list[str] = []
    args = (dvcrepo.root, dvcrepo.dvc_dir, "dvc.lock")
    assert write_entry(*args, "s", {"cmd": "after"}, lines.append)
    assert (workspace / "dvc.lock").read_text() == (
        "schema: '2.0'\nstages:\n  gone:  # deleted from dvc.yaml by hand\n    cmd: old\n"
        "  s:\n    cmd: after\n  last:\n    cmd: z\n"
    )
    assert lines == ["Updating lock file 'dvc.lock'"]
    written = (workspace / "dvc.lock").stat().st_mtime_ns
    assert not write_entry(*args, "s", {"cmd": "after"}, lines.append)
    assert lines == ["Updating lock file 'dvc.lock'"]
    assert (workspace / "dvc.lock").stat().st_mtime_ns == written


def test_lock_generated(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "sub").mkdir()
    lines: list[str] = []
    write_entry(dvcrepo.root, dvcrepo.dvc_dir, "sub/dvc.lock", "a", {"cmd": "x"}, lines.append)
    assert (workspace / "sub" / "dvc.lock").read_text() == (
        "schema: '2.0'\nstages:\n  a:\n    cmd: x\n"
    )
    assert lines == ["Generating lock file 'sub/dvc.lock'", "Updating lock file 'sub/dvc.lock'"]


# ---------------------------------------------------------------------------- repro
def test_copy_stage_runs_once(dvcrepo: Repo, workspace: Path) -> None:
    _copy(dvcrepo, workspace)
    lines, result = _messages(dvcrepo)
    assert lines == [
        "'foo.dvc' didn't change, skipping",
        "Running stage 'copy':",
        "> cp foo bar",
        "Generating lock file 'dvc.lock'",
        "Updating lock file 'dvc.lock'",
    ]
    assert (workspace / "dvc.lock").read_text() == COPY_LOCK
    assert result.ran == ("copy",)  # type: ignore[attr-defined]
    obj = cache_file(workspace, md5("foo"))
    assert obj.read_bytes() == b"foo" and not obj.stat().st_mode & 0o222
    lines, _ = _messages(dvcrepo)
    assert lines == ["'foo.dvc' didn't change, skipping", "Stage 'copy' didn't change, skipping"]


def test_change_rules_in_order(dvcrepo: Repo, workspace: Path) -> None:
    _copy(dvcrepo, workspace)
    dvcrepo.reproduce()
    # (b) a dep changed (the .dvc data source is re-added first, as dvc does)
    (workspace / "foo").unlink()
    (workspace / "foo").write_text("new")
    lines, _ = _messages(dvcrepo)
    assert lines[0] == "Verifying data sources in stage: 'foo.dvc'"
    assert "Running stage 'copy':" in lines
    assert (workspace / "bar").read_text() == "new"
    # (c) an out deleted: its object is in the cache, so it is checked out, not run
    (workspace / "bar").unlink()
    lines, result = _messages(dvcrepo)
    assert "Stage 'copy' is cached - skipping run, checking out outputs" in lines
    assert (workspace / "bar").read_text() == "new"
    assert result.restored == ("copy",)  # type: ignore[attr-defined]
    # (a) the command changed
    text = (workspace / "dvc.yaml").read_text()
    (workspace / "dvc.yaml").write_text(text.replace("cp foo bar", "cat foo > bar"))
    lines, _ = _messages(dvcrepo)
    assert "> cat foo > bar" in lines


def test_not_in_cache_and_modified_outs_run(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add("make", "echo made > out", deps=["in"], outs=["out"])
    dvcrepo.reproduce()
    obj = cache_file(workspace, md5("made\n"))
    os.chmod(obj, 0o644)
    obj.unlink()
    lines, _ = _messages(dvcrepo, ["make"])
    assert "Running stage 'make':" in lines
    assert obj.exists()
    (workspace / "out").unlink()
    (workspace / "out").write_text("changed by hand")
    lines, _ = _messages(dvcrepo, ["make"], single_item=True)
    assert lines[0] == "Stage 'make' is cached - skipping run, checking out outputs"
    assert (workspace / "out").read_text() == "made\n"


def test_force_always_changed_and_callback(dvcrepo: Repo, workspace: Path) -> None:
    _copy(dvcrepo, workspace)
    dvcrepo.stage_add("tick", "echo x >> ticks.txt")
    dvcrepo.stage_add("always", "cp foo al", deps=["foo"], outs=["al"], always_changed=True)
    dvcrepo.reproduce()
    lines, _ = _messages(dvcrepo)
    ran = [line for line in lines if line.startswith("Running")]
    assert ran == ["Running stage 'tick':", "Running stage 'always':"]
    assert (workspace / "ticks.txt").read_text() == "x\nx\n"
    lines, _ = _messages(dvcrepo, force=True)
    assert lines[:2] == ["Verifying data sources in stage: 'foo.dvc'", ""]
    assert "Running stage 'copy':" in lines


def test_dag_order_single_item_and_targets(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"a": "a"})
    dvcrepo.stage_add("third", "cat b c > d", deps=["b", "c"], outs=["d"])
    dvcrepo.stage_add("first", "cp a b", deps=["a"], outs=["b"])
    dvcrepo.stage_add("second", "cp b c", deps=["b"], outs=["c"])
    lines, _ = _messages(dvcrepo, ["third"])
    assert [line for line in lines if line.startswith(">")] == [
        "> cp a b",
        "> cp b c",
        "> cat b c > d",
    ]
    (workspace / "a").write_text("A")
    lines, _ = _messages(dvcrepo, ["second"], single_item=True)
    assert [line for line in lines if line.startswith(">")] == []
    assert lines == ["Stage 'second' didn't change, skipping"]
    lines, _ = _messages(dvcrepo, ["dvc.yaml:second"])
    assert [line for line in lines if line.startswith(">")] == ["> cp a b", "> cp b c"]
    with pytest.raises(StageNotFound):
        dvcrepo.reproduce(["nosuch"])


def test_frozen_stage_cuts_upstream(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"a": "a"})
    dvcrepo.stage_add("first", "cp a b", deps=["a"], outs=["b"])
    dvcrepo.stage_add("second", "cp b c", deps=["b"], outs=["c"])
    dvcrepo.reproduce()
    text = (workspace / "dvc.yaml").read_text()
    (workspace / "dvc.yaml").write_text(text + "    frozen: true\n")
    (workspace / "a").write_text("A")
    lines, _ = _messages(dvcrepo, ["second"])
    assert not [line for line in lines if line.startswith(">")]
    assert (workspace / "b").read_text() == "a"


def test_params_change_and_missing_key(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"params.yaml": "lr: 0.1\ntrain:\n  epochs: 3\n", "in": "i"})
    dvcrepo.stage_add("t", "cp in out", deps=["in"], params=["lr,train.epochs"], outs=["out"])
    dvcrepo.reproduce()
    assert (
        "    params:\n      params.yaml:\n        lr: 0.1\n        train.epochs: 3\n"
        in (workspace / "dvc.lock").read_text()
    )
    assert _messages(dvcrepo)[0] == ["Stage 't' didn't change, skipping"]
    (workspace / "params.yaml").write_text("lr: 0.2\ntrain:\n  epochs: 3\n")
    assert "Running stage 't':" in _messages(dvcrepo)[0]
    (workspace / "params.yaml").write_text("lr: 0.2\n")
    before = (workspace / "dvc.lock").read_bytes()
    with pytest.raises(MissingParams, match=r"train\.epochs"):
        dvcrepo.reproduce()
    assert (workspace / "dvc.lock").read_bytes() == before
    assert (workspace / "out").exists()  # nothing deleted before the check


def test_failing_command_keeps_lock_and_cache(dvcrepo: Repo, workspace: Path) -> None:
    _copy(dvcrepo, workspace)
    dvcrepo.reproduce()
    lock = (workspace / "dvc.lock").read_bytes()
    cache = sorted(p for p in (workspace / ".dvc" / "cache").rglob("*") if p.is_file())
    text = (workspace / "dvc.yaml").read_text()
    (workspace / "dvc.yaml").write_text(text.replace("cp foo bar", "echo partial > bar; exit 3"))
    with pytest.raises(StageCommandFailed, match="exited with 3"):
        dvcrepo.reproduce()
    assert (workspace / "dvc.lock").read_bytes() == lock
    assert sorted(p for p in (workspace / ".dvc" / "cache").rglob("*") if p.is_file()) == cache


def test_command_environment_and_wdir(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "sub").mkdir()
    (workspace / "sub" / "dvc.yaml").write_text(
        'stages:\n  env:\n    wdir: ../w\n    cmd: echo "$DVC_ROOT $DVC_STAGE $(pwd)" > out\n'
        "    outs:\n    - out\n"
    )
    (workspace / "w").mkdir()
    dvcrepo.reproduce(["sub/dvc.yaml"])
    root = os.path.realpath(workspace)
    assert (workspace / "w" / "out").read_text() == (
        f"{dvcrepo.root} sub/dvc.yaml:env {os.path.join(root, 'w')}\n"
    )
    assert (workspace / "sub" / "dvc.lock").exists()


def test_persist_out_kept_and_made_writable(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add("p", "echo x >> log", deps=["in"], outs_persist=["log"])
    dvcrepo.reproduce()
    dvcrepo.reproduce(force=True)
    assert (workspace / "log").read_text() == "x\nx\n"
    assert cache_file(workspace, md5("x\n")).read_text() == "x\n"  # the cache kept its bytes


def test_isexec_out_cached_read_only_and_exec_in_workspace(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add(
        "x", "printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh", deps=["in"], outs=["run.sh"]
    )
    dvcrepo.reproduce()
    assert "isexec: true" in (workspace / "dvc.lock").read_text()
    assert (workspace / "run.sh").stat().st_mode & stat.S_IXUSR
    obj = cache_file(workspace, md5("#!/bin/sh\n"))
    assert not obj.stat().st_mode & 0o222


def test_no_commit_writes_lock_without_caching(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add("c", "echo made > out", deps=["in"], outs=["out"])
    dvcrepo.reproduce(commit=False)
    assert "md5: " + md5("made\n") in (workspace / "dvc.lock").read_text()
    assert not cache_file(workspace, md5("made\n")).exists()


def test_hostile_pipeline_refused_before_anything_runs(dvcrepo: Repo, workspace: Path) -> None:
    for body, error in (
        ("    outs:\n    - ../../escape\n", UnsafePath),
        ("    outs:\n    - .git/hooks/pre-commit\n", UnsafePath),
        ("    wdir: .dvc\n    outs:\n    - o\n", UnsafePath),
        ("    deps:\n    - /etc/passwd\n    outs:\n    - o\n", UnsafePath),
    ):
        (workspace / "dvc.yaml").write_text(
            "stages:\n  ok:\n    cmd: touch ran\n  bad:\n    cmd: touch ran2\n" + body
        )
        before = snapshot(workspace)
        with pytest.raises(error):
            dvcrepo.reproduce()
        assert snapshot(workspace) == before


def test_output_through_a_symlink_out_of_the_repo_refused(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep")
    (workspace / "link").symlink_to(outside)
    (workspace / "dvc.yaml").write_text(
        "stages:\n  first:\n    cmd: touch ran\n    outs:\n    - ran\n"
        "  evil:\n    cmd: echo x\n    deps:\n    - ran\n    outs:\n    - link/victim\n"
    )
    with pytest.raises(UnsafePath, match="symlink"):
        dvcrepo.reproduce()
    assert not (workspace / "ran").exists()
    assert (outside / "victim").read_text() == "keep"


def test_graph_errors(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "dvc.yaml").write_text(
        "stages:\n  a:\n    cmd: touch x\n    outs:\n    - x\n"
        "  b:\n    cmd: touch x\n    outs:\n    - x\n"
    )
    with pytest.raises(OutputDuplication):
        dvcrepo.reproduce()
    (workspace / "dvc.yaml").write_text(
        "stages:\n  a:\n    cmd: cp y x\n    deps:\n    - y\n    outs:\n    - x\n"
        "  b:\n    cmd: cp x y\n    deps:\n    - x\n    outs:\n    - y\n"
    )
    with pytest.raises(CyclicPipeline):
        dvcrepo.reproduce()
    assert not (workspace / "x").exists() and not (workspace / "y").exists()


def test_missing_dep_is_an_error_before_outs_go(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"out": "keep"})
    (workspace / "dvc.yaml").write_text(
        "stages:\n  s:\n    cmd: cp nothere out\n    deps:\n    - nothere\n    outs:\n    - out\n"
    )
    with pytest.raises(PipelineError, match="dependency 'nothere' does not exist"):
        dvcrepo.reproduce()
    assert (workspace / "out").read_text() == "keep"


def test_cli_repro(dvcrepo: Repo, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _copy(dvcrepo, workspace)
    capsys.readouterr()
    assert main(["repro"]) == 0
    assert "Running stage 'copy':\n> cp foo bar\n" in capsys.readouterr().out
    assert main(["repro", "copy"]) == 0
    assert "Data and pipelines are up to date." in capsys.readouterr().out
    (workspace / "dvc.yaml").write_text("stages:\n  fail:\n    cmd: exit 4\n")
    assert main(["repro"]) == 3
    assert "failed to run: exit 4, exited with 4" in capsys.readouterr().err


def test_stage_add_run(git_repo: Repo, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(workspace, {"foo": "foo"})
    assert (
        main(["stage", "add", "-n", "copy", "-d", "foo", "-o", "bar", "--run", "cp", "foo", "bar"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Running stage 'copy':" in out
    assert out.endswith("\tgit add .gitignore dvc.lock dvc.yaml\n")
    assert (workspace / "dvc.lock").read_text() == COPY_LOCK
    assert (workspace / ".gitignore").read_text() == "/bar\n"


# ------------------------------------------------------------------------ run cache
COPY_KEY = "01ed51fe6b14d516fc62728295078575ca21f34fc9997278e59c20adf906d93f"
COPY_VALUE = "6e64d552a9859b3fe8205a9b27bb60d5ce21eea3a7efa2ecae0f4ec3139ec41a"


def _runs(ws: Path) -> list[str]:
    runs = ws / ".dvc" / "cache" / "runs"
    return sorted(p.relative_to(runs).as_posix() for p in runs.rglob("*") if p.is_file())


def test_run_is_saved_under_dvcs_names(dvcrepo: Repo, workspace: Path) -> None:
    _copy(dvcrepo, workspace)
    dvcrepo.reproduce()
    assert _runs(workspace) == [f"01/{COPY_KEY}/{COPY_VALUE}"]
    entry = workspace / ".dvc" / "cache" / "runs" / "01" / COPY_KEY / COPY_VALUE
    assert entry.read_text() == "\n".join(line[4:] for line in COPY_LOCK.splitlines()[3:]) + "\n"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o644


def test_earlier_result_restored_from_run_cache(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"in": "one"})
    dvcrepo.stage_add("s", "cp in out", deps=["in"], outs=["out"])
    dvcrepo.reproduce()
    (workspace / "in").write_text("two")
    dvcrepo.reproduce()
    (workspace / "in").write_text("one")
    lines, result = _messages(dvcrepo)
    assert lines[0] == "Stage 's' is cached - skipping run, checking out outputs"
    assert not [line for line in lines if line.startswith("Running")]
    assert (workspace / "out").read_text() == "one"
    assert result.restored == ("s",)  # type: ignore[attr-defined]
    assert f"md5: {md5('one')}" in (workspace / "dvc.lock").read_text()
    (workspace / "in").write_text("two")
    lines, _ = _messages(dvcrepo, run_cache=False)
    assert "Running stage 's':" in lines


def test_which_stages_use_the_run_cache(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add("nodeps", "echo a > a", outs=["a"])
    dvcrepo.stage_add("always", "echo b > b", deps=["in"], outs=["b"], always_changed=True)
    dvcrepo.stage_add("persist", "echo c > c", deps=["in"], outs_persist=["c"])
    dvcrepo.stage_add("uncached", "echo d > d", deps=["in"], outs_no_cache=["d"])
    dvcrepo.reproduce()
    assert _runs(workspace) == []
    dvcrepo.stage_add("nocommit", "echo e > e", deps=["in"], outs=["e"])
    dvcrepo.reproduce(["nocommit"], commit=False)
    assert _runs(workspace) == []
    dvcrepo.reproduce(["nocommit"], force=True)
    assert len(_runs(workspace)) == 1


def test_uncached_metric_is_copied_into_the_cache_and_restored(
    dvcrepo: Repo, workspace: Path
) -> None:
    write_tree(workspace, {"in": "1"})
    dvcrepo.stage_add(
        "m",
        "cat in > model && cat in > acc.json",
        deps=["in"],
        outs=["model"],
        metrics_no_cache=["acc.json"],
    )
    dvcrepo.reproduce()
    assert cache_file(workspace, md5("1")).exists()
    (workspace / "in").write_text("2")
    dvcrepo.reproduce()
    (workspace / "in").write_text("1")
    lines, _ = _messages(dvcrepo)
    assert "Stage 'm' is cached - skipping run, checking out outputs" in lines
    assert (workspace / "acc.json").read_text() == "1"


def test_corrupt_run_cache_entry_is_not_used(dvcrepo: Repo, workspace: Path) -> None:
    _copy(dvcrepo, workspace)
    dvcrepo.reproduce()
    entry = workspace / ".dvc" / "cache" / "runs" / "01" / COPY_KEY / COPY_VALUE
    os.chmod(entry, 0o644)
    entry.write_text(entry.read_text().replace("path: bar", "path: .git/hooks/x"))
    (workspace / "dvc.lock").unlink()
    lines, _ = _messages(dvcrepo)
    assert any(line.startswith("WARNING: corrupted cache file") for line in lines)
    assert "Running stage 'copy':" in lines
    assert not (workspace / ".git").exists()


@pytest.mark.parametrize("link", ["copy", "hardlink", "symlink"])
def test_outputs_linked_back_with_the_cache_type(workspace: Path, link: str) -> None:
    repo = Repo.init(workspace, no_scm=True)
    repo.config.set("cache", "type", link)
    repo = Repo(workspace)
    write_tree(workspace, {"in": "i"})
    repo.stage_add("s", "echo made > out", deps=["in"], outs=["out"])
    repo.stage_add("p", "echo x >> log", deps=["in"], outs_persist=["log"])
    repo.reproduce()
    out, obj = workspace / "out", cache_file(workspace, md5("made\n"))
    assert out.is_symlink() == (link == "symlink")
    assert out.samefile(obj) == (link != "copy")
    repo.reproduce(["p"], force=True)
    assert (workspace / "log").read_text() == "x\nx\n"
    assert cache_file(workspace, md5("x\n")).read_text() == "x\n"
    repo.close()


def test_pull_brings_data_of_an_unchanged_stage(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add("s", "echo made > out", deps=["in"], outs=["out"])
    dvcrepo.reproduce()
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    dvcrepo.push()
    (workspace / "out").unlink()
    obj = cache_file(workspace, md5("made\n"))
    os.chmod(obj, 0o644)
    obj.unlink()
    lines, result = _messages(dvcrepo, pull=True)
    assert lines == ["Pulling data for stage: 's'"]
    assert (workspace / "out").read_text() == "made\n"
    assert result.ran == () and result.restored == ()  # type: ignore[attr-defined]


def test_foreach_and_matrix_stages_run_expanded(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "dvc.yaml").write_text(
        "vars:\n- suffix: txt\nstages:\n  fe:\n    foreach: [a, b]\n    do:\n"
        "      cmd: echo ${item} > ${item}.${suffix}\n      outs:\n      - ${item}.${suffix}\n"
        "  mx:\n    matrix:\n      x: [1, 2]\n    cmd: cat a.txt > m${item.x}\n"
        "    deps:\n    - a.txt\n    outs:\n    - m${item.x}\n"
    )
    lines, _ = _messages(dvcrepo)
    assert [line for line in lines if line.startswith(">")] == [
        "> echo a > a.txt",
        "> echo b > b.txt",
        "> cat a.txt > m1",
        "> cat a.txt > m2",
    ]
    assert (workspace / "m2").read_text() == "a\n"
    lock = (workspace / "dvc.lock").read_text()
    assert "  fe@a:\n    cmd: echo a > a.txt\n" in lock and "  mx@2:\n" in lock
    lines, _ = _messages(dvcrepo, ["fe"])
    assert lines == ["Stage 'fe@a' didn't change, skipping", "Stage 'fe@b' didn't change, skipping"]


def test_pull_restores_from_a_remote_run_cache(
    dvcrepo: Repo, workspace: Path, remote_dir: Path, tmp_path: Path
) -> None:
    write_tree(workspace, {"in": "one"})
    dvcrepo.stage_add("s", "cp in out", deps=["in"], outs=["out"])
    dvcrepo.reproduce()
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    dvcrepo.push(run_cache=True)
    clone = tmp_path / "clone"
    write_tree(clone, {"in": "one", "dvc.yaml": (workspace / "dvc.yaml").read_text()})
    Repo.init(clone, no_scm=True).close()
    (clone / ".dvc" / "config").write_bytes((workspace / ".dvc" / "config").read_bytes())
    other = Repo(clone)
    lines, _ = _messages(other, run_cache=True)
    assert "Running stage 's':" in lines  # without --pull nothing is known here
    (clone / "out").unlink()
    (clone / "dvc.lock").unlink()
    for p in sorted((clone / ".dvc" / "cache").rglob("*"), reverse=True):
        if p.is_file():
            os.chmod(p, 0o644)
            p.unlink()
    lines, result = _messages(other, pull=True)
    assert lines[0] == "Stage 's' is cached - skipping run, checking out outputs"
    assert result.restored == ("s",)  # type: ignore[attr-defined]
    assert (clone / "out").read_text() == "one"
    assert (clone / "dvc.lock").read_bytes() == (workspace / "dvc.lock").read_bytes()
    other.close()


def test_stages_named_from_the_current_folder(
    dvcrepo: Repo,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (workspace / "sub").mkdir()
    (workspace / "sub" / "dvc.yaml").write_text(
        "stages:\n  x:\n    cmd: echo $DVC_STAGE > name\n    outs:\n    - name\n"
    )
    monkeypatch.chdir(workspace / "sub")
    assert main(["repro"]) == 0
    out = capsys.readouterr().out
    assert "Running stage 'x':" in out and "Updating lock file 'dvc.lock'" in out
    assert (workspace / "sub" / "name").read_text() == "x\n"
    monkeypatch.chdir(workspace)
    assert main(["repro", "-f", "sub/dvc.yaml:x"]) == 0
    out = capsys.readouterr().out
    assert "Running stage 'sub/dvc.yaml:x':" in out
    assert (workspace / "sub" / "name").read_text() == "sub/dvc.yaml:x\n"


def test_dvc2_lock_entry_is_read_with_its_own_hash(dvcrepo: Repo, workspace: Path) -> None:
    """A DVC 2.x lock (items without ``hash: md5``, md5-dos2unix values) of an
    unchanged text pipeline is up to date, as dvc 3 reads it."""
    write_tree(workspace, {"in": "a\r\nb\r\n"})
    dvcrepo.stage_add("s", "cp in out", deps=["in"], outs=["out"])
    dvcrepo.reproduce()
    legacy = md5("a\nb\n")  # dos2unix: CRLF read as LF
    (workspace / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  s:\n    cmd: cp in out\n    deps:\n    - path: in\n"
        f"      md5: {legacy}\n      size: 6\n    outs:\n    - path: out\n"
        f"      md5: {legacy}\n      size: 6\n"
    )
    legacy_obj = workspace / ".dvc" / "cache" / legacy[:2] / legacy[2:]
    legacy_obj.parent.mkdir(parents=True)
    legacy_obj.write_bytes(b"a\r\nb\r\n")
    lines, _ = _messages(dvcrepo)
    assert lines == ["Stage 's' didn't change, skipping"]


@pytest.mark.parametrize("shell", ["/bin/bash", None])
def test_command_runs_in_the_users_shell(
    dvcrepo: Repo, workspace: Path, monkeypatch: pytest.MonkeyPatch, shell: str | None
) -> None:
    if shell is None:
        monkeypatch.delenv("SHELL", raising=False)
    else:
        monkeypatch.setenv("SHELL", shell)
    dvcrepo.stage_add("sh", 'echo "$0" > out', outs=["out"])
    dvcrepo.reproduce()
    assert (workspace / "out").read_text() == f"{shell or '/bin/sh'}\n"


def test_missing_targets_named_as_dvc(dvcrepo: Repo, workspace: Path) -> None:
    with pytest.raises(StageNotFound, match=r"'dvc\.yaml' does not exist"):
        dvcrepo.reproduce()
    dvcrepo.stage_add("a", "echo")
    with pytest.raises(StageNotFound, match=r"'dvc\.yaml' does not have a stage named 'b'"):
        dvcrepo.reproduce(["b"])


def test_hostile_lock_ids_refused(dvcrepo: Repo, workspace: Path, tmp_path: Path) -> None:
    """A lock md5 like ``../../x`` would name a file outside the cache: refused, naming
    dvc.lock, and nothing is checked out from there."""
    secret = tmp_path / "secret"
    secret.write_text("s")
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add("s", "echo made > out", deps=["in"], outs=["out"])
    dvcrepo.reproduce()
    text = (workspace / "dvc.lock").read_text()
    bad = os.path.relpath(secret, workspace / ".dvc" / "cache" / "files" / "md5" / "xx")
    (workspace / "dvc.lock").write_text(text.replace(md5("made\n"), "xx" + bad))
    (workspace / "out").unlink()
    with pytest.raises(DvcFileError, match=r"dvc\.lock"):
        dvcrepo.reproduce()
    assert not (workspace / "out").exists()
    assert secret.read_text() == "s"


def test_changed_import_is_not_added_again(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"file.txt": "abc"})
    dvcrepo.add("file.txt")
    dvcfile = workspace / "file.txt.dvc"
    dvcfile.write_text(
        "md5: 019cc425e0c722089f52f250dfb4898a\nfrozen: true\ndeps:\n"
        "- md5: 900150983cd24fb0d6963f7d28e17f72\n  size: 3\n  hash: md5\n  path: /ext/file.txt\n"
        + dvcfile.read_text()
    )
    before = dvcfile.read_bytes()
    (workspace / "file.txt").unlink()
    (workspace / "file.txt").write_text("changed")
    dvcrepo.stage_add("s", "cat file.txt > o", deps=["file.txt"], outs=["o"])
    lines, _ = _messages(dvcrepo)
    assert lines[0].startswith("WARNING: 'file.txt.dvc' is an import whose data changed")
    assert dvcfile.read_bytes() == before


def test_cli_git_hint_only_inside_git(
    git_repo: Repo,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (workspace / "sub").mkdir()
    git_repo.stage_add("x", "echo > o", outs=["o"], pipeline="sub")
    monkeypatch.chdir(workspace / "sub")
    capsys.readouterr()
    assert main(["repro"]) == 0
    assert "\tgit add dvc.lock\n" in capsys.readouterr().out
    (workspace / "nogit").mkdir()
    monkeypatch.chdir(workspace / "nogit")
    Repo.init(workspace / "nogit", no_scm=True).stage_add("y", "echo > o", outs=["o"])
    assert main(["repro"]) == 0
    assert "git add" not in capsys.readouterr().out


def test_a_folder_dep_waits_for_every_output_inside_it(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "data").mkdir()
    dvcrepo.stage_add("use", "ls data > listing", deps=["data"], outs=["listing"])
    dvcrepo.stage_add("b", "echo b > data/b", outs=["data/b"])
    dvcrepo.stage_add("a", "echo a > data/a", outs=["data/a"])
    lines, _ = _messages(dvcrepo, ["use"])
    ran = [line for line in lines if line.startswith("Running")]
    assert ran[-1] == "Running stage 'use':" and len(ran) == 3
    assert (workspace / "listing").read_text() == "a\nb\n"


def test_version_aware_lock_is_up_to_date_and_keeps_cloud(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    """After a push to a version-aware remote the lock has ``cloud:`` (a file) and
    ``files:`` (a directory): the stages are unchanged; ``repro -f`` puts the directory
    back to md5/size/nfiles and keeps the unchanged file's ``cloud:``, as dvc does."""
    write_tree(workspace, {"in": "i"})
    dvcrepo.stage_add(
        "s", "mkdir -p d && echo a > d/a && echo m > model", deps=["in"], outs=["d", "model"]
    )
    dvcrepo.reproduce()
    store = tmp_path / "store"
    store.mkdir()
    dvcrepo.remote_add("store", str(store), default=True, versioning=True, version_aware=True)
    assert dvcrepo.push().ok
    lock = (workspace / "dvc.lock").read_text()
    assert "files:" in lock and "version_id" in lock
    lines, _ = _messages(dvcrepo)
    assert lines == ["Stage 's' didn't change, skipping"]
    dvcrepo.reproduce(force=True)
    data = yaml.safe_load((workspace / "dvc.lock").read_text())
    d, model = data["stages"]["s"]["outs"]
    assert "files" not in d and d["nfiles"] == 1
    assert list(model) == ["path", "hash", "md5", "size", "cloud"]


@pytest.mark.parametrize(("name", "opts"), [("bash", "--noprofile --norc"), ("zsh", "--no-rcs")])
def test_shell_rc_files_are_skipped(
    dvcrepo: Repo,
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    opts: str,
) -> None:
    """As dvc: bash gets ``--noprofile --norc`` and zsh ``--no-rcs``, so rc files cannot
    change the command's environment."""
    shell = tmp_path / "bin" / name
    shell.parent.mkdir()
    shell.write_text(
        f'#!/bin/sh\necho "$@" > {tmp_path}/args\nshift {len(opts.split())}\nexec /bin/sh "$@"\n'
    )
    shell.chmod(0o755)
    monkeypatch.setenv("SHELL", str(shell))
    dvcrepo.stage_add("s", "echo hi > out", outs=["out"])
    dvcrepo.reproduce()
    assert (tmp_path / "args").read_text() == f"{opts} -c echo hi > out\n"
    assert (workspace / "out").read_text() == "hi\n"


def test_frozen_stage_with_missing_output_fails_as_dvc(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"a": "a"})
    dvcrepo.stage_add("s", "cp a b", deps=["a"], outs=["b"])
    dvcrepo.reproduce()
    (workspace / "dvc.yaml").write_text((workspace / "dvc.yaml").read_text() + "    frozen: true\n")
    (workspace / "b").unlink()
    lines: list[str] = []
    with pytest.raises(PipelineError, match="failed to reproduce 's': missing data 'source': b"):
        dvcrepo.reproduce(log=lines.append)
    assert lines == [
        "WARNING: stage: 's' is frozen. Its dependencies are not going to be reproduced.",
        "Verifying outputs in frozen stage: 's'",
    ]
