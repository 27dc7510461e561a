"""Which commits a history-wide command (``--rev``, ``--all-branches``, ...) works on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pygit2
from pygit2.enums import SortMode

from dvcremote.errors import NotAGitRepository, ScmError, ShallowHistory
from dvcremote.scm.git import Git

WORKSPACE = "workspace"

# Refs whose history counts as "all commits": what a user thinks of as the repository's
# history. Notes, stash and other tool-private refs hold commits that are not workspaces.
_HISTORY_REF_PREFIXES = ("refs/heads/", "refs/tags/", "refs/remotes/")


@dataclass(frozen=True)
class Revision:
    """A commit chosen for a command, with every name that chose it.

    ``sha`` is None for the workspace (the files on disk, read by the caller).
    """

    sha: str | None
    names: tuple[str, ...]

    @property
    def is_workspace(self) -> bool:
        return self.sha is None

    @property
    def label(self) -> str:
        """How to name this revision in a message: first name plus a short sha."""
        if self.sha is None:
            return WORKSPACE
        name = self.names[0] if self.names else self.sha
        return self.sha[:12] if name == self.sha else f"{name} ({self.sha[:12]})"


def _peeled_commit(repo: pygit2.Repository, refname: str) -> str | None:
    try:
        obj = repo.revparse_single(refname).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError):
        return None  # a tag of a tree or blob, or a dangling symbolic ref
    return str(obj.id)


def all_commit_shas(git: Git, *, allow_shallow: bool = False) -> list[str]:
    """Every commit reachable from a branch, tag, remote-tracking branch or HEAD.

    Newest first (topological, then by time). A shallow clone is refused unless
    ``allow_shallow``: its missing commits would be silently left out.
    """
    if git.is_shallow and not allow_shallow:
        raise ShallowHistory("--all-commits", git.shallow_commits)
    repo = git.repo
    tips = {
        sha
        for name in repo.listall_references()
        if name.startswith(_HISTORY_REF_PREFIXES)
        and (sha := _peeled_commit(repo, name)) is not None
    }
    if git.head is not None:
        tips.add(git.head)
    if not tips:
        return []
    walker = repo.walk(None, SortMode.TOPOLOGICAL | SortMode.TIME)
    for sha in sorted(tips):
        walker.push(pygit2.Oid(hex=sha))
    try:
        return [str(commit.id) for commit in walker]
    except (KeyError, pygit2.GitError) as exc:
        raise ScmError(f"the git history is incomplete: {exc}") from exc


def select_revisions(
    git: Git | None,
    revs: Iterable[str] = (),
    *,
    all_branches: bool = False,
    all_tags: bool = False,
    all_commits: bool = False,
    workspace: bool = False,
    allow_shallow: bool = False,
) -> list[Revision]:
    """The ordered, de-duplicated commits the options select, each with the names that chose it.

    Order: the workspace (if asked), then ``revs`` as given, branches by name, tags
    by name, then the remaining commits newest first. A commit chosen several
    times appears once, with all its names; a commit only ``all_commits`` chose
    is named by its sha.
    """
    revs = list(revs)
    order: list[str] = []
    names: dict[str, list[str]] = {}

    def choose(sha: str, name: str) -> None:
        if sha not in names:
            order.append(sha)
            names[sha] = []
        if name not in names[sha]:
            names[sha].append(name)

    if git is None:
        asked = [
            option
            for option, on in (
                ("--rev", bool(revs)),
                ("--all-branches", all_branches),
                ("--all-tags", all_tags),
                ("--all-commits", all_commits),
            )
            if on
        ]
        if asked:
            raise NotAGitRepository(f"{', '.join(asked)} needs a git repository")
    else:
        for rev in revs:
            choose(git.resolve(rev), rev)
        if all_branches:
            for branch in git.list_branches():
                choose(git.resolve(f"refs/heads/{branch}"), branch)
        if all_tags:
            for tag in git.list_tags():
                sha = _peeled_commit(git.repo, f"refs/tags/{tag}")
                if sha is not None:
                    choose(sha, tag)
        if all_commits:
            for sha in all_commit_shas(git, allow_shallow=allow_shallow):
                if sha not in names:
                    choose(sha, sha)

    selected = [Revision(sha, tuple(names[sha])) for sha in order]
    if workspace:
        selected.insert(0, Revision(None, (WORKSPACE,)))
    return selected
