"""What is S3-specific about the backend, checked against moto through plain boto3."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path
from typing import Any

import pytest

from dvcremote.backend import Capability, available_schemes, open_backend
from dvcremote.errors import BackendError, ConfigError
from dvcremote_s3 import S3Backend, S3VersionedBackend
from dvcremote_s3.backend import SINGLE_PUT_LIMIT
from dvcremote_s3.testing import BackendFactory, S3Server

C = Capability


def blob(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


# ------------------------------------------------------------ construction
def test_s3_scheme_is_registered() -> None:
    assert available_schemes()["s3"] == "dvcremote_s3.backend:S3Backend"


def test_s3_open_backend_picks_the_class_from_version_aware(s3_server: S3Server) -> None:
    options = s3_server.remote_options()
    plain = open_backend("s3://bkt/some/prefix", **options)
    versioned = open_backend("s3://bkt", version_aware="true", **options)
    worktree = open_backend("s3://bkt", worktree=True, **options)
    assert type(plain) is S3Backend
    assert type(versioned) is S3VersionedBackend
    assert type(worktree) is S3VersionedBackend, "a worktree remote is version-aware"
    assert C.VERSIONING not in S3Backend.CAPABILITIES
    assert C.VERSIONING in S3VersionedBackend.CAPABILITIES
    assert plain.location == "s3://bkt/some/prefix"
    assert S3VersionedBackend.from_url("s3://bkt", **options).supports(C.VERSIONING)
    for backend in (plain, versioned, worktree):
        backend.close()


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("s3://", {}, "bucket"),
        ("s3://bkt/a/../b", {}, "prefix"),
        ("s3://bkt?versionId=1", {}, "query"),
        ("gs://bkt", {}, "s3://"),
        ("s3://bkt", {"no_such_option": "1"}, "no_such_option"),
        ("s3://bkt", {"acl": "private", "grant_read": "id=1"}, "acl"),
        ("s3://bkt", {"sse_kms_key_id": "k", "sse_customer_key": "a2V5"}, "exclude"),
        ("s3://bkt", {"version_aware": "maybe"}, "version_aware"),
        ("s3://bkt", {"read_timeout": "soon"}, "read_timeout"),
    ],
)
def test_s3_bad_configuration_is_a_config_error(
    url: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        S3Backend.from_url(url, **options)


def test_s3_bad_sse_customer_key_is_not_echoed() -> None:
    secret = "not-base64-but-SECRET-!!"
    with pytest.raises(ConfigError) as info:
        S3Backend.from_url("s3://bkt", sse_customer_key=secret)
    assert secret not in str(info.value)


def test_s3_waits_default_to_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's own defaults: 60 s per attempt before a down host counts as down, and
    5 attempts backing off up to 15 s (the environment still decides the retries)."""
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    fs: Any = S3Backend.from_url("s3://bkt", endpointurl="http://127.0.0.1:9").fs
    assert fs.config_kwargs["connect_timeout"] == 15
    assert "read_timeout" not in fs.config_kwargs  # botocore's 60 s
    assert fs.config_kwargs["retries"] == {"mode": "standard", "max_attempts": 3}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    fs = S3Backend.from_url("s3://bkt", endpointurl="http://127.0.0.1:9").fs
    assert "retries" not in fs.config_kwargs


def test_s3_dvc_keys_reach_s3fs(s3_server: S3Server) -> None:
    backend = S3Backend.from_url(
        "s3://bkt",
        endpointurl="http://127.0.0.1:9",
        access_key_id="AKIA1",
        secret_access_key="s",
        session_token="t",
        region="eu-west-1",
        use_ssl="false",
        ssl_verify="/etc/ssl/certs/ca.pem",
        read_timeout="30",
        connect_timeout=5,
        sse="AES256",
        acl="bucket-owner-full-control",
        jobs=40,  # generic remote key: also sizes the connection pool
    )
    fs: Any = backend.fs
    assert (fs.key, fs.secret, fs.token) == ("AKIA1", "s", "t")
    assert fs.client_kwargs["endpoint_url"] == "http://127.0.0.1:9"
    assert fs.client_kwargs["region_name"] == "eu-west-1"
    assert fs.client_kwargs["verify"] == "/etc/ssl/certs/ca.pem"
    assert fs.config_kwargs["read_timeout"] == 30
    assert fs.config_kwargs["connect_timeout"] == 5
    assert fs.config_kwargs["max_pool_connections"] == 40
    assert fs.batch_size == 40
    assert fs.s3_additional_kwargs == {
        "ServerSideEncryption": "AES256",
        "ACL": "bucket-owner-full-control",
    }
    assert fs.use_ssl is False
    backend.close()


# ------------------------------------------------------------ out of band
def test_s3_writes_land_under_the_prefix(
    s3_client: Any, s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(s3_bucket, "team/data")
    result = backend.write("a/b.bin", b"payload", metadata={"owner": "alice"})
    head = s3_client.head_object(Bucket=s3_bucket, Key="team/data/a/b.bin")
    assert head["ContentLength"] == 7
    assert head["ETag"].strip('"') == result.etag == hashlib.md5(b"payload").hexdigest()
    assert head["Metadata"] == {"owner": "alice"}
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == ["team/data/a/b.bin"]


def test_s3_reads_what_boto3_wrote(
    s3_client: Any, s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="pre/x/y.txt", Body=b"from boto3")
    s3_client.put_object(Bucket=s3_bucket, Key="outside.txt", Body=b"not ours")
    backend = s3_backend_factory(s3_bucket, "pre")
    assert backend.read_bytes("x/y.txt") == b"from boto3"
    assert [i.path for i in backend.list_files("", recursive=True)] == ["x/y.txt"]
    assert not backend.exists("outside.txt")


def test_s3_server_side_encryption_is_requested(
    s3_client: Any, s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(s3_bucket, sse="AES256")
    backend.write("enc.bin", b"secret data")
    backend.upload_many([])  # no-op, but must not drop the setting
    head = s3_client.head_object(Bucket=s3_bucket, Key="enc.bin")
    assert head["ServerSideEncryption"] == "AES256"


def test_s3_copy_is_server_side_and_reports_etag(
    s3_client: Any, s3_versioned_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(s3_versioned_bucket, version_aware=True)
    backend.write("src.bin", b"copy me")
    result = backend.copy("src.bin", "dst.bin")
    head = s3_client.head_object(Bucket=s3_versioned_bucket, Key="dst.bin")
    assert result.etag == head["ETag"].strip('"')
    assert result.version_id == head["VersionId"]


# ------------------------------------------------------------ large writes
def test_s3_large_write_uses_multipart_and_reports_etag_and_version(
    s3_client: Any,
    s3_versioned_bucket: str,
    s3_backend_factory: BackendFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = s3_backend_factory(s3_versioned_bucket, version_aware=True)
    monkeypatch.setattr(backend, "MULTIPART_PART_SIZE", 5 << 20)  # S3's smallest part
    data = blob(SINGLE_PUT_LIMIT + 3 * 1024 * 1024, seed=1)
    result = backend.write("big.bin", io.BytesIO(data))
    head = s3_client.head_object(Bucket=s3_versioned_bucket, Key="big.bin")
    assert "-" in head["ETag"], "expected a multipart etag"
    assert result.etag == head["ETag"].strip('"')
    assert result.version_id == head["VersionId"]
    assert result.size == len(data)
    assert result.digest == hashlib.md5(data).hexdigest()
    assert backend.read_bytes("big.bin", version_id=result.version_id) == data


class _Exploding(io.RawIOBase):
    """More than one S3 part of good bytes, then the source fails."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self._left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise RuntimeError("source died")
        n = min(len(buffer), self._left)
        buffer[:n] = b"x" * n
        self._left -= n
        return n


def test_s3_failed_large_write_leaves_nothing(
    s3_client: Any,
    s3_bucket: str,
    s3_backend_factory: BackendFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = s3_backend_factory(s3_bucket)
    monkeypatch.setattr(backend, "MULTIPART_PART_SIZE", 5 << 20)  # parts go out early
    with pytest.raises(BackendError):
        backend.write("big.bin", _Exploding(SINGLE_PUT_LIMIT + 8 * 1024 * 1024))
    assert s3_client.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0
    uploads = s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert uploads == [], "the multipart upload was not aborted"


# ------------------------------------------------------------ read streams
def test_s3_plain_reader_refuses_to_mix_two_objects(
    s3_client: Any, s3_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    """After an overwrite, a re-positioned read fails instead of splicing new bytes in."""
    backend = s3_backend_factory(s3_bucket)
    old = blob(300_000, seed=2)
    backend.write("f.bin", old)
    with backend.read("f.bin") as stream:
        assert stream.read(1000) == old[:1000]
        s3_client.put_object(Bucket=s3_bucket, Key="f.bin", Body=blob(300_000, seed=3))
        stream.seek(200_000)
        with pytest.raises(BackendError) as info:
            stream.read(1000)
    assert "changed" in str(info.value)


def test_s3_versioned_reader_keeps_reading_its_version(
    s3_client: Any, s3_versioned_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(s3_versioned_bucket, version_aware=True)
    old = blob(300_000, seed=4)
    backend.write("f.bin", old)
    with backend.read("f.bin") as stream:
        assert stream.read(1000) == old[:1000]
        s3_client.put_object(Bucket=s3_versioned_bucket, Key="f.bin", Body=b"new")
        stream.seek(200_000)
        assert stream.read() == old[200_000:]


def test_s3_delete_on_versioned_bucket_leaves_a_delete_marker(
    s3_client: Any, s3_versioned_bucket: str, s3_backend_factory: BackendFactory
) -> None:
    backend = s3_backend_factory(s3_versioned_bucket, version_aware=True)
    v1 = backend.write("f.bin", b"one").version_id
    backend.delete("f.bin")
    listing = s3_client.list_object_versions(Bucket=s3_versioned_bucket)
    assert [m["Key"] for m in listing["DeleteMarkers"]] == ["f.bin"]
    assert [v["VersionId"] for v in listing["Versions"]] == [v1]
    backend.delete_version("f.bin", v1)
    listing = s3_client.list_object_versions(Bucket=s3_versioned_bucket)
    assert listing.get("Versions", []) == []


# ------------------------------------------------------------ bulk transfer
def test_s3_bulk_transfer_goes_through_the_async_batch(
    s3_client: Any,
    s3_bucket: str,
    s3_backend_factory: BackendFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """200 files up and down in one gather on s3fs's loop, never the per-file default."""
    backend = s3_backend_factory(s3_bucket, "cache")
    assert backend._is_async, "s3fs should be driven through its async API"
    batches: list[int] = []
    original_gather = backend._gather

    def counting_gather(coros: list[Any], *args: Any, **kwargs: Any) -> Any:
        batches.append(len(coros))
        return original_gather(coros, *args, **kwargs)

    def per_file(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the per-file default path was used")

    monkeypatch.setattr(backend, "_gather", counting_gather)
    monkeypatch.setattr(backend, "upload_file", per_file)
    monkeypatch.setattr(backend, "download_file", per_file)
    monkeypatch.setattr(backend, "write", per_file)
    monkeypatch.setattr(backend, "read", per_file)

    files = {f"{i:02x}/{i:038x}": blob(100 + i, seed=i) for i in range(200)}
    local = tmp_path / "up"
    local.mkdir()
    pairs = []
    for name, data in files.items():
        src = local / name.replace("/", "_")
        src.write_bytes(data)
        pairs.append((str(src), name))

    uploaded = backend.upload_many(pairs)
    assert batches == [200]
    assert all(r.ok for r in uploaded), [r.error for r in uploaded if not r.ok]

    # what landed, seen through boto3
    landed = {}
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket):
        for item in page.get("Contents", []):
            landed[item["Key"]] = item["ETag"].strip('"')
    assert landed == {f"cache/{k}": hashlib.md5(v).hexdigest() for k, v in files.items()}

    down = tmp_path / "down"
    down.mkdir()
    items = [(name, str(down / name.replace("/", "_"))) for name in files]
    fetched = backend.download_many(items)
    assert batches == [200, 200]
    assert all(r.ok for r in fetched), [r.error for r in fetched if not r.ok]
    for name, dst in items:
        assert Path(dst).read_bytes() == files[name]

    exists = backend.exists_many([*files, "missing/file"])
    assert batches == [200, 200, 201]
    assert exists.pop("missing/file") is False
    assert all(exists.values())
