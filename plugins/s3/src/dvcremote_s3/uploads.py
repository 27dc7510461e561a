"""Multipart uploads a killed push left open, aborted at the next push.

S3 keeps the parts of an upload that was never completed or aborted (and bills
them) until a bucket lifecycle rule (``AbortIncompleteMultipartUpload``) removes
them. A push that is killed mid-upload cannot abort its own, so the next push
aborts those under the remote's prefix that are older than a threshold: young
ones may belong to a push running right now from another machine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

#: Uploads started longer ago than this are taken as abandoned.
STALE_AFTER = timedelta(days=1)


def abort_stale_uploads(
    call_s3: Callable[..., Any],
    bucket: str,
    prefix: str,
    older_than: timedelta = STALE_AFTER,
) -> list[str]:
    """Abort every multipart upload under ``prefix`` (a key prefix, "" for the whole
    bucket) started before ``older_than`` ago; returns the keys aborted. Listing
    errors propagate; an upload that ends meanwhile (NoSuchUpload) is skipped."""
    cutoff = datetime.now(timezone.utc) - older_than
    args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    aborted: list[str] = []
    while True:
        page = call_s3("list_multipart_uploads", **args)
        for upload in page.get("Uploads") or ():
            if upload["Initiated"] >= cutoff:
                continue
            try:
                call_s3(
                    "abort_multipart_upload",
                    Bucket=bucket,
                    Key=upload["Key"],
                    UploadId=upload["UploadId"],
                )
            except FileNotFoundError:  # completed or aborted by its owner meanwhile
                continue
            aborted.append(upload["Key"])
        if not page.get("IsTruncated"):
            return aborted
        args["KeyMarker"] = page.get("NextKeyMarker")
        args["UploadIdMarker"] = page.get("NextUploadIdMarker")
