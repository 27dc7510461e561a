"""Plain git operations of ``dvcremote.scm.Git``, checked against the repository pygit2 sees."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pygit2
import pytest

from dvcremote.errors import (
    CheckoutConflict,
    NotAGitRepository,
    RepoError,
    RevisionNotFound,
    ScmError,
    ScmPathError,
    ShallowHistory,
)
from dvcremote.scm import Git
from dvcremote.scm.git import DEFAULT_EMAIL, DEFAULT_NAME

from .gitbuild import History, make_shallow_clone, write


def head_tree(git: Git) -> dict[str, bytes]:
    """Every file of HEAD's tree: path -> contents."""
    found: dict[str, bytes] = {}

    def walk(tree: pygit2.Tree, prefix: str) -> None:
        for entry in tree:
            if isinstance(entry, pygit2.Tree):
                walk(entry, f"{prefix}{entry.name}/")
            else:
                assert isinstance(entry, pygit2.Blob)
                found[f"{prefix}{entry.name}"] = entry.data

    walk(git.repo.head.peel(pygit2.Commit).tree, "")
    return found


def index_paths(git: Git) -> set[str]:
    git.repo.index.read()
    return {entry.path for entry in git.repo.index}


# ---------------------------------------------------------------------------------- opening


def test_init_starts_unborn_on_the_initial_head(tmp_path: Path) -> None:
    git = Git.init(tmp_path / "r", initial_head="trunk")
    assert git.current_branch == "trunk"
    assert git.head is None
    assert git.root == str(tmp_path / "r")
    with pytest.raises(RevisionNotFound, match="no commits yet"):
        git.resolve("HEAD")


def test_first_commit_has_no_parent_and_default_author(git: Git) -> None:
    write(git.root, "a.txt", "1")
    git.add("a.txt")
    sha = git.commit("first")
    commit = git.repo[sha]
    assert isinstance(commit, pygit2.Commit)
    assert commit.parent_ids == []
    assert (commit.author.name, commit.author.email) == (DEFAULT_NAME, DEFAULT_EMAIL)
    assert commit.message == "first"
    assert git.head == sha == git.resolve("main")
    assert head_tree(git) == {"a.txt": b"1"}


def test_commit_uses_repo_config_identity_and_chains_parents(git: Git) -> None:
    git.repo.config["user.name"] = "Ada"
    git.repo.config["user.email"] = "ada@example.org"
    first = git.commit("empty first")
    write(git.root, "a.txt", "1")
    git.add(["a.txt"])
    second = git.commit("second")
    commit = git.repo[second]
    assert isinstance(commit, pygit2.Commit)
    assert [str(p) for p in commit.parent_ids] == [first]
    assert (commit.committer.name, commit.committer.email) == ("Ada", "ada@example.org")


def test_discover_from_a_subdirectory_and_outside(git: Git, tmp_path: Path) -> None:
    sub = Path(git.root, "deep", "er")
    sub.mkdir(parents=True)
    found = Git.discover(sub)
    assert found is not None and found.root == git.root
    not_yet = Git.discover(Path(git.root, "missing", "folder"))
    assert not_yet is not None and not_yet.root == git.root
    outside = tmp_path / "plain"
    outside.mkdir()
    assert Git.discover(outside) is None
    with pytest.raises(NotAGitRepository, match="plain"):
        Git.open(outside)


def test_scm_errors_are_repo_errors() -> None:
    assert issubclass(ScmError, RepoError)
    for cls in (NotAGitRepository, RevisionNotFound, ShallowHistory, ScmPathError):
        assert issubclass(cls, ScmError)


# ---------------------------------------------------------------------------------- paths


def test_relpath_accepts_root_relative_and_absolute_and_refuses_outside(git: Git) -> None:
    assert git.relpath("a/b.txt") == "a/b.txt"
    assert git.relpath(os.path.join(git.root, "a", "b.txt")) == "a/b.txt"
    assert git.relpath(git.root) == ""
    with pytest.raises(ScmPathError, match="outside"):
        git.relpath("../escape.txt")
    with pytest.raises(ScmPathError, match="outside"):
        git.relpath("/etc/passwd")
    with pytest.raises(ScmPathError, match=r"\.git"):
        git.relpath(".git/config")


def test_relpath_keeps_a_symlink_into_the_cache_inside(git: Git, tmp_path: Path) -> None:
    target = tmp_path / "cache-object"
    target.write_text("x")
    os.symlink(target, Path(git.root, "linked"))
    assert git.relpath("linked") == "linked"


# ---------------------------------------------------------------------------------- add / remove


def test_add_folder_recursively_skipping_ignored_files(git: Git) -> None:
    write(git.root, ".gitignore", "*.tmp\n")
    write(git.root, "dir/a.txt", "a")
    write(git.root, "dir/sub/b.txt", "b")
    write(git.root, "dir/skip.tmp", "t")
    git.add(["dir", ".gitignore"])
    assert index_paths(git) == {".gitignore", "dir/a.txt", "dir/sub/b.txt"}


def test_add_ignored_file_needs_force_and_stages_nothing_without(git: Git) -> None:
    write(git.root, ".gitignore", "/data\n")
    write(git.root, "data", "big")
    write(git.root, "data.dvc", "outs: []\n")
    with pytest.raises(ScmPathError, match="ignored") as info:
        git.add(["data.dvc", "data"])
    assert info.value.path == "data"
    assert index_paths(git) == set()
    git.add(["data"], force=True)
    assert index_paths(git) == {"data"}


def test_add_ignored_folder_needs_force(git: Git) -> None:
    write(git.root, ".gitignore", "/cache/\n")
    write(git.root, "cache/obj", "x")
    with pytest.raises(ScmPathError, match="ignored"):
        git.add("cache")
    git.add("cache", force=True)
    assert index_paths(git) == {"cache/obj"}


def test_add_stages_deletions_and_refuses_unknown_paths(git: Git) -> None:
    write(git.root, "keep.txt", "k")
    write(git.root, "dir/gone.txt", "g")
    git.add(["keep.txt", "dir"])
    git.commit("c1")
    os.unlink(Path(git.root, "dir/gone.txt"))
    git.add("dir/gone.txt")
    assert index_paths(git) == {"keep.txt"}
    with pytest.raises(ScmPathError, match="does not exist"):
        git.add("never.txt")


def test_add_a_file_that_replaced_a_folder_and_the_reverse(git: Git) -> None:
    write(git.root, "keep/k.txt", "k")
    write(git.root, "was_dir/a.txt", "a")
    write(git.root, "was_file", "f")
    git.add(["keep", "was_dir", "was_file"])
    git.commit("c1")
    shutil.rmtree(Path(git.root, "was_dir"))
    write(git.root, "was_dir", "now a file")
    os.unlink(Path(git.root, "was_file"))
    write(git.root, "was_file/inner.txt", "now a folder")
    git.add(["was_dir", "was_file"])
    git.commit("c2")
    assert head_tree(git) == {
        "keep/k.txt": b"k",
        "was_dir": b"now a file",
        "was_file/inner.txt": b"now a folder",
    }


def test_remove_cached_keeps_the_file(git: Git) -> None:
    write(git.root, "data", "d")
    git.add("data")
    git.commit("c1")
    git.remove("data", cached=True)
    assert index_paths(git) == set()
    assert Path(git.root, "data").read_text() == "d"
    assert git.is_tracked("data") is False


def test_remove_deletes_files_and_empty_folders(git: Git) -> None:
    write(git.root, "dir/sub/a.txt", "a")
    write(git.root, "other.txt", "o")
    git.add(["dir", "other.txt"])
    git.commit("c1")
    git.remove("dir")
    assert not Path(git.root, "dir").exists()
    assert index_paths(git) == {"other.txt"}


def test_remove_refuses_local_edits_without_force_and_changes_nothing(git: Git) -> None:
    write(git.root, "a.txt", "committed")
    write(git.root, "b.txt", "b")
    git.add(["a.txt", "b.txt"])
    git.commit("c1")
    write(git.root, "a.txt", "edited")
    with pytest.raises(ScmPathError, match="local modifications"):
        git.remove(["b.txt", "a.txt"])
    assert index_paths(git) == {"a.txt", "b.txt"}
    assert Path(git.root, "a.txt").read_text() == "edited"
    assert Path(git.root, "b.txt").exists()
    git.remove(["a.txt"], force=True)
    assert not Path(git.root, "a.txt").exists()
    with pytest.raises(ScmPathError, match="not tracked"):
        git.remove("a.txt")


# ---------------------------------------------------------------------------------- refs


def test_branch_and_tags_lightweight_and_annotated(git: Git) -> None:
    first = git.commit("c1")
    second = git.commit("c2")
    assert git.branch("old", "HEAD~1") == first
    assert git.tag("light", "HEAD~1") == first
    assert git.tag("v1", message="release one") == second
    assert git.list_branches() == ["main", "old"]
    assert git.list_tags() == ["light", "v1"]
    light = git.repo.references["refs/tags/light"]
    assert str(light.target) == first  # lightweight: points at the commit
    annotated = git.repo[git.repo.references["refs/tags/v1"].target]
    assert isinstance(annotated, pygit2.Tag)
    assert annotated.message == "release one"
    assert str(annotated.target) == second
    assert git.resolve("v1") == second
    with pytest.raises(ScmError, match="already exists"):
        git.tag("v1")
    with pytest.raises(ScmError, match="already exists"):
        git.branch("old")
    assert git.branch("old", force=True) == second
    with pytest.raises(ScmError, match="not a valid"):
        git.branch("bad..name")


def test_resolve_names_prefixes_and_ancestry(history: History) -> None:
    git, shas = history.git, history.shas
    assert git.resolve("main") == shas["c5"]
    assert git.resolve("feature~1") == shas["c3"]
    assert git.resolve("main^") == shas["c2"]
    assert git.resolve("v1.0") == shas["c1"]
    assert git.resolve(shas["c4"][:10]) == shas["c4"]
    assert git.resolve("refs/remotes/origin/old") == shas["c7"]


@pytest.mark.parametrize("rev", ["no-such-branch", "main~99", "0123456789abcdef", "main^{tree}"])
def test_unknown_revision_is_named(history: History, rev: str) -> None:
    with pytest.raises(RevisionNotFound) as info:
        history.git.resolve(rev)
    assert info.value.revision == rev
    assert repr(rev) in str(info.value)


# ---------------------------------------------------------------------------------- checkout


def test_checkout_branch_updates_work_tree_and_head(git: Git) -> None:
    write(git.root, "a.txt", "main")
    git.add("a.txt")
    git.commit("c1")
    git.branch("other")
    git.checkout("other")
    write(git.root, "a.txt", "other")
    write(git.root, "b.txt", "only on other")
    git.add(["a.txt", "b.txt"])
    other = git.commit("c2")
    git.checkout("main")
    assert git.current_branch == "main"
    assert Path(git.root, "a.txt").read_text() == "main"
    assert not Path(git.root, "b.txt").exists()
    git.checkout(other)
    assert git.current_branch is None  # detached
    assert git.head == other
    assert Path(git.root, "b.txt").read_text() == "only on other"


def test_checkout_refuses_to_overwrite_local_changes(git: Git) -> None:
    write(git.root, "a.txt", "v1")
    git.add("a.txt")
    v1 = git.commit("c1")
    write(git.root, "a.txt", "v2")
    git.add("a.txt")
    v2 = git.commit("c2")
    write(git.root, "a.txt", "precious local edit")
    with pytest.raises(CheckoutConflict) as info:
        git.checkout(v1)
    assert info.value.paths == ("a.txt",)
    assert "a.txt" in str(info.value)
    assert Path(git.root, "a.txt").read_text() == "precious local edit"
    assert git.head == v2 and git.current_branch == "main"
    git.checkout(v1, force=True)
    assert Path(git.root, "a.txt").read_text() == "v1"


def test_checkout_keeps_local_changes_that_do_not_collide(git: Git) -> None:
    write(git.root, "a.txt", "a")
    write(git.root, "b.txt", "b")
    git.add(["a.txt", "b.txt"])
    git.commit("c1")
    write(git.root, "b.txt", "b2")
    git.add("b.txt")
    git.commit("c2")
    write(git.root, "a.txt", "local")
    git.checkout("HEAD~1")
    assert Path(git.root, "a.txt").read_text() == "local"
    assert Path(git.root, "b.txt").read_text() == "b"


def test_checkout_head_with_force_discards_edits_and_stays_on_branch(git: Git) -> None:
    write(git.root, "a.txt", "a")
    git.add("a.txt")
    git.commit("c1")
    write(git.root, "a.txt", "scratch")
    git.checkout("HEAD", force=True)
    assert Path(git.root, "a.txt").read_text() == "a"
    assert git.current_branch == "main"


def test_checkout_unknown_revision(git: Git) -> None:
    git.commit("c1")
    with pytest.raises(RevisionNotFound, match="nowhere"):
        git.checkout("nowhere")


# ---------------------------------------------------------------------------------- state


def test_is_dirty(git: Git) -> None:
    write(git.root, "a.txt", "a")
    git.add("a.txt")
    git.commit("c1")
    assert not git.is_dirty()
    write(git.root, "new.txt", "untracked")
    assert not git.is_dirty()
    assert git.is_dirty(untracked_files=True)
    write(git.root, "a.txt", "changed")
    assert git.is_dirty()
    git.add("a.txt")
    assert git.is_dirty()  # staged, not committed
    git.commit("c2")
    os.unlink(Path(git.root, "new.txt"))
    assert not git.is_dirty(untracked_files=True)


def test_ignore_writes_an_escaped_entry_beside_the_path_once(git: Git) -> None:
    write(git.root, "dir/a*b", "x")
    write(git.root, "dir/axb", "y")
    assert git.ignore("dir/a*b") == "dir/.gitignore"
    assert Path(git.root, "dir/.gitignore").read_text() == "/a\\*b\n"
    assert git.is_ignored("dir/a*b")
    assert not git.is_ignored("dir/axb")
    assert git.ignore("dir/a*b") is None
    assert Path(git.root, "dir/.gitignore").read_text() == "/a\\*b\n"


def test_ignore_appends_to_an_existing_gitignore_and_remove_undoes_it(git: Git) -> None:
    write(git.root, ".gitignore", "*.log")  # no final newline
    write(git.root, "data", "d")
    assert git.ignore("data") == ".gitignore"
    assert Path(git.root, ".gitignore").read_text() == "*.log\n/data\n"
    assert git.ignore_remove("data") == ".gitignore"
    assert Path(git.root, ".gitignore").read_text() == "*.log\n"
    write(git.root, "sub/model", "m")
    git.ignore("sub/model")
    git.ignore_remove("sub/model")
    assert not Path(git.root, "sub/.gitignore").exists()
    assert git.ignore_remove("sub/model") is None


def test_ignore_refuses_paths_outside_the_work_tree(git: Git) -> None:
    with pytest.raises(ScmPathError, match="outside"):
        git.ignore("../elsewhere")
    assert not Path(git.root).parent.joinpath(".gitignore").exists()


def test_read_file_at_a_revision(history: History) -> None:
    git = history.git
    assert b"ffffffff" in git.read_file("main", "data.dvc")
    assert b"aaaaaaaa" in git.read_file("v1.0", "data.dvc")
    with pytest.raises(ScmPathError, match="does not exist"):
        git.read_file("feature", "sub/dir/images.dvc")
    with pytest.raises(ScmPathError, match="not a file"):
        git.read_file("main", "sub")


# ---------------------------------------------------------------------------------- shallow


def test_shallow_clone_refuses_history_it_does_not_have(history: History, tmp_path: Path) -> None:
    clone = make_shallow_clone(history.git, tmp_path / "shallow", "main")
    tip = history.shas["c5"]
    assert clone.is_shallow
    assert clone.shallow_commits == (tip,)
    assert history.shas["c2"] not in clone.repo  # the parent really is missing
    assert clone.resolve("HEAD") == tip
    assert Path(clone.root, "data.dvc").exists()
    with pytest.raises(ShallowHistory) as info:
        clone.resolve("HEAD~1")
    assert info.value.boundary == (tip,)
    assert "HEAD~1" in str(info.value) and tip[:12] in str(info.value)
    with pytest.raises(RevisionNotFound, match="shallow"):
        clone.resolve(history.shas["c2"])


# ---------------------------------------------------------------------------------- interop


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git CLI (interop check)")
def test_git_cli_agrees_with_what_we_wrote(git: Git) -> None:
    write(git.root, "data", "d")
    write(git.root, "weird [name]", "w")
    write(git.root, "data.dvc", "outs: []\n")
    git.ignore("data")
    git.ignore("weird [name]")
    git.add(["data.dvc", ".gitignore"])
    git.commit("c1")
    git.tag("v1", message="annotated")

    def run(*args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        done = subprocess.run(
            ["git", "-C", git.root, *args], check=True, capture_output=True, text=True, env=env
        )
        return done.stdout

    assert run("status", "--porcelain") == ""
    assert run("check-ignore", "data", "weird [name]").splitlines() == ["data", "weird [name]"]
    assert run("cat-file", "-t", "v1").strip() == "tag"
    assert run("rev-parse", "v1^{commit}").strip() == git.head
    run("fsck", "--strict")
