"""Fixtures of the scm tests: hermetic git config, a shared history, a fresh repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import ConfigLevel

from dvcremote.scm import Git

from .gitbuild import History, build_history

_LEVELS = (ConfigLevel.GLOBAL, ConfigLevel.XDG, ConfigLevel.SYSTEM)


@pytest.fixture(autouse=True, scope="module")
def _no_user_git_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hide the machine's git config (user.name, hooks, ...) so results do not depend on it."""
    empty = str(tmp_path_factory.mktemp("empty-git-config"))
    saved = {level: pygit2.settings.search_path[level] for level in _LEVELS}
    for level in _LEVELS:
        pygit2.settings.search_path[level] = empty
    try:
        yield
    finally:
        for level, value in saved.items():
            pygit2.settings.search_path[level] = value


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    built = build_history(tmp_path_factory.mktemp("history"))
    yield built
    built.git.close()


@pytest.fixture
def git(tmp_path: Path) -> Iterator[Git]:
    repo = Git.init(tmp_path / "repo")
    yield repo
    repo.close()
