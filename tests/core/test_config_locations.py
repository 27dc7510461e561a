"""Where the system and global dvc config files are looked for when no DVC_* folder is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dvcremote.config import GLOBAL, SYSTEM, outer_config_files
from dvcremote.repo import Repo


def test_xdg_locations_are_dvcs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dvc asks platformdirs: on Linux the first XDG_CONFIG_DIRS entry and XDG_CONFIG_HOME,
    each + ``/dvc/config``; the DVC_* folders win over both."""
    monkeypatch.delenv("DVC_SYSTEM_CONFIG_DIR", raising=False)
    monkeypatch.delenv("DVC_GLOBAL_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home-config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", os.pathsep.join([str(tmp_path / "site"), "/elsewhere"]))
    assert outer_config_files() == {
        SYSTEM: str(tmp_path / "site" / "dvc" / "config"),
        GLOBAL: str(tmp_path / "home-config" / "dvc" / "config"),
    }
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(tmp_path / "g"))
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(tmp_path / "s"))
    assert outer_config_files() == {
        SYSTEM: str(tmp_path / "s" / "config"),
        GLOBAL: str(tmp_path / "g" / "config"),
    }


def test_a_remote_in_the_xdg_global_config_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DVC_SYSTEM_CONFIG_DIR", raising=False)
    monkeypatch.delenv("DVC_GLOBAL_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "no-site"))
    user = tmp_path / "xdg" / "dvc"
    user.mkdir(parents=True)
    (user / "config").write_text(
        "[core]\n    remote = mine\n['remote \"mine\"']\n    url = ../store\n"
    )
    ws = tmp_path / "ws"
    ws.mkdir()
    Repo.init(ws, no_scm=True)
    with Repo(ws) as repo:
        assert repo.remote_default() == "mine"
        # Relative to the file that holds it, as dvc reads it.
        assert repo.config.remote("mine").url == str(tmp_path / "xdg" / "store")
