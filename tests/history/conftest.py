"""Fixtures of the history tests: one real history built per session, copied per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dvcremote.repo import Repo
from dvcremote_testing.gitconfig import hidden_git_config

from .histbuild import History, build, copy


@pytest.fixture(autouse=True, scope="session")
def _no_user_git_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hide the machine's git config so commits and results do not depend on it."""
    with hidden_git_config(tmp_path_factory.mktemp("empty-git-config")):
        yield


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, _no_user_git_config: None) -> History:
    return build(tmp_path_factory.mktemp("history-template") / "project")


@pytest.fixture
def hist(template: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    """A private copy of the history, made the current directory."""
    made = copy(template, tmp_path / "project")
    monkeypatch.chdir(made.root)
    return made


@pytest.fixture
def remote_root(tmp_path: Path) -> Path:
    return tmp_path / "remote"


@pytest.fixture
def repo(hist: History, remote_root: Path) -> Iterator[Repo]:
    """The copy's Repo, with a local-directory remote ``store`` as the default."""
    opened = Repo(hist.root)
    opened.remote_add("store", str(remote_root), default=True, local=True)
    yield opened
    opened.close()
