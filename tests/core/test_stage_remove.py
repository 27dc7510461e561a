"""``remove`` (dvc's ``dvc/repo/remove.py``): what goes, what stays, and that hostile or
refused targets change nothing. The same removals run by the real dvc are compared in
tests/interop/test_remove_interop.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from core_helpers import cache_file, md5, snapshot, write_tree

from dvcremote.cli import main
from dvcremote.errors import PipelineError, UnsafePath
from dvcremote.repo import Repo

PIPELINE = """\
stages:
  one:
    cmd: echo 1 > one
    outs:
    - one
  two:  # the second
    cmd: cat one > two
    deps:
    - one
    outs:
    - two
"""


@pytest.fixture
def ran(git_repo: Repo, workspace: Path) -> Repo:
    write_tree(workspace, {"dvc.yaml": PIPELINE})
    (workspace / ".dvc" / "config").write_text("[cache]\n    type = hardlink\n")
    repo = Repo(workspace)
    repo.reproduce()
    return repo


def test_kept_output_becomes_a_private_writable_copy(ran: Repo, workspace: Path) -> None:
    obj = cache_file(workspace, md5("1\n"))
    assert os.stat(workspace / "one").st_ino == os.stat(obj).st_ino  # hardlinked
    result = ran.remove("one")
    assert result.removed == ("one",) and result.files == ("dvc.lock", "dvc.yaml")
    assert os.stat(workspace / "one").st_ino != os.stat(obj).st_ino
    assert os.stat(workspace / "one").st_mode & stat.S_IWUSR
    (workspace / "one").write_text("changed\n")
    assert obj.read_text() == "1\n"  # the cache object is untouched
    assert (workspace / ".gitignore").read_text() == "/two\n"
    assert "one:" not in (workspace / "dvc.lock").read_text()
    assert "two:  # the second" in (workspace / "dvc.yaml").read_text()


def test_outs_deletes_them_and_last_stage_deletes_the_files(ran: Repo, workspace: Path) -> None:
    result = ran.remove("dvc.yaml", outs=True)  # every stage of it
    assert result.removed == ("one", "two") and result.deleted_outs == ("one", "two")
    for name in ("one", "two", "dvc.yaml", "dvc.lock", ".gitignore"):
        assert not (workspace / name).exists()
    assert cache_file(workspace, md5("1\n")).exists()  # gc decides about the cache


def test_pipeline_with_more_than_stages_is_kept(ran: Repo, workspace: Path) -> None:
    (workspace / "dvc.yaml").write_text(PIPELINE + "plots:\n- two\n")
    ran.remove("dvc.yaml")
    assert (workspace / "dvc.yaml").read_text() == "plots:\n- two\n"  # dvc deletes it
    assert not (workspace / "dvc.lock").exists()


def test_refusals_change_nothing(ran: Repo, workspace: Path) -> None:
    before = snapshot(workspace)
    with pytest.raises(PipelineError, match=r"Stage 'three' not found inside 'dvc\.yaml' file"):
        ran.remove("three")
    (workspace / "dvc.yaml").write_text(PIPELINE.replace("- two\n", "- ../two\n"))
    before = snapshot(workspace)
    with pytest.raises(UnsafePath):
        ran.remove("two", outs=True)
    assert snapshot(workspace) == before
    assert main(["remove", "nosuch"]) == 3


def test_from_a_subfolder(ran: Repo, workspace: Path) -> None:
    write_tree(workspace, {"sub": {"x": "x"}})
    ran.add("sub/x")
    os.chdir(workspace / "sub")
    assert main(["remove", "x.dvc", "../dvc.yaml:two"]) == 0
    assert not (workspace / "sub" / "x.dvc").exists()
    assert not (workspace / "sub" / ".gitignore").exists()
    assert "two" not in (workspace / "dvc.yaml").read_text()
