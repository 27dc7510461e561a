"""Which commits ``--rev`` / ``--all-branches`` / ``--all-tags`` / ``--all-commits`` select."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.errors import NotAGitRepository, RevisionNotFound, ShallowHistory
from dvcremote.scm import WORKSPACE, Revision, all_commit_shas, select_revisions

from .gitbuild import History, make_shallow_clone


def named(history: History, selected: list[Revision]) -> list[tuple[str, tuple[str, ...]]]:
    """Selections as (commit label from the fixture, names), for exact comparisons."""
    by_sha = {sha: name for name, sha in history.shas.items()}
    return [(by_sha.get(r.sha, r.sha) if r.sha else WORKSPACE, r.names) for r in selected]


def test_nothing_asked_selects_nothing_or_the_workspace(history: History) -> None:
    assert select_revisions(history.git) == []
    assert select_revisions(history.git, workspace=True) == [Revision(None, (WORKSPACE,))]


def test_revs_in_the_given_order_merging_names_of_one_commit(history: History) -> None:
    selected = select_revisions(history.git, ["v1.0", "light", "feature~2", "HEAD"])
    assert named(history, selected) == [
        ("c1", ("v1.0",)),
        ("c2", ("light", "feature~2")),
        ("c6", ("HEAD",)),
    ]


def test_all_branches_exact_set(history: History) -> None:
    # The detached HEAD (c6) and the remote-tracking ref (c7) are not local branches.
    selected = select_revisions(history.git, all_branches=True)
    assert named(history, selected) == [("c4", ("feature",)), ("c5", ("main",))]


def test_all_tags_exact_set_peels_annotated_tags(history: History) -> None:
    selected = select_revisions(history.git, all_tags=True)
    assert named(history, selected) == [("c2", ("light",)), ("c1", ("v1.0",))]


def test_all_commits_exact_set(history: History) -> None:
    shas = history.shas
    selected = select_revisions(history.git, all_commits=True)
    assert {r.sha for r in selected} == {shas[f"c{i}"] for i in range(1, 8)}
    assert history.dangling not in {r.sha for r in selected}
    assert history.hidden not in {r.sha for r in selected}  # refs/custom/ is not history
    assert all(r.names == (r.sha,) for r in selected)
    order = [r.sha for r in selected]
    for child, parent in (("c2", "c1"), ("c3", "c2"), ("c4", "c3"), ("c5", "c2"), ("c6", "c2")):
        assert order.index(shas[child]) < order.index(shas[parent])  # newest first


def test_all_commits_keeps_names_given_by_other_flags(history: History) -> None:
    selected = select_revisions(
        history.git, ["HEAD"], all_branches=True, all_tags=True, all_commits=True, workspace=True
    )
    assert named(history, selected)[:6] == [
        (WORKSPACE, (WORKSPACE,)),
        ("c6", ("HEAD",)),
        ("c4", ("feature",)),
        ("c5", ("main",)),
        ("c2", ("light",)),
        ("c1", ("v1.0",)),
    ]
    rest = named(history, selected)[6:]
    assert sorted(rest) == [("c3", (history.shas["c3"],)), ("c7", (history.shas["c7"],))]


def test_labels_name_the_revision_and_its_short_sha(history: History) -> None:
    [tagged] = select_revisions(history.git, ["v1.0"])
    assert tagged.label == f"v1.0 ({history.shas['c1'][:12]})"
    [commit] = select_revisions(history.git, [history.shas["c3"]])
    assert commit.label == history.shas["c3"][:12]
    assert Revision(None, (WORKSPACE,)).label == WORKSPACE


def test_unknown_revision_stops_the_selection(history: History) -> None:
    with pytest.raises(RevisionNotFound) as info:
        select_revisions(history.git, ["main", "v9.9"])
    assert info.value.revision == "v9.9"


def test_without_git_only_the_workspace_exists() -> None:
    assert select_revisions(None, workspace=True) == [Revision(None, (WORKSPACE,))]
    with pytest.raises(NotAGitRepository, match="--rev, --all-commits"):
        select_revisions(None, ["main"], all_commits=True)
    with pytest.raises(NotAGitRepository, match="--all-branches"):
        select_revisions(None, all_branches=True)


def test_all_commits_in_a_shallow_clone(history: History, tmp_path: Path) -> None:
    clone = make_shallow_clone(history.git, tmp_path / "shallow", "feature")
    tip = history.shas["c4"]
    with pytest.raises(ShallowHistory) as info:
        select_revisions(clone, all_commits=True)
    assert info.value.boundary == (tip,)
    assert "--all-commits" in str(info.value)
    assert all_commit_shas(clone, allow_shallow=True) == [tip]
    # Branch tips are all there, so the other flags still work in a shallow clone.
    assert [r.sha for r in select_revisions(clone, all_branches=True)] == [tip]
