"""What a backend can do, declared up front so callers can choose a path before any I/O."""

from __future__ import annotations

from enum import Enum


class Capability(str, Enum):
    READ = "READ"
    WRITE = "WRITE"
    DELETE = "DELETE"
    LIST = "LIST"
    MOVE = "MOVE"
    COPY = "COPY"
    METADATA = "METADATA"
    #: Readers never observe a partially written file at its final path.
    ATOMIC_WRITE = "ATOMIC_WRITE"
    #: ``read()`` returns a stream that supports ``seek``.
    SEEKABLE_READ = "SEEKABLE_READ"
    #: ``read()`` fetches bytes as they are consumed instead of all at once.
    LAZY_READ = "LAZY_READ"
    #: ``write(..., metadata=...)`` stores user key/value metadata.
    USER_METADATA = "USER_METADATA"
    #: The storage itself reports etag/version on write (no extra round trip).
    WRITE_RESULT_NATIVE = "WRITE_RESULT_NATIVE"
    #: Writes create versions; old versions stay readable by id.
    VERSIONING = "VERSIONING"
    #: ``write`` without ``overwrite`` is decided by the storage in one step: of writers
    #: racing to create one path exactly one wins, the others get ``AlreadyExists``.
    EXCLUSIVE_CREATE = "EXCLUSIVE_CREATE"

    def __str__(self) -> str:
        return self.value


ALL_CAPABILITIES: frozenset[Capability] = frozenset(Capability)
