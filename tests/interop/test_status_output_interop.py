"""``status`` prints what ``dvc status`` prints (dvc-pipelines.md section 11).

One project made by the real dvc: ``foo`` and ``data/`` tracked by ``.dvc`` files, and
a pipeline in ``pipe/`` whose stage writes two outputs. Each repository state is shown
by both tools, and their stdout (text and ``--json``) must be the same. dvc prints
``status -c`` lines in set order, so those are compared sorted; workspace blocks per
``.dvc`` file or stage are compared as blocks. Exit codes differ on purpose
(dvcremote exits 1 when something changed, dvc only with ``-q``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from interop_helpers import md5

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

PIPELINE = """\
stages:
  train:
    cmd: echo model > model.bin && mkdir -p plots && echo plot > plots/a.txt
    deps:
    - ../foo
    outs:
    - model.bin
    - plots
"""


def _project(ws: Path, dvc: DvcRunner) -> Path:
    (ws / "data" / "sub").mkdir(parents=True)
    (ws / "pipe").mkdir()
    (ws / "foo").write_bytes(b"foo")
    (ws / "bar").write_bytes(b"bar")
    (ws / "data" / "a.txt").write_bytes(b"a")
    (ws / "data" / "sub" / "b.txt").write_bytes(b"b")
    dvc("init", "--no-scm", cwd=ws)
    dvc("add", "foo", "bar", "data", cwd=ws)
    (ws / "pipe" / "dvc.yaml").write_text(PIPELINE)
    dvc("repro", "--all-pipelines", cwd=ws)
    dvc("remote", "add", "-d", "store", "../remote", cwd=ws)
    return ws


def _blocks(stdout: str) -> list[tuple[str, ...]]:
    """Workspace status text as its per-file blocks (a line without a tab opens one)."""
    blocks: list[list[str]] = []
    for line in stdout.splitlines():
        if not line.startswith("\t") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    return sorted(tuple(b) for b in blocks)


def _same(ours: Run, theirs: Run, *, cloud: bool = False) -> None:
    assert theirs.returncode == 0, theirs.describe()
    if cloud:
        assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines())
    else:
        assert _blocks(ours.stdout) == _blocks(theirs.stdout)


def _both(dvc: DvcRunner, ws: Path, *args: str) -> tuple[Run, Run]:
    return run_dvcremote("status", *args, cwd=ws, check=False), dvc("status", *args, cwd=ws)


def test_workspace_status_prints_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = _project(tmp_path / "ws", real_dvc)
    ours, theirs = _both(real_dvc, ws)
    assert ours.stdout == theirs.stdout == "Data and pipelines are up to date.\n"
    assert ours.returncode == 0

    (ws / "foo").write_bytes(b"changed")  # a .dvc output modified (also the stage's dep)
    (ws / "bar").unlink()  # deleted
    (ws / "pipe" / "model.bin").write_bytes(b"changed")  # a stage output modified
    shutil.rmtree(ws / "pipe" / "plots")  # and one deleted
    (ws / "data" / "a.txt").write_bytes(b"changed")  # a directory modified
    real_dvc("commit", "-f", "foo.dvc", cwd=ws)  # the stage's dep is what it recorded
    (ws / "foo").write_bytes(b"foo")
    shutil.rmtree(ws / ".dvc" / "cache" / "files" / "md5" / md5(b"changed")[:2])
    expected_json = {
        "bar.dvc": [{"changed outs": {"bar": "deleted"}}],
        "data.dvc": [{"changed outs": {"data": "modified"}}],
        "foo.dvc": [{"changed outs": {"foo": "not in cache"}}],
        "pipe/dvc.yaml:train": [
            {"changed outs": {"pipe/model.bin": "modified", "pipe/plots": "deleted"}}
        ],
    }
    ours, theirs = _both(real_dvc, ws)
    _same(ours, theirs)
    assert "pipe/dvc.yaml:train:\n\tchanged outs:\n\t\tmodified:           pipe/model.bin\n" in (
        ours.stdout
    )
    assert ours.returncode == 1, "dvcremote's exit code on change (CI relies on it)"
    ours, theirs = _both(real_dvc, ws, "--json")
    assert ours.json() == theirs.json() == expected_json

    # From a sub-folder dvc names files and paths relative to it, a stage by name alone.
    ours, theirs = _both(real_dvc, ws / "pipe")
    _same(ours, theirs)
    assert "train:\n\tchanged outs:\n" in ours.stdout and "../bar.dvc:\n" in ours.stdout
    ours, theirs = _both(real_dvc, ws / "pipe", "--json")
    assert ours.json() == theirs.json()

    # -q: nothing printed, exit 1 when something changed (as dvc)
    ours, theirs = (
        run_dvcremote("status", "-q", cwd=ws, check=False),
        real_dvc("status", "-q", cwd=ws, check=False),
    )
    assert (ours.stdout, ours.returncode) == (theirs.stdout, theirs.returncode) == ("", 1)


def test_cloud_status_prints_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = _project(tmp_path / "ws", real_dvc)
    for args in (("-c",), ("-r", "store"), ("-c", "data")):
        ours, theirs = _both(real_dvc, ws, *args)
        _same(ours, theirs, cloud=True)
        assert ours.returncode == 1
        ours, theirs = _both(real_dvc, ws, *args, "--json")
        assert ours.json() == theirs.json()
    assert ours.json()["data/sub/b.txt"] == "new"
    assert run_dvcremote("status", "-r", "store", cwd=ws, check=False).stdout.startswith("new:")

    real_dvc("push", cwd=ws)
    for args in (("-c",), ("-r", "store")):
        ours, theirs = _both(real_dvc, ws, *args)
        assert ours.stdout == theirs.stdout == "Cache and remote 'store' are in sync.\n"
        assert ours.returncode == 0
        ours, theirs = _both(real_dvc, ws, *args, "--json")
        assert ours.json() == theirs.json() == {}

    shutil.rmtree(ws / ".dvc" / "cache")  # now everything is only on the remote
    ours, theirs = _both(real_dvc, ws / "pipe", "-c")
    # dvc downloads the directories' manifests into the cache while it looks (so it
    # counts them in sync); dvcremote reads them without storing: the directories
    # themselves are "deleted" too. Asked again, dvc (now with the manifests) agrees.
    extra = {"\tdeleted:            ../data", "\tdeleted:            plots"}
    assert set(ours.stdout.splitlines()) == set(theirs.stdout.splitlines()) | extra
    assert "\tdeleted:            ../foo" in ours.stdout.splitlines()
    assert not extra & set(theirs.stdout.splitlines())
    ours, theirs = _both(real_dvc, ws / "pipe", "-c")
    _same(ours, theirs, cloud=True)
    ours, theirs = _both(real_dvc, ws / "pipe", "-c", "--json")
    assert ours.json() == theirs.json()
    ours, theirs = (
        run_dvcremote("status", "-c", "-q", cwd=ws, check=False),
        real_dvc("status", "-c", "-q", cwd=ws, check=False),
    )
    assert (ours.stdout, ours.returncode) == (theirs.stdout, theirs.returncode) == ("", 1)


def test_json_objects_keeps_the_object_view(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = _project(tmp_path / "ws", real_dvc)
    report = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False)
    assert report.returncode == 1
    view = report.json()
    assert view["remote"] == "store" and md5(b"foo") in view["new"]
    assert view["paths"] == json.loads(
        run_dvcremote("status", "-c", "--json", cwd=ws, check=False).stdout
    )
    refused = run_dvcremote("status", "--json-objects", cwd=ws, check=False)
    assert refused.returncode == 2 and "add -c" in refused.stderr


def test_empty_project_message_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    for args in ((), ("-c",)):  # -c needs no remote then
        ours, theirs = _both(real_dvc, ws, *args)
        assert ours.stdout == theirs.stdout, args
        assert ours.stdout.startswith("There are no data or pipelines tracked")
        assert ours.returncode == 0


STAGES = """\
stages:
  train:
    cmd: cat in.txt ind/x > out.txt
    deps:
    - in.txt
    - ind
    params:
    - lr
    - model.depth
    outs:
    - out.txt
  whole:
    cmd: cat conf.yaml > w.txt
    params:
    - conf.yaml:
    outs:
    - w.txt
  cold:
    cmd: cat in.txt > f.txt
    deps:
    - in.txt
    outs:
    - f.txt
  other:
    cmd: echo o > o.txt
    outs:
    - o.txt
"""


def test_stage_dependencies_print_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """A stage's changed dependencies, parameters (named keys and a whole file) and
    ``always changed``, as dvc prints them; a frozen stage's dependencies are not shown."""
    ws = tmp_path / "ws"
    (ws / "ind").mkdir(parents=True)
    (ws / "in.txt").write_text("in\n")
    (ws / "ind" / "x").write_text("x\n")
    (ws / "params.yaml").write_text("lr: 0.1\nmodel:\n  depth: 3\n  width: 8\n")
    (ws / "conf.yaml").write_text("a: 1\nb: [1, 2]\n")
    real_dvc("init", "--no-scm", cwd=ws)
    (ws / "dvc.yaml").write_text(STAGES)
    real_dvc("repro", cwd=ws)
    ours, theirs = _both(real_dvc, ws)
    assert ours.stdout == theirs.stdout == "Data and pipelines are up to date.\n"

    (ws / "in.txt").write_text("changed\n")
    (ws / "ind" / "x").write_text("changed\n")
    (ws / "params.yaml").write_text("lr: 0.2\nmodel:\n  width: 8\n")
    (ws / "conf.yaml").write_text("a: 1\nb: [1, 3]\nc: new\n")
    (ws / "new.txt").write_text("n\n")
    (ws / "dvc.yaml").write_text(
        STAGES.replace("    - ind\n", "    - ind\n    - new.txt\n    - gone.txt\n")
        .replace("  cold:\n", "  cold:\n    frozen: true\n")
        .replace("  other:\n", "  other:\n    always_changed: true\n")
    )
    ours, theirs = _both(real_dvc, ws)
    _same(ours, theirs)
    assert "\t\tparams.yaml:\n\t\t\tmodified:           lr\n" in ours.stdout
    assert "other:\n\talways changed\n" in ours.stdout and "cold" not in ours.stdout
    ours, theirs = _both(real_dvc, ws, "--json")
    assert ours.json() == theirs.json()
    assert ours.json()["train"] == [
        {
            "changed deps": {
                "in.txt": "modified",
                "ind": "modified",
                "new.txt": "modified",
                "gone.txt": "deleted",
                "params.yaml": {"lr": "modified", "model.depth": "deleted"},
            }
        }
    ]
    assert ours.json()["whole"][0]["changed deps"]["conf.yaml"] == {"b": "modified", "c": "new"}
    ours, theirs = _both(real_dvc, ws / "ind")  # names relative to a sub-folder
    _same(ours, theirs)


def test_a_stage_never_run_prints_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    """A stage ``dvc.yaml`` declares and ``dvc.lock`` does not record: every dep
    ``modified`` (or ``deleted``), its params file ``new``, every output ``modified``
    (or ``deleted``), metrics included."""
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "in.txt").write_text("in\n")
    (ws / "params.yaml").write_text("lr: 1\n")
    (ws / "present.txt").write_text("p\n")
    real_dvc("init", "--no-scm", cwd=ws)
    (ws / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n"
        "    - missing.txt\n    params:\n    - lr\n    outs:\n    - out.txt\n"
        "    - present.txt\n    metrics:\n    - m.json:\n        cache: false\n"
    )
    (ws / "sub" / "dvc.yaml").write_text(
        "stages:\n  ran:\n    cmd: echo r > r.txt\n    outs:\n    - r.txt\n"
    )
    real_dvc("repro", "sub/dvc.yaml:ran", cwd=ws)
    ours, theirs = _both(real_dvc, ws)
    _same(ours, theirs)
    assert "\t\tnew:                params.yaml\n" in ours.stdout
    assert ours.returncode == 1
    ours, theirs = _both(real_dvc, ws, "--json")
    assert ours.json() == theirs.json() and list(ours.json()) == ["train"]
    ours, theirs = _both(real_dvc, ws / "sub")
    _same(ours, theirs)
