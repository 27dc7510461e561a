"""Every remote suite against real S3 (moto's server on loopback).

The repository pushes and pulls through the plugin; each test then looks at the bucket
through ``S3Cloud``, a plain boto3 client, never through the plugin. ``make_s3`` gives a
prefix of a fresh bucket, ``make_s3_version_aware`` the root of a fresh bucket with
versioning on (the version-aware and worktree suites).
"""

from __future__ import annotations

import pytest

from dvcremote_s3.testing import MotoProcess, S3Cloud, S3Server, make_s3, make_s3_version_aware
from dvcremote_testing.remote_tests import TestRemote, TestRemoteVersionAware, TestRemoteWorktree

# Module-level fixtures (this package's conftest is not the place to add them).
__all__ = ["make_s3", "make_s3_version_aware"]


@pytest.fixture(scope="session")
def s3_server(s3_process_server: MotoProcess) -> S3Server:
    """moto in its own process: its request handling then does not compete with the
    client for this process's interpreter lock (the listing tests make ~1000 requests)."""
    return s3_process_server.server


@pytest.fixture
def remote(make_remote) -> S3Cloud:
    return make_remote(name="upstream", typ="s3")


@pytest.fixture
def remote_version_aware(make_remote_version_aware) -> S3Cloud:
    return make_remote_version_aware(name="upstream", typ="s3")


@pytest.fixture
def remote_worktree(make_remote_worktree) -> S3Cloud:
    return make_remote_worktree(name="upstream", typ="s3")


class TestS3Remote(TestRemote):
    pass


class TestS3RemoteVersionAware(TestRemoteVersionAware):
    pass


class TestS3RemoteWorktree(TestRemoteWorktree):
    pass


def test_remotes_are_the_intended_kind(remote: S3Cloud, s3_server) -> None:
    """The suites' remote is under a prefix of a bucket that keeps no versions, and the
    boto3 view sees exactly what is there (nothing outside the prefix)."""
    assert remote.prefix and remote.url == f"s3://{remote.bucket}/{remote.prefix}"
    client = s3_server.client()
    assert client.get_bucket_versioning(Bucket=remote.bucket).get("Status") is None
    (remote / "a" / "b").write_bytes(b"x")
    assert [c.name for c in remote.iterdir()] == ["a"]
    assert (remote / "a").is_dir() and not (remote / "a").is_file()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=remote.bucket)["Contents"]]
    assert keys == [f"{remote.prefix}/a/b"]


def test_version_aware_remote_is_a_versioned_bucket(
    remote_version_aware: S3Cloud, s3_server
) -> None:
    cloud = remote_version_aware
    status = s3_server.client().get_bucket_versioning(Bucket=cloud.bucket).get("Status")
    assert status == "Enabled"
    target = cloud / "f"
    target.write_bytes(b"one")
    target.write_bytes(b"two")
    first, second = reversed(target.version_ids())
    assert target.read_version(first) == b"one" and target.read_version(second) == b"two"
    target.unlink()
    assert not target.exists()
    assert target.version_ids() == [second, first]
