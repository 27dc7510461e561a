"""A real S3 server on loopback (moto) and pytest fixtures around it.

Load it from a conftest with ``pytest_plugins = ["dvcremote_s3.testing"]``; needs the
``testing`` extra (``pip install dvcremote-s3[testing]``).

The out-of-band view of the storage (what a test uses to check what really landed)
is a plain boto3 client, never the plugin itself, so a plugin bug cannot hide
behind the same bug in the check.

Fixtures:

- ``s3_server`` (session): an :class:`S3Server` backed by moto's in-process server
  (``ThreadedMotoServer``, a random loopback port).
- ``s3_process_server`` (session): moto as a child process (:class:`MotoProcess`), for
  tests that measure this process's memory or CPU.
- ``s3_client``: a boto3 S3 client pointed at it.
- ``s3_bucket`` / ``s3_versioned_bucket``: a fresh, empty bucket per test (the second
  with versioning enabled), removed with all its versions afterwards.
- ``s3_backend_factory``: ``(bucket, prefix="", **options) -> S3Backend``, closed at teardown.
- ``s3_backend`` / ``s3_versioned_backend``: a backend on a fresh bucket (the second
  version-aware on a versioned bucket).
- ``s3_env``: the server's endpoint and credentials as ``AWS_*`` environment variables
  (for tools such as the real ``dvc`` that read the environment).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.request import Request, urlopen

import pytest

if TYPE_CHECKING:
    from dvcremote_s3.backend import S3Backend

#: Any values work with moto, but botocore refuses to sign without some.
TEST_ACCESS_KEY_ID = "dvcremote-test-key"
TEST_SECRET_ACCESS_KEY = "dvcremote-test-secret"
TEST_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    """Where a test S3 server listens, with credentials it accepts."""

    endpoint_url: str
    access_key_id: str = TEST_ACCESS_KEY_ID
    secret_access_key: str = TEST_SECRET_ACCESS_KEY
    region: str = TEST_REGION

    def __repr__(self) -> str:  # the secret is a test value, but keep the habit
        return f"S3Server(endpoint_url={self.endpoint_url!r})"

    # ------------------------------------------------------------- clients
    def client(self, **overrides: Any) -> Any:
        """A plain boto3 S3 client (the out-of-band view of the storage).

        Without overrides the same (thread-safe) client is reused: making one
        loads botocore's service model, which costs more than most test requests.
        """
        kwargs: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        if not overrides:
            return _shared_client(*kwargs.values())
        kwargs.update(overrides)
        return _new_client(**kwargs)

    def remote_options(self, **overrides: Any) -> dict[str, Any]:
        """DVC-style remote config keys for this server (``S3Backend.from_url`` options)."""
        options: dict[str, Any] = {
            "endpointurl": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "region": self.region,
        }
        options.update(overrides)
        return options

    def env(self) -> dict[str, str]:
        """Environment variables that point AWS tools at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
        }

    # ------------------------------------------------------------- buckets
    def create_bucket(self, name: str | None = None, *, versioned: bool = False) -> str:
        """Create a bucket (a unique name unless given); return its name."""
        name = name or unique_bucket_name()
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def delete_bucket(self, name: str) -> None:
        """Remove a bucket with every object version and delete marker in it."""
        client = self.client()
        paginator = client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for kind in ("Versions", "DeleteMarkers")
                for item in page.get(kind, [])
            ]
            for start in range(0, len(doomed), 1000):
                client.delete_objects(
                    Bucket=name, Delete={"Objects": doomed[start : start + 1000], "Quiet": True}
                )
        client.delete_bucket(Bucket=name)

    # -------------------------------------------------------- moto control
    def _post(self, route: str, body: bytes = b"") -> None:
        request = Request(
            f"{self.endpoint_url}/moto-api/{route}",
            data=body,
            method="POST",
            # not form-encoded, or the server parses the body away before moto sees it
            headers={"Content-Type": "application/octet-stream"},
        )
        with urlopen(request, timeout=30) as response:
            response.read()

    def reset(self) -> None:
        """Forget every bucket and object on the server."""
        self._post("reset")

    @contextmanager
    def enforce_credentials(self) -> Iterator[None]:
        """Make moto check signatures and IAM, so unknown keys are refused.

        Only keys of IAM users created on the server pass while this is active.
        """
        self._post("reset-auth", b"0")
        try:
            yield
        finally:
            self._post("reset-auth", b"inf")


def _new_client(**kwargs: Any) -> Any:
    import boto3

    return boto3.client("s3", **kwargs)


@functools.lru_cache(maxsize=16)
def _shared_client(endpoint_url: str, region: str, key: str, secret: str) -> Any:
    return _new_client(
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def unique_bucket_name(prefix: str = "dvcr") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def closed_port_url() -> str:
    """An endpoint where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}"


# ------------------------------------------------------------------ servers
@contextmanager
def moto_thread_server() -> Iterator[S3Server]:
    """moto's server in a thread of this process, on a random loopback port."""
    from moto.server import ThreadedMotoServer

    from dvcremote_s3 import _moto_fidelity

    _moto_fidelity.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(endpoint_url=f"http://{host}:{port}")
    finally:
        server.stop()


#: moto_server's entry point, after the fidelity fixes (argv after ``-c`` is its argv).
_PROCESS_BOOT = (
    "from dvcremote_s3 import _moto_fidelity; _moto_fidelity.apply(); "
    "from moto.server import main; main()"
)


@dataclass(frozen=True)
class MotoProcess:
    """A ``moto_server`` child process (its CPU time can be measured apart from ours)."""

    server: S3Server
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def moto_process_server(
    *, grace_s: float = 5.0, ready_timeout_s: float = 30.0
) -> Iterator[MotoProcess]:
    """moto's server as a separate process; stopped with SIGTERM, then SIGKILL after a grace.

    After large runs moto can ignore SIGTERM for a long time, hence the hard stop.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _PROCESS_BOOT, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening("127.0.0.1", port, process, ready_timeout_s)
        yield MotoProcess(S3Server(endpoint_url=f"http://127.0.0.1:{port}"), process)
    finally:
        stop_process(process, grace_s=grace_s)


def stop_process(process: subprocess.Popen[bytes], *, grace_s: float) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_listening(
    host: str, port: int, process: subprocess.Popen[bytes], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited early with code {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto_server did not listen on {host}:{port} within {timeout_s}s")


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with moto_thread_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_process_server() -> Iterator[MotoProcess]:
    """moto in a child process: what this process allocates or spends is then the
    client's alone (tracemalloc checks, CPU measurements). To run every fixture on it,
    override ``s3_server`` with ``return s3_process_server.server``.
    """
    with moto_process_server() as proc:
        yield proc


@pytest.fixture
def s3_client(s3_server: S3Server) -> Any:
    return s3_server.client()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = s3_server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return env


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    name = s3_server.create_bucket()
    yield name
    s3_server.delete_bucket(name)


@pytest.fixture
def s3_versioned_bucket(s3_server: S3Server) -> Iterator[str]:
    name = s3_server.create_bucket(versioned=True)
    yield name
    s3_server.delete_bucket(name)


BackendFactory = Callable[..., "S3Backend"]


@pytest.fixture
def s3_backend_factory(s3_server: S3Server) -> Iterator[BackendFactory]:
    from dvcremote_s3.backend import S3Backend

    made: list[S3Backend] = []

    def make(bucket: str, prefix: str = "", **options: Any) -> S3Backend:
        url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        backend = S3Backend.from_url(url, **s3_server.remote_options(**options))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def s3_backend(s3_bucket: str, s3_backend_factory: BackendFactory) -> S3Backend:
    return s3_backend_factory(s3_bucket)


@pytest.fixture
def s3_versioned_backend(s3_versioned_bucket: str, s3_backend_factory: BackendFactory) -> S3Backend:
    return s3_backend_factory(s3_versioned_bucket, version_aware=True)
