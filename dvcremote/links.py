"""Putting a cache file at a workspace path: reflink, hardlink, symlink or copy.

On Linux the reflink is the FICLONE ioctl, done here directly: importing
``dvc_objects.fs`` for it would load fsspec, which costs more wall time than
checking out thousands of small files. Other platforms use dvc-objects'
implementation (macOS clonefile), imported only when first needed.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import threading
from collections.abc import Sequence

from dvcremote.errors import ConfigError

_FICLONE = 0x40049409

#: errnos meaning "this link type does not work here", as opposed to a real failure.
_UNSUPPORTED = frozenset(
    {
        errno.EXDEV,
        errno.EOPNOTSUPP,
        errno.ENOTSUP,
        errno.EINVAL,
        errno.ENOTTY,
        errno.EPERM,
        errno.EMLINK,
        errno.ENOSYS,
        errno.EBADF,
        errno.EACCES,
    }
)


def reflink(src: str, dst: str) -> None:
    if sys.platform == "linux":
        import fcntl

        src_fd = os.open(src, os.O_RDONLY)
        try:
            dst_fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                fcntl.ioctl(dst_fd, _FICLONE, src_fd)
            except OSError:
                os.close(dst_fd)
                dst_fd = -1
                os.unlink(dst)
                raise
            finally:
                if dst_fd >= 0:
                    os.close(dst_fd)
        finally:
            os.close(src_fd)
        return
    from dvc_objects.fs.system import reflink as _reflink

    _reflink(src, dst)


def hardlink(src: str, dst: str) -> None:
    os.link(os.path.realpath(src), dst)


def symlink(src: str, dst: str) -> None:
    os.symlink(os.path.abspath(src), dst)


def copy(src: str, dst: str) -> None:
    """Copy into a new file (never over an existing one), in the kernel where it can.

    Fewer system calls than ``shutil.copyfile`` (no samefile / fifo checks), which
    counts when checking out tens of thousands of small files.
    """
    sfd = os.open(src, os.O_RDONLY)
    try:
        dfd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            _copy_fd(sfd, dfd, os.fstat(sfd).st_size)
        finally:
            os.close(dfd)
    finally:
        os.close(sfd)


def _copy_fd(sfd: int, dfd: int, size: int) -> None:
    copied = 0
    if _HAS_COPY_RANGE:
        try:
            while copied < size:
                n = os.copy_file_range(sfd, dfd, size - copied)
                if n == 0:
                    break
                copied += n
            return
        except OSError as exc:
            if exc.errno not in (
                errno.EXDEV,
                errno.ENOSYS,
                errno.EINVAL,
                errno.EOPNOTSUPP,
                errno.EBADF,
                errno.EPERM,
            ):
                raise
    os.lseek(sfd, copied, os.SEEK_SET)
    os.lseek(dfd, copied, os.SEEK_SET)
    with open(sfd, "rb", closefd=False) as fin, open(dfd, "wb", closefd=False) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


_HAS_COPY_RANGE = hasattr(os, "copy_file_range")


_LINKERS = {"reflink": reflink, "hardlink": hardlink, "symlink": symlink, "copy": copy}


class Linker:
    """Tries the configured link types in order and remembers the first that works."""

    def __init__(self, types: Sequence[str]) -> None:
        unknown = [t for t in types if t not in _LINKERS]
        if unknown or not types:
            raise ConfigError(f"unknown cache link type(s): {', '.join(unknown) or '(none)'}")
        self.types = tuple(types)
        self._start = 0
        self._lock = threading.Lock()

    @property
    def preferred(self) -> str:
        return self.types[self._start]

    def remaining(self) -> tuple[str, ...]:
        """The link types still worth trying, best first."""
        return self.types[self._start :]

    def drop(self, kind: str) -> None:
        """Stop trying ``kind`` (and anything before it): this filesystem refuses it."""
        with self._lock:
            if kind in self.types[:-1]:
                self._start = max(self._start, self.types.index(kind) + 1)

    def link(self, src: str, dst: str) -> str:
        """Create ``dst`` from cache file ``src``; returns the link type used.

        ``dst`` must not exist. Raises the last OSError when no type works.
        """
        last: OSError | None = None
        for i in range(self._start, len(self.types)):
            kind = self.types[i]
            try:
                _LINKERS[kind](src, dst)
            except BaseException as exc:
                # Never leave a partial file (a full disk mid-copy) where data belongs;
                # a file that was already there is not ours to remove.
                if not isinstance(exc, FileExistsError):
                    try:
                        os.unlink(dst)
                    except OSError:
                        pass
                if not isinstance(exc, OSError) or kind == "copy" or exc.errno not in _UNSUPPORTED:
                    raise
                last = exc
                continue
            if i != self._start:
                with self._lock:
                    self._start = max(self._start, i)
            return kind
        assert last is not None
        raise last
