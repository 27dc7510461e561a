"""Fixtures of the scm tests: hermetic git config, a shared history, a fresh repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvcremote.scm import Git
from dvcremote_testing.gitconfig import hidden_git_config

from .gitbuild import History, build_history


@pytest.fixture(autouse=True, scope="module")
def _no_user_git_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hide the machine's git config (user.name, hooks, ...) so results do not depend on it."""
    with hidden_git_config(tmp_path_factory.mktemp("empty-git-config")):
        yield


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
