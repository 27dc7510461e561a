"""Bulk upload to S3: one PutObject per small file, checked against moto through boto3.

The requests themselves are observed through botocore's own ``before-send`` event on
the backend's client (what went on the wire: operation and headers), not by
replacing anything.
"""

from __future__ import annotations

import base64
import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from dvcremote.errors import StorageNotFound
from dvcremote_s3 import backend as backend_module
from dvcremote_s3.backend import S3Backend
from dvcremote_s3.testing import BackendFactory, S3Server

Sent = list[tuple[str, dict[str, str]]]


def record_requests(backend: S3Backend) -> Sent:
    """(operation, headers) of every request the backend's client sends from now on."""
    sent: Sent = []

    def record(request: Any, event_name: str, **kwargs: Any) -> None:
        headers = {
            k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
        }
        sent.append((event_name.rsplit(".", 1)[-1], headers))

    backend.fs.s3.meta.events.register("before-send.s3", record)
    return sent


def local_files(folder: Path, sizes: list[int]) -> dict[str, tuple[str, bytes]]:
    """remote name -> (local path, bytes), seeded random content."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, size in enumerate(sizes):
        data = random.Random(i).randbytes(size)
        src = folder / f"f{i}"
        src.write_bytes(data)
        out[f"{i:02x}/{hashlib.md5(data).hexdigest()}"] = (str(src), data)
    return out


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_s3_bulk_upload_puts_each_small_file_whole_with_its_md5(
    s3_client: Any, s3_bucket: str, s3_backend_factory: BackendFactory, tmp_path: Path
) -> None:
    backend = s3_backend_factory(s3_bucket, "cache")
    files = local_files(tmp_path, [0, 1, 1000, 1024, 4096, 3333])
    sent = record_requests(backend)

    results = backend.upload_many([(src, name) for name, (src, _) in files.items()])

    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    by_dst = {r.dst: r for r in results}
    for name, (_, data) in files.items():
        stored = s3_client.get_object(Bucket=s3_bucket, Key=f"cache/{name}")
        assert stored["Body"].read() == data
        write = by_dst[name].write
        assert write is not None
        assert write.size == len(data)
        assert write.digest == hashlib.md5(data).hexdigest()
        assert write.etag == stored["ETag"].strip('"') == write.digest
    # once per backend, the stale multipart uploads are listed (see uploads.py); then
    # one PutObject per file and nothing else; each names its body's md5
    assert [op for op, _ in sent] == ["ListMultipartUploads"] + ["PutObject"] * len(files)
    puts = sent[1:]
    assert sorted(h["Content-MD5"] for _, h in puts) == sorted(
        md5_b64(data) for _, data in files.values()
    )
    for _, headers in puts:
        assert "Expect" not in headers, "a small body needs no 100-continue round trip"
        # botocore's CRC32 stays on (see _client_settings for why)
        assert [h for h in headers if h.lower() == "x-amz-checksum-crc32"]
        assert headers["User-Agent"].startswith("dvcremote-s3 ")


def test_s3_bulk_upload_sends_files_over_the_limit_through_s3fs(
    s3_client: Any,
    s3_bucket: str,
    s3_backend_factory: BackendFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backend_module, "SINGLE_PUT_LIMIT", 1000)
    backend = s3_backend_factory(s3_bucket)
    files = local_files(tmp_path, [1000, 1001, 5000])
    sent = record_requests(backend)

    results = backend.upload_many([(src, name) for name, (src, _) in files.items()])

    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    for name, (_, data) in files.items():
        assert s3_client.get_object(Bucket=s3_bucket, Key=name)["Body"].read() == data
    # only the file within the limit went out directly (with its Content-MD5)
    with_md5 = [h["Content-MD5"] for _, h in sent if "Content-MD5" in h]
    assert with_md5 == [md5_b64(data) for _, data in files.values() if len(data) <= 1000]
    assert [op for op, _ in sent].count("PutObject") == 3


def test_s3_bulk_upload_keeps_server_side_encryption(
    s3_client: Any, s3_bucket: str, s3_backend_factory: BackendFactory, tmp_path: Path
) -> None:
    backend = s3_backend_factory(s3_bucket, sse="AES256")
    files = local_files(tmp_path, [10, 2000])
    results = backend.upload_many([(src, name) for name, (src, _) in files.items()])
    assert all(r.ok for r in results)
    for name in files:
        head = s3_client.head_object(Bucket=s3_bucket, Key=name)
        assert head["ServerSideEncryption"] == "AES256"


def test_s3_versioned_bulk_upload_takes_version_ids_from_the_replies(
    s3_client: Any, s3_versioned_bucket: str, s3_backend_factory: BackendFactory, tmp_path: Path
) -> None:
    backend = s3_backend_factory(s3_versioned_bucket, version_aware=True)
    files = local_files(tmp_path / "one", [100, 200, 300])
    backend.upload_many([])  # the versioning check, before recording
    sent = record_requests(backend)
    pairs = [(src, name) for name, (src, _) in files.items()]

    first = backend.upload_many(pairs)
    second = backend.upload_many(pairs)  # same keys again: new versions

    ops = [op for op, _ in sent]
    assert ops == ["ListMultipartUploads"] + ["PutObject"] * 6, "no HeadObject per file"
    for results in (first, second):
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    for old, new in zip(first, second, strict=True):
        assert old.write is not None and new.write is not None
        assert old.write.version_id and new.write.version_id
        assert old.write.version_id != new.write.version_id
        listed = s3_client.list_object_versions(Bucket=s3_versioned_bucket, Prefix=old.dst)
        assert {v["VersionId"] for v in listed["Versions"]} == {
            old.write.version_id,
            new.write.version_id,
        }
        data = files[old.dst][1]
        assert backend.read_bytes(old.dst, version_id=old.write.version_id) == data


def test_s3_bulk_upload_failures_are_per_item_and_typed(
    s3_server: S3Server,
    s3_client: Any,
    s3_bucket: str,
    s3_backend_factory: BackendFactory,
    tmp_path: Path,
) -> None:
    backend = s3_backend_factory(s3_bucket)
    files = local_files(tmp_path, [10, 20])
    pairs = [(src, name) for name, (src, _) in files.items()]
    pairs.append((str(tmp_path / "no-such-file"), "ab/missing"))
    results = {r.dst: r for r in backend.upload_many(pairs)}
    assert results["ab/missing"].error is not None
    for name, (_, data) in files.items():
        assert results[name].ok
        assert s3_client.get_object(Bucket=s3_bucket, Key=name)["Body"].read() == data
    assert s3_client.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 2

    gone = s3_backend_factory("no-such-bucket-dvcr")
    failed = gone.upload_many(pairs[:2])
    assert [type(r.error) for r in failed] == [StorageNotFound, StorageNotFound]
    for r in failed:
        assert s3_server.secret_access_key not in str(r.error)
        assert s3_server.secret_access_key not in repr(r.error)
