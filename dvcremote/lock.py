"""The repository lock: one writing command at a time, dvc's included.

dvc 3.x locks ``.dvc/tmp/lock`` with zc.lockfile: an exclusive, non-blocking
``flock`` on the file (``msvcrt.locking`` of its first byte on Windows; the pid it
writes there is for people, not for locking). Taking the same lock the same way
makes dvc and dvcremote exclude each other. The kernel drops the lock when its holder dies, so
a killed command never leaves a stale lock; the file itself stays, as dvc's does.
(dvc's ``core.hardlink_lock`` mode uses another mechanism: not excluded.)
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import IO

from dvcremote.errors import RepoLocked

#: Where the lock lives, relative to the ``.dvc`` folder.
LOCK_NAME = os.path.join("tmp", "lock")
_POLL = 0.05

if sys.platform == "win32":  # pragma: no cover - CI runs on Linux
    import msvcrt

    def _try_lock(f: IO[str]) -> bool:
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(f: IO[str]) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class RepoLock:
    """``.dvc/tmp/lock``, re-entrant within one object (``pull`` runs ``checkout``)."""

    def __init__(self, dvc_dir: str) -> None:
        self.path = os.path.join(dvc_dir, LOCK_NAME)
        self._file: IO[str] | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, retrying for up to ``wait`` seconds (``math.inf``: as long as it
        takes); RepoLocked when another process still holds it."""
        if self._depth:
            self._depth += 1
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        deadline = None if math.isinf(wait) else time.monotonic() + max(wait, 0.0)
        while True:
            f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
            try:
                if _try_lock(f):
                    break
            except BaseException:
                f.close()
                raise
            f.close()
            if deadline is not None and time.monotonic() >= deadline:
                raise RepoLocked(os.path.join(".dvc", LOCK_NAME))
            time.sleep(_POLL)
        self._file = f  # no pid written (zc.lockfile's is informative only): a refused
        # or read-only run leaves the repository byte for byte as it was
        self._depth = 1

    def release(self) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            try:
                _unlock(self._file)
            finally:
                self._file.close()
                self._file = None
