"""S3 as a dvcremote Backend: the core's fsspec adapter over s3fs, plus S3's own answers.

Two classes, because capabilities are declared per class: ``S3Backend`` for a plain
remote and ``S3VersionedBackend`` for a version-aware (or worktree) one, which
needs a bucket with versioning enabled. ``S3Backend.from_url`` picks the class
from the ``version_aware`` / ``worktree`` options.

Where s3fs throws information away, the S3 API is called directly (through s3fs's
own client, so credentials, retries and encryption settings stay one thing):
a small write (alone or in a bulk upload) is one ``PutObject`` whose reply carries
the etag and version id,
a file's info is one ``HeadObject`` (which also returns user metadata), and
version listing is filtered to the exact key (S3 lists by prefix).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import IO, Any, BinaryIO, ClassVar, cast
from urllib.parse import urlsplit, urlunsplit

from dvcremote.backend import paths
from dvcremote.backend.base import Backend, ProgressCallback
from dvcremote.backend.capabilities import Capability
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.backend.streams import copy_hashing
from dvcremote.backend.types import FileInfo, TransferResult, WriteResult
from dvcremote.errors import (
    BackendError,
    NotFound,
    PermissionDenied,
    VersioningNotEnabled,
    VersionNotFound,
)
from dvcremote_s3.config import S3_KEYS, S3_SECRET_KEYS, S3Config, parse_config
from dvcremote_s3.errors import client_error_in, map_s3_error, missing_bucket, s3_error_code
from dvcremote_s3.reader import S3ObjectReader
from dvcremote_s3.uploads import STALE_AFTER, abort_stale_uploads

_C = Capability

#: Writes up to this size go out as one PutObject (its reply is the write result);
#: larger ones stream through s3fs's multipart upload.
SINGLE_PUT_LIMIT = 8 << 20
#: Largest object CopyObject copies in one request (S3's limit).
SINGLE_COPY_LIMIT = 5 << 30

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound", "400"})


class S3Backend(FsspecBackend):
    """An S3 bucket (or a prefix in one) through s3fs."""

    name: ClassVar[str] = "s3"
    CONFIG_KEYS: ClassVar[frozenset[str]] = S3_KEYS
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {
            _C.READ,
            _C.WRITE,
            _C.DELETE,
            _C.LIST,
            _C.MOVE,  # copy + delete: S3 has no rename
            _C.COPY,  # server-side
            _C.METADATA,
            _C.ATOMIC_WRITE,  # an object appears whole on PutObject/CompleteMultipartUpload
            _C.SEEKABLE_READ,
            _C.LAZY_READ,  # ranged GETs as the stream is read
            _C.USER_METADATA,  # x-amz-meta-* headers
            _C.WRITE_RESULT_NATIVE,  # PutObject/CopyObject replies carry etag and version
            _C.EXCLUSIVE_CREATE,  # If-None-Match: * on PutObject / CompleteMultipartUpload
        }
    )
    SECRET_OPTIONS: ClassVar[frozenset[str]] = Backend.SECRET_OPTIONS | S3_SECRET_KEYS
    #: Part size of multipart uploads (S3's minimum is 5 MiB, at most 10,000 parts);
    #: None keeps s3fs's default (50 MiB: objects up to about 500 GB).
    MULTIPART_PART_SIZE: ClassVar[int | None] = None
    WRITES_ARE_ATOMIC: ClassVar[bool] = True
    CREATE_PARENTS: ClassVar[bool] = False
    PRUNE_EMPTY_FOLDERS: ClassVar[bool] = False
    #: A multipart upload under the remote's prefix started longer ago than this is
    #: taken as left by a killed push, and aborted by the next bulk upload.
    STALE_UPLOAD_AGE: ClassVar[timedelta] = STALE_AFTER

    def __init__(self, config: S3Config, **options: Any) -> None:
        super().__init__(_filesystem(config.fs_kwargs), config.location.root, **options)
        self.config = config
        self.bucket = config.location.bucket
        self._bucket_seen = False
        self._stale_uploads_done = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3Backend:
        """``s3://bucket/prefix`` plus DVC's S3 remote keys (``endpointurl``, ``region``, ...)."""
        if cls is S3VersionedBackend and "worktree" not in options:
            options = {"version_aware": True, **options}
        config = parse_config(url, options)
        target: type[S3Backend] = S3VersionedBackend if config.version_aware else S3Backend
        return target(config, **options)

    # ------------------------------------------------------------- identity
    @property
    def location(self) -> str:
        return self.config.location.url

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint, without any user/password part someone put in the URL."""
        url = self.config.endpoint_url
        if not url:
            return None
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))

    def __repr__(self) -> str:
        endpoint = f", endpoint={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"{type(self).__name__}(name={self.name!r}, location={self.location!r}{endpoint})"

    def close(self) -> None:
        """Close the HTTP session now instead of whenever the filesystem is collected."""
        _close_filesystem(self.fs)

    # --------------------------------------------------------------- errors
    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        mapped = map_s3_error(exc, path=path, backend=self.name, redact=self.redact)
        return mapped if mapped is not None else super().map_error(exc, path)

    # ---------------------------------------------------------------- paths
    def _key(self, path: str) -> str:
        prefix = self.config.location.prefix
        return f"{prefix}/{path}" if prefix else path

    def _version_arg(self, version_id: str | None) -> dict[str, str]:
        return {"VersionId": version_id} if version_id is not None else {}

    # ---------------------------------------------------------------- reads
    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        try:
            reader = S3ObjectReader(self.fs, self.bucket, self._key(path), version_id=version_id)
        except OSError as exc:
            if not _is_missing(exc):
                raise
            raise self._not_found(path, version_id) from exc
        return reader  # type: ignore[return-value]  # RawIOBase is a binary stream

    def _exists(self, path: str, version_id: str | None) -> bool:
        if version_id is None:
            return super()._exists(path, None)
        try:
            self._file_info(path, version_id)
        except NotFound:
            return False
        return True

    def _file_info(self, path: str, version_id: str | None) -> FileInfo:
        """One HeadObject: size, etag, version and user metadata together."""
        try:
            head = self.fs.call_s3(
                "head_object",
                Bucket=self.bucket,
                Key=self._key(path),
                **self._version_arg(version_id),
            )
        except OSError as exc:
            if not _is_missing(exc):
                raise
            self._require_storage()
            if version_id is not None:
                raise VersionNotFound(path=path, backend=self.name, version_id=version_id) from exc
            # No such object: the adapter tells a folder from a missing file.
            return super()._file_info(path, None)
        return self._head_to_info(path, head)

    def _head_to_info(self, path: str, head: Mapping[str, Any]) -> FileInfo:
        return self._to_file_info(
            path,
            {
                "size": head.get("ContentLength") or 0,
                "ETag": head.get("ETag"),
                "VersionId": head.get("VersionId"),
                "LastModified": head.get("LastModified"),
                "metadata": head.get("Metadata"),
            },
        )

    def _require_storage(self) -> None:
        """A missing bucket is a wrong remote, not an empty one: say so.

        (s3fs lists a missing bucket as nothing, and a HEAD of a key in it answers a
        bare 404.) Asked on the first "absent" answer only; a bucket seen once is
        assumed to stay.
        """
        if self._bucket_seen:
            return
        try:
            self.fs.call_s3("head_bucket", Bucket=self.bucket)
        except OSError as exc:
            if _is_missing(exc):
                raise missing_bucket(self.bucket, path=None, backend=self.name) from exc
            if not isinstance(self.map_error(exc, None), PermissionDenied):
                raise
            # Not allowed to ask (HeadBucket needs s3:ListBucket): nothing decided.
        self._bucket_seen = True

    # --------------------------------------------------------------- writes
    def _write_kwargs(self, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        return {"Metadata": dict(metadata)} if metadata else {}

    def _write(
        self, path: str, data: IO[bytes], *, overwrite: bool, metadata: Mapping[str, str] | None
    ) -> WriteResult:
        self._refuse_existing(path, overwrite)  # fail before streaming; S3 decides for real
        head = _read_up_to(data, SINGLE_PUT_LIMIT + 1)
        if len(head) <= SINGLE_PUT_LIMIT:
            return self._put_object(path, head, metadata, overwrite=overwrite)
        return self._write_multipart(
            path, cast(IO[bytes], _Prepended(head, data)), metadata, overwrite=overwrite
        )

    def _multipart_fs(self) -> Any:
        """The filesystem whose file objects upload large writes."""
        return self.fs

    def _write_multipart(
        self, path: str, data: IO[bytes], metadata: Mapping[str, str] | None, *, overwrite: bool
    ) -> WriteResult:
        """s3fs's multipart upload; nothing is visible unless it completes.

        Without ``overwrite`` the upload completes only if the key is still absent
        (s3fs's "xb" mode: ``If-None-Match: *`` on the commit), so of racing creates
        exactly one wins.
        """
        sizing = {"block_size": self.MULTIPART_PART_SIZE} if self.MULTIPART_PART_SIZE else {}
        handle = self._multipart_fs().open(
            self._full(path), "wb" if overwrite else "xb", **sizing, **self._write_kwargs(metadata)
        )
        try:
            size, digest = copy_hashing(data, handle.write)
        except BaseException:
            _abort_upload(handle)
            raise
        handle.close()
        self.fs.invalidate_cache(self._full(path))
        version = getattr(handle, "version_id", None)
        # CompleteMultipartUpload's etag is not kept by s3fs: ask for it, at the
        # version just written where the bucket has versions (so no race).
        info = self._file_info(path, version)
        return WriteResult(
            path, size, etag=info.etag, version_id=version or info.version_id, digest=digest
        )

    def _put_object(
        self, path: str, body: bytes, metadata: Mapping[str, str] | None, *, overwrite: bool
    ) -> WriteResult:
        """One PutObject; without ``overwrite`` S3 itself refuses an existing key
        (``If-None-Match: *``), so of racing creates exactly one wins."""
        args, digest = self._put_arguments(path, body)
        if not overwrite:
            args["IfNoneMatch"] = "*"
        reply = self.fs.call_s3("put_object", **args, **self._write_kwargs(metadata))
        self.fs.invalidate_cache(self._full(path))
        return self._reply_to_result(path, len(body), reply, digest)

    def _put_arguments(self, path: str, body: bytes | bytearray) -> tuple[dict[str, Any], str]:
        """PutObject's arguments for ``body`` at ``path``, and the body's md5 (hex).

        Content-MD5 makes the server refuse a body damaged on the way (S3 answers
        BadDigest: ``IntegrityError``), beside botocore's own CRC32. The body
        goes as a bytearray: botocore wraps ``bytes`` in a file object and then sends
        ``Expect: 100-continue``, which costs a round trip per object.
        """
        md5 = hashlib.md5(body)
        args = {
            "Bucket": self.bucket,
            "Key": self._key(path),
            "Body": body if isinstance(body, bytearray) else bytearray(body),
            "ContentMD5": base64.b64encode(md5.digest()).decode("ascii"),
        }
        return args, md5.hexdigest()

    def _reply_to_result(
        self, path: str, size: int, reply: Mapping[str, Any], digest: str | None
    ) -> WriteResult:
        etag = reply.get("ETag")
        version = reply.get("VersionId")
        return WriteResult(
            path,
            size,
            etag=str(etag).strip('"') if etag else None,
            version_id=str(version) if version and version != "null" else None,
            digest=digest,
        )

    def _copy(self, src: str, dst: str, *, overwrite: bool) -> WriteResult:
        info = self._check_source(src)
        size = int(info.get("size") or 0)
        if size > SINGLE_COPY_LIMIT:
            return super()._copy(src, dst, overwrite=overwrite)
        self._refuse_existing(dst, overwrite)
        reply = self.fs.call_s3(
            "copy_object",
            Bucket=self.bucket,
            Key=self._key(dst),
            CopySource={"Bucket": self.bucket, "Key": self._key(src)},
        )
        self.fs.invalidate_cache(self._full(dst))
        result = dict(reply.get("CopyObjectResult") or {})
        result["VersionId"] = reply.get("VersionId")
        return self._reply_to_result(dst, size, result, None)

    # ------------------------------------------------------------------ bulk
    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        """Bulk upload (what push uses); first, once per backend, abort the multipart
        uploads a killed push left under the remote's prefix."""
        self._require(_C.WRITE)
        if pairs and not self._stale_uploads_done:
            self._stale_uploads_done = True
            self._abort_stale_uploads()
        return super().upload_many(pairs, jobs=jobs, callback=callback)

    def _abort_stale_uploads(self) -> None:
        """Housekeeping never fails a push: when the uploads cannot be listed (no
        s3:ListBucketMultipartUploads, say) they are left; the upload reports any
        real storage problem itself."""
        prefix = self.config.location.prefix
        try:
            abort_stale_uploads(
                self.fs.call_s3, self.bucket, f"{prefix}/" if prefix else "",
                self.STALE_UPLOAD_AGE,
            )
        except Exception:  # noqa: BLE001, S110 - the upload itself reports real problems
            pass

    def _upload_async(
        self,
        checked: list[tuple[str, str]],
        todo: list[int],
        results: list[TransferResult | None],
        jobs: int | None,
        callback: ProgressCallback | None,
    ) -> None:
        """One PutObject per small file, sent from its bytes with their Content-MD5.

        Cheaper than s3fs's ``_put_file`` (which stats the file, guesses a content type
        and invalidates the listings cache of every parent folder, per file), and the
        reply carries the etag and version id: a version-aware remote needs no
        HeadObject per file. Files over ``SINGLE_PUT_LIMIT`` still go through
        ``_put_file`` (multipart when large).
        """
        fs: Any = self.fs

        async def one(i: int) -> WriteResult:
            src, dst = checked[i]
            with open(src, "rb") as f:
                body = bytearray(f.read(SINGLE_PUT_LIMIT + 1))  # see _put_arguments
            if len(body) > SINGLE_PUT_LIMIT:
                del body
                full = self._full(dst)
                await fs._put_file(src, full)
                return await self._aupload_result(dst, full, os.path.getsize(src))
            args, digest = self._put_arguments(dst, body)
            reply = await fs._call_s3("put_object", **args)
            return self._reply_to_result(dst, len(body), reply, digest)

        def done(k: int, answer: Any) -> None:
            i = todo[k]
            results[i] = self._transfer(checked[i], answer, checked[i][1])
            if callback:
                callback(results[i])  # type: ignore[arg-type]

        try:
            self._gather([one(i) for i in todo], jobs, done, [checked[i][1] for i in todo])
        finally:
            fs.invalidate_cache()  # once for the batch, not per parent per file


class S3VersionedBackend(S3Backend):
    """A version-aware S3 remote: every write is a version; delete leaves a delete marker.

    The bucket must have versioning enabled. That is checked once, at first use
    (not when the object is built, so configuring a remote needs no network):
    a bucket with versioning off or suspended raises ``VersioningNotEnabled``.
    """

    CAPABILITIES: ClassVar[frozenset[Capability]] = S3Backend.CAPABILITIES | {_C.VERSIONING}

    def __init__(self, config: S3Config, **options: Any) -> None:
        super().__init__(config, **options)
        self._versioning_checked = False
        self._versioning_lock = threading.Lock()
        self._versioned_fs: Any = None

    def _multipart_fs(self) -> Any:
        # Only s3fs's version-aware file objects keep the version id a multipart
        # upload created; listing stays on the plain filesystem (see config.py).
        with self._versioning_lock:
            if self._versioned_fs is None:
                self._versioned_fs = _filesystem({**self.config.fs_kwargs, "version_aware": True})
            return self._versioned_fs

    def close(self) -> None:
        super().close()
        if self._versioned_fs is not None:
            _close_filesystem(self._versioned_fs)

    # ---------------------------------------------------- versioning check
    def check_versioning(self) -> None:
        """Raise ``VersioningNotEnabled`` if the bucket definitely keeps no versions.

        If the answer cannot be had (no permission to ask, bucket missing, server
        down) nothing is decided here: the operation itself reports that.
        """
        if self._versioning_checked:
            return
        with self._versioning_lock:
            if self._versioning_checked:
                return
            try:
                reply = self.fs.call_s3("get_bucket_versioning", Bucket=self.bucket)
            except Exception as exc:  # noqa: BLE001 - undecided; the operation will say why
                if isinstance(self.map_error(exc, None), PermissionDenied):
                    # Not allowed to ask (s3:GetBucketVersioning): rely on writes, which
                    # fail with VersioningNotEnabled if the bucket gives no version id.
                    self._versioning_checked = True
                return
            status = reply.get("Status")
            if status != "Enabled":
                state = "suspended" if status == "Suspended" else "off"
                raise VersioningNotEnabled(
                    f"versioning is {state} on bucket {self.bucket!r}, but the remote is"
                    " version-aware; enable versioning on the bucket (put-bucket-versioning"
                    " Status=Enabled) or remove version_aware/worktree from the remote",
                    backend=self.name,
                )
            self._versioning_checked = True

    @contextmanager
    def _guard(self, path: str | None) -> Iterator[None]:
        # Every single-item operation runs its hooks here; check before the first.
        with super()._guard(path):
            self.check_versioning()
            yield

    def _checked(self) -> None:
        """The versioning check for bulk operations (after their capability check)."""
        with self._guard(paths.ROOT):
            pass

    def exists_many(self, path_list: Iterable[str], *, jobs: int | None = None) -> dict[str, bool]:
        self._checked()
        return super().exists_many(path_list, jobs=jobs)

    def get_file_info_many(
        self, path_list: Iterable[str], *, jobs: int | None = None
    ) -> dict[str, FileInfo | None]:
        self._require(_C.METADATA)
        self._checked()
        return super().get_file_info_many(path_list, jobs=jobs)

    def upload_many(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        self._require(_C.WRITE)
        self._checked()
        return super().upload_many(pairs, jobs=jobs, callback=callback)

    def download_many(
        self,
        items: Sequence[tuple[str, str] | tuple[str, str, str | None]],
        *,
        jobs: int | None = None,
        callback: ProgressCallback | None = None,
    ) -> list[TransferResult]:
        self._require(_C.READ)
        self._checked()
        return super().download_many(items, jobs=jobs, callback=callback)

    # ------------------------------------------------------------- versions
    def _list_versions(self, path: str) -> Iterable[FileInfo]:
        key = self._key(path)
        out: list[FileInfo] = []
        markers: dict[str, str] = {}
        while True:
            page = self.fs.call_s3(
                "list_object_versions", Bucket=self.bucket, Prefix=key, **markers
            )
            for item in page.get("Versions") or []:
                if item.get("Key") != key:  # the listing is by prefix
                    continue
                info = self._to_file_info(
                    path,
                    {
                        "size": item.get("Size") or 0,
                        "ETag": item.get("ETag"),
                        "VersionId": item.get("VersionId"),
                        "LastModified": item.get("LastModified"),
                    },
                )
                out.append(dataclasses.replace(info, is_latest=bool(item.get("IsLatest"))))
            if not page.get("IsTruncated"):
                break
            markers = {
                "KeyMarker": page.get("NextKeyMarker", ""),
                "VersionIdMarker": page.get("NextVersionIdMarker", ""),
            }
        # S3 lists a key's versions newest first; keep that order.
        return out

    def _delete_version(self, path: str, version_id: str) -> None:
        key = self._key(path)
        # S3 answers a DELETE of an unknown version with success; ask first.
        try:
            self.fs.call_s3("head_object", Bucket=self.bucket, Key=key, VersionId=version_id)
        except OSError as exc:
            if _is_missing(exc):
                self._require_storage()
                raise VersionNotFound(path=path, backend=self.name, version_id=version_id) from exc
            raise
        self.fs.call_s3("delete_object", Bucket=self.bucket, Key=key, VersionId=version_id)
        self.fs.invalidate_cache(self._full(path))

    def _write_result(self, path: str, handle: Any, size: int, digest: str | None) -> WriteResult:
        result = super()._write_result(path, handle, size, digest)
        if result.version_id is None:
            raise _no_version(self.bucket, path)
        return result

    def _reply_to_result(
        self, path: str, size: int, reply: Mapping[str, Any], digest: str | None
    ) -> WriteResult:
        result = super()._reply_to_result(path, size, reply, digest)
        if result.version_id is None:
            raise _no_version(self.bucket, path)
        return result


def _filesystem(fs_kwargs: Mapping[str, Any]) -> Any:
    from s3fs import S3FileSystem

    fs = S3FileSystem(**fs_kwargs)
    # Bulk operations keep as many requests in flight as there are connections
    # (fsspec's default, 128, would hold that many file bodies waiting for one).
    connections = (fs_kwargs.get("config_kwargs") or {}).get("max_pool_connections")
    if connections:
        fs.batch_size = connections
    return fs


def _close_filesystem(fs: Any) -> None:
    creator = getattr(fs, "_s3creator", None)
    if creator is None:
        return
    try:
        type(fs).close_session(fs.loop, creator)
    except Exception:  # noqa: BLE001, S110 - closing must not fail the caller
        pass
    fs._s3creator = None
    fs._s3 = None


def _is_missing(exc: BaseException) -> bool:
    """An S3 "no such key/version" answer (not a missing bucket, which says more)."""
    error = client_error_in(exc)
    if error is None:
        return isinstance(exc, FileNotFoundError)
    return s3_error_code(error) in _MISSING_CODES


def _abort_upload(handle: Any) -> None:
    """Abort a multipart upload in progress so no part of it is ever published."""
    try:
        handle.discard()  # s3fs: AbortMultipartUpload and drop the buffer
    except Exception:  # noqa: BLE001, S110 - the write's own error matters more
        pass
    handle.closed = True  # its close() would otherwise flush and publish


def _no_version(bucket: str, path: str) -> VersioningNotEnabled:
    return VersioningNotEnabled(
        f"bucket {bucket!r} returned no version id for a write; is versioning enabled on it?",
        path=path,
        backend=S3VersionedBackend.name,
    )


def _read_up_to(stream: IO[bytes], limit: int) -> bytes:
    """Read until ``limit`` bytes or the end (streams may return short reads)."""
    parts: list[bytes] = []
    got = 0
    while got < limit:
        chunk = stream.read(limit - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


class _Prepended(io.RawIOBase):
    """``head`` followed by the rest of ``tail``: a stream whose start was already read."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head.nbytes:
            n = min(len(buffer), self._head.nbytes)
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._tail.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        return n


__all__ = ["SINGLE_PUT_LIMIT", "S3Backend", "S3VersionedBackend"]
