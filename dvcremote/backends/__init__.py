"""The storage backends that ship with the core: ``local`` (optionally versioned) and ``memory``."""

from dvcremote.backends.local import LocalBackend
from dvcremote.backends.memory import MemoryBackend
from dvcremote.backends.versioned_local import VersionedLocalBackend

__all__ = ["LocalBackend", "MemoryBackend", "VersionedLocalBackend"]
