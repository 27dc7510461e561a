"""Amazon S3 (and S3-compatible) storage for dvcremote, on top of s3fs."""

from __future__ import annotations

__all__ = ["S3Backend", "S3VersionedBackend"]


def __getattr__(name: str) -> object:
    # Lazy, so that `import dvcremote_s3.testing` (a pytest plugin) stays cheap.
    if name in __all__:
        from dvcremote_s3 import backend

        return getattr(backend, name)
    raise AttributeError(name)
