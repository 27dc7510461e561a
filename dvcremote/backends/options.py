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


def parse_bool(label: str, value: Any) -> bool:
    """A boolean setting: config values arrive as strings from config files, so accept
    both forms. ``label`` names the setting in the error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{label} must be true or false, not {value!r}")


def as_bool(name: str, value: Any) -> bool:
    """The backend option ``name`` as a boolean."""
    return parse_bool(f"option {name!r}", value)


def as_number(name: str, value: Any, *, whole: bool = False, minimum: float | None = None) -> float:
    """A numeric setting (config values arrive as strings): positive, or at least
    ``minimum`` when given. ``whole`` refuses fractions; the result is then an int."""
    try:
        number: float = int(value) if whole else float(value)
    except (TypeError, ValueError):
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name} must be {kind}, not {value!r}") from None
    if minimum is None and number <= 0:
        raise ConfigError(f"{name} must be positive, not {value!r}")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value!r}")
    return number


def reject_unknown(backend: str, options: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(options) - set(known) - GENERIC_REMOTE_KEYS)
    if unknown:
        raise ConfigError(f"unknown option(s) for the {backend} backend: {', '.join(unknown)}")
