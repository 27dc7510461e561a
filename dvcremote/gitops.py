"""Every git call the core makes, in one place (through ``dvcremote.scm``, pygit2).

Kept apart so that a repository outside git never imports pygit2, and so the
history-wide commands can extend what is done here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dvcremote.scm import Git

DVC_GITIGNORE = "/config.local\n/tmp\n/cache\n"


def discover(root: str) -> Git | None:
    """The git repository holding ``root``, or None outside git."""
    from dvcremote.scm import Git

    return Git.discover(root)


def ignore(git: Git, path: str) -> str | None:
    """Add ``/name`` for ``path`` to the ``.gitignore`` beside it; returns that file's
    absolute path when it changed."""
    changed = git.ignore(path)
    return os.path.join(git.root, *changed.split("/")) if changed else None


def unignore(git: Git, path: str) -> str | None:
    """Drop the ``/name`` entry of ``path`` from the ``.gitignore`` beside it (deleted
    once empty, as dvc does); returns that file's absolute path when it changed."""
    changed = git.ignore_remove(path)
    return os.path.join(git.root, *changed.split("/")) if changed else None


def stage(git: Git, paths: Iterable[str]) -> None:
    """``git add`` these absolute paths (the ``.dvc`` files, ``.gitignore`` files, config)."""
    todo = sorted(set(paths))
    if todo:
        git.add(todo)
