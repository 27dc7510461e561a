"""Names the built-in backends make up themselves: temp files and version ids.

Temp files share one prefix so every backend's listing can skip a write that is still
in flight (or was interrupted) without knowing who started it.
"""

from __future__ import annotations

import itertools
import os
import threading
import time

#: Prefix of in-flight temp files; listings hide names that start with it.
TEMP_PREFIX = ".dvcremote-tmp-"

_lock = threading.Lock()
_last_ns = 0
_token = ""
_counter = itertools.count()


def _new_token() -> None:
    """A fresh per-process prefix: a forked child must not reuse its parent's names."""
    global _token, _counter
    _token = f"{os.getpid():x}{os.urandom(6).hex()}"
    _counter = itertools.count()


_new_token()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_token)


def temp_name() -> str:
    """A sibling name for a file being written; short, so any valid name still fits.

    Unique without randomness per file (a process token and a counter): temp names
    are made once per object on every push and pull. Writers still create them with
    O_EXCL, so even a collision could not make two writers share a file."""
    return f"{TEMP_PREFIX}{_token}-{next(_counter):x}"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX)


def new_version_id() -> str:
    """A unique, opaque id whose string order is creation order (within one process).

    16 hex digits of nanoseconds, bumped so ids never repeat or go backwards here,
    then 8 random hex digits so two processes never collide.
    """
    global _last_ns
    import secrets

    with _lock:
        now = max(time.time_ns(), _last_ns + 1)
        _last_ns = now
    return f"{now:016x}{secrets.token_hex(4)}"


VERSION_ID_LENGTH = 24


def is_version_id(text: str) -> bool:
    """Whether ``text`` could be an id from :func:`new_version_id` (guards path use)."""
    return len(text) == VERSION_ID_LENGTH and all(c in "0123456789abcdef" for c in text)
