"""The Backend: fsspec's memory filesystem under ``/dvcremote-example/<bucket>/<prefix>``.

Everything storage-independent (path checks, capability checks, error normalisation,
bulk operations) comes from :class:`~dvcremote.backend.fsspec.FsspecBackend`; this
class only says what the storage is and what it can do.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, ClassVar

from fsspec.implementations.memory import MemoryFileSystem

from dvcremote.backend import Capability
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.errors import ConfigError

SCHEME = "example"
#: Where every bucket lives inside the (process-wide) memory filesystem.
BASE = "/dvcremote-example"


class ExampleBackend(FsspecBackend):
    name: ClassVar[str] = SCHEME
    # Declare only what is true. The memory filesystem keeps no versions, and its
    # readers receive the whole file at once (not lazily).
    CAPABILITIES: ClassVar[frozenset[Capability]] = FsspecBackend.CAPABILITIES - {
        Capability.LAZY_READ
    }
    # A write is visible while it is still being written, so the adapter must write a
    # temp file and move it into place.
    WRITES_ARE_ATOMIC: ClassVar[bool] = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> ExampleBackend:
        """``example://bucket[/prefix]``; no options of its own."""
        prefix = f"{SCHEME}://"
        if not url.startswith(prefix):
            raise ConfigError(f"an example URL starts with {prefix}, not {url!r}")
        location = url[len(prefix):].strip("/")
        if not location:
            raise ConfigError(f"an example URL names a bucket: {prefix}BUCKET[/PREFIX]")
        return cls(MemoryFileSystem(), f"{BASE}/{location}", **options)

    def _open_read(self, path: str, version_id: str | None) -> BinaryIO:
        # MemoryFileSystem hands every reader the same buffer (one shared position):
        # give each reader its own copy so concurrent downloads do not interleave.
        try:
            return io.BytesIO(self.fs.cat_file(self._full(path)))
        except FileNotFoundError as exc:
            raise self._not_found(path, version_id) from exc
