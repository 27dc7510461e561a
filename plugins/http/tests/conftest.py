"""The HTTP server fixtures come from the plugin's own importable module (as a third party
would load them with ``pytest_plugins = ["dvcremote_http.testing"]``; a non-root conftest
may not declare ``pytest_plugins``, so they are imported here)."""

from __future__ import annotations

from dvcremote_http.testing import (
    http_auth_server,
    http_open_refused,
    http_open_unreachable,
    http_server,
    http_store,
)

__all__ = [
    "http_auth_server",
    "http_open_refused",
    "http_open_unreachable",
    "http_server",
    "http_store",
]
