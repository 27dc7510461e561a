"""The test HTTP server: Python's ``http.server`` serving a folder, with optional basic
authentication. Standard library only, so the child process starts fast.

``python -m dvcremote_http._server ROOT PORT [USER PASSWORD]``
"""

from __future__ import annotations

import base64
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"


class _Handler(SimpleHTTPRequestHandler):
    """Static files, with basic authentication when the server has credentials."""

    expected: str | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass

    def _allowed(self) -> bool:
        if self.expected is None or self.headers.get("Authorization") == self.expected:
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="dvcremote"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_GET(self) -> None:
        if self._allowed():
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._allowed():
            super().do_HEAD()


def serve(root: str, port: int, user: str | None = None, password: str | None = None) -> None:
    expected = None
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        expected = f"Basic {token}"
    handler = type("Handler", (_Handler,), {"expected": expected})
    with ThreadingHTTPServer((HOST, port), partial(handler, directory=root)) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), *sys.argv[3:5])
