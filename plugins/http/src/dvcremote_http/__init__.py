"""Read-only HTTP(S) remotes for dvcremote: ``http://`` and ``https://`` URLs."""

from dvcremote_http.backend import HTTPBackend

__all__ = ["HTTPBackend"]
