"""``repro`` options (dvc's ``dvc/repo/reproduce.py``): ``--dry``, ``--keep-going``,
``--ignore-errors``, ``--force-downstream``, ``-i``, ``-R``, ``--glob``, ``-p``/``-P``,
``--downstream``. The same selections run by the real dvc are compared in
tests/interop/test_repro_options_interop.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import snapshot, write_tree

from dvcremote.cli import main
from dvcremote.errors import PipelineError, ReproductionFailed, StageNotFound
from dvcremote.repo import Repo
from dvcremote.results import ReproResult

#: a -> b, c -> d (a diamond), e alone.
PIPELINE = """\
stages:
  a:
    cmd: cat in > a.txt
    deps: [in]
    outs: [a.txt]
  b:
    cmd: cat a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
  c:
    cmd: cat a.txt > c.txt
    deps: [a.txt]
    outs: [c.txt]
  d:
    cmd: cat b.txt c.txt > d.txt
    deps: [b.txt, c.txt]
    outs: [d.txt]
  e:
    cmd: cat other > e.txt
    deps: [other]
    outs: [e.txt]
"""


def _repro(repo: Repo, *targets: str, **kwargs: object) -> tuple[list[str], ReproResult]:
    lines: list[str] = []
    result = repo.reproduce(list(targets) or None, log=lines.append, **kwargs)  # type: ignore[arg-type]
    return lines, result


@pytest.fixture
def diamond(dvcrepo: Repo, workspace: Path) -> Repo:
    write_tree(workspace, {"in": "in\n", "other": "o\n", "dvc.yaml": PIPELINE})
    return dvcrepo


def test_dry_changes_nothing(diamond: Repo, workspace: Path) -> None:
    before = snapshot(workspace)
    lines, result = _repro(diamond, dry=True)
    assert snapshot(workspace) == before  # no lock, no cache, no outputs
    assert result.ran == ("a", "b", "c", "d", "e") and result.locks == ()
    assert lines[:3] == ["Running stage 'a':", "> cat in > a.txt", ""]
    _repro(diamond)
    (workspace / "in").write_text("new\n")
    (workspace / "b.txt").write_text("edited\n")
    before = snapshot(workspace)
    lines, result = _repro(diamond, dry=True)
    assert snapshot(workspace) == before  # b.txt is not deleted or restored
    assert result.ran == ("a", "d") and result.restored == ("b",)  # b: from its lock entry
    assert "Stage 'c' didn't change, skipping" in lines


def test_dry_says_when_the_run_cache_would_restore(diamond: Repo, workspace: Path) -> None:
    _repro(diamond)
    (workspace / "in").write_text("new\n")
    _repro(diamond, "a")
    (workspace / "in").write_text("in\n")
    before = snapshot(workspace)
    lines, result = _repro(diamond, "a", dry=True)
    assert lines == ["Stage 'a' is cached - skipping run, checking out outputs"]
    assert result.restored == ("a",) and snapshot(workspace) == before
    lines, _ = _repro(diamond, "a", dry=True, run_cache=False)
    assert lines == ["Running stage 'a':", "> cat in > a.txt"]


def test_keep_going_skips_only_the_failed_stages_dependents(diamond: Repo, workspace: Path) -> None:
    (workspace / "dvc.yaml").write_text(PIPELINE.replace("cat a.txt > b.txt", "exit 4"))
    lines: list[str] = []
    with pytest.raises(ReproductionFailed, match=r"^failed to reproduce 'b'$") as info:
        diamond.reproduce(log=lines.append, on_error="keep-going")
    result = info.value.result
    assert isinstance(result, ReproResult)
    assert result.ran == ("a", "c", "e") and result.failed == ("b",)
    assert "WARNING: failed to run: exit 4, exited with 4" in lines
    assert "WARNING: Stage 'd' will be skipped due to this failure" in lines
    assert not (workspace / "d.txt").exists() and (workspace / "e.txt").exists()
    # Without it the first failure stops the run.
    (workspace / "in").write_text("new\n")
    with pytest.raises(PipelineError, match="failed to reproduce 'b': failed to run: exit 4"):
        _repro(diamond)
    assert (workspace / "c.txt").read_text() == "in\n"  # c did not run


def test_ignore_errors_runs_everything_and_does_not_fail(diamond: Repo, workspace: Path) -> None:
    (workspace / "dvc.yaml").write_text(PIPELINE.replace("cat a.txt > b.txt", "exit 4"))
    lines, result = _repro(diamond, on_error="ignore")
    assert result.failed == ("b", "d")  # d's dep b.txt is missing
    assert "WARNING: failed to run: exit 4, exited with 4 (ignored)" in lines
    assert not any("will be skipped" in line for line in lines)


def test_keep_going_exit_code_and_several_failures(diamond: Repo, workspace: Path) -> None:
    broken = PIPELINE.replace("cat a.txt > b.txt", "exit 4").replace("cat other", "exit 5; ")
    (workspace / "dvc.yaml").write_text(broken)
    assert main(["repro", "-k"]) == 3
    with pytest.raises(ReproductionFailed, match=r"^failed to reproduce stages: 'b' and 'e'$"):
        diamond.reproduce(on_error="keep-going")


def test_force_downstream(diamond: Repo, workspace: Path) -> None:
    _repro(diamond)
    (workspace / "dvc.yaml").write_text(PIPELINE.replace("cat in > a.txt", "cat in>a.txt"))
    _, result = _repro(diamond)
    assert result.ran == ("a",)  # same a.txt: b, c, d unchanged
    (workspace / "dvc.yaml").write_text(PIPELINE)
    _, result = _repro(diamond, force_downstream=True)
    assert result.restored == ("a",)  # the first command's result, from the run cache
    assert result.ran == ("b", "c", "d") and result.skipped == ("e",)


def test_interactive_asks_before_each_stage(diamond: Repo, workspace: Path) -> None:
    asked: list[str] = []

    def answer(question: str) -> bool:
        asked.append(question)
        return "'b'" not in question

    with pytest.raises(PipelineError, match="reproduction aborted by the user"):
        _repro(diamond, confirm=answer)
    assert asked == [
        "Going to reproduce stage: 'a'. Are you sure you want to continue?",
        "Going to reproduce stage: 'b'. Are you sure you want to continue?",
    ]
    assert (workspace / "a.txt").exists() and not (workspace / "b.txt").exists()
    # Without a terminal the answer is no, as in dvc.
    assert main(["repro", "-i", "c"]) == 3
    assert not (workspace / "c.txt").exists()


def test_selection_options(diamond: Repo, workspace: Path) -> None:
    write_tree(
        workspace,
        {
            "sub": {
                "dvc.yaml": PIPELINE.replace("in", "../in").replace("other", "../other"),
                "deeper": {"x.txt": "x"},
            }
        },
    )

    def planned(*targets: str, **kwargs: object) -> tuple[str, ...]:
        return _repro(diamond, *targets, dry=True, **kwargs)[1].ran

    assert planned("b") == ("a", "b")
    assert planned("b", downstream=True) == ("b", "d")
    assert planned("b", pipeline=True) == ("a", "b", "c", "d")
    assert planned("b", all_pipelines=True)[-1] == "sub/dvc.yaml:e"
    assert len(planned(all_pipelines=True)) == 10
    assert planned("[bc]", glob=True, single_item=True) == ("b", "c")
    assert planned("d", single_item=True) == ("d",)
    sub = planned("sub", recursive=True)
    assert sub == tuple(f"sub/dvc.yaml:{n}" for n in "abcde")
    with pytest.raises(StageNotFound, match="no stages found in 'sub/deeper'"):
        planned("sub/deeper", recursive=True)
    with pytest.raises(StageNotFound, match="no stages found"):
        planned("z*", glob=True)
