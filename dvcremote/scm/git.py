"""Plain git operations through pygit2, shared by the product and the test fixtures.

Paths given to these methods are relative to the work tree root (not to the
current directory), or absolute paths inside the work tree: dvcremote always
knows its workspace, and resolving against the cwd would make the same call
mean different things in different processes.
"""

from __future__ import annotations

import bisect
import os
import posixpath
from collections.abc import Iterable, Iterator
from types import TracebackType

import pygit2
from pygit2.enums import CheckoutNotify, CheckoutStrategy, FileMode, FileStatus, ObjectType

from dvcremote.errors import (
    CheckoutConflict,
    NotAGitRepository,
    RevisionNotFound,
    ScmError,
    ScmPathError,
    ShallowHistory,
)

DEFAULT_NAME = "dvcremote"
DEFAULT_EMAIL = "dvcremote@localhost"

_BLOB_MODES = (FileMode.BLOB, FileMode.BLOB_EXECUTABLE, FileMode.LINK)
#: Characters a ``.gitignore`` entry escapes with a backslash (gitignore's pattern
#: syntax; the set pathspec's ``GitWildMatchPattern.escape`` uses, so DVC's bytes).
_GITIGNORE_SPECIAL = frozenset("\\[]!*#?")
# Statuses that mean "the work tree or index differs from HEAD" (untracked handled apart).
_DIRTY = ~(FileStatus.CURRENT | FileStatus.WT_NEW | FileStatus.IGNORED)


def _as_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


class _ConflictCollector(pygit2.CheckoutCallbacks):
    """Records the paths a refused checkout would have overwritten, for the error message."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def checkout_notify_flags(self) -> CheckoutNotify:
        return CheckoutNotify.CONFLICT

    def checkout_notify(
        self,
        why: CheckoutNotify,
        path: str,
        baseline: pygit2.DiffFile | None,
        target: pygit2.DiffFile | None,
        workdir: pygit2.DiffFile | None,
    ) -> None:
        self.paths.append(path)


class Git:
    """One git repository with a work tree, opened through pygit2."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike[str], initial_head: str = "main") -> Git:
        """Create (or reopen) a repository whose first branch is ``initial_head``."""
        os.makedirs(path, exist_ok=True)
        return cls(pygit2.init_repository(os.fspath(path), initial_head=initial_head))

    @classmethod
    def discover(cls, path: str | os.PathLike[str] = ".") -> Git | None:
        """The repository containing ``path`` (searched upwards), or None outside a work tree.

        A bare repository has no work tree for a workspace to live in, so it counts
        as outside.
        """
        start = os.path.abspath(os.fspath(path))
        while not os.path.exists(start) and os.path.dirname(start) != start:
            start = os.path.dirname(start)
        found = pygit2.discover_repository(start)
        if found is None:
            return None
        repo = pygit2.Repository(found)
        if repo.is_bare:
            return None
        return cls(repo)

    @classmethod
    def clone(cls, url: str, path: str | os.PathLike[str]) -> Git:
        """Clone ``url`` (a path, ``file://`` or a remote git URL) into ``path``, with
        every branch and tag, for reading commits (a repo import's source)."""
        try:
            return cls(pygit2.clone_repository(url, os.fspath(path)))
        except (pygit2.GitError, KeyError, ValueError) as exc:
            raise ScmError(f"cannot clone the git repository: {exc}") from exc

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ".") -> Git:
        """Like :meth:`discover`, but outside git is an error."""
        git = cls.discover(path)
        if git is None:
            raise NotAGitRepository(f"{os.fspath(path)!r} is not inside a git work tree")
        return git

    def close(self) -> None:
        """Release pygit2's file handles (pack files) now rather than at garbage collection."""
        self.repo.free()

    def __enter__(self) -> Git:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Git({self.root!r})"

    # -- paths -----------------------------------------------------------------------------

    @property
    def root(self) -> str:
        """Absolute path of the work tree, without a trailing separator."""
        workdir = self.repo.workdir
        if workdir is None:
            raise ScmError(f"the repository at {self.repo.path!r} has no work tree")
        return os.path.normpath(workdir)

    def relpath(self, path: str | os.PathLike[str]) -> str:
        """The work-tree-relative posix path of ``path`` ("" for the root itself).

        Only the parent directory is resolved through symlinks, so a symlinked
        file inside the work tree (a DVC link into the cache) stays inside it.
        """
        raw = os.fspath(path)
        full = os.path.normpath(raw if os.path.isabs(raw) else os.path.join(self.root, raw))
        root = os.path.realpath(self.root)
        if full != self.root:
            full = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
        else:
            full = root
        rel = os.path.relpath(full, root)
        if rel == os.curdir:
            return ""
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            raise ScmPathError(raw, f"is outside the git work tree {self.root!r}")
        rel = rel.replace(os.sep, "/")
        if rel == ".git" or rel.startswith(".git/"):
            raise ScmPathError(raw, "is inside the .git directory")
        return rel

    def _abspath(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/")) if rel else self.root

    # -- index -----------------------------------------------------------------------------

    def _index_entries_under(self, index: pygit2.Index, rel: str) -> list[str]:
        if rel and rel in index:
            return [rel]
        prefix = f"{rel}/" if rel else ""
        return [entry.path for entry in index if entry.path.startswith(prefix)]

    def _walk_files(self, rel: str) -> Iterator[str]:
        """Files under a work tree directory, skipping ``.git`` and nested repositories."""
        top = self._abspath(rel)
        for dirpath, dirnames, filenames in os.walk(top):
            kept = []
            for name in dirnames:
                full = os.path.join(dirpath, name)
                if name == ".git" or os.path.exists(os.path.join(full, ".git")):
                    continue
                if os.path.islink(full):
                    filenames.append(name)
                    continue
                kept.append(name)
            dirnames[:] = sorted(kept)
            base = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            for name in sorted(filenames):
                yield name if base == os.curdir else f"{base}/{name}"

    def add(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        force: bool = False,
    ) -> None:
        """Stage files, folders (recursively) and deletions, like ``git add``.

        Ignored paths are staged only with ``force`` (or when already tracked); an
        ignored file named explicitly without ``force`` is an error, while ignored
        files found inside a named folder are skipped, as git does.
        """
        index = self.repo.index
        staged: list[str] = []
        removed: list[str] = []
        for raw in _as_paths(paths):
            rel = self.relpath(raw)
            full = self._abspath(rel)
            tracked = self._index_entries_under(index, rel)
            if os.path.isdir(full) and not os.path.islink(full):
                if rel and not force and not tracked and self.repo.path_is_ignored(rel + "/"):
                    raise ScmPathError(raw, "is ignored by .gitignore; use force=True to add it")
                tracked_set = set(tracked)
                for file in self._walk_files(rel):
                    if force or file in tracked_set or not self.repo.path_is_ignored(file):
                        staged.append(file)
                removed.extend(p for p in tracked if not os.path.lexists(self._abspath(p)))
            elif os.path.lexists(full):
                if not force and not tracked and self.repo.path_is_ignored(rel):
                    raise ScmPathError(raw, "is ignored by .gitignore; use force=True to add it")
                staged.append(rel)
            elif tracked:
                removed.extend(tracked)
            else:
                raise ScmPathError(raw, "does not exist and is not tracked")
        for rel in removed:
            index.remove(rel)
        self._drop_file_folder_clashes(index, staged)
        for rel in staged:
            index.add(rel)
        index.write()

    @staticmethod
    def _drop_file_folder_clashes(index: pygit2.Index, staged: list[str]) -> None:
        """Unstage what a staged path replaces: a file that became a folder, or the reverse.

        libgit2 does not always do this itself, and a tree holding both ``x`` and
        ``x/y`` is corrupt.
        """
        paths = sorted(entry.path for entry in index)
        present = set(paths)
        for rel in staged:
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                parent = "/".join(parts[:depth])
                if parent in present:
                    index.remove(parent)
                    present.discard(parent)
            prefix = rel + "/"
            at = bisect.bisect_left(paths, prefix)
            while at < len(paths) and paths[at].startswith(prefix):
                if paths[at] in present:
                    index.remove(paths[at])
                    present.discard(paths[at])
                at += 1

    def remove(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        cached: bool = False,
        force: bool = False,
    ) -> None:
        """Untrack paths, like ``git rm``; with ``cached`` the files stay on disk.

        Without ``force``, a file whose contents differ from what is staged is
        refused before anything changes, so no local edit is lost.
        """
        index = self.repo.index
        targets: list[str] = []
        for raw in _as_paths(paths):
            rel = self.relpath(raw)
            entries = self._index_entries_under(index, rel)
            if not entries:
                raise ScmPathError(raw, "is not tracked by git")
            targets.extend(entries)
        if not cached and not force:
            for rel in targets:
                full = self._abspath(rel)
                modified = (
                    os.path.isfile(full)
                    and not os.path.islink(full)
                    and pygit2.hashfile(full) != index[rel].id
                )
                if modified:
                    raise ScmPathError(rel, "has local modifications; use force=True")
        for rel in targets:
            index.remove(rel)
        index.write()
        if cached:
            return
        for rel in targets:
            full = self._abspath(rel)
            if os.path.lexists(full) and not os.path.isdir(full):
                os.unlink(full)
            parent = os.path.dirname(full)
            while parent != self.root and os.path.isdir(parent) and not os.listdir(parent):
                os.rmdir(parent)
                parent = os.path.dirname(parent)

    def is_tracked(self, path: str | os.PathLike[str]) -> bool:
        """Whether the path (a file, or a folder holding tracked files) is in the index."""
        return bool(self._index_entries_under(self.repo.index, self.relpath(path)))

    # -- commits ---------------------------------------------------------------------------

    def _config(self, key: str, default: str) -> str:
        config = self.repo.config
        value = config[key] if key in config else None  # noqa: SIM401 (Config has no .get)
        return value or default

    def _signature(self) -> pygit2.Signature:
        """Who commits: git's ``user.name``/``user.email`` (any config level), else dvcremote."""
        name = self._config("user.name", DEFAULT_NAME)
        email = self._config("user.email", DEFAULT_EMAIL)
        return pygit2.Signature(name, email)

    def commit(self, message: str) -> str:
        """Commit the index on the current branch (or detached HEAD); returns the sha.

        Works for the first commit of a repository. Like ``git commit
        --allow-empty``, committing an unchanged index still makes a commit.
        """
        index = self.repo.index
        tree = index.write_tree()
        parents = [] if self.repo.head_is_unborn else [self.repo.head.target]
        signature = self._signature()
        oid = self.repo.create_commit("HEAD", signature, signature, message, tree, parents)
        return str(oid)

    # -- revisions -------------------------------------------------------------------------

    @property
    def is_shallow(self) -> bool:
        return bool(self.repo.is_shallow)

    @property
    def shallow_commits(self) -> tuple[str, ...]:
        """Commits whose parents a shallow clone lacks (git's ``shallow`` file)."""
        if not self.repo.is_shallow:
            return ()
        assert self.repo.path is not None
        with open(os.path.join(self.repo.path, "shallow"), encoding="ascii") as fobj:
            return tuple(line.strip() for line in fobj if line.strip())

    def _commit(self, rev: str) -> pygit2.Commit:
        try:
            obj = self.repo.revparse_single(rev)
        except (KeyError, ValueError, pygit2.GitError) as exc:
            self._raise_if_shallow(rev)
            detail = "the repository has no commits yet" if self.repo.head_is_unborn else None
            if detail is None and self.is_shallow:
                detail = "it may be in history this shallow clone does not have"
            raise RevisionNotFound(rev, detail) from exc
        try:
            commit = obj.peel(pygit2.Commit)
        except (ValueError, pygit2.GitError) as exc:
            raise RevisionNotFound(rev, "it does not name a commit") from exc
        assert isinstance(commit, pygit2.Commit)
        return commit

    def _raise_if_shallow(self, rev: str) -> None:
        """Tell apart "no such revision" from "its ancestry was cut off by a shallow clone"."""
        if not self.is_shallow:
            return
        cut = min((i for i in (rev.find("~"), rev.find("^")) if i > 0), default=-1)
        if cut < 0:
            return
        try:
            base = self.repo.revparse_single(rev[:cut]).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return
        boundary = set(self.shallow_commits)
        reached = [str(c.id) for c in self.repo.walk(base.id) if str(c.id) in boundary]
        if reached:
            raise ShallowHistory(f"revision {rev!r}", tuple(reached))

    def resolve(self, rev: str) -> str:
        """The commit sha a branch, tag, sha prefix or expression like ``HEAD~1`` names."""
        return str(self._commit(rev).id)

    @property
    def current_branch(self) -> str | None:
        """The checked-out branch's short name; None when HEAD is detached."""
        if self.repo.head_is_detached:
            return None
        target = self.repo.lookup_reference("HEAD").target
        assert isinstance(target, str)
        return target.removeprefix("refs/heads/")

    @property
    def head(self) -> str | None:
        """The sha HEAD points at; None before the first commit."""
        if self.repo.head_is_unborn:
            return None
        return str(self.repo.head.target)

    def list_branches(self) -> list[str]:
        return sorted(self.repo.branches.local)

    def list_tags(self) -> list[str]:
        prefix = "refs/tags/"
        return sorted(
            r[len(prefix) :] for r in self.repo.listall_references() if r.startswith(prefix)
        )

    def _check_refname(self, refname: str, name: str) -> None:
        if not pygit2.reference_is_valid_name(refname):
            raise ScmError(f"{name!r} is not a valid git reference name")

    def branch(self, name: str, rev: str = "HEAD", *, force: bool = False) -> str:
        """Create a branch at ``rev`` without switching to it; returns its sha."""
        self._check_refname(f"refs/heads/{name}", name)
        commit = self._commit(rev)
        if not force and f"refs/heads/{name}" in self.repo.references:
            raise ScmError(f"branch {name!r} already exists")
        self.repo.create_branch(name, commit, force)
        return str(commit.id)

    def tag(
        self, name: str, rev: str = "HEAD", message: str | None = None, *, force: bool = False
    ) -> str:
        """Tag ``rev``: lightweight without a message, else annotated; returns the commit sha."""
        refname = f"refs/tags/{name}"
        self._check_refname(refname, name)
        commit = self._commit(rev)
        if refname in self.repo.references:
            if not force:
                raise ScmError(f"tag {name!r} already exists")
            self.repo.references.delete(refname)
        if message is None:
            self.repo.references.create(refname, commit.id)
        else:
            self.repo.create_tag(name, commit.id, ObjectType.COMMIT, self._signature(), message)
        return str(commit.id)

    def checkout(self, rev: str, *, force: bool = False) -> None:
        """Switch the work tree, index and HEAD to a branch (attached) or any revision (detached).

        Without ``force`` a checkout that would overwrite local changes is refused
        before any file is touched; local changes that do not collide are kept.
        """
        refname = f"refs/heads/{rev}"
        is_branch = refname in self.repo.references
        commit = self._commit(refname if is_branch else rev)
        keep_head = rev == "HEAD"
        collector = _ConflictCollector()
        strategy = CheckoutStrategy.FORCE if force else CheckoutStrategy.SAFE
        try:
            self.repo.checkout_tree(commit, strategy=strategy, callbacks=collector)
        except pygit2.GitError as exc:
            if collector.paths:
                raise CheckoutConflict(rev, tuple(sorted(collector.paths))) from exc
            raise ScmError(f"cannot check out {rev!r}: {exc}") from exc
        if not keep_head:
            self.repo.set_head(refname if is_branch else commit.id)

    # -- work tree state -------------------------------------------------------------------

    def is_dirty(self, untracked_files: bool = False) -> bool:
        """Whether the index or work tree differs from HEAD (untracked files count if asked)."""
        status = self.repo.status(untracked_files="all" if untracked_files else "no")
        mask = _DIRTY | (FileStatus.WT_NEW if untracked_files else 0)
        return any(flags & mask for flags in status.values())

    def is_ignored(self, path: str | os.PathLike[str]) -> bool:
        rel = self.relpath(path)
        if os.path.isdir(self._abspath(rel)):
            rel += "/"
        return bool(rel) and self.repo.path_is_ignored(rel)

    def _gitignore_entry(self, path: str | os.PathLike[str]) -> tuple[str, str]:
        rel = self.relpath(path)
        if not rel:
            raise ScmPathError(os.fspath(path), "the work tree root cannot be ignored")
        parent, name = posixpath.split(rel)
        # pathspec's escape, as DVC writes it; a trailing space too, which git would strip.
        escaped = "".join("\\" + ch if ch in _GITIGNORE_SPECIAL else ch for ch in name)
        if escaped.endswith(" "):
            escaped = escaped[:-1] + "\\ "
        return "/" + escaped, posixpath.join(parent, ".gitignore")

    def ignore(self, path: str | os.PathLike[str]) -> str | None:
        """Add ``/name`` to the ``.gitignore`` beside ``path`` (as DVC does).

        Returns the work-tree-relative ``.gitignore`` changed, or None when the
        path was already ignored.
        """
        if self.is_ignored(path):
            return None
        entry, gitignore = self._gitignore_entry(path)
        full = self._abspath(gitignore)
        text = ""
        if os.path.exists(full):
            with open(full, encoding="utf-8") as fobj:
                text = fobj.read()
        if text and not text.endswith("\n"):
            text += "\n"
        with open(full, "w", encoding="utf-8") as fobj:
            fobj.write(text + entry + "\n")
        return gitignore

    def ignore_remove(self, path: str | os.PathLike[str]) -> str | None:
        """Drop the entry :meth:`ignore` wrote; deletes the ``.gitignore`` if it ends up empty."""
        entry, gitignore = self._gitignore_entry(path)
        full = self._abspath(gitignore)
        if not os.path.exists(full):
            return None
        with open(full, encoding="utf-8") as fobj:
            lines = fobj.read().splitlines()
        kept = [line for line in lines if line != entry]
        if kept == lines:
            return None
        if any(line.strip() for line in kept):
            with open(full, "w", encoding="utf-8") as fobj:
                fobj.write("\n".join(kept) + "\n")
        else:
            os.unlink(full)
        return gitignore

    # -- reading history -------------------------------------------------------------------

    def files_under(self, rev: str, path: str) -> list[tuple[str, str]]:
        """(path relative to ``path``, blob sha) of every file git tracks at or under
        ``path`` at a revision: ``[("", sha)]`` for a file, [] when nothing is there."""
        tree = self._commit(rev).tree
        rel = posixpath.normpath(path).strip("/")
        try:
            entry = tree[rel] if rel not in ("", ".") else tree
        except KeyError:
            return []
        if isinstance(entry, pygit2.Tree) or entry.type == ObjectType.TREE:
            found: list[tuple[str, str]] = []
            stack: list[tuple[str, pygit2.Tree]] = [("", self.repo[entry.id])]  # type: ignore[list-item]
            while stack:
                prefix, node = stack.pop()
                for child in node:
                    name = f"{prefix}{child.name}"
                    if child.type == ObjectType.TREE:
                        stack.append((name + "/", self.repo[child.id]))  # type: ignore[arg-type]
                    elif child.filemode in _BLOB_MODES:
                        found.append((name, str(child.id)))
            return sorted(found)
        return [("", str(entry.id))] if entry.filemode in _BLOB_MODES else []

    def read_blob(self, sha: str) -> bytes:
        """A blob's bytes by sha."""
        blob = self.repo.get(sha)
        if not isinstance(blob, pygit2.Blob):
            raise ScmError(f"git object {sha} is not a file in {self.repo.path!r}")
        return blob.data

    def read_file(self, rev: str, path: str) -> bytes:
        """A file's contents at a revision, without checking anything out."""
        tree = self._commit(rev).tree
        rel = posixpath.normpath(path.replace(os.sep, "/")).lstrip("/")
        try:
            entry = tree[rel]
        except KeyError:
            raise ScmPathError(path, f"does not exist at revision {rev!r}") from None
        if entry.filemode not in _BLOB_MODES:
            raise ScmPathError(path, f"is not a file at revision {rev!r}")
        blob = self.repo[entry.id]
        assert isinstance(blob, pygit2.Blob)
        return blob.data
