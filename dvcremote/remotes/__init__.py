"""Remote adapters, chosen per remote from its config.

``version_aware`` / ``worktree`` in a remote's config select the adapter; a plain
remote is content-addressed. Adapters are imported only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from dvcremote.errors import ConfigError
from dvcremote.remotes.base import Remote

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend
    from dvcremote.cache import LocalCache
    from dvcremote.config import RemoteConfig
    from dvcremote.integrity import CacheVerifier

CONTENT = "content"
VERSION_AWARE = "version_aware"
WORKTREE = "worktree"

#: kind -> "module:Class"
ADAPTERS: dict[str, str] = {
    CONTENT: "dvcremote.remotes.content:ContentRemote",
    VERSION_AWARE: "dvcremote.remotes.version_aware:VersionAwareRemote",
    WORKTREE: "dvcremote.remotes.worktree:WorktreeRemote",
}


def adapter_kind(config: RemoteConfig) -> str:
    """``worktree`` if set, else ``version_aware`` if set, else ``content``."""
    if config.worktree:
        _ = config.version_aware  # raises for worktree with version_aware = false
        return WORKTREE
    if config.version_aware:
        return VERSION_AWARE
    return CONTENT


def adapter_class(kind: str) -> type[Remote]:
    target = ADAPTERS.get(kind)
    if target is None:
        raise ConfigError(f"unknown remote kind {kind!r}")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ConfigError(
            f"{kind.replace('_', '-')} remotes are not available in this build"
        ) from None
    cls: type[Remote] = getattr(module, class_name)
    return cls


def open_remote(
    config: RemoteConfig, backend: Backend, cache: LocalCache, verifier: CacheVerifier
) -> Remote:
    """Wrap an open backend in the adapter ``config`` asks for; the backend is closed
    if the adapter refuses it."""
    cls = adapter_class(adapter_kind(config))
    try:
        return cls(config, backend, cache, verifier)
    except BaseException:
        backend.close()
        raise


__all__ = [
    "ADAPTERS",
    "CONTENT",
    "VERSION_AWARE",
    "WORKTREE",
    "Remote",
    "adapter_class",
    "adapter_kind",
    "open_remote",
]
