"""``remote modify`` checks Azure keys when they are set (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.remote_keys import UnknownOption
from dvcremote.repo import Repo


def test_azure_keys_are_checked_and_dvcremote_only_ones_kept_from_dvc(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path, no_scm=True)
    repo.remote_add("r", "azure://container/prefix", default=True)
    with pytest.raises(UnknownOption, match="did you mean 'account_key'"):
        repo.remote_modify("r", "acount_key", "secret")
    repo.remote_modify("r", "account_name", "devstoreaccount1")
    repo.remote_modify("r", "retries", 2)  # dvc's schema has no retries
    assert "account_name = devstoreaccount1" in (tmp_path / ".dvc" / "config").read_text()
    assert "retries" not in (tmp_path / ".dvc" / "config").read_text()
    assert "retries = 2" in (tmp_path / ".dvc" / "config.dvcremote").read_text()
