"""How history.py reads outputs: targets, a project below the git root, parsing once."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote import dvcfile as dvcfile_mod
from dvcremote.errors import RepoError, TargetNotFound
from dvcremote.history import HistoricDvcFile, RevisionOptions, collect, describe, is_historic
from dvcremote.objects import Obj
from dvcremote.repo import Repo
from dvcremote.scm import Git

from .histbuild import History, cache_dir, md5, objects_under, write


# ----------------------------------------------------------------------------- targets
def test_target_only_history_tracks(hist: History, repo: Repo, remote_root: Path) -> None:
    """old.dvc was deleted in c2: as a target it selects the revisions that still hold it."""
    summary = repo.push(["old.dvc"], all_commits=True)
    assert summary.transferred == {md5("old")}
    assert objects_under(remote_root) == {md5("old")}
    with pytest.raises(TargetNotFound):
        repo.push(["old.dvc"])  # the workspace alone does not track it


def test_target_directory_across_revisions(hist: History, repo: Repo, remote_root: Path) -> None:
    repo.push(["data"], revs="v1")
    data = {o for o in hist.expected("rev") if o.endswith(".dir")} | {
        md5(t) for t in ("a1", "a2", "b", "c3")
    }
    assert objects_under(remote_root) == data


def test_target_below_the_root_in_another_branch(hist: History, repo: Repo) -> None:
    """models/model.bin.dvc exists only on feature; its output path joins its folder."""
    collected = repo._collect_outputs(["models/model.bin"], all_branches=True)
    assert [o.repo_path for o in collected.outputs] == ["models/model.bin"]
    assert collected.dvcfiles == []
    assert collected.workspace_targets == []


def test_unknown_target(repo: Repo) -> None:
    with pytest.raises(TargetNotFound, match="nor in the revisions"):
        repo.push(["nothing-here.dvc"], all_commits=True)


def test_pull_of_a_target_only_history_tracks_checks_nothing_out(hist: History, repo: Repo) -> None:
    assert repo.push(all_commits=True).ok
    (hist.root / "old").unlink()
    repo.cache.remove(Obj(md5("old")))
    result = repo.pull(["old.dvc"], revs="v1")
    assert result.ok
    assert result.transferred == {md5("old")}
    assert not (hist.root / "old").exists()  # the workspace does not track it
    assert md5("old") in objects_under(cache_dir(hist))


# ------------------------------------------------------------------ what is collected
def test_renamed_dvcfile_is_one_blob_at_two_paths(hist: History, repo: Repo) -> None:
    collected = repo._collect_outputs(revs=["v1", "feature"])
    foo1 = [o for o in collected.outputs if o.oid == md5("foo1")]
    assert sorted(o.dvcfile.path for o in foo1 if o.dvcfile) == ["foo-renamed.dvc", "foo.dvc"]
    assert all(o.repo_path == "foo" for o in foo1)
    # Parsed once: the places share the parsed data.
    assert foo1[0].raw is foo1[1].raw


def test_workspace_blobs_are_not_read_twice(hist: History, repo: Repo) -> None:
    """main's tip holds the workspace's data.dvc byte for byte: only the workspace's counts."""
    collected = repo._collect_outputs(revs="main")
    data = [o for o in collected.outputs if o.repo_path == "data"]
    assert len(data) == 1 and not is_historic(data[0])
    assert collected.workspace_outputs == collected.outputs[-2:]
    assert {o.repo_path for o in collected.historic_outputs} == {"foo"}


def test_each_distinct_blob_is_parsed_once(
    hist: History, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    real = dvcfile_mod.loads

    def counting(data: bytes | str, path: str = "") -> dvcfile_mod.DvcFile:
        parsed.append(data if isinstance(data, bytes) else data.encode())
        return real(data, path)

    monkeypatch.setattr(dvcfile_mod, "loads", counting)
    collected = repo._collect_outputs(all_commits=True, all_branches=True, all_tags=True)
    git = repo.git
    assert git is not None
    blobs = {
        sha for commit in ("c1", "c2", "c3", "c4") for _, sha in git_files(git, hist.shas[commit])
    }
    workspace = {git_hash((hist.root / p).read_bytes()) for p in ("foo.dvc", "data.dvc")}
    # The workspace's files are read from disk as usual; every other blob of history
    # is parsed exactly once, however many commits and paths hold it.
    historic = [git_hash(b) for b in parsed if git_hash(b) not in workspace]
    assert sorted(historic) == sorted(blobs - workspace)
    assert collected.revisions and all(r.sha for r in collected.revisions)


def git_files(git: Git, sha: str) -> list[tuple[str, str]]:
    from dvcremote.scm import DvcfileReader

    return DvcfileReader(git).files(sha)


def git_hash(data: bytes) -> str:
    import pygit2

    return str(pygit2.hash(data))


def test_historic_dvcfiles_are_never_written(hist: History, repo: Repo) -> None:
    collected = repo._collect_outputs(revs="v1")
    historic = collected.historic_outputs[0].dvcfile
    assert isinstance(historic, HistoricDvcFile)
    before = {p.name: p.read_bytes() for p in hist.root.glob("*.dvc") if p.is_file()}
    with pytest.raises(RepoError, match=r"at revision v1 .* cannot be rewritten"):
        historic.write(hist.root)
    assert {p.name: p.read_bytes() for p in hist.root.glob("*.dvc") if p.is_file()} == before
    assert "at revision v1 (" in describe(collected.historic_outputs[0])


def test_revision_options_of() -> None:
    assert RevisionOptions.of("v1").revs == ("v1",)
    assert RevisionOptions.of(["a", "b"]).revs == ("a", "b")
    assert not RevisionOptions.of(None).any
    assert RevisionOptions.of(all_tags=True).any


# ------------------------------------------------------------- project below git's root
def test_project_in_a_subfolder_of_the_git_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = tmp_path / "top"
    Git.init(top).close()
    project = top / "proj"
    project.mkdir()
    monkeypatch.chdir(project)
    repo = Repo.init(project)
    git = repo.git
    assert git is not None
    # A .dvc file outside the project is not the project's.
    write(top, "elsewhere.dvc", f"outs:\n- md5: {md5('nope')}\n  path: x\n  hash: md5\n")
    write(project, "sub/thing", "one")
    repo.add(["sub/thing"])
    git.add(["elsewhere.dvc", "proj"])
    git.commit("one")
    write(project, "sub/thing", "two")
    repo.add(["sub/thing"])
    git.add(["proj"])
    git.commit("two")
    write(project, "sub/thing", "three")
    repo.add(["sub/thing"])
    try:
        collected = collect(repo.root, repo.git, None, RevisionOptions.of(all_commits=True))
        assert sorted(o.oid or "" for o in collected.outputs) == sorted(
            md5(t) for t in ("one", "two", "three")
        )
        assert {o.repo_path for o in collected.outputs} == {"sub/thing"}
        repo.gc(all_commits=True, force=True)
        assert objects_under(project / ".dvc" / "cache") == {
            md5(t) for t in ("one", "two", "three")
        }
    finally:
        repo.close()
