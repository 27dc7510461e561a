"""``.dvc`` files read straight from git trees: exact sets per revision and per flag."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml

from dvcremote.errors import HistoricDvcfileError, RevisionNotFound, ScmError
from dvcremote.scm import WORKSPACE, DvcfileReader, Git, Revision, is_dvcfile_name, select_revisions

from .gitbuild import History, dvcfile, write


def md5_of(data: bytes) -> str:
    return str(yaml.safe_load(data)["outs"][0]["md5"])


def objects(reader: DvcfileReader, revisions: list[Revision]) -> set[str]:
    """What a history-wide command would work on: the md5 of every output, first letter only."""
    return {p.parsed[0] for p in reader.parse(revisions, md5_of).values()}


# ---------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected"),
    [("data.dvc", True), ("a.b.dvc", True), (".dvc", False), ("data.dvc.bak", False)],
)
def test_dvcfile_names(name: str, expected: bool) -> None:
    assert is_dvcfile_name(name) is expected


# ---------------------------------------------------------------------------------- one revision

EXPECTED_FILES = {
    "c1": {"data.dvc", "sub/dir/images.dvc"},
    "c2": {"data.dvc", "models/model.dvc", "sub/dir/images.dvc"},
    "c3": {"data.dvc", "feature.dvc", "models/renamed.dvc", "sub/dir/images.dvc"},
    "c4": {"data.dvc", "feature.dvc", "models/renamed.dvc"},
    "c5": {"data.dvc", "models/model.dvc", "sub/dir/images.dvc"},
    "c6": {"data.dvc", "detached.dvc", "models/model.dvc", "sub/dir/images.dvc"},
    "c7": {"remote.dvc"},
}


@pytest.mark.parametrize("commit", sorted(EXPECTED_FILES))
def test_files_of_each_revision(history: History, commit: str) -> None:
    reader = DvcfileReader(history.git)
    listed = reader.files(history.shas[commit])
    assert [path for path, _ in listed] == sorted(EXPECTED_FILES[commit])
    for path, oid, data in reader.iter_dvcfiles(history.shas[commit]):
        assert data == history.git.read_file(history.shas[commit], path)
        assert (path, oid) in listed


def test_files_by_name_and_errors(history: History) -> None:
    reader = DvcfileReader(history.git)
    assert [p for p, _ in reader.files("v1.0")] == sorted(EXPECTED_FILES["c1"])
    with pytest.raises(RevisionNotFound, match="v404"):
        reader.files("v404")
    with pytest.raises(ScmError, match="workspace"):
        reader.files(Revision(None, (WORKSPACE,)))


# ---------------------------------------------------------------------------------- per flag


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"revs": ["v1.0"]}, {"a", "b"}),
        ({"revs": ["light", "v1.0"]}, {"a", "b", "c", "d"}),
        ({"revs": ["feature"]}, {"c", "d", "e"}),  # images.dvc was deleted there
        ({"all_branches": True}, {"c", "d", "e", "f", "b"}),
        ({"all_tags": True}, {"a", "b", "c", "d"}),
        ({"all_commits": True}, {"a", "b", "c", "d", "e", "f", "1", "7"}),
        ({"workspace": True}, set()),  # the workspace is read from disk by the caller
    ],
)
def test_objects_selected_by_each_flag(
    history: History, options: dict[str, Any], expected: set[str]
) -> None:
    revisions = select_revisions(history.git, **options)
    assert objects(DvcfileReader(history.git), revisions) == expected


def test_collect_gives_each_blob_once_with_its_places(history: History) -> None:
    shas = history.shas
    revisions = select_revisions(history.git, ["main", "feature", "v1.0"])
    blobs = DvcfileReader(history.git).collect(revisions)
    by_md5 = {md5_of(b.data)[0]: b for b in blobs.values()}
    assert set(by_md5) == {"f", "d", "b", "c", "e", "a"}
    for sha, blob in blobs.items():
        assert pygit2.hash(blob.data) == pygit2.Oid(hex=sha)
    renamed = by_md5["d"]  # same content at two paths: one blob, both places
    assert [(r.sha, path) for r, path in renamed.places] == [
        (shas["c5"], "models/model.dvc"),
        (shas["c4"], "models/renamed.dvc"),
    ]
    assert [r.names for r, _ in renamed.places] == [("main",), ("feature",)]
    assert [(r.sha, p) for r, p in by_md5["a"].places] == [(shas["c1"], "data.dvc")]
    first_met = [md5_of(b.data)[0] for b in blobs.values()]
    assert first_met[:3] == ["f", "d", "b"]  # main's files first, in path order
    assert set(first_met[3:5]) == {"c", "e"}
    assert first_met[5] == "a"


def test_parse_runs_once_per_distinct_blob(history: History) -> None:
    calls: list[bytes] = []

    def parse(data: bytes) -> str:
        calls.append(data)
        return md5_of(data)

    reader = DvcfileReader(history.git)
    parsed = reader.parse(select_revisions(history.git, all_commits=True), parse)
    assert len(calls) == len(set(calls)) == len(parsed) == 8
    assert all(p.parsed == md5_of(p.blob.data) for p in parsed.values())


def test_a_dvcfile_that_does_not_parse_is_named(git: Git) -> None:
    write(git.root, "good.dvc", dvcfile("a" * 32, "good"))
    git.add("good.dvc")
    git.commit("good")
    write(git.root, "nested/bad.dvc", "outs: [unclosed\n")
    git.add("nested")
    git.commit("bad")
    git.tag("v2")
    write(git.root, "other/bad.dvc", "outs: [unclosed\n")
    git.add("other")
    git.commit("same bad content elsewhere")

    def parse(data: bytes) -> object:
        return yaml.safe_load(data)

    with pytest.raises(HistoricDvcfileError) as info:
        DvcfileReader(git).parse(select_revisions(git, ["v2", "main"]), parse)
    error = info.value
    assert error.path == "nested/bad.dvc"
    assert error.revision.startswith("v2 (")
    assert "nested/bad.dvc" in str(error) and "1 other place" in str(error)
    assert isinstance(error.__cause__, yaml.YAMLError)


def test_a_missing_blob_is_a_clear_error(git: Git) -> None:
    write(git.root, "data.dvc", dvcfile("a" * 32, "data"))
    git.add("data.dvc")
    git.commit("c1")
    blob = git.repo.revparse_single("HEAD:data.dvc").id
    assert git.repo.path is not None
    os.unlink(Path(git.repo.path, "objects", str(blob)[:2], str(blob)[2:]))
    reader = DvcfileReader(git)
    assert reader.files("HEAD") == [("data.dvc", str(blob))]  # the tree is still there
    with pytest.raises(ScmError, match=r"'data\.dvc' at revision main"):
        reader.collect(select_revisions(git, ["main"]))


# ---------------------------------------------------------------------------------- projects


def test_nested_projects_and_a_project_in_a_subdirectory(git: Git) -> None:
    write(git.root, "top.dvc", dvcfile("a" * 32, "top"))
    write(git.root, "proj/.dvc/config", "")
    write(git.root, "proj/p.dvc", dvcfile("b" * 32, "p"))
    write(git.root, "proj/deep/q.dvc", dvcfile("c" * 32, "q"))
    write(git.root, "proj/inner/.dvc/config", "")
    write(git.root, "proj/inner/i.dvc", dvcfile("d" * 32, "i"))
    write(git.root, "odd/.dvc", "a file named .dvc does not make a project")
    write(git.root, "odd/o.dvc", dvcfile("e" * 32, "o"))
    git.add(["top.dvc", "proj", "odd"])
    git.commit("projects")
    at_root = DvcfileReader(git).files("HEAD")
    assert [p for p, _ in at_root] == ["odd/o.dvc", "top.dvc"]
    in_proj = DvcfileReader(git, subdir="proj").files("HEAD")
    assert [p for p, _ in in_proj] == ["deep/q.dvc", "p.dvc"]
    write(git.root, "elsewhere.dvc", dvcfile("f" * 32, "x"))
    git.remove("proj")
    git.add("elsewhere.dvc")
    git.commit("project gone")
    assert DvcfileReader(git, subdir="proj").files("HEAD") == []


# ---------------------------------------------------------------------------------- caching


class CountingRepo:
    """Stands in for the reader's pygit2 repository and counts the blob reads."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.blob_reads: list[pygit2.Oid] = []

    def get(self, oid: pygit2.Oid) -> object:
        self.blob_reads.append(oid)
        return self.repo.get(oid)

    def __getitem__(self, key: Any) -> Any:
        return self.repo[key]


class CountingReader(DvcfileReader):
    """Records every tree it builds a node for (by listing or by diff)."""

    def __init__(self, git: Git, **kwargs: Any) -> None:
        super().__init__(git, **kwargs)
        self.built: list[pygit2.Oid] = []

    def _list_node(self, tree: pygit2.Tree, path: str) -> Any:
        self.built.append(tree.id)
        return super()._list_node(tree, path)

    def _patch(self, tree: pygit2.Tree, *args: Any) -> Any:
        self.built.append(tree.id)
        return super()._patch(tree, *args)


def test_blobs_are_read_once_per_reader(history: History) -> None:
    reader = DvcfileReader(history.git)
    counting = CountingRepo(history.git.repo)
    reader._repo = counting  # type: ignore[assignment]
    revisions = select_revisions(history.git, all_commits=True)
    first = reader.collect(revisions)
    reader.collect(revisions)
    for revision in revisions:
        list(reader.iter_dvcfiles(revision))
    assert sorted(map(str, counting.blob_reads)) == sorted(first)


def one_file_per_commit(git: Git, commits: int) -> list[str]:
    """``commits`` commits, each changing one ``.dvc`` file in one of three folders."""
    for n in range(20):
        write(git.root, f"src/m{n}.py", f"x = {n}\n")
    shas = []
    for k in range(commits):
        write(git.root, f"data/d{k % 3}/f{k % 5}.dvc", dvcfile(f"{k:032x}", f"f{k % 5}"))
        git.add(["data", "src"])
        shas.append(git.commit(f"c{k}"))
    return shas


@pytest.mark.parametrize("diff_from_entries", [1, 10**9])
def test_each_tree_is_looked_at_once(git: Git, diff_from_entries: int) -> None:
    shas = one_file_per_commit(git, 30)
    reader = CountingReader(git)
    reader.diff_from_entries = diff_from_entries
    revisions = select_revisions(git, all_commits=True)
    blobs = reader.collect(revisions)
    assert len(blobs) == 30
    assert len(reader.built) == len(set(reader.built))
    # Per commit: the root, data/ and one data/dN/ are new; src/ is built once.
    assert len(reader.built) <= 3 * len(shas) + 1
    before = len(reader.built)
    reader.collect(revisions)
    for sha in shas:
        reader.files(sha)
    assert len(reader.built) == before


# ---------------------------------------------------------------------------------- diffs


def tricky_history(git: Git) -> list[str]:
    """Changes a tree diff must get right: big folders, type changes, projects coming and going."""
    root = git.root
    shas = []

    def commit(message: str, *paths: str) -> None:
        git.add(list(paths))
        shas.append(git.commit(message))

    for n in range(230):
        write(root, f"big/f{n:03}.dvc", dvcfile(f"{n:032x}", f"f{n}"))
    write(root, "big/readme.txt", "not a dvc file")
    write(root, "x.dvc", dvcfile("1" * 32, "x"))
    write(root, "sw/a.dvc", dvcfile("2" * 32, "a"))
    write(root, "proj/p.dvc", dvcfile("3" * 32, "p"))
    write(root, ".dvc/config", "")
    commit("t1", "big", "x.dvc", "sw", "proj", ".dvc")

    write(root, "big/f010.dvc", dvcfile("4" * 32, "f10"))
    os.unlink(Path(root, "big/f011.dvc"))
    write(root, "big/new.dvc", dvcfile("5" * 32, "new"))
    commit("t2: edit, delete, add in a big folder", "big")

    os.unlink(Path(root, "x.dvc"))
    write(root, "x.dvc/inner.dvc", dvcfile("6" * 32, "inner"))
    commit("t3: a .dvc file becomes a folder", "x.dvc")

    os.unlink(Path(root, "sw/a.dvc"))
    os.rmdir(Path(root, "sw"))
    write(root, "sw", "now a file")
    commit("t4: a folder becomes a file", "sw")

    write(root, "proj/.dvc/config", "")
    commit("t5: proj becomes a nested project", "proj")

    git.remove("proj/.dvc")
    commit("t6: and stops being one", "proj")

    os.chmod(Path(root, "big/f001.dvc"), 0o755)
    os.symlink("big/f002.dvc", Path(root, "link.dvc"))
    write(root, ".dvc/config", "[core]\n")
    commit(
        "t7: executable bit, a symlink, the project's own .dvc folder", "big", "link.dvc", ".dvc"
    )

    git.remove("big")
    commit("t8: the big folder goes")
    return shas


def test_diff_derived_trees_match_listed_trees(git: Git) -> None:
    shas = tricky_history(git)

    def listed(sha: str) -> list[tuple[str, str]]:
        fresh = DvcfileReader(git)
        fresh.diff_from_entries = 10**9
        return fresh.files(sha)

    truth = {sha: listed(sha) for sha in shas}
    paths = {sha: {p for p, _ in files} for sha, files in truth.items()}
    assert "x.dvc" in paths[shas[0]] and "x.dvc/inner.dvc" in paths[shas[2]]
    assert "sw/a.dvc" in paths[shas[2]] and not any(p.startswith("sw") for p in paths[shas[3]])
    assert "proj/p.dvc" not in paths[shas[4]] and "proj/p.dvc" in paths[shas[5]]
    assert "big/f001.dvc" in paths[shas[6]] and "link.dvc" not in paths[shas[6]]
    assert "big/f011.dvc" in paths[shas[0]] and "big/f011.dvc" not in paths[shas[1]]
    assert len(paths[shas[0]]) == 233 and paths[shas[7]] == {"proj/p.dvc", "x.dvc/inner.dvc"}

    orders: list[Callable[[list[str]], list[str]]] = [
        lambda s: s,
        lambda s: s[::-1],
        lambda s: random.Random(7).sample(s, len(s)),
    ]
    for order in orders:
        reader = DvcfileReader(git)
        reader.diff_from_entries = 1
        for sha in order(shas):
            assert reader.files(sha) == truth[sha], sha

    reader = DvcfileReader(git)
    reader.diff_from_entries = 1
    revisions = [Revision(sha, (sha,)) for sha in random.Random(3).sample(shas, len(shas))]
    expected = {oid for files in truth.values() for _, oid in files}
    blobs = reader.collect(revisions)
    assert set(blobs) == expected
    for oid, blob in blobs.items():
        holders = {(sha, path) for sha in shas for path, o in truth[sha] if o == oid}
        assert {path for _, path in blob.places} == {path for _, path in holders}
        assert all((r.sha, path) in holders for r, path in blob.places)
