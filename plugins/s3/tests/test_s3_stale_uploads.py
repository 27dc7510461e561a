"""A push aborts the multipart uploads a killed push left under the remote's prefix
(and only those, and only stale ones), against moto's S3 server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dvcremote.repo import Repo
from dvcremote_s3.backend import S3Backend
from dvcremote_s3.testing import S3Server


def _open_uploads(client: Any, bucket: str) -> set[str]:
    return {u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])}


def _start_upload(client: Any, bucket: str, key: str) -> None:
    """What a push killed mid-upload leaves: an upload with a part, never completed."""
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)
    client.upload_part(
        Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024
    )


def _push(tmp_path: Path, url: str, options: dict[str, Any]) -> None:
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "a").write_text("alpha")
    repo = Repo.init(ws, no_scm=True)
    repo.remote_add("r", url, default=True, **options)
    repo.add("data")
    assert repo.push().ok


def test_push_aborts_stale_uploads_under_its_prefix_only(
    s3_server: S3Server, s3_client: Any, s3_bucket: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = "store/files/md5/ab/cdef0123456789abcdef0123456789"
    others = ["other/files/md5/ab/cdef", "storex/files/md5/ab/cd"]
    for key in (mine, *others):
        _start_upload(s3_client, s3_bucket, key)
    # "Stale" is "older than 0 s" here, whatever date the server gives an upload.
    monkeypatch.setattr(S3Backend, "STALE_UPLOAD_AGE", timedelta(0))

    _push(tmp_path, f"s3://{s3_bucket}/store", s3_server.remote_options())

    assert _open_uploads(s3_client, s3_bucket) == set(others)


def test_push_leaves_young_uploads_alone(
    s3_server: S3Server, s3_client: Any, s3_bucket: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upload younger than the threshold may be another machine's push in progress."""
    key = "store/files/md5/ab/cdef0123456789abcdef0123456789"
    _start_upload(s3_client, s3_bucket, key)
    (upload,) = s3_client.list_multipart_uploads(Bucket=s3_bucket)["Uploads"]
    age = datetime.now(timezone.utc) - upload["Initiated"]  # moto dates every upload 2010
    monkeypatch.setattr(S3Backend, "STALE_UPLOAD_AGE", age + timedelta(days=1))

    _push(tmp_path, f"s3://{s3_bucket}/store", s3_server.remote_options())

    assert _open_uploads(s3_client, s3_bucket) == {key}
