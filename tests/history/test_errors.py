"""Bad revision options: each is a clear error naming the cause, and nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.cli import EXIT_FAILED, EXIT_OK, main
from dvcremote.errors import (
    HistoricDvcfileError,
    InvalidHistoricDvcfile,
    NotAGitRepository,
    ObjectMissing,
    RevisionNotFound,
    ShallowHistory,
)
from dvcremote.objects import Obj
from dvcremote.repo import Repo

from .histbuild import History, cache_dir, md5, objects_under, shallow_clone


def _cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith("ERROR: ")
    assert "Traceback" not in err
    return err


# -------------------------------------------------------------------- unknown revision
def test_unknown_revision(
    hist: History, repo: Repo, remote_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RevisionNotFound, match="'no-such-tag'"):
        repo.push(revs=["v1", "no-such-tag"])
    assert objects_under(remote_root) == set()  # refused before anything moved
    with pytest.raises(RevisionNotFound, match="'no-such-tag'"):
        repo.gc(revs="no-such-tag")
    assert objects_under(cache_dir(hist)) == hist.everything
    for command in ("push", "fetch", "pull", "gc"):
        err = _cli_error(capsys, [command, "--rev", "no-such-tag"])
        assert "revision 'no-such-tag' not found" in err
    err = _cli_error(capsys, ["status", "-c", "--rev", "no-such-tag"])
    assert "revision 'no-such-tag' not found" in err
    assert objects_under(cache_dir(hist)) == hist.everything


def test_revision_options_outside_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    repo = Repo.init(tmp_path, no_scm=True)
    (tmp_path / "foo").write_text("foo")
    repo.add("foo")
    try:
        with pytest.raises(NotAGitRepository, match="--all-branches"):
            repo.gc(all_branches=True)
    finally:
        repo.close()
    err = _cli_error(capsys, ["gc", "-A"])
    assert "--all-commits needs a git repository" in err
    assert objects_under(tmp_path / ".dvc" / "cache") == {md5("foo")}


# --------------------------------------------------------------------- shallow clones
@pytest.fixture
def shallow(template: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "clone"
    shallow_clone(template.root, dest)
    monkeypatch.chdir(dest)
    return dest


def test_shallow_clone_refuses_all_commits(
    shallow: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cached = objects_under(shallow / ".dvc" / "cache")
    repo = Repo(shallow)
    try:
        with pytest.raises(ShallowHistory, match="--all-commits"):
            repo.gc(all_commits=True)
        with pytest.raises(ShallowHistory, match="revision 'HEAD~1'"):
            repo.gc(revs="HEAD~1")
    finally:
        repo.close()
    err = _cli_error(capsys, ["gc", "-f", "-A"])
    assert "shallow clone" in err and "git fetch --unshallow" in err
    assert objects_under(shallow / ".dvc" / "cache") == cached  # nothing deleted


def test_shallow_clone_still_serves_the_tips_it_has(shallow: Path) -> None:
    repo = Repo(shallow)
    try:
        # main's tip is there: its objects plus the (clean) workspace's, nothing else.
        repo.gc(all_branches=True, force=True)
    finally:
        repo.close()
    assert md5("foo3") in objects_under(shallow / ".dvc" / "cache")
    assert md5("foo1") not in objects_under(shallow / ".dvc" / "cache")


# ------------------------------------------------------------- unparsable .dvc history
@pytest.fixture
def bad_history(hist: History, repo: Repo) -> str:
    """A commit with a broken ``broken/bad.dvc``, fixed (deleted) in the next one."""
    git = repo.git
    assert git is not None
    bad = hist.root / "broken" / "bad.dvc"
    bad.parent.mkdir()
    bad.write_text("outs:\n- path: [unclosed\n")
    git.add(["broken/bad.dvc"])
    sha = git.commit("a broken .dvc file")
    git.remove(["broken/bad.dvc"])
    git.commit("remove it again")
    return sha


def test_bad_historic_dvcfile_aborts_gc_with_nothing_deleted(
    hist: History, repo: Repo, bad_history: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidHistoricDvcfile) as info:
        repo.gc(all_commits=True)
    error = info.value
    assert isinstance(error, HistoricDvcfileError)
    assert error.path == "broken/bad.dvc"
    assert bad_history[:12] in error.revision
    assert "not valid YAML" in str(error)
    assert objects_under(cache_dir(hist)) == hist.everything
    err = _cli_error(capsys, ["gc", "-f", "-A"])
    assert f"cannot parse 'broken/bad.dvc' at revision {bad_history[:12]}" in err
    assert objects_under(cache_dir(hist)) == hist.everything
    # The workspace alone does not read history: gc works (and deletes) as usual.
    assert main(["gc", "-f", "-w"]) == EXIT_OK
    assert objects_under(cache_dir(hist)) == hist.expected("workspace")


def test_bad_historic_dvcfile_aborts_push(
    hist: History, repo: Repo, remote_root: Path, bad_history: str
) -> None:
    with pytest.raises(InvalidHistoricDvcfile, match=r"broken/bad\.dvc"):
        repo.push(all_commits=True)
    assert objects_under(remote_root) == set()
    # A revision without the broken file is fine.
    assert repo.push(revs="v1").ok


def test_historic_output_outside_the_project(hist: History, repo: Repo) -> None:
    git = repo.git
    assert git is not None
    (hist.root / "escape.dvc").write_text(f"outs:\n- md5: {md5('x')}\n  path: ../../etc/x\n")
    git.add(["escape.dvc"])
    git.commit("an output outside the project")
    git.remove(["escape.dvc"])
    git.commit("gone")
    with pytest.raises(InvalidHistoricDvcfile, match=r"escape\.dvc.*outside the repository"):
        repo.gc(all_commits=True)
    assert objects_under(cache_dir(hist)) == hist.everything


# ----------------------------------------------------------- directory manifests in gc
def test_gc_refuses_when_a_historic_manifest_is_missing(
    hist: History, repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    v1_dir = next(o for o in hist.objs["c1"] if o.endswith(".dir"))
    repo.cache.remove(Obj(v1_dir))
    left = objects_under(cache_dir(hist))
    with pytest.raises(ObjectMissing, match=r"'data' \(data.dvc at revision v1 \(") as info:
        repo.gc(revs="v1")
    assert "Nothing was deleted" in str(info.value)
    assert objects_under(cache_dir(hist)) == left
    err = _cli_error(capsys, ["gc", "-f", "-T"])
    assert "data.dvc at revision v1" in err
    assert objects_under(cache_dir(hist)) == left
