"""Checking the config options a built-in backend's ``from_url`` receives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dvcremote.errors import ConfigError

#: Remote keys the core interprets itself; backends accept and ignore them.
GENERIC_REMOTE_KEYS = frozenset(
    {"url", "jobs", "verify", "version_aware", "worktree", "checksum_jobs", "no_traverse"}
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def as_bool(name: str, value: Any) -> bool:
    """Config values arrive as strings from config files; accept both forms."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"option {name!r} must be true or false, not {value!r}")


def reject_unknown(backend: str, options: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(options) - set(known) - GENERIC_REMOTE_KEYS)
    if unknown:
        raise ConfigError(f"unknown option(s) for the {backend} backend: {', '.join(unknown)}")
