"""Content hashes as DVC computes them: raw md5 (3.x) and legacy md5-dos2unix (2.x).

Files are streamed in fixed 1 MiB chunks. For md5-dos2unix the chunk size is part
of the format (each chunk is judged text or binary on its own first 512 bytes), so
it must stay exactly 1 MiB to give the ids DVC 2.x gave.
"""

from __future__ import annotations

import hashlib
import os
from typing import Final

MD5: Final = "md5"
MD5_DOS2UNIX: Final = "md5-dos2unix"
HASH_NAMES: Final = (MD5, MD5_DOS2UNIX)

CHUNK_SIZE: Final = 1 << 20
_TEXT_PROBE: Final = 512
_TEXT_CHARS: Final = bytes(range(32, 127)) + b"\n\r\t\f\b"

EMPTY_MD5: Final = "d41d8cd98f00b204e9800998ecf8427e"


def _md5() -> hashlib._Hash:
    return hashlib.md5(usedforsecurity=False)


def is_text_block(block: bytes) -> bool:
    """DVC 2.x's text test: no NUL and at most 30% bytes outside printable ASCII."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    return len(block.translate(None, _TEXT_CHARS)) / len(block) <= 0.30


def _dos2unix_chunk(chunk: bytes) -> bytes:
    if chunk and is_text_block(chunk[:_TEXT_PROBE]):
        return chunk.replace(b"\r\n", b"\n")
    return chunk


def bytes_md5(data: bytes, name: str = MD5) -> str:
    """Hash in-memory content exactly as a file with these bytes would be hashed."""
    h = _md5()
    if name == MD5:
        h.update(data)
    else:
        _check_name(name)
        view = memoryview(data)
        for start in range(0, len(data), CHUNK_SIZE):
            h.update(_dos2unix_chunk(bytes(view[start : start + CHUNK_SIZE])))
    return h.hexdigest()


def file_md5(path: str | os.PathLike[str], name: str = MD5) -> str:
    """Hash a file by streaming it; memory stays at one chunk whatever the size."""
    h = _md5()
    if name == MD5:
        buf = bytearray(CHUNK_SIZE)
        view = memoryview(buf)
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h.update(view[:n])
        return h.hexdigest()
    _check_name(name)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            h.update(_dos2unix_chunk(chunk))
    return h.hexdigest()


def copy_hashing(src: str | os.PathLike[str], dst_fd: int, name: str = MD5) -> str:
    """Copy ``src`` into ``dst_fd`` and return the hash of exactly the bytes copied.

    Hashing what is copied (not the file before or after) is what keeps a cache
    object's content equal to its name while someone writes to the source. md5
    runs on a second thread (it releases the GIL), beside the reads and writes.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    _check_name(name)
    h = _md5()
    update = h.update if name == MD5 else (lambda chunk: h.update(_dos2unix_chunk(chunk)))
    # md5-dos2unix needs whole 1 MiB chunks: a buffered read never returns fewer early.
    buffering = 0 if name == MD5 else -1
    with open(src, "rb", buffering=buffering) as f, ThreadPoolExecutor(max_workers=1) as hasher:
        pending: Future[None] | None = None
        while chunk := f.read(CHUNK_SIZE):
            next_hash = hasher.submit(update, chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(dst_fd, view) :]
            if pending is not None:
                pending.result()
            pending = next_hash
        if pending is not None:
            pending.result()
    return h.hexdigest()


def _check_name(name: str) -> None:
    if name not in HASH_NAMES:
        raise ValueError(f"unsupported hash {name!r} (supported: {', '.join(HASH_NAMES)})")
