"""Pipelines on a version-aware remote, shared with the real ``dvc`` (moto's versioned S3
on loopback): after ``repro`` and ``push`` both tools write the same ``dvc.lock`` bytes
(file outs gain ``cloud:``, directory outs and deps switch to ``files:``), each pulls
what the other pushed, and ``repro`` / ``repro -f`` treat that lock as dvc does.

Both tools push to the same bucket, dvc first: dvcremote finds dvc's versions current
with the same bytes and records them, so even the version ids in the two locks agree
and the files are compared whole. A second bucket only dvcremote pushes to checks the
other direction: dvc pulls the versions dvcremote uploaded.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from versioned_helpers import flatten, read_tree, remove, write_tree

from dvcremote_testing.dvc import DvcRunner, Run, run_dvcremote

Tool = Callable[..., Run]
REMOTE = "upstream"
#: ``data`` is added (its manifest is in the cache); ``raw`` is a plain dir dep.
TREE: dict[str, Any] = {"foo": "foo", "data": {"a": "a", "sub": {"b": "bb"}}}
STAGES = [
    [
        "-n",
        "copy",
        "-d",
        "foo",
        "-d",
        "data",
        "-o",
        "bar",
        "-o",
        "out_dir",
        "cp foo bar && cp -r data out_dir && echo c > out_dir/c",
    ],
    ["-n", "second", "-d", "bar", "-d", "out_dir", "-o", "baz", "cat bar out_dir/c > baz"],
]
#: What the pipeline's files hold once reproduced (``data`` and ``foo`` included).
PRODUCED = {
    **flatten(TREE),
    "bar": b"foo",
    **{f"out_dir/{k}": v for k, v in flatten(TREE["data"]).items()},
    "out_dir/c": b"c\n",
    "baz": b"fooc\n",
}
TRACKED_FILES = ("dvc.yaml", "dvc.lock", "data.dvc")
UP_TO_DATE = "Data and pipelines are up to date."


@pytest.fixture
def s3_env(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The server's credentials for dvcremote (in-process); dvc gets them per run."""
    pytest.importorskip("dvc_s3", reason="needs the real dvc's S3 support (dvc-s3)")
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return s3_server


@pytest.fixture
def dvc(tmp_path: Path, s3_env: Any, dvc_pycache: Path) -> Tool:
    runner = DvcRunner(tmp_path / "dvc-home", dvc_pycache, s3_env.env(), timeout=600)
    return lambda *args, cwd: runner(*args, cwd=cwd)


def ours(*args: str, cwd: Path) -> Run:
    return run_dvcremote(*args, cwd=cwd)


def configure(ws: Path, url: str, endpoint: str) -> None:
    """The default remote: version-aware at ``url`` (one config both tools read)."""
    (ws / ".dvc" / "config").write_text(
        f"[core]\n    no_scm = True\n    remote = {REMOTE}\n"
        f"['remote \"{REMOTE}\"']\n    url = {url}\n    endpointurl = {endpoint}\n"
        "    version_aware = true\n"
    )


def project(
    tool: Tool,
    ws: Path,
    url: str,
    endpoint: str,
    tree: dict[str, Any] = TREE,
    stages: list[list[str]] = STAGES,
) -> Path:
    """The pipeline reproduced by ``tool`` (``data`` added first when ``tree`` has it)."""
    ws.mkdir()
    write_tree(ws, tree)
    tool("init", "--no-scm", cwd=ws)
    configure(ws, url, endpoint)
    if "data" in tree:
        tool("add", "data", cwd=ws)
    for args in stages:
        tool("stage", "add", *args, cwd=ws)
    tool("repro", cwd=ws)
    return ws


def files(ws: Path) -> dict[str, bytes]:
    return {n: (ws / n).read_bytes() for n in TRACKED_FILES if (ws / n).exists()}


def data(ws: Path) -> dict[str, bytes]:
    """The workspace's data: every file but the pipeline's own."""
    return {k: v for k, v in read_tree(ws).items() if k not in TRACKED_FILES}


def pushed_pair(
    tmp_path: Path, dvc: Tool, s3: Any, url: str = "", **pipeline: Any
) -> tuple[Path, Path]:
    """dvc's and dvcremote's projects, both pushed to ``url`` (dvc first)."""
    url = url or f"s3://{s3.create_bucket(versioned=True)}/project"
    theirs = project(dvc, tmp_path / "theirs", url, s3.endpoint_url, **pipeline)
    mine = project(ours, tmp_path / "ours", url, s3.endpoint_url, **pipeline)
    assert files(mine) == files(theirs)  # the plain lock, before any push
    dvc("push", cwd=theirs)
    ours("push", cwd=mine)
    return theirs, mine


def copy_project(source: Path, ws: Path, tool: Tool, url: str, endpoint: str) -> Path:
    """A fresh repository holding ``source``'s pipeline files and no data."""
    ws.mkdir()
    tool("init", "--no-scm", cwd=ws)
    configure(ws, url, endpoint)
    for name in TRACKED_FILES:
        shutil.copyfile(source / name, ws / name)
    (ws / "foo").write_text("foo")  # an untracked dep, as in the source
    return ws


def test_push_writes_dvcs_lock_and_each_pulls_the_others(
    tmp_path: Path, dvc: Tool, s3_env: Any
) -> None:
    s3 = s3_env
    shared = f"s3://{s3.create_bucket(versioned=True)}/project"
    theirs, mine = pushed_pair(tmp_path, dvc, s3, shared)
    lock = (theirs / "dvc.lock").read_text()
    assert "cloud:" in lock and " files:" in lock  # what is compared is the pushed form
    assert files(mine) == files(theirs)

    # dvcremote pulls what dvc pushed, into an empty repository...
    fresh = copy_project(theirs, tmp_path / "ours-pull", ours, shared, s3.endpoint_url)
    ours("pull", cwd=fresh)
    assert data(fresh) == PRODUCED
    assert files(fresh) == files(theirs)
    assert UP_TO_DATE in ours("status", cwd=fresh).stdout
    assert "Running stage" not in ours("repro", cwd=fresh).stdout
    assert files(fresh) == files(theirs)

    # ...and dvc pulls what dvcremote uploaded (a bucket only dvcremote pushed to).
    url = f"s3://{s3.create_bucket(versioned=True)}/project"
    solo = project(ours, tmp_path / "ours-solo", url, s3.endpoint_url)
    ours("push", cwd=solo)
    pulled = copy_project(solo, tmp_path / "theirs-pull", dvc, url, s3.endpoint_url)
    dvc("pull", cwd=pulled)
    assert data(pulled) == PRODUCED
    assert files(pulled) == files(solo)
    assert UP_TO_DATE in dvc("status", cwd=pulled).stdout
    assert "Running stage" not in dvc("repro", cwd=pulled).stdout
    assert files(pulled) == files(solo)


def test_repro_after_push_as_dvc(tmp_path: Path, dvc: Tool, s3_env: Any) -> None:
    """Up to date as pushed; a changed file in a ``files:`` dir is a change; ``-f``
    brings dirs back to ``md5``/``size``/``nfiles`` and keeps an unchanged file's
    ``cloud``; a changed file loses it. The lock bytes agree after every step."""
    theirs, mine = pushed_pair(tmp_path, dvc, s3_env)

    def both(*args: str) -> tuple[Run, Run]:
        return dvc(*args, cwd=theirs), ours(*args, cwd=mine)

    pushed = files(theirs)
    for run in both("repro"):
        assert "Running stage" not in run.stdout and "is cached" not in run.stdout
    assert files(theirs) == files(mine) == pushed

    for ws in (theirs, mine):  # an output's file changes: restored from the lock entry
        remove(ws / "out_dir" / "c")
        (ws / "out_dir" / "c").write_text("changed")
    for run in both("repro"):
        assert "Stage 'copy' is cached - skipping run" in run.stdout
        assert "Stage 'second' didn't change, skipping" in run.stdout
    assert files(theirs) == files(mine) != pushed
    assert (mine / "out_dir" / "c").read_text() == "c\n"

    for ws in (theirs, mine):  # a file of a ``files:`` dir dep changes: both stages run
        remove(ws / "data" / "sub" / "b")
        (ws / "data" / "sub" / "b").write_text("new b")
    for run in both("repro"):
        assert "Running stage 'copy'" in run.stdout
        assert "Running stage 'second'" in run.stdout
    assert files(theirs) == files(mine)
    assert (mine / "out_dir" / "sub" / "b").read_text() == "new b"

    both("repro", "-f")
    lock = (theirs / "dvc.lock").read_text()
    assert " files:" not in lock and "nfiles: 3" in lock and "cloud:" in lock
    assert files(theirs) == files(mine)

    for ws in (theirs, mine):  # a dep changes: bar and baz get new content, no cloud
        (ws / "foo").write_text("new foo")
    both("repro")
    assert "cloud:" not in (theirs / "dvc.lock").read_text()
    assert files(theirs) == files(mine)


def test_a_dir_dep_the_cache_lacks_keeps_its_hash(tmp_path: Path, dvc: Tool, s3_env: Any) -> None:
    """Differs on purpose: dvc writes a directory dep in the ``files:`` form from the
    cache, and a plain directory dep is not there, so dvc drops its hash (the stage then
    looks changed to dvc itself). dvcremote keeps ``md5``/``size``/``nfiles``: the rest
    of the lock is dvc's bytes, and dvc finds the stage up to date."""
    tree: dict[str, Any] = {"raw": {"x": "x", "y": "y"}}
    stages = [["-n", "plain", "-d", "raw", "-o", "copied", "cp -r raw copied && echo z > copied/z"]]
    theirs, mine = pushed_pair(tmp_path, dvc, s3_env, tree=tree, stages=stages)
    dropped = "    - path: raw\n      hash: md5\n    outs:\n"
    assert dropped in (theirs / "dvc.lock").read_text()
    kept = re.sub(
        r"(    - path: raw\n      hash: md5\n)      md5: \S+\n      size: 2\n      nfiles: 2\n",
        r"\1",
        (mine / "dvc.lock").read_text(),
    )
    assert kept != (mine / "dvc.lock").read_text()
    assert kept == (theirs / "dvc.lock").read_text()
    assert UP_TO_DATE in dvc("status", cwd=mine).stdout
    assert "is cached" not in dvc("repro", cwd=mine).stdout
    assert "is cached" in dvc("repro", cwd=theirs).stdout  # dvc's own lock lost the dep
