"""A stat-keyed cache of file hashes, so re-adding unchanged data costs one stat per file.

It also remembers the stat of each cache object whose content was last seen to
match its name (``objects``), so checking a cache object before a push or a
checkout costs one stat unless the object changed.

One sqlite file under ``.dvc/tmp`` (git-ignored, safe to delete). A hash is
trusted only while the file's inode, size and mtime (ns) are all unchanged.
Reads load one folder's rows in a single query; writes go in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from typing import NamedTuple

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hashes (
    path TEXT NOT NULL,
    algo TEXT NOT NULL,
    inode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    PRIMARY KEY (path, algo)
);
CREATE TABLE IF NOT EXISTS objects (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL
)
"""
#: Paths per ``IN (...)`` query (well under sqlite's variable limit).
_QUERY_BATCH = 500


class StatKey(NamedTuple):
    inode: int
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatKey:
        return cls(st.st_ino, st.st_mtime_ns, st.st_size)


class StateDB:
    """Hashes of workspace files keyed by repo-relative posix path and hash name."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._conn: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, int, int, int, str]] = []
        self._pending_objects: dict[str, StatKey] = {}
        self._lock = threading.Lock()
        self._conn_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            with self._conn_lock:  # add's hashing threads may ask at the same time
                if self._conn is None:
                    self._conn = self._open_any()
        return self._conn

    def _open_any(self) -> sqlite3.Connection:
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            return self._open(self.path)
        except sqlite3.OperationalError:
            # Cannot be written here (a full disk, a read-only folder): this run
            # keeps its hashes in memory; the file is left as it is.
            return self._open(":memory:")
        except sqlite3.DatabaseError:
            # Only a cache: a damaged file is dropped and rebuilt.
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.unlink(self.path + suffix)
                except FileNotFoundError:
                    pass
            return self._open(self.path)
        except OSError:
            return self._open(":memory:")

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.executescript(_SCHEMA)
        conn.commit()
        return conn

    def load(self, prefix: str, algo: str) -> dict[str, tuple[StatKey, str]]:
        """Known hashes for ``prefix`` itself and everything under ``prefix/``."""
        conn = self._connect()
        rows = conn.execute(
            "SELECT path, inode, mtime_ns, size, md5 FROM hashes"
            " WHERE algo = ? AND (path = ? OR (path >= ? AND path < ?))",
            (algo, prefix, prefix + "/", prefix + "0"),
        )
        return {p: (StatKey(i, m, s), md5) for p, i, m, s, md5 in rows}

    def get(self, path: str, algo: str, key: StatKey) -> str | None:
        row = (
            self._connect()
            .execute(
                "SELECT inode, mtime_ns, size, md5 FROM hashes WHERE path = ? AND algo = ?",
                (path, algo),
            )
            .fetchone()
        )
        if row is None or StatKey(row[0], row[1], row[2]) != key:
            return None
        return str(row[3])

    def put(self, path: str, algo: str, key: StatKey, md5: str) -> None:
        """Queue a hash; :meth:`commit` writes everything queued at once."""
        with self._lock:
            self._pending.append((path, algo, key.inode, key.mtime_ns, key.size, md5))

    def put_many(self, items: Iterable[tuple[str, str, StatKey, str]]) -> None:
        rows = [(p, a, k.inode, k.mtime_ns, k.size, m) for p, a, k, m in items]
        with self._lock:
            self._pending.extend(rows)

    def verified(self, paths: Sequence[str]) -> dict[str, StatKey]:
        """The stat each cache object in ``paths`` had when its content last matched
        its name (objects never checked are absent)."""
        found: dict[str, StatKey] = {}
        with self._lock:  # what this run verified so far counts too
            pending = {p: self._pending_objects[p] for p in paths if p in self._pending_objects}
        ask = [p for p in paths if p not in pending]
        if not ask:
            return pending
        conn = self._connect()
        for start in range(0, len(ask), _QUERY_BATCH):
            batch = ask[start : start + _QUERY_BATCH]
            rows = conn.execute(
                "SELECT path, inode, mtime_ns, size FROM objects WHERE path IN"
                f" ({','.join('?' * len(batch))})",
                batch,
            )
            found.update({p: StatKey(i, m, s) for p, i, m, s in rows.fetchall()})
        found.update(pending)
        return found

    def put_verified(self, path: str, key: StatKey) -> None:
        """Queue: cache object ``path`` with stat ``key`` matches its name."""
        with self._lock:
            self._pending_objects[path] = key

    def commit(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            objects = [(p, *k) for p, k in self._pending_objects.items()]
            self._pending_objects = {}
        if not rows and not objects:
            return
        conn = self._connect()
        try:
            with conn:
                conn.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?)", rows)
                conn.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)", objects)
        except sqlite3.Error:
            # A hash cache that cannot be written only costs speed next time.
            return

    def close(self) -> None:
        self.commit()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
