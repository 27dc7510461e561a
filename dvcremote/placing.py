"""Putting files at workspace paths whole or not at all: a temp name, then a rename.

A run killed mid-copy must leave the final path absent or whole (never a partial
file that the next run takes for a local change), and never a temp file in the
workspace. So a file is made under ``.dvc/tmp/dvcremote/place/`` (the same
filesystem as the workspace, as a rename needs) and renamed over its final path.
Where a workspace folder is on another filesystem (a mount point inside the
workspace), the temp goes beside the file under a hidden name instead.

Temp names carry the process id; a later run removes those of processes that
are gone (killed runs), leaving a concurrent run's temps alone.
"""

from __future__ import annotations

import errno
import itertools
import os
import threading
from collections.abc import Callable
from typing import TypeVar

#: Where workspace temps live, relative to the ``.dvc`` folder.
PLACE_DIR = os.path.join("tmp", "dvcremote", "place")
#: Suffix of the hidden temps made beside a file (other filesystem only).
SIBLING_SUFFIX = ".dvcremote-tmp"

T = TypeVar("T")


class Placer:
    """Atomic placement of workspace files for one command run."""

    def __init__(self, dvc_dir: str) -> None:
        self.dir = os.path.join(dvc_dir, PLACE_DIR)
        self._token = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._counter = itertools.count()
        self._made = False
        self._beside: set[str] = set()  # folders on another filesystem than self.dir
        self._lock = threading.Lock()

    def _tmp(self, dst: str) -> str:
        folder = os.path.dirname(dst)
        n = next(self._counter)
        if folder in self._beside:
            return os.path.join(folder, f".{self._token}.{n}{SIBLING_SUFFIX}")
        if not self._made:
            os.makedirs(self.dir, exist_ok=True)
            self._made = True
        return os.path.join(self.dir, f"{self._token}.{n}")

    def place(self, dst: str, make: Callable[[str], T]) -> T:
        """Create a new file with ``make(tmp)`` and rename it onto ``dst`` (which may
        exist: it is replaced in one step). On any failure the temp is removed."""
        tmp = self._tmp(dst)
        try:
            result = make(tmp)
            try:
                os.replace(tmp, dst)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                _unlink_quiet(tmp)
                with self._lock:
                    self._beside.add(os.path.dirname(dst))
                return self.place(dst, make)
            if os.path.lexists(tmp):
                # Renaming a hard link onto the same inode is a no-op that keeps both names.
                _unlink_quiet(tmp)
            return result
        except BaseException:
            _unlink_quiet(tmp)
            raise

    def clean_stale(self) -> int:
        """Remove temps left by runs that were killed; returns how many."""
        try:
            names = os.listdir(self.dir)
        except OSError:
            return 0
        removed = 0
        for name in names:
            if not is_alive(owner_pid(name)):
                try:
                    os.unlink(os.path.join(self.dir, name))
                    removed += 1
                except OSError:
                    continue
        return removed


def owner_pid(name: str) -> int | None:
    """The process id a temp name was made by (``<pid>-<random>.<n>``), if it parses."""
    head = name.lstrip(".").partition("-")[0]
    return int(head) if head.isdigit() else None


def is_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_if_stale(path: str) -> bool:
    """Remove a hidden beside-the-file temp (``SIBLING_SUFFIX``) whose run is gone."""
    name = os.path.basename(path)
    if not name.endswith(SIBLING_SUFFIX) or is_alive(owner_pid(name)):
        return False
    _unlink_quiet(path)
    return True


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
