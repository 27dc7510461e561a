"""Pipelines made and pushed by the real dvc, and dvcremote on the same project.

The project is shaped like example-get-started: raw data tracked by a ``.dvc`` file, a
pipeline whose ``dvc.lock`` records a directory output, a file output, a ``cache: false``
metric and a plots directory, and a second ``dvc.yaml`` below the root whose stage runs
in the root (``wdir: ..``). Each tool pulls what the other pushed, ``status -c`` of
both agrees, and ``gc -w -c`` on copies of one dvc-pushed remote leaves the same files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from interop_helpers import read_files, store_files

from dvcremote_testing.dvc import DvcRunner, run_dvcremote

PIPELINE = """\
stages:
  prepare:
    cmd: mkdir -p data/prepared && cp data/data.xml data/prepared/train.tsv && echo train
      >> data/prepared/train.tsv && echo test > data/prepared/test.tsv
    deps:
    - data/data.xml
    outs:
    - data/prepared
  train:
    cmd: cat data/prepared/train.tsv data/prepared/test.tsv > model.pkl
    deps:
    - data/prepared
    outs:
    - model.pkl
  evaluate:
    cmd: mkdir -p eval/plots && cat model.pkl > eval/plots/roc.json && echo roc
      >> eval/plots/roc.json && echo acc > eval/metrics.json
    deps:
    - model.pkl
    metrics:
    - eval/metrics.json:
        cache: false
    plots:
    - eval/plots
"""
SUB_PIPELINE = """\
stages:
  report:
    wdir: ..
    cmd: mkdir -p results && cat model.pkl data/data.xml > results/report.txt
    deps:
    - model.pkl
    outs:
    - results/report.txt
"""
#: What git would hold: everything but the data DVC tracks (cache: false metrics included).
_IN_GIT = ("dvc.yaml", "dvc.lock", "pipe/dvc.yaml", "pipe/dvc.lock", "data/data.xml.dvc",
           "eval/metrics.json")
#: The data the pipeline's lock files and data.xml.dvc track.
_TRACKED = ("data/data.xml", "data/prepared/", "model.pkl", "eval/plots/", "results/report.txt")


def pipeline_project(ws: Path, dvc: DvcRunner, raw: bytes = b"<xml>raw</xml>\n") -> Path:
    """A dvc project (no git) with the pipelines above run by ``dvc repro`` and pushed
    to the default remote ``store`` (``ws/../remote``, stored relative)."""
    (ws / "data").mkdir(parents=True)
    (ws / "pipe").mkdir()
    (ws / "data" / "data.xml").write_bytes(raw)
    dvc("init", "--no-scm", cwd=ws)
    dvc("add", "data/data.xml", cwd=ws)
    (ws / "dvc.yaml").write_text(PIPELINE)
    (ws / "pipe" / "dvc.yaml").write_text(SUB_PIPELINE)
    dvc("repro", "--all-pipelines", cwd=ws)
    dvc("remote", "add", "-d", "store", "../remote", cwd=ws)
    dvc("push", cwd=ws)
    return ws


def clone(ws: Path, dst: Path) -> Path:
    """What ``git clone`` gives another user: the files git holds, no data, no cache."""
    (dst / ".dvc").mkdir(parents=True)
    shutil.copy2(ws / ".dvc" / "config", dst / ".dvc" / "config")
    for rel in _IN_GIT:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ws / rel, dst / rel)
    return dst


def tracked_data(ws: Path) -> dict[str, bytes]:
    return {
        path: data
        for path, data in read_files(ws).items()
        if any(path == t or (t.endswith("/") and path.startswith(t)) for t in _TRACKED)
    }


def test_dvcremote_pulls_a_pipeline_dvc_pushed(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = pipeline_project(tmp_path / "ws", real_dvc)
    other = clone(ws, tmp_path / "clone")
    expected = tracked_data(ws)
    assert set(expected) == {
        "data/data.xml", "data/prepared/train.tsv", "data/prepared/test.tsv", "model.pkl",
        "eval/plots/roc.json", "results/report.txt",
    }

    before = run_dvcremote("status", "-c", "--json-objects", cwd=other, check=False).json()["paths"]
    theirs = real_dvc.json("status", "-c", cwd=other)
    assert "model.pkl" in theirs and theirs.items() <= before.items()
    assert set(before.values()) == {"deleted"}

    run_dvcremote("pull", cwd=other)

    assert tracked_data(other) == expected
    status = run_dvcremote("status", "-c", "--json-objects", cwd=other).json()
    assert status["paths"] == {} and len(status["ok"]) == 8  # 6 files, 2 directory manifests
    assert real_dvc.json("status", "-c", cwd=other) == {}
    assert real_dvc.json("status", cwd=other) == {}, "dvc sees the restored workspace as its own"


def test_status_cloud_agrees_on_a_pipeline_out_of_sync(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = pipeline_project(tmp_path / "ws", real_dvc)
    objects = sorted((tmp_path / "remote" / "files" / "md5").rglob("*"))
    gone = [p for p in objects if p.is_file()][:3]  # the first in name order
    for path in gone:
        path.unlink()
    ours = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False).json()
    theirs = real_dvc.json("status", "-c", cwd=ws)
    assert set(ours["new"]) == {p.parent.name + p.name for p in gone}
    assert not ours["deleted"] and not ours["missing"]
    # dvc names each object once (a directory's own entry may be left out): every name
    # it gives has the state we give it, and it finds as many objects out of sync.
    assert set(theirs.values()) == {"new"} and len(theirs) == len(gone)
    assert theirs.items() <= ours["paths"].items()


def test_dvc_pulls_a_pipeline_dvcremote_pushed(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = pipeline_project(tmp_path / "ws", real_dvc)
    run_dvcremote("remote", "add", "fresh", "../fresh", cwd=ws)
    run_dvcremote("push", "-r", "fresh", cwd=ws)
    assert set(store_files(tmp_path / "fresh")) == set(store_files(tmp_path / "remote"))

    other = clone(ws, tmp_path / "clone")
    real_dvc("remote", "default", "fresh", cwd=other)
    real_dvc("pull", cwd=other)
    assert tracked_data(other) == tracked_data(ws)
    assert real_dvc.json("status", "-c", cwd=other) == {}
    assert real_dvc.json("status", cwd=other) == {}


def test_gc_cloud_removes_exactly_what_dvc_removes(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """Two versions pushed, the run cache too; gc -w -c keeps the second version's."""
    base = tmp_path / "base"
    ws = pipeline_project(base / "ws", real_dvc)
    (ws / "data" / "data.xml").write_bytes(b"<xml>second version</xml>\n")
    real_dvc("add", "data/data.xml", cwd=ws)
    real_dvc("repro", "--all-pipelines", cwd=ws)
    real_dvc("push", "--run-cache", cwd=ws)
    pushed = store_files(base / "remote")
    assert any(p.startswith("runs/") for p in pushed)

    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    shutil.copytree(base, theirs, symlinks=True)
    shutil.copytree(base, ours, symlinks=True)
    real_dvc("gc", "-w", "-c", "-f", cwd=theirs / "ws")
    run_dvcremote("gc", "-w", "-c", "-f", cwd=ours / "ws")

    kept = set(store_files(ours / "remote"))
    assert kept == set(store_files(theirs / "remote"))
    assert set(store_files(ours / "ws" / ".dvc" / "cache")) == set(
        store_files(theirs / "ws" / ".dvc" / "cache")
    )
    assert kept < set(pushed), "the first version's objects are garbage"
    assert {p for p in pushed if p.startswith("runs/")} <= kept
    # and what is left is all the workspace needs: dvc still finds it in sync
    assert real_dvc.json("status", "-c", cwd=ours / "ws") == {}
