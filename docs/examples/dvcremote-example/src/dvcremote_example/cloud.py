"""ExampleCloud: the tests' own view of the storage, without going through the Backend.

It talks to the memory filesystem directly, so a bug in ExampleBackend cannot hide
behind the same bug in the check (for S3 this would be a plain boto3 client).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from fsspec.implementations.memory import MemoryFileSystem

from dvcremote_example.backend import BASE, SCHEME
from dvcremote_testing.cloud import Cloud


class ExampleCloud(Cloud):
    def __init__(self, bucket: str, path: str = "") -> None:
        super().__init__(path)
        self.bucket = bucket
        self.fs = MemoryFileSystem()

    @property
    def url(self) -> str:
        return f"{SCHEME}://{posixpath.join(self.bucket, self.path)}".rstrip("/")

    @property
    def _full(self) -> str:
        return posixpath.join(BASE, self.bucket, self.path).rstrip("/")

    def _child(self, path: str) -> ExampleCloud:
        return ExampleCloud(self.bucket, path)

    def exists(self) -> bool:
        return bool(self.fs.exists(self._full))

    def is_file(self) -> bool:
        return bool(self.fs.isfile(self._full))

    def is_dir(self) -> bool:
        return bool(self.fs.isdir(self._full))

    def read_bytes(self) -> bytes:
        data: bytes = self.fs.cat_file(self._full)
        return data

    def write_bytes(self, data: bytes) -> None:
        self.fs.pipe_file(self._full, data)

    def unlink(self, missing_ok: bool = False) -> None:
        if missing_ok and not self.fs.isfile(self._full):
            return
        self.fs.rm_file(self._full)

    def rmdir(self, recursive: bool = True) -> None:
        if self.fs.exists(self._full):
            self.fs.rm(self._full, recursive=recursive)

    def iterdir(self) -> Iterator[Cloud]:
        for name in sorted(self.fs.ls(self._full, detail=False)):
            yield self / posixpath.basename(name.rstrip("/"))

    def close(self) -> None:
        """Forget the whole bucket: every test starts from an empty one."""
        root = posixpath.join(BASE, self.bucket)
        if self.fs.exists(root):
            self.fs.rm(root, recursive=True)
