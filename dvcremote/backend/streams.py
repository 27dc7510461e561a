"""Copying a stream while hashing it: built-in backends report an md5 digest on write."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import IO

CHUNK = 1 << 20


def copy_hashing(src: IO[bytes], write: Callable[[bytes], object]) -> tuple[int, str]:
    """Copy ``src`` into ``write`` in chunks; return (size, md5 hex)."""
    md5 = hashlib.md5()
    size = 0
    while chunk := src.read(CHUNK):
        md5.update(chunk)
        write(chunk)
        size += len(chunk)
    return size, md5.hexdigest()


def read_hashing(src: IO[bytes]) -> tuple[bytes, str]:
    """Read all of ``src``; return (bytes, md5 hex)."""
    parts: list[bytes] = []
    _, digest = copy_hashing(src, parts.append)
    return b"".join(parts), digest
