"""The run cache against the real dvc 3.67 (issue 13): the entries ``dvc repro`` writes
have the names dvcremote computes and the bytes it writes, and run-cache entries move
between the two through a remote."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from interop_helpers import read_files, store_files

from dvcremote.runcache import RunCache, split_relpath
from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

#: A copy stage (reference §4), a list cmd with a dir dep, params (dotted and subtree)
#: and a ``cache: false`` metric, and an executable output.
STAGES = """\
stages:
  copy:
    cmd: cp foo bar
    deps:
    - foo
    outs:
    - bar
  multi:
    cmd:
    - mkdir -p out
    - cat data/a data/b > out/ab
    - echo acc > metric.json
    deps:
    - data
    params:
    - lr
    - train
    - train.epochs
    outs:
    - out
    metrics:
    - metric.json:
        cache: false
  exe:
    cmd: cp foo run.sh && chmod +x run.sh
    deps:
    - foo
    outs:
    - run.sh
"""
PARAMS = "train:\n  epochs: 3\n  seed: 1\nlr: 0.001\nother: x\n"


def reproduced(ws: Path, dvc: DvcRunner) -> Path:
    """A dvc project (no git) whose STAGES ``dvc repro`` ran, filling its run cache."""
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "a").write_text("a")
    (ws / "data" / "b").write_text("b")
    (ws / "foo").write_text("foo")
    (ws / "params.yaml").write_text(PARAMS)
    (ws / "dvc.yaml").write_text(STAGES)
    dvc("init", "--no-scm", cwd=ws)
    dvc("repro", cwd=ws)
    return ws


def run_files(cache_root: Path) -> dict[str, bytes]:
    return {f"runs/{k}": v for k, v in read_files(cache_root / "runs").items()}


def test_names_and_bytes_of_the_entries_dvc_wrote(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = reproduced(tmp_path / "ws", real_dvc)
    theirs = run_files(ws / ".dvc" / "cache")
    assert len(theirs) == 3
    assert (
        "runs/01/01ed51fe6b14d516fc62728295078575ca21f34fc9997278e59c20adf906d93f/"
        "6e64d552a9859b3fe8205a9b27bb60d5ce21eea3a7efa2ecae0f4ec3139ec41a" in theirs
    )

    entries = dict(RunCache(ws / ".dvc" / "cache").entries())  # checks key and value of each
    assert set(entries) == set(theirs)
    assert any(isinstance(e["cmd"], list) and "params" in e for e in entries.values())
    assert any(o.get("isexec") is True for e in entries.values() for o in e["outs"])

    mine = RunCache(tmp_path / "mine")
    for relpath, entry in entries.items():
        assert split_relpath(relpath) is not None
        mine.save(entry)
    assert run_files(tmp_path / "mine") == theirs


def _pushed_count(run: Run) -> int:
    match = re.search(r"(\d+) files? pushed", run.stdout + run.stderr)
    assert match, run.describe()
    return int(match.group(1))


def test_dvcremote_pulls_the_run_cache_dvc_pushed(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = reproduced(tmp_path / "ws", real_dvc)
    real_dvc("remote", "add", "-d", "store", "../remote", cwd=ws)
    theirs = _pushed_count(real_dvc("push", "--run-cache", cwd=ws))
    run_dvcremote("remote", "add", "fresh", "../fresh", cwd=ws)
    ours = _pushed_count(run_dvcremote("push", "--run-cache", "-r", "fresh", cwd=ws))
    # The same run-cache files and objects, plus the one object only an entry names
    # (the ``cache: false`` metric dvc copied into the cache): dvc does not push it.
    assert run_files(tmp_path / "fresh") == run_files(tmp_path / "remote")
    extra = set(store_files(tmp_path / "fresh")) - set(store_files(tmp_path / "remote"))
    assert extra == {"files/md5/b2/739c79830838592620799f775c4c87"}  # md5 of "acc\n"
    assert ours == theirs + 1

    other = tmp_path / "clone"
    (other / ".dvc").mkdir(parents=True)
    shutil.copy2(ws / ".dvc" / "config", other / ".dvc" / "config")
    run = run_dvcremote("pull", "--run-cache", cwd=other)
    assert "3 run-cache entries fetched" in run.stdout
    assert run_files(other / ".dvc" / "cache") == run_files(ws / ".dvc" / "cache")


DOUBLE = """\
stages:
  double:
    cmd: cat foo foo > bar
    deps:
    - foo
    outs:
    - bar
"""


def _two_results(ws: Path, dvc: DvcRunner) -> bytes:
    """A project whose stage ran on two versions of ``foo`` (``one``, then ``two``),
    so the run cache holds a result the workspace no longer uses; returns the
    ``foo.dvc`` of the first version."""
    ws.mkdir(parents=True)
    dvc("init", "--no-scm", cwd=ws)
    (ws / "dvc.yaml").write_text(DOUBLE)
    (ws / "foo").write_text("one")
    dvc("add", "foo", cwd=ws)
    first = (ws / "foo.dvc").read_bytes()
    dvc("repro", cwd=ws)
    (ws / "foo").write_text("two")
    dvc("add", "foo", cwd=ws)
    dvc("repro", cwd=ws)
    return first


def _clone_at_first(ws: Path, dst: Path, first: bytes, remote: Path) -> Path:
    """A clone (no data, no cache) whose ``foo.dvc`` is back at the first version, as a
    checkout of an older commit gives (the lock is at the second), pulling from ``remote``."""
    (dst / ".dvc").mkdir(parents=True)
    for name in ("dvc.yaml", "dvc.lock"):
        shutil.copy2(ws / name, dst / name)
    (dst / "foo.dvc").write_bytes(first)
    (dst / ".dvc" / "config").write_text(
        f"[core]\n    no_scm = True\n    remote = up\n['remote \"up\"']\n    url = {remote}\n"
    )
    return dst


def test_dvc_restores_a_stage_from_the_run_cache_dvcremote_pushed(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = tmp_path / "ws"
    first = _two_results(ws, real_dvc)
    run_dvcremote("remote", "add", "ours", str(tmp_path / "ours"), cwd=ws)
    run_dvcremote("push", "--run-cache", "-r", "ours", cwd=ws)
    real_dvc("remote", "add", "theirs", str(tmp_path / "theirs"), cwd=ws)
    real_dvc("push", "--run-cache", "-r", "theirs", cwd=ws)
    assert run_files(tmp_path / "ours") == run_files(tmp_path / "theirs")
    second = (ws / "foo.dvc").read_bytes()
    (ws / "foo.dvc").write_bytes(first)  # the older commit's data is on both remotes too
    run_dvcremote("push", "-r", "ours", "foo.dvc", cwd=ws)
    real_dvc("push", "-r", "theirs", "foo.dvc", cwd=ws)
    (ws / "foo.dvc").write_bytes(second)

    clone = _clone_at_first(ws, tmp_path / "clone", first, tmp_path / "ours")
    real_dvc("pull", "--run-cache", cwd=clone)
    assert run_files(clone / ".dvc" / "cache") == run_files(ws / ".dvc" / "cache")
    run = real_dvc("repro", "--pull", cwd=clone)
    assert "Stage 'double' is cached - skipping run, checking out outputs" in run.stdout
    assert "Running stage" not in run.stdout
    assert (clone / "bar").read_text() == "oneone"

    # dvc's own push leaves that result's object behind: the same clone runs the command.
    clone = _clone_at_first(ws, tmp_path / "clone-theirs", first, tmp_path / "theirs")
    real_dvc("pull", "--run-cache", cwd=clone)
    run = real_dvc("repro", "--pull", cwd=clone)
    assert "Running stage 'double'" in run.stdout


def test_dvcremote_restores_a_stage_from_the_run_cache_dvc_pushed(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    (ws / "dvc.yaml").write_text(DOUBLE)
    (ws / "foo").write_text("one")
    real_dvc("add", "foo", cwd=ws)
    real_dvc("repro", cwd=ws)
    real_dvc("remote", "add", "-d", "store", str(tmp_path / "remote"), cwd=ws)
    real_dvc("push", "--run-cache", cwd=ws)

    # Another machine: dvc.yaml and foo.dvc from git, no dvc.lock yet, no cache.
    clone = tmp_path / "clone"
    (clone / ".dvc").mkdir(parents=True)
    for name in ("dvc.yaml", "foo.dvc", ".dvc/config"):
        shutil.copy2(ws / name, clone / name)
    run = run_dvcremote("pull", "--run-cache", cwd=clone)
    assert "1 run-cache entry fetched" in run.stdout
    run = run_dvcremote("repro", "--pull", cwd=clone)
    assert "Stage 'double' is cached - skipping run, checking out outputs" in run.stdout
    assert "Running stage" not in run.stdout
    assert (clone / "bar").read_text() == "oneone"
    assert (clone / "dvc.lock").read_bytes() == (ws / "dvc.lock").read_bytes()
