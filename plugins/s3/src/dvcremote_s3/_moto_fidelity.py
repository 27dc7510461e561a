"""Make moto's S3 answer like AWS where the suites would otherwise test moto's bugs.

Applied by the fixtures to the server they start (in this process, or in the
child process before it serves).

- Delimited listings in a versioned bucket: moto reports a common prefix ("folder")
  even when every key under it has a delete marker as its latest version. AWS and
  Ceph RGW do not (only current objects make a prefix), so a folder whose files
  were all deleted would look alive on moto only.
- Concurrent writes of one key: moto's versioned key store appends a version with an
  unlocked read-modify-write, so two simultaneous PUTs of a new key can each answer
  a version id while only one version is kept. S3 keeps both; the store is
  serialised here so the thread-safety suite tests our client, not moto's race.
"""

from __future__ import annotations

import threading
from typing import Any

_APPLIED_FLAG = "_dvcremote_fidelity"


def apply() -> None:
    _serialise_key_store()
    _hide_deleted_folders()


def _serialise_key_store() -> None:
    from moto.s3.utils import _VersionedKeyStore

    if getattr(_VersionedKeyStore.__setitem__, _APPLIED_FLAG, False):
        return
    lock = threading.RLock()
    for name in ("__setitem__", "setlist", "pop"):
        original = getattr(_VersionedKeyStore, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(locked, _APPLIED_FLAG, True)
        setattr(_VersionedKeyStore, name, locked)


def _hide_deleted_folders() -> None:
    from moto.s3.models import FakeDeleteMarker, S3Backend

    if getattr(S3Backend.list_objects, _APPLIED_FLAG, False):
        return
    original = S3Backend.list_objects

    def list_objects(
        self: Any,
        bucket: Any,
        prefix: str | None,
        delimiter: str | None,
        marker: str | None,
        max_keys: int | None,
    ) -> Any:
        keys, folders, truncated, next_marker = original(
            self, bucket, prefix, delimiter, marker, max_keys
        )
        if folders and delimiter:
            live = _live_prefixes(bucket, prefix or "", delimiter, FakeDeleteMarker)
            # moto returns a sorted list here (whatever its annotation says); keep that
            kept: Any = [folder for folder in folders if folder in live]
            return keys, kept, truncated, next_marker
        return keys, folders, truncated, next_marker

    setattr(list_objects, _APPLIED_FLAG, True)
    S3Backend.list_objects = list_objects  # type: ignore[method-assign]


def _live_prefixes(bucket: Any, prefix: str, delimiter: str, marker_type: type) -> set[str]:
    """Common prefixes that at least one current (not delete-marked) key falls under."""
    live: set[str] = set()
    for name, key in bucket.keys.items():
        if isinstance(key, marker_type) or not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        if delimiter in rest:
            live.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
    return live
