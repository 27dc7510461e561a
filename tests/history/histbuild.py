"""A real project history (dvcremote + git through ``dvcremote.scm.Git``) for the history tests.

main:     c1 ── c2 ── c3            c1 tagged v1 (annotated); c2 is neither a tip nor tagged
            └── c4  (feature)
workspace: main (c3) with ``foo`` changed and re-added, not committed

c1  foo=foo1, data/={a: a1, b: b}, old=old
c2  foo=foo2, data/={a: a2, b: b}, old.dvc deleted
c3  foo=foo3, data/={a: a2, b: b, c: c3}
c4  (from c1) foo.dvc renamed to foo-renamed.dvc (same blob), models/model.bin tracked
    by models/model.bin.dvc (an output below the project root)
ws  foo=foows, data as in c3
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcremote.repo import Repo
from dvcremote.scm import Git

FLAGS = ("workspace", "rev", "all_branches", "all_tags", "all_commits")


def md5(text: str | bytes) -> str:
    return hashlib.md5(text.encode() if isinstance(text, str) else text).hexdigest()


def write(root: Path, rel: str, text: str) -> None:
    """(Re)write a workspace file; a checked-out copy may be read-only, so replace it."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    path.write_text(text)


@dataclass
class History:
    root: Path
    shas: dict[str, str] = field(default_factory=dict)
    #: commit name (and "ws") -> every object id it uses
    objs: dict[str, set[str]] = field(default_factory=dict)

    def expected(self, flag: str) -> set[str]:
        """The objects a command with ``flag`` works on (the workspace always included)."""
        chosen = {
            "workspace": [],
            "rev": ["c1"],  # --rev v1
            "all_tags": ["c1"],  # the only tag is v1
            "all_branches": ["c3", "c4"],
            "all_commits": ["c1", "c2", "c3", "c4"],
        }[flag]
        return set().union(self.objs["ws"], *(self.objs[c] for c in chosen))

    @property
    def everything(self) -> set[str]:
        return set().union(*self.objs.values())


def kwargs(flag: str) -> dict[str, Any]:
    """The API keyword arguments for a flag name."""
    if flag == "workspace":
        return {}
    if flag == "rev":
        return {"revs": ["v1"]}
    return {flag: True}


def cli_args(flag: str) -> list[str]:
    return {
        "workspace": [],
        "rev": ["--rev", "v1"],
        "all_branches": ["-a"],
        "all_tags": ["--all-tags"],
        "all_commits": ["-A"],
    }[flag]


def _add(repo: Repo, *paths: str) -> dict[str, str]:
    """Track ``paths``; returns path -> object id."""
    return {o.path: o.oid for o in repo.add(list(paths)).outputs}


def _dir_objs(dir_oid: str, files: dict[str, str]) -> set[str]:
    return {dir_oid, *(md5(text) for text in files.values())}


def build(root: Path) -> History:
    Git.init(root).close()
    repo = Repo.init(root)
    git = repo.git
    assert git is not None
    git.commit("init")
    hist = History(root)

    write(root, "foo", "foo1")
    data1 = {"a": "a1", "b": "b"}
    for name, text in data1.items():
        write(root, f"data/{name}", text)
    write(root, "old", "old")
    oids = _add(repo, "foo", "data", "old")
    git.add(["foo.dvc", "data.dvc", "old.dvc", ".gitignore"])
    hist.shas["c1"] = git.commit("c1")
    git.tag("v1", message="release 1")
    hist.objs["c1"] = {md5("foo1"), md5("old"), *_dir_objs(oids["data"], data1)}

    write(root, "foo", "foo2")
    write(root, "data/a", "a2")
    oids = _add(repo, "foo", "data")
    git.remove(["old.dvc"])
    git.add(["foo.dvc", "data.dvc"])
    hist.shas["c2"] = git.commit("c2: old.dvc deleted")
    hist.objs["c2"] = {md5("foo2"), *_dir_objs(oids["data"], {"a": "a2", "b": "b"})}

    write(root, "foo", "foo3")
    write(root, "data/c", "c3")
    oids = _add(repo, "foo", "data")
    git.add(["foo.dvc", "data.dvc"])
    hist.shas["c3"] = git.commit("c3")
    data3 = {"a": "a2", "b": "b", "c": "c3"}
    hist.objs["c3"] = {md5("foo3"), *_dir_objs(oids["data"], data3)}

    git.branch("feature", hist.shas["c1"])
    git.checkout("feature")
    os.rename(root / "foo.dvc", root / "foo-renamed.dvc")
    write(root, "models/model.bin", "model")
    _add(repo, "models/model.bin")
    git.add(["foo.dvc", "foo-renamed.dvc", "models"])
    hist.shas["c4"] = git.commit("c4: foo.dvc renamed, a model")
    hist.objs["c4"] = hist.objs["c1"] | {md5("model")}

    git.checkout("main")
    write(root, "foo", "foows")
    _add(repo, "foo")
    hist.objs["ws"] = {md5("foows"), *_dir_objs(oids["data"], data3)}
    repo.close()
    return hist


def copy(template: History, dest: Path) -> History:
    """A private copy of a built history (git, cache and workspace)."""
    shutil.copytree(template.root, dest, symlinks=True)
    return History(dest, dict(template.shas), {k: set(v) for k, v in template.objs.items()})


def objects_under(root: Path) -> set[str]:
    """Object ids stored under a cache or remote root (``files/md5/xx/...``)."""
    base = root / "files" / "md5"
    if not base.exists():
        return set()
    return {
        f"{prefix.name}{entry.name}"
        for prefix in base.iterdir()
        if prefix.is_dir() and len(prefix.name) == 2
        for entry in prefix.iterdir()
        if entry.is_file()
    }


def cache_dir(hist: History) -> Path:
    return hist.root / ".dvc" / "cache"


def clear_cache(hist: History) -> None:
    shutil.rmtree(cache_dir(hist), ignore_errors=True)


def shallow_clone(source: Path, dest: Path) -> None:
    """What ``git clone --depth=1`` of main leaves: the tip's objects and ``.git/shallow``,
    plus the source's ``.dvc`` cache (so a gc would have something to delete)."""
    import pygit2

    src = pygit2.Repository(str(source))
    tip = src.revparse_single("main").peel(pygit2.Commit)
    clone = pygit2.init_repository(str(dest), initial_head="main")

    def copy_object(oid: pygit2.Oid) -> None:
        kind, data = src.odb.read(oid)[:2]
        clone.odb.write(kind, data)
        obj = src[oid]
        if isinstance(obj, pygit2.Tree):
            for entry in obj:
                copy_object(entry.id)

    copy_object(tip.id)
    copy_object(tip.tree_id)
    clone.references.create("refs/heads/main", tip.id, force=True)
    assert clone.path is not None
    Path(clone.path, "shallow").write_text(f"{tip.id}\n")
    clone.checkout("refs/heads/main", strategy=pygit2.enums.CheckoutStrategy.FORCE)
    clone.free()
    src.free()
    shutil.copytree(source / ".dvc" / "cache", dest / ".dvc" / "cache")
