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
import threading
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
    """``.dvc/tmp/lock``, re-entrant in the thread holding it (``pull`` runs
    ``checkout``); another thread using the same object waits as another process would."""

    def __init__(self, dvc_dir: str) -> None:
        self.path = os.path.join(dvc_dir, LOCK_NAME)
        self._file: IO[str] | None = None
        self._depth = 0
        self._owner = threading.RLock()

    @property
    def held(self) -> bool:
        """Whether this thread holds the lock."""
        if not self._owner.acquire(blocking=False):
            return False
        try:
            return self._depth > 0
        finally:
            self._owner.release()

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, retrying for up to ``wait`` seconds (``math.inf``: as long as it
        takes); RepoLocked when another process (or thread) still holds it."""
        deadline = None if math.isinf(wait) else time.monotonic() + max(wait, 0.0)
        if not self._owner.acquire(timeout=-1 if deadline is None else max(wait, 0.0)):
            raise RepoLocked(os.path.join(".dvc", LOCK_NAME))
        if self._depth:
            self._depth += 1
            return
        try:
            self._file = self._lock_file(deadline)
        except BaseException:
            self._owner.release()
            raise
        self._depth = 1

    def _lock_file(self, deadline: float | None) -> IO[str]:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        while True:
            f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
            try:
                if _try_lock(f):
                    # No pid written (zc.lockfile's is informative only): a refused or
                    # read-only run leaves the repository byte for byte as it was.
                    return f
            except BaseException:
                f.close()
                raise
            f.close()
            if deadline is not None and time.monotonic() >= deadline:
                raise RepoLocked(os.path.join(".dvc", LOCK_NAME))
            time.sleep(_POLL)

    def release(self) -> None:
        """Undo one ``acquire`` of this thread; the last one unlocks the file."""
        if not self.held:
            return
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                try:
                    _unlock(self._file)
                finally:
                    self._file.close()
                    self._file = None
        finally:
            self._owner.release()
