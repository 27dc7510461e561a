"""``remote modify`` checks SSH keys when they are set (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.remote_keys import UnknownOption
from dvcremote.repo import Repo


def test_ssh_keys_are_checked_and_dvcremote_only_ones_kept_from_dvc(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path, no_scm=True)
    repo.remote_add("r", "ssh://user@example.com/srv/store", default=True)
    with pytest.raises(UnknownOption, match="did you mean 'keyfile'"):
        repo.remote_modify("r", "keyfil", "~/.ssh/id")
    repo.remote_modify("r", "port", 2222)
    repo.remote_modify("r", "known_hosts", "ignore")  # dvc's schema has no known_hosts
    assert "port = 2222" in (tmp_path / ".dvc" / "config").read_text()
    assert "known_hosts" not in (tmp_path / ".dvc" / "config").read_text()
    assert "known_hosts = ignore" in (tmp_path / ".dvc" / "config.dvcremote").read_text()
    assert Repo(tmp_path).config.remote("r").options["known_hosts"] == "ignore"
