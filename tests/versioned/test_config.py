"""Choosing version-aware / worktree remotes, and every misconfiguration refused at once
with an error that says what is wrong (never a stack trace, never a silent plain push)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from versioned_helpers import write_tree

from dvcremote.cli import main
from dvcremote.errors import ConfigError, VersioningNotEnabled
from dvcremote.remotes.content import ContentRemote
from dvcremote.remotes.version_aware import VersionAwareRemote
from dvcremote.remotes.worktree import WorktreeRemote
from dvcremote.repo import Repo

NO_VERSIONS = "but its storage does not keep versions"


@pytest.fixture
def plain_dir(tmp_path: Path) -> Path:
    """A local directory remote without versioning."""
    where = tmp_path / "plain-remote"
    where.mkdir()
    return where


@pytest.fixture
def with_foo(repo: Any, workspace: Path) -> Any:
    write_tree(workspace, {"foo": "foo"})
    repo.add(["foo"])
    return repo


def test_cli_remote_modify_selects_the_adapter(with_foo: Any, store: Any) -> None:
    def adapter_type() -> type:
        with Repo(with_foo.root) as repo, repo.open_remote() as adapter:
            return type(adapter)

    assert main(["remote", "add", "-d", "upstream", store.url]) == 0
    for key, value in store.options.items():
        assert main(["remote", "modify", "upstream", key, value]) == 0
    assert adapter_type() is ContentRemote
    assert main(["remote", "modify", "upstream", "version_aware", "true"]) == 0
    assert adapter_type() is VersionAwareRemote
    assert main(["remote", "modify", "upstream", "worktree", "true"]) == 0
    assert adapter_type() is WorktreeRemote
    config = (Path(with_foo.dvc_dir) / "config").read_text()
    assert "version_aware = true" in config and "worktree = true" in config


def test_worktree_alone_implies_version_aware(with_foo: Any, store: Any) -> None:
    store.add_to(with_foo, "upstream", worktree=True)
    config = with_foo.config.remote("upstream")
    assert config.version_aware and config.worktree


@pytest.mark.parametrize("key", ["version_aware", "worktree"])
def test_plain_storage_is_refused_before_anything_moves(
    with_foo: Any, workspace: Path, plain_dir: Path, key: str
) -> None:
    with_foo.remote_add("upstream", str(plain_dir), default=True, **{key: True})
    dvcfile_before = (workspace / "foo.dvc").read_bytes()
    what = "worktree" if key == "worktree" else "version-aware"
    for operation in (with_foo.push, with_foo.fetch, with_foo.pull):
        with pytest.raises(VersioningNotEnabled) as caught:
            operation()
        message = str(caught.value)
        assert f"remote 'upstream' is {what}, {NO_VERSIONS}" in message
        assert "dvcremote remote modify upstream versioning true" in message
        assert isinstance(caught.value, ConfigError)
    with pytest.raises(VersioningNotEnabled):
        with_foo.status(cloud=True)
    assert list(plain_dir.iterdir()) == []  # nothing written, not even a plain push
    assert (workspace / "foo.dvc").read_bytes() == dvcfile_before


def test_plain_storage_from_the_cli_is_one_error_line(
    with_foo: Any, plain_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_foo.remote_add("upstream", str(plain_dir), default=True, version_aware=True)
    capsys.readouterr()
    assert main(["push"]) == 3
    captured = capsys.readouterr()
    assert f"ERROR: remote 'upstream' is version-aware, {NO_VERSIONS}" in captured.err
    assert "Traceback" not in captured.err
    assert list(plain_dir.iterdir()) == []


def test_worktree_with_version_aware_false_is_refused(
    with_foo: Any, store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add_to(with_foo, "upstream", worktree=True)
    config_file = Path(with_foo.dvc_dir) / "config"
    before = config_file.read_bytes()
    with pytest.raises(ConfigError, match="worktree = true needs version_aware"):
        with_foo.remote_modify("upstream", "version_aware", False)
    assert config_file.read_bytes() == before

    capsys.readouterr()
    assert main(["remote", "modify", "upstream", "version_aware", "false"]) == 3
    err = capsys.readouterr().err
    assert "worktree = true needs version_aware (it cannot be false)" in err
    assert "Traceback" not in err
    assert config_file.read_bytes() == before


def test_a_hand_written_contradiction_is_refused_at_use(
    with_foo: Any, store: Any, workspace: Path
) -> None:
    store.add_to(with_foo, "upstream")
    config_file = Path(with_foo.dvc_dir) / "config"
    config_file.write_text(
        config_file.read_text() + "    worktree = true\n    version_aware = false\n"
    )
    repo = type(with_foo)(workspace)
    with pytest.raises(ConfigError, match="worktree = true needs version_aware"):
        repo.push()
    assert "cloud" not in (workspace / "foo.dvc").read_text()


@pytest.mark.parametrize("key", ["version_aware", "worktree"])
def test_a_value_that_is_not_a_boolean_is_refused(with_foo: Any, store: Any, key: str) -> None:
    store.add_to(with_foo, "upstream")
    with pytest.raises(ConfigError, match=f"{key} must be true or false, not 'maybe'"):
        with_foo.remote_modify("upstream", key, "maybe")


def test_gc_on_a_version_aware_remote_is_refused(with_foo: Any, store: Any) -> None:
    store.add_to(with_foo, "upstream", version_aware=True)
    with_foo.push()
    with pytest.raises(ConfigError, match="gc -c is not supported for version-aware remotes"):
        with_foo.gc(workspace=True, cloud=True, force=True)


# ------------------------------------------------------------------ S3, versioning off
def test_s3_bucket_without_versioning_is_refused(
    with_foo: Any, s3_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = s3_server.create_bucket(versioned=False)
    with_foo.remote_add(
        "upstream", f"s3://{bucket}/data", default=True, version_aware=True,
        **s3_server.remote_options(),
    )
    with pytest.raises(VersioningNotEnabled, match=f"versioning is off on bucket '{bucket}'"):
        with_foo.push()
    capsys.readouterr()
    assert main(["push"]) == 3
    err = capsys.readouterr().err
    assert f"ERROR: versioning is off on bucket '{bucket}'" in err
    assert "Traceback" not in err
    assert s3_server.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


# ---------------------------------------------------------- the check_versioning contract
def test_check_versioning_is_a_backend_contract_method(tmp_path: Path) -> None:
    from dvcremote.backend import Backend
    from dvcremote.backends import LocalBackend, MemoryBackend, VersionedLocalBackend

    assert "check_versioning" in vars(Backend)
    MemoryBackend().check_versioning()  # declares VERSIONING: trusted
    VersionedLocalBackend(tmp_path / "versioned").check_versioning()
    with pytest.raises(VersioningNotEnabled, match="no VERSIONING capability") as caught:
        LocalBackend(tmp_path / "plain").check_versioning()
    assert caught.value.backend == "local"


def test_storage_with_versioning_switched_off_is_refused_through_the_contract(
    with_foo: Any, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backend that declares VERSIONING but whose storage has it off (an S3 bucket)
    overrides ``check_versioning``; the adapter asks it before anything is written."""
    from dvcremote.backends import MemoryBackend

    class SwitchedOff(MemoryBackend):
        asked = 0

        def check_versioning(self) -> None:
            SwitchedOff.asked += 1
            raise VersioningNotEnabled("versioning is suspended here", backend=self.name)

    store = SwitchedOff()
    monkeypatch.setattr(Repo, "open_remote_backend", lambda self, config: store)
    with_foo.remote_add("upstream", "memory://switched-off", default=True, version_aware=True)
    before = (workspace / "foo.dvc").read_bytes()
    with pytest.raises(VersioningNotEnabled, match="versioning is suspended here"):
        with_foo.push()
    assert SwitchedOff.asked == 1
    assert list(store.list_files("", recursive=True)) == []
    assert (workspace / "foo.dvc").read_bytes() == before
