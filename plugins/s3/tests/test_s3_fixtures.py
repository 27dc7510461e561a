"""The moto fixtures themselves: a real server, fresh buckets, an independent boto3 view."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from dvcremote_s3.testing import S3Server, moto_process_server


def test_s3_server_listens_on_loopback(s3_server: S3Server) -> None:
    assert s3_server.endpoint_url.startswith("http://127.0.0.1:")
    assert not s3_server.endpoint_url.endswith(":0")


def test_s3_bucket_is_fresh_and_empty(s3_client: Any, s3_bucket: str) -> None:
    listing = s3_client.list_objects_v2(Bucket=s3_bucket)
    assert listing["KeyCount"] == 0
    status = s3_client.get_bucket_versioning(Bucket=s3_bucket).get("Status")
    assert status is None


def test_s3_versioned_bucket_keeps_versions(s3_client: Any, s3_versioned_bucket: str) -> None:
    first = s3_client.put_object(Bucket=s3_versioned_bucket, Key="k", Body=b"1")["VersionId"]
    s3_client.put_object(Bucket=s3_versioned_bucket, Key="k", Body=b"2")
    old = s3_client.get_object(Bucket=s3_versioned_bucket, Key="k", VersionId=first)
    assert old["Body"].read() == b"1"


def test_s3_bucket_names_are_unique(s3_server: S3Server) -> None:
    a = s3_server.create_bucket()
    b = s3_server.create_bucket()
    try:
        assert a != b
    finally:
        s3_server.delete_bucket(a)
        s3_server.delete_bucket(b)


def test_s3_delete_bucket_removes_every_version(s3_server: S3Server, s3_client: Any) -> None:
    name = s3_server.create_bucket(versioned=True)
    for body in (b"1", b"2"):
        s3_client.put_object(Bucket=name, Key="k", Body=body)
    s3_client.delete_object(Bucket=name, Key="k")  # leaves a delete marker
    s3_server.delete_bucket(name)
    with pytest.raises(ClientError) as info:
        s3_client.head_bucket(Bucket=name)
    assert info.value.response["Error"]["Code"] in ("404", "NoSuchBucket")


def test_s3_enforce_credentials_refuses_unknown_keys(s3_server: S3Server, s3_bucket: str) -> None:
    stranger = s3_server.client(aws_access_key_id="AKIANOBODY", aws_secret_access_key="nope")
    with s3_server.enforce_credentials(), pytest.raises(ClientError) as info:
        stranger.list_objects_v2(Bucket=s3_bucket)
    assert info.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    # and it is switched off again afterwards
    assert stranger.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


def test_s3_env_points_boto3_at_the_server(s3_env: dict[str, str], s3_bucket: str) -> None:
    client = boto3.client("s3")  # everything from the environment
    names = [b["Name"] for b in client.list_buckets()["Buckets"]]
    assert s3_bucket in names


def test_s3_moto_process_server_serves_and_stops() -> None:
    with moto_process_server() as proc:
        client = proc.server.client()
        bucket = proc.server.create_bucket()
        client.put_object(Bucket=bucket, Key="a", Body=b"x")
        assert client.get_object(Bucket=bucket, Key="a")["Body"].read() == b"x"
        process = proc.process
        assert process is not None
    assert process.poll() is not None
