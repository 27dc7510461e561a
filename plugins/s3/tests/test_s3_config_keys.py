"""``remote modify`` checks S3 keys when they are set (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.remote_keys import UnknownOption
from dvcremote.repo import Repo

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


def test_a_misspelt_secret_key_is_refused_and_never_written(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path, no_scm=True)
    repo.remote_add("r", "s3://bucket/prefix", default=True)
    files = {p.name: p.read_bytes() for p in (tmp_path / ".dvc").iterdir() if p.is_file()}
    with pytest.raises(UnknownOption, match="did you mean 'secret_access_key'") as err:
        repo.remote_modify("r", "secret_acces_key", SECRET)
    assert SECRET not in str(err.value)
    after = {p.name: p.read_bytes() for p in (tmp_path / ".dvc").iterdir() if p.is_file()}
    assert after == files
    repo.remote_modify("r", "secret_access_key", SECRET)  # the right key: config.local
    assert SECRET in (tmp_path / ".dvc" / "config.local").read_text()
    assert SECRET not in (tmp_path / ".dvc" / "config").read_text()
    repo.remote_modify("r", "endpointurl", "http://127.0.0.1:9")
    assert "endpointurl" in (tmp_path / ".dvc" / "config").read_text()
