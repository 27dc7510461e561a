"""``commit`` (dvc's ``dvc/repo/commit.py``): what is recorded, what is asked, and that
a refusal writes nothing. The same commands run by the real dvc are compared in
tests/interop/test_commit_interop.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import cache_file, md5, snapshot, write_tree

from dvcremote.errors import PipelineError, StageCommitRefused
from dvcremote.repo import Repo

PIPELINE = """\
stages:
  one:
    cmd: cp in mid
    deps: [in]
    params: [lr]
    outs: [mid]
  two:
    cmd: cp mid out
    deps: [mid]
    outs: [out]
"""


@pytest.fixture
def made_by_hand(dvcrepo: Repo, workspace: Path) -> Repo:
    """Outputs made without repro: no lock yet."""
    write_tree(
        workspace,
        {"in": "x", "mid": "x", "out": "x", "params.yaml": "lr: 1\n", "dvc.yaml": PIPELINE},
    )
    return dvcrepo


def test_refusal_writes_nothing(made_by_hand: Repo, workspace: Path) -> None:
    before = snapshot(workspace)
    with pytest.raises(StageCommitRefused, match=r"changed stage: 'one'\. Use `-f\|--force`"):
        made_by_hand.commit()
    assert snapshot(workspace) == before  # no lock, no cache, not even for 'two'


def test_questions_as_dvc(made_by_hand: Repo, workspace: Path) -> None:
    asked: list[str] = []

    def yes(question: str) -> bool:
        asked.append(question)
        return True

    result = made_by_hand.commit(confirm=yes)
    assert result.committed == ("one", "two") and result.locks == ("dvc.lock",)
    assert asked == [
        "dependencies ['in', 'params.yaml'] of stage: 'one' changed."
        " Are you sure you want to commit it?",
        "dependencies ['mid'] of stage: 'two' changed. Are you sure you want to commit it?",
    ]
    assert cache_file(workspace, md5("x")).exists()
    asked.clear()
    (workspace / "params.yaml").write_text("lr: 2\n")
    (workspace / "out").write_text("y")
    made_by_hand.commit(confirm=yes)
    assert asked == [
        "dependencies ['params.yaml'] of stage: 'one' changed. Are you sure you want to commit it?",
        "outputs ['out'] of stage: 'two' changed. Are you sure you want to commit it?",
    ]
    (workspace / "dvc.yaml").write_text(PIPELINE.replace("cp mid out", "cp  mid out"))
    asked.clear()
    made_by_hand.commit(confirm=yes)
    assert asked == ["'cmd' of stage: 'two' has changed. Are you sure you want to commit it?"]
    assert "lr: 2" in (workspace / "dvc.lock").read_text()


def test_targets_and_with_deps(made_by_hand: Repo, workspace: Path) -> None:
    result = made_by_hand.commit(["out"], force=True)  # an output names its stage
    assert result.committed == ("two",)
    assert "one:" not in (workspace / "dvc.lock").read_text()
    result = made_by_hand.commit(["dvc.yaml:two"], force=True, with_deps=True)
    assert result.committed == ("one", "two")


def test_missing_output_is_an_error_before_writing(made_by_hand: Repo, workspace: Path) -> None:
    (workspace / "out").unlink()
    before = snapshot(workspace)
    with pytest.raises(PipelineError, match="output 'out' does not exist"):
        made_by_hand.commit(force=True)
    assert snapshot(workspace) == before


def test_unchanged_stage_commits_its_outputs_without_asking(
    made_by_hand: Repo, workspace: Path
) -> None:
    made_by_hand.reproduce(commit=False)
    assert not cache_file(workspace, md5("x")).exists()
    made_by_hand.commit()  # outputs missing from the cache are no change
    assert cache_file(workspace, md5("x")).exists()


def test_dvc_file_missing_from_the_cache_is_committed_without_asking(
    dvcrepo: Repo, workspace: Path
) -> None:
    write_tree(workspace, {"a": "a"})
    dvcrepo.add("a")
    cache_file(workspace, md5("a")).chmod(0o644)
    cache_file(workspace, md5("a")).unlink()
    dvcrepo.commit()  # as dvc: "not in cache" is no change
    assert cache_file(workspace, md5("a")).read_text() == "a"
    (workspace / "a").write_text("b")
    with pytest.raises(StageCommitRefused, match=r"changed stage: 'a\.dvc'"):
        dvcrepo.commit()
