"""Inside git: init stages the config, add writes .gitignore entries and can stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import write_tree

from dvcremote.errors import RepoError
from dvcremote.repo import Repo
from dvcremote.scm import Git


def _staged(workspace: Path) -> set[str]:
    with Git.open(workspace) as git:
        return {entry.path for entry in git.repo.index}


def test_init_inside_git_stages_config(git_repo: Repo, workspace: Path) -> None:
    assert (workspace / ".dvc" / "config").read_bytes() == b""
    assert (workspace / ".dvc" / ".gitignore").read_text() == "/config.local\n/tmp\n/cache\n"
    # dvc init's .dvcignore too, byte for byte
    assert (workspace / ".dvcignore").read_text() == (
        "# Add patterns of files dvc should ignore, which could improve\n"
        "# the performance. Learn more at\n"
        "# https://dvc.org/doc/user-guide/dvcignore\n"
    )
    assert _staged(workspace) == {".dvc/config", ".dvc/.gitignore", ".dvcignore"}
    assert git_repo.git is not None


def test_add_writes_gitignore_beside_each_output(git_repo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo", "data": {"x": "x"}, "sub": {"model.bin": "m"}})
    result = git_repo.add(["foo", "data", "sub/model.bin"])
    assert (workspace / ".gitignore").read_text() == "/foo\n/data\n"
    assert (workspace / "sub" / ".gitignore").read_text() == "/model.bin\n"
    assert set(result.gitignores) == {".gitignore", "sub/.gitignore"}
    # Adding again changes nothing.
    again = git_repo.add(["foo", "data"])
    assert again.gitignores == ()
    assert (workspace / ".gitignore").read_text() == "/foo\n/data\n"
    with Git.open(workspace) as git:
        assert git.is_ignored(workspace / "data" / "x")
        assert not git.is_ignored(workspace / "data.dvc")


def test_gitignore_escapes_special_names_as_dvc(git_repo: Repo, workspace: Path) -> None:
    (workspace / "we[ird]*.txt").write_text("w")
    git_repo.add("we[ird]*.txt")
    # What dvc 3.67 writes for this name.
    assert (workspace / ".gitignore").read_text() == "/we\\[ird\\]\\*.txt\n"
    # Each special character escaped (pathspec's set), and git reads them back literally.
    for name in ("!bang", "#hash", "q?", "a]b"):
        (workspace / name).write_text("x")
        git_repo.add(name)
    assert (workspace / ".gitignore").read_text().splitlines()[1:] == [
        "/\\!bang", "/\\#hash", "/q\\?", "/a\\]b"
    ]
    (workspace / "qX").write_text("not tracked")
    with Git.open(workspace) as git:
        for name in ("we[ird]*.txt", "!bang", "#hash", "q?", "a]b"):
            assert git.is_ignored(workspace / name), name
        assert not git.is_ignored(workspace / "qX")  # ``?`` matched literally
        assert not git.is_ignored(workspace / "weird.txt")


def test_add_commit_stages_dvcfiles_and_gitignore(git_repo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo", "sub": {"bar": "bar"}})
    git_repo.add(["foo", "sub/bar"], commit=True)
    assert _staged(workspace) >= {"foo.dvc", ".gitignore", "sub/bar.dvc", "sub/.gitignore"}
    assert "foo" not in _staged(workspace)


def test_no_scm_inside_git_writes_no_gitignore(workspace: Path) -> None:
    Git.init(workspace).close()
    repo = Repo.init(workspace, no_scm=True)
    assert (workspace / ".dvc" / "config").read_text() == "[core]\n    no_scm = True\n"
    (workspace / "foo").write_text("foo")
    repo.add("foo")
    assert not (workspace / ".gitignore").exists()
    assert repo.git is None


def test_existing_gitignore_without_newline_is_extended(git_repo: Repo, workspace: Path) -> None:
    (workspace / ".gitignore").write_text("*.log")
    (workspace / "foo").write_text("foo")
    git_repo.add("foo")
    assert (workspace / ".gitignore").read_text() == "*.log\n/foo\n"


def test_init_force_keeps_config_and_cache(workspace: Path) -> None:
    repo = Repo.init(workspace)
    repo.remote_add("store", "memory://keep", default=True)
    (workspace / "foo").write_text("foo")
    repo.add("foo")
    with pytest.raises(RepoError, match="already initialised"):
        Repo.init(workspace)
    again = Repo.init(workspace, force=True)
    assert again.config.default_remote == "store"
    assert again.workspace_status().clean  # the cache is still there
    assert "no_scm = True" in (workspace / ".dvc" / "config").read_text()
