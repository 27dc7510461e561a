"""Plain result records returned by backends; they hold data, never connections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    modified_at: datetime | None = None
    etag: str | None = None
    version_id: str | None = None
    #: Only set by ``list_versions``: whether this is the current version.
    is_latest: bool | None = None
    metadata: Mapping[str, str] | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class FolderInfo:
    path: str
    modified_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class WriteResult:
    path: str
    size: int
    etag: str | None = None
    version_id: str | None = None
    #: md5 hex digest of the bytes written, when the backend computed or was told it.
    digest: str | None = None


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    backend: str
    latency_s: float
    detail: str = ""


@dataclass(frozen=True)
class TransferResult:
    """Outcome of one item of a bulk upload or download; failures do not raise."""

    src: str
    dst: str
    error: Exception | None = None
    write: WriteResult | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
