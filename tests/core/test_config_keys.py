"""Remote options are checked when set: typos refused (nothing written), dvcremote-only
keys kept out of the files dvc reads, and config files that are not UTF-8 named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import snapshot

from dvcremote.config import Config
from dvcremote.errors import ConfigError
from dvcremote.remote_keys import UnknownOption, dvc_rejects, suggest
from dvcremote.repo import Repo

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvcremote", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture
def with_remote(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> Repo:
    dvcrepo.remote_add("r", str(remote_dir), default=True)
    return Repo(workspace)


def test_a_misspelt_option_is_refused_with_a_suggestion(
    with_remote: Repo, workspace: Path
) -> None:
    before = snapshot(workspace)
    proc = _cli(workspace, "remote", "modify", "r", "versionin", "true")
    assert proc.returncode == 3
    assert proc.stderr.strip() == (
        "ERROR: remote 'r': local remotes have no option 'versionin';"
        " did you mean 'versioning'? (nothing was written)"
    )
    assert snapshot(workspace) == before


def test_an_unknown_option_holding_a_secret_is_neither_written_nor_shown(
    with_remote: Repo, workspace: Path
) -> None:
    before = snapshot(workspace)
    proc = _cli(workspace, "remote", "modify", "r", "secret_acces_key", SECRET)
    assert proc.returncode == 3
    assert "no option 'secret_acces_key'" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
    assert snapshot(workspace) == before
    with pytest.raises(UnknownOption) as err:
        with_remote.remote_modify("r", "pasword", SECRET)
    assert SECRET not in str(err.value) and SECRET not in repr(err.value)
    assert snapshot(workspace) == before


def test_remote_add_with_a_bad_option_writes_nothing(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    before = snapshot(workspace)
    with pytest.raises(UnknownOption, match="did you mean 'jobs'"):
        dvcrepo.remote_add("r", str(remote_dir), default=True, jobz=4)
    assert snapshot(workspace) == before
    assert dvcrepo.config.remote_names() == []


def test_dvcremote_only_options_stay_out_of_the_files_dvc_reads(
    with_remote: Repo, workspace: Path
) -> None:
    repo_config = (workspace / ".dvc" / "config").read_bytes()
    with_remote.remote_modify("r", "versioning", True)
    with_remote.remote_modify("r", "jobs", 3)  # a key dvc knows stays where it was
    assert (workspace / ".dvc" / "config.dvcremote").read_text() == (
        "['remote \"r\"']\n    versioning = true\n"
    )
    assert b"versioning" not in (workspace / ".dvc" / "config").read_bytes()
    assert (workspace / ".dvc" / "config").read_bytes() == repo_config.replace(
        b"\n[", b"\n[", 1
    ) + b"    jobs = 3\n"
    remote = Repo(workspace).config.remote("r")
    assert remote.options["versioning"] == "true"  # still read by dvcremote
    with pytest.raises(ConfigError, match="without --local"):
        with_remote.remote_modify("r", "versioning", True, local=True)
    assert not (workspace / ".dvc" / "config.local").exists()


def test_an_option_an_older_version_wrote_is_moved_out_of_dvcs_file(
    with_remote: Repo, workspace: Path
) -> None:
    config = workspace / ".dvc" / "config"
    config.write_text(config.read_text() + "    versioning = false\n    versionin = x\n")
    repo = Repo(workspace)
    repo.remote_modify("r", "versioning", True)
    assert "versioning" not in config.read_text().replace("versionin =", "")
    repo.remote_modify("r", "versionin", unset=True)  # a stray typo can be removed
    assert "versionin" not in config.read_text()
    assert Repo(workspace).config.remote("r").options["versioning"] == "true"


def test_dvc_schema_table() -> None:
    assert dvc_rejects("/some/dir", "versioning")
    assert not dvc_rejects("/some/dir", "jobs")
    assert dvc_rejects("ssh://host/path", "known_hosts")
    assert not dvc_rejects("s3://bucket/prefix", "secret_access_key")
    assert not dvc_rejects("memory://bucket", "anything")  # dvc refuses the whole remote
    assert suggest("secret_acces_key", ["secret_access_key", "region"]) == "secret_access_key"
    assert suggest("zzz", ["secret_access_key", "region"]) is None


@pytest.mark.parametrize("name", ["config", "config.local"])
def test_a_config_file_that_is_not_utf8_is_named(
    dvcrepo: Repo, workspace: Path, name: str
) -> None:
    path = workspace / ".dvc" / name
    path.write_bytes(b"[core]\n    remote = caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not valid UTF-8") as err:
        Config(workspace / ".dvc")
    assert str(path) in str(err.value)
    proc = _cli(workspace, "status")
    assert proc.returncode == 3
    assert proc.stderr.strip() == (
        f"ERROR: cannot parse {path}: not valid UTF-8 (bad byte at offset 23)"
    )
