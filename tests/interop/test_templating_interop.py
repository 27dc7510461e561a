"""Templated pipelines (vars, ``${...}``, foreach, matrix) read the way the real dvc reads them.

The real dvc lists the stages, runs ``dvc repro`` and pushes; dvcremote must see the
same stage names (``dvc stage list``, the lock), the same output paths (the lock), the
same workspace changes (``dvc status``) and honour the flags a templated output
carries (``push: false`` and ``cache: false`` on ``${item}`` paths) in push and
``status -c`` exactly as dvc does. Reference: dvc-pipelines.md section 1.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from interop_helpers import md5

from dvcremote import yamlio
from dvcremote.pipeline import declared_in, load_workspace_stages, pipeline_stages
from dvcremote.pipeline import workspace_reader as reader
from dvcremote.templating import ParsingOptions
from dvcremote_testing.dvc import DvcRunner, run_dvcremote

PIPELINE = """\
vars:
  - config.yaml:suffix
  - hyper.py:Train
stages:
  gen:
    foreach: ${models}
    do:
      cmd: mkdir -p models && echo ${item} > models/${item}.pkl && echo log > log-${item}.txt
      deps: [params.yaml]
      outs:
      - models/${item}.pkl
      - log-${item}.txt:
          push: false
  evaluate:
    matrix:
      model: ${models}
      split: [train, test]
    wdir: ${dirs.eval}
    cmd: cat ../models/${item.model}.pkl > ${key}.json && echo ${item.split} > ${key}.${suffix}
    deps:
    - ../models/${item.model}.pkl
    outs:
    - ${key}.${suffix}
    metrics:
    - ${key}.json:
        cache: false
  summary:
    foreach:
      first: {n: 1}
      second: {n: 2}
    do:
      vars: [{ext: sum}]
      cmd: echo ${key} ${item.n} ${flags} ${Train.batch} > ${key}.${ext}
      outs: [{"${key}.${ext}": {}}]
"""
PARAMS = "models: [small, big]\ndirs:\n  eval: eval\nflags: {fast: true, depth: 2}\n"
NAMES = [
    "gen@small", "gen@big",
    "evaluate@small-train", "evaluate@small-test", "evaluate@big-train", "evaluate@big-test",
    "summary@first", "summary@second",
]  # fmt: skip


def templated_project(ws: Path, dvc: DvcRunner) -> Path:
    """The pipeline above reproduced by the real dvc (no git), remote ``store`` at
    ``ws/../remote`` (nothing pushed)."""
    (ws / "eval").mkdir(parents=True)
    (ws / "eval" / ".keep").write_text("")
    (ws / "params.yaml").write_text(PARAMS)
    (ws / "config.yaml").write_text("suffix: txt\nunused: 1\n")
    (ws / "hyper.py").write_text("class Train:\n    batch = 32\n    lr = compute()\n")
    (ws / "dvc.yaml").write_text(PIPELINE)
    dvc("init", "--no-scm", cwd=ws)
    dvc("repro", cwd=ws)
    dvc("remote", "add", "-d", "store", "../remote", cwd=ws)
    return ws


def _objects(root: Path) -> set[str]:
    return {p.parent.name + p.name for p in root.rglob("*") if p.is_file()}


def test_stage_names_and_lock_paths_agree_with_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = templated_project(tmp_path / "ws", real_dvc)
    root = str(ws)
    listed = real_dvc("stage", "list", "--name-only", cwd=ws).stdout.splitlines()
    ours = pipeline_stages(yamlio.loads((ws / "dvc.yaml").read_text()), "", reader(root))
    assert listed == list(ours) == NAMES
    assert ours["summary@first"]["cmd"] == "echo first 1 --fast --depth 2 32 > first.sum"
    assert (ws / "first.sum").read_text() == "first 1 --fast --depth 2 32\n"  # dvc ran it

    lock = yamlio.loads((ws / "dvc.lock").read_text())
    stages = {s.stage: s for s in load_workspace_stages(root, "dvc.lock")}
    assert set(stages) == set(lock["stages"]) == set(NAMES)
    for name, stage in stages.items():
        wdir = "eval/" if name.startswith("evaluate") else ""
        assert [o.repo_path for o in stage.outs] == [
            wdir + o["path"] for o in lock["stages"][name]["outs"]
        ]
        assert stage.outs[0].raw == lock["stages"][name]["outs"][0]
    assert {o.repo_path for o in stages["evaluate@big-test"].outs} == {
        "eval/big-test.json", "eval/big-test.txt",
    }  # fmt: skip
    declared = {d.repo_path: d.stage for d in declared_in(root, "dvc.yaml")}
    assert declared["eval/small-train.json"] == "evaluate@small-train"
    assert declared["log-big.txt"] == "gen@big"
    assert declared["second.sum"] == "summary@second"

    assert real_dvc.json("status", cwd=ws) == {}
    assert run_dvcremote("status", "--json", cwd=ws).json() == {}


def _dvc_changes(report: dict[str, Any]) -> dict[str, str]:
    """``dvc status --json`` as {path: state} of its changed outs."""
    found: dict[str, str] = {}
    for entries in report.values():
        for entry in entries:
            if isinstance(entry, dict):
                found.update(entry.get("changed outs", {}))
    return found


def test_workspace_status_of_templated_outputs_agrees_with_dvc(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = templated_project(tmp_path / "ws", real_dvc)
    (ws / "models" / "big.pkl").write_text("changed\n")
    (ws / "eval" / "small-test.json").write_text("changed\n")  # cache: false
    (ws / "log-small.txt").unlink()  # push: false, still cached
    theirs = real_dvc.json("status", cwd=ws)
    assert "gen@big" in theirs and "evaluate@small-test" in theirs
    expected = {
        "models/big.pkl": "modified",
        "eval/small-test.json": "modified",
        "log-small.txt": "deleted",
    }
    assert _dvc_changes(theirs) == {
        "models/big.pkl": "modified",
        "eval/small-test.json": "modified",
        "log-small.txt": "deleted",
    }
    ours = run_dvcremote("status", "--json", cwd=ws, check=False).json()
    assert _dvc_changes(ours) == expected
    # dvc's form, keyed by the generated stage names, changed deps included
    assert ours == theirs


def test_push_and_status_cloud_honour_templated_flags_as_dvc(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    ws = templated_project(tmp_path / "dvc" / "ws", real_dvc)
    copy = tmp_path / "ours" / "ws"
    shutil.copytree(ws, copy, symlinks=True)

    theirs = real_dvc.json("status", "-c", cwd=ws)
    report = run_dvcremote("status", "-c", "--json-objects", cwd=copy, check=False).json()
    ours = report["paths"]
    # dvc names each object once (eval/*-train.txt share one): same states, same count
    assert set(theirs.values()) == {"new"} and theirs.items() <= ours.items()
    assert len(theirs) == len(report["new"]) == 6
    # the push: false logs and the cache: false metrics are left out by both
    assert not any(p.startswith("log-") or p.endswith(".json") for p in ours)

    real_dvc("push", cwd=ws)
    run_dvcremote("push", cwd=copy)
    pushed = _objects(tmp_path / "ours" / "remote")
    assert pushed == _objects(tmp_path / "dvc" / "remote")
    logs = {md5(p.read_bytes()) for p in ws.glob("log-*.txt")}
    assert logs == {md5(b"log\n")} and not logs & pushed, "a push: false output was pushed"
    assert md5(b"small\n") in pushed

    for tool_ws in (ws, copy):
        assert real_dvc.json("status", "-c", cwd=tool_ws) == {}
        assert run_dvcremote("status", "-c", "--json", cwd=tool_ws).json() == {}


QUIRKS = """\
vars:
  - flags: [true, 1.0, 2]
    one: true
    d: {lr: 0.1, "on": true, "off": false, s: a b, n: {m: 3}, l: [1, x y]}
  - extra.json
  - conf.toml:t
stages:
  scalars:
    foreach: [1, a, true, null, 1.5, "1", "${one}"]
    do:
      cmd: echo ${item} \\${item} ${lr}
  from-vars:
    foreach: ${flags}
    do:
      cmd: echo ${item} ${d} ${j.k[1]} ${t.name}
  collections:
    foreach: [{p: [1]}, {p: [2, 3]}]
    do:
      cmd: echo ${item.p[-1]} ${local}
      vars: [{local: 7}]
  keyed:
    foreach: {x: {p: 1}, "y z": {p: 2}}
    do:
      wdir: ${dirs.sub}
      vars: [sub.yaml]
      cmd: echo ${key} ${item.p} ${here}
  mx:
    matrix:
      m: ${models}
      v: [1, {q: 1}, [3]]
      b: [true, "${one}"]
    cmd: echo ${item.m} ${key} ${item.b}
"""


def _dry_run(report: str) -> dict[str, str]:
    """``dvc repro --dry`` as {stage: command}."""
    commands: dict[str, str] = {}
    stage = ""
    for line in report.splitlines():
        if line.startswith("Running stage '"):
            stage = line[len("Running stage '") : -len("':")]
        elif line.startswith("> ") and stage:
            commands[stage] = line[2:]
    return commands


def test_names_and_commands_agree_with_dvc_repro_dry(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """Every naming and formatting rule at once (values from vars named by str(), list
    items holding collections by index, matrix fragments, escapes, a dict in cmd under
    ``parsing.bool = boolean_optional``, vars from json / toml / a wdir's file)."""
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "params.yaml").write_text("lr: 0.01\nmodels: [small, big]\ndirs: {sub: sub}\n")
    (ws / "extra.json").write_text('{"j": {"k": ["a", "b"]}}')
    (ws / "conf.toml").write_text('[t]\nname = "toml"\n[other]\nx = 1\n')
    (ws / "sub" / "sub.yaml").write_text("here: in-sub\n")
    (ws / "dvc.yaml").write_text(QUIRKS)
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("config", "parsing.bool", "boolean_optional", cwd=ws)
    theirs = _dry_run(real_dvc("repro", "--dry", cwd=ws).stdout)
    data = yamlio.loads(QUIRKS)
    options = ParsingOptions(bool="boolean_optional")
    ours = pipeline_stages(data, "", reader(str(ws)), options)
    listed = real_dvc("stage", "list", "--name-only", cwd=ws).stdout.splitlines()
    assert listed == list(ours)
    assert "keyed@y z" in listed
    assert theirs == {name: body["cmd"] for name, body in ours.items()}
    assert "scalars@True" in theirs and "scalars@true" in theirs and "mx@big-v2-True" in theirs
