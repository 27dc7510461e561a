"""Copy between open files with the cheapest call the kernel offers.

Order: a reflink (FICLONE: shares blocks, O(1), on btrfs/xfs), then ``copy_file_range``
(in-kernel, may reflink or copy server-side on NFS), then a plain read/write loop.
Written here rather than borrowed from dvc-objects because importing that package costs
about 0.3 s, and the local backend is on the CLI's start-up path.
"""

from __future__ import annotations

import errno
import os
import sys

_CHUNK = 1 << 30
#: Errors that only mean "this call cannot do it here": fall through to the next method.
_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP,
                errno.EPERM, errno.ENOTTY, errno.EBADF}

if sys.platform == "linux":
    import fcntl

    _FICLONE = 0x40049409

    def _reflink(src_fd: int, dst_fd: int) -> bool:
        try:
            fcntl.ioctl(dst_fd, _FICLONE, src_fd)
        except OSError as exc:
            if exc.errno in _UNSUPPORTED:
                return False
            raise
        return True

else:

    def _reflink(src_fd: int, dst_fd: int) -> bool:
        return False


def _copy_file_range(src_fd: int, dst_fd: int) -> bool:
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is None:
        return False
    try:
        while copy_range(src_fd, dst_fd, _CHUNK):
            pass
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        os.lseek(src_fd, 0, os.SEEK_SET)
        os.lseek(dst_fd, 0, os.SEEK_SET)
        os.ftruncate(dst_fd, 0)
        return False
    return True


def copy_fd(src_fd: int, dst_fd: int, *, reflink: bool | None = None) -> bool:
    """Copy all of ``src_fd`` (from its start) into the empty file ``dst_fd``.

    ``reflink=False`` skips the reflink attempt (a caller that saw it fail on this
    file system: one failing ioctl per small file adds up). Returns whether a
    reflink is worth trying next time."""
    if reflink is not False and _reflink(src_fd, dst_fd):
        return True
    if not _copy_file_range(src_fd, dst_fd):
        while chunk := os.read(src_fd, 1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(dst_fd, view):]
    return False


def copy_into(src_path: str, dst_fd: int, *, reflink: bool | None = None) -> bool:
    """Copy the file at ``src_path`` into the open, empty ``dst_fd`` (see ``copy_fd``)."""
    src_fd = os.open(src_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return copy_fd(src_fd, dst_fd, reflink=reflink)
    finally:
        os.close(src_fd)
