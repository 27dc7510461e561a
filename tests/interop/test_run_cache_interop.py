"""The run cache against the real dvc 3.67 (issue 13): the entries ``dvc repro`` writes
have the names dvcremote computes and the bytes it writes, and run-cache entries move
between the two through a remote."""

from __future__ import annotations

from pathlib import Path

from interop_helpers import read_files

from dvcremote.runcache import RunCache, split_relpath
from dvcremote_testing.dvc import DvcRunner

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
