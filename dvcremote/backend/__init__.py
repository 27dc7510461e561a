"""The Backend contract and the pieces every storage plugin builds on."""

from dvcremote.backend.base import AtomicWriter, Backend
from dvcremote.backend.capabilities import ALL_CAPABILITIES, Capability
from dvcremote.backend.registry import (
    ENTRY_POINT_GROUP,
    available_schemes,
    backend_class,
    open_backend,
    scheme_of,
)
from dvcremote.backend.types import FileInfo, FolderInfo, HealthReport, TransferResult, WriteResult

__all__ = [
    "ALL_CAPABILITIES",
    "ENTRY_POINT_GROUP",
    "AtomicWriter",
    "Backend",
    "Capability",
    "FileInfo",
    "FolderInfo",
    "HealthReport",
    "TransferResult",
    "WriteResult",
    "available_schemes",
    "backend_class",
    "open_backend",
    "scheme_of",
]
