"""Builders of real git repositories (via ``dvcremote.scm.Git`` and pygit2) for the scm tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pygit2

from dvcremote.scm import Git


def write(root: str | os.PathLike[str], rel: str, content: str | bytes) -> Path:
    path = Path(root, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def dvcfile(md5: str, out: str) -> str:
    return f"outs:\n- md5: {md5}\n  size: 3\n  hash: md5\n  path: {out}\n"


@dataclass
class History:
    """What :func:`build_history` made: the repo and each commit's sha by name."""

    git: Git
    shas: dict[str, str]
    dangling: str
    hidden: str


def build_history(root: Path) -> History:
    """A small history covering what history-wide commands meet.

    main:    c1 -- c2 -- c5               tags: v1.0 (annotated) at c1, light at c2
                    \\
    feature:         c3 -- c4             c3 renames models/model.dvc, c4 deletes a .dvc file
    detached HEAD:   c2 -- c6             (reachable from HEAD only)
    refs/remotes/origin/old: c7           (a root commit only a remote-tracking ref holds)
    plus a dangling commit and one under refs/custom/ (neither is history).
    """
    git = Git.init(root)
    shas: dict[str, str] = {}
    write(root, ".dvc/config", "[core]\n    remote = upstream\n")
    write(root, ".dvc/.gitignore", "/cache\n/tmp\n")
    write(root, "README.md", "hello\n")
    write(root, "data.dvc", dvcfile("a" * 32, "data"))
    write(root, "sub/dir/images.dvc", dvcfile("b" * 32 + ".dir", "images"))
    git.add([".dvc", "README.md", "data.dvc", "sub"])
    shas["c1"] = git.commit("c1: first data")
    git.tag("v1.0", message="release 1.0")

    write(root, "data.dvc", dvcfile("c" * 32, "data"))
    write(root, "models/model.dvc", dvcfile("d" * 32, "model.pkl"))
    git.add(["data.dvc", "models"])
    shas["c2"] = git.commit("c2: data v2 and a model")
    git.tag("light")

    git.branch("feature")
    git.checkout("feature")
    write(root, "feature.dvc", dvcfile("e" * 32, "feature"))
    os.rename(root / "models/model.dvc", root / "models/renamed.dvc")
    git.add(["feature.dvc", "models"])
    shas["c3"] = git.commit("c3: feature data, model renamed")
    os.unlink(root / "sub/dir/images.dvc")
    git.add(["sub/dir/images.dvc"])
    shas["c4"] = git.commit("c4: images dropped")

    git.checkout("main")
    write(root, "data.dvc", dvcfile("f" * 32, "data"))
    git.add(["data.dvc"])
    shas["c5"] = git.commit("c5: data v3")

    git.checkout(shas["c2"])
    write(root, "detached.dvc", dvcfile("1" * 32, "detached"))
    git.add(["detached.dvc"])
    shas["c6"] = git.commit("c6: on a detached HEAD")

    repo = git.repo
    sig = pygit2.Signature("t", "t@localhost")

    def orphan(name: str, md5: str, ref: str | None) -> str:
        builder = repo.TreeBuilder()
        builder.insert(name, repo.create_blob(dvcfile(md5, name[:-4]).encode()), 0o100644)
        return str(repo.create_commit(ref, sig, sig, name, builder.write(), []))

    shas["c7"] = orphan("remote.dvc", "7" * 32, "refs/remotes/origin/old")
    dangling = orphan("dangling.dvc", "8" * 32, None)
    hidden = orphan("hidden.dvc", "9" * 32, "refs/custom/hidden")
    return History(git, shas, dangling, hidden)


def make_shallow_clone(source: Git, dest: Path, rev: str = "HEAD") -> Git:
    """What ``git clone --depth=1`` leaves: the tip commit's objects only, and ``.git/shallow``.

    libgit2's local transport cannot fetch shallow, so the objects are copied by hand;
    the tip keeps its sha (its parent line still names the commit that is not there).
    """
    src = source.repo
    tip = src.revparse_single(rev).peel(pygit2.Commit)
    clone = Git.init(dest)

    def copy(oid: pygit2.Oid) -> None:
        kind, data = src.odb.read(oid)[:2]
        clone.repo.odb.write(kind, data)
        obj = src[oid]
        if isinstance(obj, pygit2.Tree):
            for entry in obj:
                copy(entry.id)

    copy(tip.id)
    copy(tip.tree_id)
    clone.repo.references.create("refs/heads/main", tip.id, force=True)
    assert clone.repo.path is not None
    Path(clone.repo.path, "shallow").write_text(f"{tip.id}\n")
    clone.close()
    reopened = Git.open(dest)
    reopened.checkout("main", force=True)
    return reopened
