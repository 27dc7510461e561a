"""A lazy, seekable read stream over one S3 object, pinned to what was first opened.

s3fs's file object asks HeadObject first and then issues ranged GETs guarded by
the etag, so a concurrent overwrite between the two turns a plain read into an
error, and its read-ahead block holds megabytes. Here opening is one GetObject
whose body is consumed as the caller reads (one request for a whole-file read,
a small buffer for a partial one). A seek re-opens at the new offset pinned to
the first reply's version id (versioned buckets) or etag, so a reader never
mixes the bytes of two versions: it either reads one of them or gets an error.
"""

from __future__ import annotations

import io
from typing import Any

from fsspec.asyn import sync


class S3ObjectReader(io.RawIOBase):
    def __init__(self, fs: Any, bucket: str, key: str, *, version_id: str | None = None) -> None:
        super().__init__()
        self._fs = fs
        self._bucket = bucket
        self._key = key
        self._version_id = version_id
        self._etag: str | None = None
        self._pos = 0
        self._body: Any = None
        # Fail now (missing object, no permission), not at the first read.
        self._open_at(0)
        self.size: int = self._size

    # --------------------------------------------------------------- opening
    def _open_at(self, pos: int) -> None:
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key}
        if self._version_id is not None:
            kwargs["VersionId"] = self._version_id
        elif self._etag is not None:
            kwargs["IfMatch"] = self._etag
        if pos:
            kwargs["Range"] = f"bytes={pos}-"
        reply = self._fs.call_s3("get_object", **kwargs)
        if self._etag is None:  # the first reply decides what this stream reads
            self._size = int(reply.get("ContentLength") or 0)
            self._etag = reply.get("ETag")
            version = reply.get("VersionId")
            if self._version_id is None and version and version != "null":
                self._version_id = str(version)
        self._body = reply["Body"]

    def _drop_body(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            try:
                body.close()
            except Exception:  # noqa: BLE001, S110 - a half-read connection is just dropped
                pass

    # ------------------------------------------------------------- io.RawIOBase
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        if self._body is None:
            self._open_at(self._pos)
        data = sync(self._fs.loop, self._body.read, want)
        if not data:
            raise ConnectionError(
                f"the connection ended {self._size - self._pos} bytes before the end of the object"
            )
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n

    def readall(self) -> bytes:
        """The rest of the object in as few calls as possible (not 8 KiB at a time)."""
        parts: list[bytes] = []
        while self._pos < self._size:
            if self._body is None:
                self._open_at(self._pos)
            data = sync(self._fs.loop, self._body.read, self._size - self._pos)
            if not data:
                raise ConnectionError("the connection ended before the end of the object")
            parts.append(data)
            self._pos += len(data)
        return b"".join(parts)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if target < 0:
            raise ValueError("negative seek position")
        if target != self._pos:
            self._drop_body()
            self._pos = target
        return self._pos

    def close(self) -> None:
        if not self.closed:
            self._drop_body()
        super().close()
