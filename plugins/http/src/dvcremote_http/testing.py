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

import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from dvcremote_http.backend import HTTPBackend
from dvcremote_testing.servers import ProcessServer, closed_port_url

#: Distinctive, so tests can look for leaks.
PASSWORD = "dvcremote-http-test-password-41c7"
WRONG_PASSWORD = "dvcremote-http-wrong-password-9e02"


class HTTPServer(ProcessServer):
    """Python's ``http.server`` serving ``root`` (``url`` over HTTP), from the kit's
    ``ProcessServer``: a child process in its own group, killable and restartable."""

    label = "http server"

    def __init__(
        self, root: Path, *, user: str | None = None, password: str | None = None
    ) -> None:
        super().__init__(root.parent / f"{root.name}-server")
        self.root = root
        self.user = user
        self.password = password

    def __repr__(self) -> str:
        return f"HTTPServer(root={self.root!s}, port={self.port}, user={self.user!r})"

    def command(self, port: int) -> Sequence[str]:
        args = [sys.executable, "-m", "dvcremote_http._server", str(self.root), str(port)]
        if self.user is not None:
            args += [self.user, self.password or ""]
        return args

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def options(self) -> dict[str, Any]:
        """The remote config keys (DVC's names) that reach this server."""
        if self.user is None:
            return {}
        return {"auth": "basic", "user": self.user, "password": self.password}


def running_http_server(
    root: Path, *, user: str | None = None, password: str | None = None
) -> Iterator[HTTPServer]:
    with HTTPServer(root, user=user, password=password) as server:
        yield server


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
    url = f"{closed_port_url('http')}/store"  # nothing listens there
    return partial(HTTPBackend.from_url, url, **FAST)


@pytest.fixture
def http_open_refused(http_auth_server: HTTPServer) -> HTTPOpener:
    options = {**http_auth_server.options(), "password": WRONG_PASSWORD, **FAST}
    return partial(HTTPBackend.from_url, f"{http_auth_server.url}/store", **options)
