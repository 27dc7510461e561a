"""The storage backends that ship with the core: ``local`` (optionally versioned) and ``memory``.

Each is imported when first named, so opening a local remote does not load the
others (the CLI's start-up time counts every module).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dvcremote.backends.local import LocalBackend
    from dvcremote.backends.memory import MemoryBackend
    from dvcremote.backends.versioned_local import VersionedLocalBackend

_WHERE = {
    "LocalBackend": "dvcremote.backends.local",
    "MemoryBackend": "dvcremote.backends.memory",
    "VersionedLocalBackend": "dvcremote.backends.versioned_local",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = ["LocalBackend", "MemoryBackend", "VersionedLocalBackend"]
