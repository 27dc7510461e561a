"""For each revision option, the exact objects pushed, fetched, pulled, reported and kept.

The history (see histbuild.py) has branches, an annotated tag, a commit that is
neither a tip nor tagged, a deleted ``.dvc`` file, a renamed one, a dataset
(a directory) changed across commits and an output below the project root.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dvcremote.cli import EXIT_NOT_IN_SYNC, EXIT_OK, main
from dvcremote.objects import Obj
from dvcremote.repo import Repo

from .histbuild import (
    FLAGS,
    History,
    cache_dir,
    clear_cache,
    cli_args,
    kwargs,
    md5,
    objects_under,
)


def test_the_history_is_what_the_tests_expect(hist: History) -> None:
    """Guards the fixtures: every flag selects a different set, all of them in the cache."""
    sets = {flag: frozenset(hist.expected(flag)) for flag in FLAGS}
    assert len({sets[f] for f in ("workspace", "rev", "all_branches", "all_commits")}) == 4
    assert sets["all_tags"] == sets["rev"]
    assert sets["all_commits"] == hist.everything
    assert objects_under(cache_dir(hist)) == hist.everything
    # Only a commit that is neither a tip nor tagged holds these: --all-commits alone finds them.
    assert hist.objs["c2"] - hist.expected("all_branches") == {
        md5("foo2"),
        *(o for o in hist.objs["c2"] if o.endswith(".dir")),
    }


# -------------------------------------------------------------------------------- push
@pytest.mark.parametrize("flag", FLAGS)
def test_push(flag: str, hist: History, repo: Repo, remote_root: Path) -> None:
    summary = repo.push(**kwargs(flag))
    assert summary.ok
    assert summary.transferred == hist.expected(flag)
    assert objects_under(remote_root) == hist.expected(flag)
    # A second push moves nothing.
    again = repo.push(**kwargs(flag))
    assert again.transferred == frozenset()
    assert again.ok


@pytest.mark.parametrize("flag", FLAGS)
def test_push_cli(
    flag: str, hist: History, repo: Repo, remote_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push", *cli_args(flag)]) == EXIT_OK
    assert objects_under(remote_root) == hist.expected(flag)
    assert f"{len(hist.expected(flag))} files pushed" in capsys.readouterr().out


# ------------------------------------------------------------------------ fetch / pull
@pytest.fixture
def full_remote(hist: History, repo: Repo, remote_root: Path) -> Path:
    """Everything pushed, then the cache emptied: fetching starts from nothing."""
    assert repo.push(all_commits=True).ok
    assert objects_under(remote_root) == hist.everything
    clear_cache(hist)
    return remote_root


@pytest.mark.parametrize("flag", FLAGS)
def test_fetch_into_an_empty_cache(flag: str, hist: History, repo: Repo, full_remote: Path) -> None:
    summary = repo.fetch(**kwargs(flag))
    assert summary.ok
    assert summary.transferred == hist.expected(flag)
    assert objects_under(cache_dir(hist)) == hist.expected(flag)


@pytest.mark.parametrize("flag", FLAGS)
def test_fetch_cli(flag: str, hist: History, repo: Repo, full_remote: Path) -> None:
    assert main(["fetch", *cli_args(flag)]) == EXIT_OK
    assert objects_under(cache_dir(hist)) == hist.expected(flag)


@pytest.mark.parametrize("flag", FLAGS)
def test_pull_fetches_the_revisions_and_checks_out_the_workspace(
    flag: str, hist: History, repo: Repo, full_remote: Path
) -> None:
    (hist.root / "foo").unlink()
    result = repo.pull(**kwargs(flag))
    assert result.ok
    assert result.transferred == hist.expected(flag)
    assert objects_under(cache_dir(hist)) == hist.expected(flag)
    assert (hist.root / "foo").read_text() == "foows"  # the workspace's version
    assert result.added == ("foo",)


@pytest.mark.parametrize("flag", FLAGS)
def test_pull_cli(flag: str, hist: History, repo: Repo, full_remote: Path) -> None:
    (hist.root / "foo").unlink()
    assert main(["pull", *cli_args(flag)]) == EXIT_OK
    assert objects_under(cache_dir(hist)) == hist.expected(flag)
    assert (hist.root / "foo").read_text() == "foows"


def test_pull_rev_restores_an_older_revision_into_the_cache(
    hist: History, repo: Repo, full_remote: Path
) -> None:
    """``pull --rev v1``: v1's data (a file deleted since, a dataset's old contents) is
    in the cache afterwards, and a checkout of v1 needs nothing more."""
    repo.pull(revs="v1")
    assert {md5("old"), md5("foo1"), md5("a1")} <= objects_under(cache_dir(hist))
    git = repo.git
    assert git is not None
    (hist.root / "foo").unlink()
    git.checkout("v1", force=True)
    checked = repo.checkout(force=True)
    assert checked.ok
    assert (hist.root / "old").read_text() == "old"
    assert (hist.root / "foo").read_text() == "foo1"
    assert (hist.root / "data" / "a").read_text() == "a1"


# ------------------------------------------------------------------------------ status
@pytest.fixture
def mixed_state(hist: History, repo: Repo) -> dict[str, set[str]]:
    """The workspace pushed; then one workspace object and one v1 object dropped from
    the cache. Returns the objects each state must hold, per flag, via ``expect``."""
    assert repo.push().ok
    repo.cache.remove(Obj(md5("foows")))  # on the remote only: deleted
    repo.cache.remove(Obj(md5("foo1")))  # in neither: missing (where v1 / c4 count)
    return {"deleted": {md5("foows")}, "gone": {md5("foo1")}}


def _expected_status(hist: History, flag: str, dropped: dict[str, set[str]]) -> dict[str, set[str]]:
    wanted = hist.expected(flag)
    pushed = hist.objs["ws"]
    return {
        "ok": pushed - dropped["deleted"],
        "deleted": set(dropped["deleted"]),
        "missing": wanted & dropped["gone"],
        "new": wanted - pushed - dropped["gone"],
    }


@pytest.mark.parametrize("flag", FLAGS)
def test_status_cloud(
    flag: str, hist: History, repo: Repo, mixed_state: dict[str, set[str]]
) -> None:
    result = repo.status(cloud=True, **kwargs(flag))
    expected = _expected_status(hist, flag, mixed_state)
    assert {
        "ok": set(result.ok),
        "deleted": set(result.deleted),
        "missing": set(result.missing),
        "new": set(result.new),
    } == expected
    assert result.paths["foo"] == "deleted"  # the workspace's state wins the per-path view


@pytest.mark.parametrize("flag", FLAGS)
def test_status_cli_json(
    flag: str,
    hist: History,
    repo: Repo,
    mixed_state: dict[str, set[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["status", "-c", "--json-objects", *cli_args(flag)]) == EXIT_NOT_IN_SYNC
    printed = json.loads(capsys.readouterr().out)
    expected = _expected_status(hist, flag, mixed_state)
    assert {k: set(printed[k]) for k in expected} == expected


def test_status_cli_lists_paths_only_history_tracks(
    hist: History, repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert repo.push().ok
    assert main(["status", "-c"]) == EXIT_OK
    capsys.readouterr()
    assert main(["status", "-c", "--rev", "v1"]) == EXIT_NOT_IN_SYNC
    lines = capsys.readouterr().out.splitlines()
    # Paths show the workspace's state where it tracks them: only v1's "old" (deleted
    # since) is listed; v1's older foo, data/a and data manifest are counted with it.
    assert [line.split() for line in lines[:-1]] == [["new:", "old"]]
    assert lines[-1] == "Objects not in sync with remote 'store': 4 new"


def test_status_cli_counts_objects_no_listed_path_shows(
    hist: History, repo: Repo, remote_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every path's shown state is ok, but v1's version of foo is lost: exit 1, counted."""
    assert repo.push(all_commits=True).ok
    repo.cache.remove(Obj(md5("foo1")))
    lost = md5("foo1")
    (remote_root / "files" / "md5" / lost[:2] / lost[2:]).unlink()
    assert main(["status", "-c", "--rev", "v1"]) == EXIT_NOT_IN_SYNC
    out = capsys.readouterr().out
    assert out.splitlines() == ["Objects not in sync with remote 'store': 1 missing"]


def test_status_without_cloud_refuses_revision_options(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    from dvcremote.errors import RepoError

    with pytest.raises(RepoError, match="cloud=True"):
        repo.status(revs=["v1"])
    assert main(["status", "--rev", "v1"]) == 2
    assert "add -c" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- gc
@pytest.mark.parametrize("flag", FLAGS)
def test_gc_keeps_exactly_what_the_revisions_use(flag: str, hist: History, repo: Repo) -> None:
    results = repo.gc(workspace=True, force=True, **kwargs(flag))
    assert objects_under(cache_dir(hist)) == hist.expected(flag)
    assert results[0].removed == hist.everything - hist.expected(flag)


@pytest.mark.parametrize("flag", FLAGS)
def test_gc_cli(flag: str, hist: History, repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gc", "-f", "-w", *cli_args(flag)]) == EXIT_OK
    assert objects_under(cache_dir(hist)) == hist.expected(flag)
    removed = len(hist.everything - hist.expected(flag))
    assert f"Removed {removed} object" in capsys.readouterr().out


def test_gc_all_commits_keeps_every_commit_and_the_workspace(hist: History, repo: Repo) -> None:
    repo.gc(all_commits=True, force=True)
    assert objects_under(cache_dir(hist)) == hist.everything
    # The workspace's uncommitted foo and the deleted file's data both survive.
    assert {md5("foows"), md5("old")} <= objects_under(cache_dir(hist))


def test_gc_cloud_with_a_revision(hist: History, repo: Repo, remote_root: Path) -> None:
    assert repo.push(all_commits=True).ok
    results = repo.gc(cloud=True, force=True, revs="v1")
    assert objects_under(remote_root) == hist.expected("rev")
    assert objects_under(cache_dir(hist)) == hist.expected("rev")
    assert results[1].removed == hist.everything - hist.expected("rev")


def test_gc_cloud_confirmation_names_the_revisions(repo: Repo) -> None:
    from dvcremote.errors import ConfirmationRequired

    asked: list[str] = []

    def decline(message: str) -> bool:
        asked.append(message)
        return False

    with pytest.raises(ConfirmationRequired):
        repo.gc(cloud=True, confirm=decline, all_branches=True)
    assert "all git branches" in asked[0]
