"""``update`` of imports and "update available" against the real dvc (reference:
dvc-pipelines.md section 7).

The real dvc imports from a source project (built as in test_imports_interop), the
source moves on (a second commit, pushed), and on copies of the consumer both tools
run ``update``: the ``.dvc`` files must be byte-identical and the workspaces equal.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from interop_helpers import dvcfiles, workspace_data, write_tree
from interop_helpers import import_source as _source

from dvcremote.scm import Git
from dvcremote_testing.dvc import DvcRunner, run_dvcremote
from dvcremote_testing.gitconfig import hidden_git_config

V2 = {"data": {"a.txt": b"alpha 2\n", "new.txt": b"new\n"}, "file.txt": b"file 2\n"}
IMPORTS = ("data.dvc", "renamed.txt.dvc")


def _next_version(src: Path, real_dvc: DvcRunner) -> str:
    """Commit :data:`V2` in the source (added and pushed by dvc, cache dropped after);
    the first commit gets the tag ``v1``. Returns the new commit."""
    write_tree(src, V2)
    real_dvc("add", "data", "file.txt", cwd=src)
    real_dvc("push", cwd=src)
    with hidden_git_config(src / "no-git-config"), Git.init(src) as git:
        git.repo.references.create("refs/tags/v1", git.resolve("HEAD"))
        git.add(["data.dvc", "file.txt.dvc"])
        sha = git.commit("source data, v2")
    shutil.rmtree(src / ".dvc" / "cache")
    return sha


def _consumer(tmp_path: Path, src: Path, real_dvc: DvcRunner) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("import", str(src), "data", cwd=ws)
    real_dvc("import", str(src), "file.txt", "-o", "renamed.txt", cwd=ws)
    return ws


@pytest.fixture
def moved(tmp_path: Path, real_dvc: DvcRunner) -> tuple[Path, Path, str]:
    """(source, consumer, new commit): the consumer imported the source's first
    commit, then the source moved on."""
    src, _ = _source(tmp_path, real_dvc)
    ws = _consumer(tmp_path, src, real_dvc)
    return src, ws, _next_version(src, real_dvc)


def _copies(ws: Path) -> dict[str, Path]:
    copies = {}
    for name in ("dvc", "ours"):
        copies[name] = ws.parent / f"copy-{name}"
        shutil.copytree(ws, copies[name], symlinks=True)
        shutil.rmtree(copies[name] / ".dvc" / "tmp", ignore_errors=True)
    return copies


def test_update_of_repo_imports_writes_dvcs_bytes(
    real_dvc: DvcRunner, moved: tuple[Path, Path, str]
) -> None:
    """Both tools take the source's new commit: the same ``.dvc`` bytes (``rev_lock``,
    output hashes, stage md5) and the new data in the workspace."""
    _, ws, sha = moved
    copies = _copies(ws)
    real_dvc("update", *IMPORTS, cwd=copies["dvc"])
    run_dvcremote("update", *IMPORTS, cwd=copies["ours"])
    ours = dvcfiles(copies["ours"])
    assert ours == dvcfiles(copies["dvc"])
    assert sha in ours["data.dvc"].decode()
    assert workspace_data(copies["ours"]) == workspace_data(copies["dvc"])
    assert workspace_data(copies["ours"])["data/new.txt"] == b"new\n"
    clean = run_dvcremote("status", cwd=copies["ours"])  # no local change, no update
    assert clean.stdout == real_dvc("status", cwd=copies["dvc"]).stdout
    assert (
        real_dvc("status", cwd=copies["ours"]).stdout
        == real_dvc("status", cwd=copies["dvc"]).stdout
    )


def test_update_with_rev_pins_the_revision_as_dvc(
    real_dvc: DvcRunner, moved: tuple[Path, Path, str]
) -> None:
    """``--rev v1`` records ``rev`` and the tag's commit, as dvc writes it."""
    _, ws, _ = moved
    copies = _copies(ws)
    for name, tool in (("dvc", real_dvc), ("ours", run_dvcremote)):
        tool("update", "--rev", "main", "data.dvc", cwd=copies[name])
        tool("update", "--rev", "v1", "renamed.txt.dvc", cwd=copies[name])
    assert dvcfiles(copies["ours"]) == dvcfiles(copies["dvc"])
    assert workspace_data(copies["ours"]) == workspace_data(copies["dvc"])
    assert workspace_data(copies["ours"])["renamed.txt"] == b"file\n"


def test_update_without_a_change_writes_nothing(tmp_path: Path, real_dvc: DvcRunner) -> None:
    src, _ = _source(tmp_path, real_dvc)
    ws = _consumer(tmp_path, src, real_dvc)
    before = dvcfiles(ws)
    run = run_dvcremote("update", *IMPORTS, cwd=ws)
    assert dvcfiles(ws) == before
    assert "Nothing to update" in run.stdout + run.stderr


def test_an_unreachable_source_is_an_error_naming_the_file(
    real_dvc: DvcRunner, moved: tuple[Path, Path, str]
) -> None:
    src, ws, _ = moved
    before, data = dvcfiles(ws), workspace_data(ws)
    shutil.move(src, src.parent / "gone")
    run = run_dvcremote("update", "data.dvc", cwd=ws, check=False)
    assert run.returncode != 0
    assert "data.dvc" in run.stderr
    assert dvcfiles(ws) == before
    assert workspace_data(ws) == data


def test_status_says_update_available_as_dvc(
    real_dvc: DvcRunner, moved: tuple[Path, Path, str]
) -> None:
    """Plain ``status`` of a repo import whose local source moved: dvc's lines."""
    _, ws, _ = moved
    copies = _copies(ws)
    theirs = real_dvc("status", cwd=copies["dvc"])
    ours = run_dvcremote("status", cwd=copies["ours"], check=False)
    assert "update available" in theirs.stdout
    assert _blocks(ours.stdout) == _blocks(theirs.stdout)
    one = run_dvcremote("status", "data.dvc", cwd=copies["ours"], check=False)
    assert one.stdout == real_dvc("status", "data.dvc", cwd=copies["dvc"]).stdout
    as_json = run_dvcremote("status", "--json", cwd=copies["ours"], check=False).stdout
    assert json.loads(as_json) == json.loads(real_dvc("status", "--json", cwd=copies["dvc"]).stdout)


def _blocks(text: str) -> set[str]:
    """dvc lists stages in its index's order: compare each stage's block."""
    blocks: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("\t") and blocks:
            blocks[-1] += line
        else:
            blocks.append(line)
    return set(blocks)


EXTERNAL = {"file.txt": b"external\n", "dir": {"a": b"a\n", "sub": {"b": b"b\n"}}}


def test_update_of_import_url_rehashes_the_source_as_dvc(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """A changed local source is copied in again: the same ``.dvc`` bytes as dvc's;
    an unchanged one leaves the file alone."""
    ext, ws = tmp_path / "ext", tmp_path / "ws"
    write_tree(ext, EXTERNAL)
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    for name in EXTERNAL:  # a file and a directory, by absolute path
        real_dvc("import-url", str(ext / name), cwd=ws)
    before = dvcfiles(ws)
    run_dvcremote("update", "file.txt.dvc", "dir.dvc", cwd=ws)
    assert dvcfiles(ws) == before
    write_tree(ext, {"file.txt": b"external 2\n", "dir": {"c": b"c\n"}})
    copies = _copies(ws)
    real_dvc("update", "file.txt.dvc", "dir.dvc", cwd=copies["dvc"])
    run_dvcremote("update", "file.txt.dvc", "dir.dvc", cwd=copies["ours"])
    assert dvcfiles(copies["ours"]) == dvcfiles(copies["dvc"])
    assert dvcfiles(copies["ours"]) != before
    assert workspace_data(copies["ours"]) == workspace_data(copies["dvc"])
    assert workspace_data(copies["ours"])["dir/c"] == b"c\n"


def test_import_url_source_gone_and_rev_of_a_plain_output_are_refused(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """Typed errors naming the file; nothing written, the workspace left as it was."""
    ext, ws = tmp_path / "ext", tmp_path / "ws"
    write_tree(ext, EXTERNAL)
    write_tree(ws, {"own": b"own\n"})
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("import-url", str(ext / "file.txt"), cwd=ws)
    real_dvc("add", "own", cwd=ws)
    before, data = dvcfiles(ws), workspace_data(ws)
    refused = run_dvcremote("update", "--rev", "v1", "own.dvc", cwd=ws, check=False)
    assert refused.returncode != 0
    assert "--rev" in refused.stderr
    (ext / "file.txt").unlink()
    gone = run_dvcremote("update", "file.txt.dvc", cwd=ws, check=False)
    assert gone.returncode != 0
    assert "file.txt.dvc" in gone.stderr
    assert (dvcfiles(ws), workspace_data(ws)) == (before, data)


def test_without_targets_a_non_worktree_remote_is_refused_before_any_import_moves(
    tmp_path: Path, real_dvc: DvcRunner, moved: tuple[Path, Path, str]
) -> None:
    """dvc updates the imports, then fails on the plain output; dvcremote refuses first."""
    _, ws, _ = moved
    write_tree(ws, {"own": b"own\n"})
    run_dvcremote("add", "own", cwd=ws)
    run_dvcremote("remote", "add", "-d", "store", str(tmp_path / "store"), cwd=ws)
    before, data = dvcfiles(ws), workspace_data(ws)
    refused = run_dvcremote("update", cwd=ws, check=False)
    assert refused.returncode != 0
    assert "worktree" in refused.stderr
    assert (dvcfiles(ws), workspace_data(ws)) == (before, data)
    run_dvcremote("update", *IMPORTS, cwd=ws)
    assert workspace_data(ws)["renamed.txt"] == b"file 2\n"


def test_an_import_url_source_inside_the_workspace_is_refused(
    tmp_path: Path, real_dvc: DvcRunner
) -> None:
    """A ``.dvc`` file whose dependency points into the workspace (hand-edited) is not
    copied into itself."""
    ext, ws = tmp_path / "ext", tmp_path / "ws"
    write_tree(ext, EXTERNAL)
    ws.mkdir()
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("import-url", str(ext / "dir"), cwd=ws)
    dvcfile = ws / "dir.dvc"
    dvcfile.write_text(re.sub(r"path:\s+/\S+/ext/dir\n", "path: .\n", dvcfile.read_text()))
    before, data = dvcfiles(ws), workspace_data(ws)
    run = run_dvcremote("update", "dir.dvc", cwd=ws, check=False)
    assert run.returncode != 0
    assert "inside the workspace" in run.stderr
    assert (dvcfiles(ws), workspace_data(ws)) == (before, data)
