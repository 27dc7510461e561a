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
    """ConfigError naming the options ``from_url`` does not take (never their values)."""
    import difflib

    accepted = sorted(set(known) | GENERIC_REMOTE_KEYS)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        hints = [difflib.get_close_matches(k, accepted, n=1, cutoff=0.6) for k in unknown]
        named = ", ".join(
            f"{k} (did you mean {h[0]}?)" if h else k for k, h in zip(unknown, hints, strict=True)
        )
        raise ConfigError(f"unknown option(s) for the {backend} backend: {named}")
