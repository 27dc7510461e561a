"""``.dvcignore``: what the walk leaves out, and that hashes and checkouts follow it.

The expected hashes are dvc 3.67's for the same trees (see the interop tests for the
same checks against the real dvc).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import write_tree

from dvcremote.dvcignore import DvcIgnore
from dvcremote.errors import DvcIgnoreError, IgnoredOutput
from dvcremote.index import find_dvcfiles
from dvcremote.repo import Repo
from dvcremote_testing.dvc import run_dvcremote

DATA = {"data": {"a.txt": "a", "b.log": "b", "sub": {"c.txt": "c", "d.log": "d"}}}


def _out(repo: Repo, target: str) -> tuple[str | None, int | None, int | None]:
    out = repo.outputs([target])[0]
    return out.oid, out.size, out.nfiles


def test_directory_hash_leaves_ignored_files_out(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, DATA)
    dvcrepo.add(["data"])
    assert _out(dvcrepo, "data.dvc") == ("7aa36ee51595ed7269a62847b3942486.dir", 4, 4)
    (workspace / ".dvcignore").write_text("*.log\n")
    dvcrepo.add(["data"])
    assert _out(dvcrepo, "data.dvc") == ("81c6b0257f3e10ac814a5df1201b78eb.dir", 2, 2)


def test_a_rule_makes_the_tracked_directory_modified(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, DATA)
    dvcrepo.add(["data"])
    assert "modified" not in run_dvcremote("status", cwd=workspace).stdout
    (workspace / ".dvcignore").write_text("*.log\n")
    changed = run_dvcremote("status", cwd=workspace, check=False)
    assert changed.returncode == 1 and "modified:           data" in changed.stdout


def test_nested_files_lines_stripped_negation_and_anchors(workspace: Path) -> None:
    write_tree(
        workspace,
        {
            ".dvcignore": "  *.log  \n# a comment\n\n/top.txt\nbuild/\n",
            "nest": {".dvcignore": "!keep.log\n", "keep.log": "", "drop.log": ""},
            "top.txt": "",
            "deep": {"top.txt": "", "build": {"x": ""}, "build.txt": ""},
        },
    )
    ignore = DvcIgnore(str(workspace))
    assert ignore.is_ignored("a.log", False)
    assert ignore.is_ignored("nest/drop.log", False)
    assert not ignore.is_ignored("nest/keep.log", False)  # the child re-includes
    assert ignore.is_ignored("top.txt", False)
    assert not ignore.is_ignored("deep/top.txt", False)  # anchored to the root
    assert ignore.is_ignored("deep/build", True)
    assert ignore.is_ignored("deep/build/x", False)  # inside an ignored folder
    assert not ignore.is_ignored("deep/build.txt", False)
    assert ignore.is_ignored(".git/config", False) and ignore.is_ignored(".dvc", True)


def test_a_dvcignore_inside_a_tracked_directory_is_an_error(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"data": {"a.txt": "a", "sub": {".dvcignore": "*.txt\n"}}})
    with pytest.raises(DvcIgnoreError, match="should not be in collected dir path: 'data'"):
        dvcrepo.add(["data"])
    assert not (workspace / "data.dvc").exists()


def test_checkout_force_leaves_ignored_files_alone(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {**DATA, ".dvcignore": "*.log\n"})
    dvcrepo.add(["data"])
    (workspace / "data" / "a.txt").write_text("changed")
    (workspace / "data" / "extra.txt").write_text("not tracked")
    result = dvcrepo.checkout(force=True)
    assert result.ok
    assert (workspace / "data" / "a.txt").read_text() == "a"
    assert not (workspace / "data" / "extra.txt").exists()  # not ignored: forced away
    assert (workspace / "data" / "b.log").read_text() == "b"  # ignored: left alone
    assert (workspace / "data" / "sub" / "d.log").read_text() == "d"


def test_dvc_files_in_ignored_folders_are_not_collected(workspace: Path) -> None:
    write_tree(
        workspace,
        {
            ".dvcignore": "scratch/\n*.tmp.dvc\n",
            "scratch": {"x.dvc": "outs: []\n"},
            "kept.dvc": "outs: []\n",
            "old.tmp.dvc": "outs: []\n",
        },
    )
    assert find_dvcfiles(str(workspace)) == ["kept.dvc"]


def test_init_writes_dvcs_dvcignore(tmp_path: Path) -> None:
    Repo.init(tmp_path, no_scm=True).close()
    assert (
        (tmp_path / ".dvcignore")
        .read_text()
        .startswith("# Add patterns of files dvc should ignore")
    )


def test_check_ignore(workspace: Path) -> None:
    write_tree(workspace, {".dvcignore": "*.log\n!keep.log\n", "data": {}})
    Repo.init(workspace, no_scm=True).close()
    plain = run_dvcremote("check-ignore", "a.log", "keep.log", "a.txt", cwd=workspace)
    assert plain.stdout.splitlines() == ["a.log"]
    detailed = run_dvcremote(
        "check-ignore", "-d", "-n", "a.log", "keep.log", "a.txt", cwd=workspace
    )
    assert detailed.stdout.splitlines() == [
        ".dvcignore:1:*.log\ta.log",
        ".dvcignore:2:!keep.log\tkeep.log",
        "::\ta.txt",
    ]
    # dvc 3.67 names one deciding rule per path, -a or not
    every = run_dvcremote("check-ignore", "-d", "-a", "keep.log", cwd=workspace)
    assert every.stdout.splitlines() == [".dvcignore:2:!keep.log\tkeep.log"]
    assert run_dvcremote("check-ignore", "a.txt", cwd=workspace, check=False).returncode == 1
    assert run_dvcremote("check-ignore", "-a", "a.txt", cwd=workspace, check=False).returncode == 2


def test_an_ignored_output_is_a_typed_error_naming_the_file(
    dvcrepo: Repo, workspace: Path
) -> None:
    write_tree(workspace, {"keep.log": "k", "drop.log": "d"})
    dvcrepo.add(["keep.log", "drop.log"])
    (workspace / ".dvcignore").write_text("*.log\n!keep.log\n")  # keep.log re-included
    with pytest.raises(IgnoredOutput) as caught:
        dvcrepo.status()
    assert caught.value.path == "drop.log.dvc"
    assert caught.value.rule == ".dvcignore:1:*.log"
    assert caught.value.target == str(workspace / "drop.log")
    assert dvcrepo.status(["keep.log"]).clean
