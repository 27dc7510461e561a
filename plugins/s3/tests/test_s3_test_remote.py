"""``dvcremote test-remote s3://...`` against moto's server: green, and nothing left behind.

The command runs in a child process, as a user would run it; the bucket is looked at
with plain boto3 before and after: the same keys with the same ETags, nothing more.
"""

from __future__ import annotations

from typing import Any

from dvcremote_s3.testing import FAST_FAILURE, WRONG_SECRET, S3Server, closed_port_url
from dvcremote_testing.testremote.harness import invoke

EXISTING = {"team/data/existing.bin": b"kept as it is", "team/top.txt": b"top", "other": b"x"}


def _objects(server: S3Server, bucket: str) -> dict[str, str]:
    """Every key of the bucket with its ETag."""
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def _seed(server: S3Server, bucket: str) -> dict[str, str]:
    for key, body in EXISTING.items():
        server.client().put_object(Bucket=bucket, Key=key, Body=body)
    return _objects(server, bucket)


def test_green_run_leaves_the_bucket_as_it_was(s3_server: S3Server, s3_bucket: str) -> None:
    before = _seed(s3_server, s3_bucket)
    options = s3_server.remote_options()
    result = invoke(f"s3://{s3_bucket}/team", "--fast", "--json", options=options)
    assert result.code == 0, result.stderr + result.stdout
    assert result.json["ok"]
    for name in ("ReadOnlyChecks", "ReadWriteTests", "ListingTests", "BulkTests", "TestRemote"):
        counts = result.suite(name)
        assert counts["passed"] > 0 and not counts["failed"], (name, counts)
    assert s3_server.secret_access_key not in result.stdout + result.stderr
    assert _objects(s3_server, s3_bucket) == before


def test_versioned_bucket_runs_every_suite(
    s3_server: S3Server, s3_versioned_bucket: str
) -> None:
    """``-o version_aware=true`` opens the versioned backend for the backend suites and
    the version-aware remote suites, while ``TestRemote`` keeps a plain remote. The
    current keys are as before; the bucket keeps old versions, as after any delete."""
    before = _seed(s3_server, s3_versioned_bucket)
    options = {**s3_server.remote_options(), "version_aware": "true"}
    result = invoke(f"s3://{s3_versioned_bucket}", "--fast", "--json", options=options)
    assert result.code == 0, result.stderr + result.stdout
    for name in ("VersioningTests", "TestRemote", "TestRemoteVersionAware", "TestRemoteWorktree"):
        counts = result.suite(name)
        assert counts["passed"] > 0 and not counts["failed"], (name, counts)
    assert _objects(s3_server, s3_versioned_bucket) == before


def test_read_only_run_changes_nothing(s3_server: S3Server, s3_bucket: str) -> None:
    before = _seed(s3_server, s3_bucket)
    result = invoke(
        f"s3://{s3_bucket}/team", "--read-only", "--json", options=s3_server.remote_options()
    )
    assert result.code == 0, result.stderr + result.stdout
    checks = result.suite("ReadOnlyChecks")
    assert checks["passed"] == 7 and not checks["failed"], checks
    assert _objects(s3_server, s3_bucket) == before


def test_unreachable_endpoint_is_exit_3() -> None:
    options: dict[str, Any] = {
        "endpointurl": closed_port_url(),
        "access_key_id": "AKIDEXAMPLE",
        "secret_access_key": WRONG_SECRET,
        **FAST_FAILURE,
    }
    result = invoke("s3://some-bucket/remote", options=options, env={"AWS_MAX_ATTEMPTS": "1"})
    assert result.code == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1 and "s3://some-bucket/remote" in errors[0], result.stderr
    assert WRONG_SECRET not in result.stdout + result.stderr


def test_missing_bucket_is_exit_3(s3_server: S3Server) -> None:
    result = invoke("s3://no-such-bucket-for-test-remote", options=s3_server.remote_options())
    assert result.code == 3, result.stderr
    assert "no-such-bucket-for-test-remote" in result.stderr
