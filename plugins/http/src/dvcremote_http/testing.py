"""A real HTTP server on loopback for tests, reusable by anyone building on this plugin.

Load it with ``pytest_plugins = ["dvcremote_http.testing"]``. ``http_server`` runs
Python's own ``http.server`` in a child process serving a fresh folder (``root``), so a
test publishes a remote by writing files there, for example by pushing to it as a
local remote, then reads it back over HTTP. ``user``/``password`` switch on basic
authentication. ``http_open_unreachable`` / ``http_open_refused`` are openers for the
unavailable-storage suites (a closed port; a password the server refuses).

The server itself is ``dvcremote_http._server`` (run it by hand the same way).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from dvcremote_http._server import HOST
from dvcremote_http.backend import HTTPBackend

#: Distinctive, so tests can look for leaks.
PASSWORD = "dvcremote-http-test-password-41c7"
WRONG_PASSWORD = "dvcremote-http-wrong-password-9e02"
_START_TIMEOUT = 10.0


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class HTTPServer:
    """A running test server: ``root`` on this machine is ``url`` over HTTP."""

    root: Path
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def options(self) -> dict[str, Any]:
        """The remote config keys (DVC's names) that reach this server."""
        if self.user is None:
            return {}
        return {"auth": "basic", "user": self.user, "password": self.password}

    def start(self) -> None:
        args = [sys.executable, "-m", "dvcremote_http._server", str(self.root), str(self.port)]
        if self.user is not None:
            args += [self.user, self.password or ""]
        self._proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the test HTTP server exited with {self._proc.returncode}")
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the test HTTP server did not listen on {HOST}:{self.port}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def running_http_server(
    root: Path, *, user: str | None = None, password: str | None = None
) -> Iterator[HTTPServer]:
    server = HTTPServer(root, free_port(), user, password)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPServer]:
    """One server for the session; tests publish into their own ``http_store``."""
    yield from running_http_server(tmp_path_factory.mktemp("http-root"))


@dataclass(frozen=True)
class Published:
    """A fresh folder the server publishes: write to ``path``, read from ``url``."""

    path: Path
    url: str


@pytest.fixture
def http_store(http_server: HTTPServer) -> Published:
    name = f"store-{uuid.uuid4().hex[:12]}"
    path = http_server.root / name
    path.mkdir()
    return Published(path, f"{http_server.url}/{name}")


@pytest.fixture(scope="session")
def http_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPServer]:
    """A server that wants basic authentication as ``reader`` / :data:`PASSWORD`."""
    yield from running_http_server(
        tmp_path_factory.mktemp("http-auth-root"), user="reader", password=PASSWORD
    )


HTTPOpener = Callable[[], HTTPBackend]

#: Fail fast where nothing listens.
FAST = {"connect_timeout": 2, "read_timeout": 5}


@pytest.fixture
def http_open_unreachable() -> HTTPOpener:
    url = f"http://{HOST}:{free_port()}/store"  # nothing listens there
    return partial(HTTPBackend.from_url, url, **FAST)


@pytest.fixture
def http_open_refused(http_auth_server: HTTPServer) -> HTTPOpener:
    options = {**http_auth_server.options(), "password": WRONG_PASSWORD, **FAST}
    return partial(HTTPBackend.from_url, f"{http_auth_server.url}/store", **options)
