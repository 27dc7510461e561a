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
- ``make_s3`` / ``make_s3_version_aware``: what dvcremote-testing's remote suites call
  for ``typ="s3"``: makers of :class:`S3Cloud` (the boto3 view) on a fresh bucket.
- ``s3_open_unreachable`` / ``s3_open_refused`` / ``s3_open_missing_bucket``: openers
  ``(**options) -> S3Backend`` for the unavailable-storage suites (a closed port; a
  wrong secret with moto checking credentials; a bucket that does not exist).
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.request import Request, urlopen

import pytest

from dvcremote.backend import Capability
from dvcremote_testing.cloud import Cloud
from dvcremote_testing.servers import ProcessServer, backend_opener, closed_port_url, free_port

__all__ = ["closed_port_url", "free_port"]  # re-exported: older tests import them from here

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

    def create_iam_user(self, policy: dict[str, Any] | None = None) -> dict[str, str]:
        """A real IAM user on the server, with an access key and the given inline policy
        (none: every S3 call is AccessDenied once credentials are enforced)."""
        import json

        client = _new_client_of(
            "iam",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )
        name = f"user-{uuid.uuid4().hex[:12]}"
        client.create_user(UserName=name)
        if policy is not None:
            client.put_user_policy(
                UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy)
            )
        key = client.create_access_key(UserName=name)["AccessKey"]
        return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}

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
    return _new_client_of("s3", **kwargs)


def _new_client_of(service: str, **kwargs: Any) -> Any:
    import boto3

    return boto3.client(service, **kwargs)


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


class MotoProcess(ProcessServer):
    """A ``moto_server`` child process (its CPU time can be measured apart from ours).

    moto keeps everything in memory: after :meth:`restart` (same port) the buckets
    named in ``keep_buckets`` are created again, empty."""

    label = "moto_server"

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        super().__init__(workdir)
        self.keep_buckets: list[str] = []

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-c", _PROCESS_BOOT, "-H", self.host, "-p", str(port)]

    def started(self) -> None:
        for bucket in self.keep_buckets:
            self.server.create_bucket(bucket)

    @property
    def server(self) -> S3Server:
        return S3Server(endpoint_url=f"http://{self.host}:{self.port}")

    @property
    def pid(self) -> int:
        assert self.process is not None, "moto_server is not running"
        return self.process.pid


@contextmanager
def moto_process_server() -> Iterator[MotoProcess]:
    """moto's server as a separate process; stopped with SIGTERM, then SIGKILL after a grace
    (after large runs moto can ignore SIGTERM for a long time)."""
    workdir = tempfile.mkdtemp(prefix="dvcremote-moto-")
    try:
        with MotoProcess(workdir) as proc:
            yield proc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


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


# -------------------------------------------------------- the remote suites' Cloud
#: Where ``make_s3`` puts a plain remote inside its fresh bucket: a remote is often a
#: prefix of a shared bucket, and nothing may land outside it.
REMOTE_PREFIX = "remote"


def _missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


class S3Cloud(Cloud):
    """A path in a bucket, seen through a plain boto3 client (never the plugin).

    The remote suites check what the repository did on S3 with it, so a bug in the
    plugin's listing, reads or versions cannot hide behind the same bug in the check.
    ``versioned`` says the bucket keeps versions: the repository will use this location
    as a version-aware (or worktree) remote, and :meth:`version_ids` works.
    """

    def __init__(
        self,
        server: S3Server,
        bucket: str,
        prefix: str = "",
        path: str = "",
        *,
        versioned: bool = False,
    ) -> None:
        super().__init__(path)
        self.server = server
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.versioned = versioned
        self._probed: tuple[str, frozenset[Capability], dict[str, str]] | None = None

    @property
    def client(self) -> Any:
        return self.server.client()

    @property
    def key(self) -> str:
        """This path's object key (the bucket's root is ``""``)."""
        return "/".join(part for part in (self.prefix, self.path) if part)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}".rstrip("/")

    @property
    def config(self) -> dict[str, Any]:
        return {"url": self.url, **self.server.remote_options()}

    def _probe(self) -> tuple[str, frozenset[Capability], dict[str, str]]:
        # The backend the repository will open: the version-aware class on a versioned
        # bucket (the suites add ``version_aware``/``worktree`` to the remote themselves).
        if self._probed is None:
            from dvcremote.backend import open_backend
            from dvcremote_testing.markers import capability_notes

            options = self.config
            url = str(options.pop("url"))
            if self.versioned:
                options["version_aware"] = True
            with open_backend(url, **options) as backend:
                self._probed = backend.name, backend.capabilities, capability_notes(backend)
        return self._probed

    def _child(self, path: str) -> S3Cloud:
        return S3Cloud(self.server, self.bucket, self.prefix, path, versioned=self.versioned)

    def _folder_prefix(self) -> str:
        return f"{self.key}/" if self.key else ""

    def _keys_below(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._folder_prefix()):
            for item in page.get("Contents", []):
                yield str(item["Key"])

    # -- out-of-band operations
    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def is_file(self) -> bool:
        if not self.key:
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:  # noqa: BLE001 - botocore's ClientError, checked below
            if _missing(exc):
                return False
            raise
        return True

    def is_dir(self) -> bool:
        if not self.key:
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except Exception as exc:  # noqa: BLE001
                if _missing(exc):
                    return False
                raise
            return True
        reply = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self._folder_prefix(), MaxKeys=1
        )
        return bool(reply.get("KeyCount", 0))

    def read_bytes(self) -> bytes:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:  # noqa: BLE001
            if _missing(exc):
                raise FileNotFoundError(self.url) from exc
            raise
        data: bytes = reply["Body"].read()
        return data

    def write_bytes(self, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key, Body=data)

    def unlink(self, missing_ok: bool = False) -> None:
        """Delete the object (on a versioned bucket: a delete marker; old versions stay)."""
        if not self.is_file():
            if missing_ok:
                return
            raise FileNotFoundError(self.url)
        self.client.delete_object(Bucket=self.bucket, Key=self.key)

    def rmdir(self, recursive: bool = True) -> None:
        keys = list(self._keys_below())
        if keys and not recursive:
            raise OSError(errno.ENOTEMPTY, "folder not empty", self.url)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )

    def iterdir(self) -> Iterator[Cloud]:
        prefix = self._folder_prefix()
        names: set[str] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for folder in page.get("CommonPrefixes", []):
                names.add(str(folder["Prefix"])[len(prefix) :].rstrip("/"))
            for item in page.get("Contents", []):
                names.add(str(item["Key"])[len(prefix) :])
        names.discard("")  # a zero-byte "folder/" marker is not a child
        for name in sorted(names):
            yield self / name

    def version_ids(self) -> list[str]:
        """Every kept version of this object, newest first (as S3 lists them)."""
        if not self.versioned:
            return super().version_ids()
        ids: list[str] = []
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.key):
            ids += [str(v["VersionId"]) for v in page.get("Versions", []) if v["Key"] == self.key]
        return ids

    def read_version(self, version_id: str) -> bytes:
        if not self.versioned:
            return super().read_version(version_id)
        reply = self.client.get_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)
        data: bytes = reply["Body"].read()
        return data


MakeS3Cloud = Callable[[], S3Cloud]


@contextmanager
def _fresh_buckets(server: S3Server, *, versioned: bool) -> Iterator[MakeS3Cloud]:
    """A maker of Clouds on new buckets, each bucket removed (every version) on exit."""
    buckets: list[str] = []

    def make() -> S3Cloud:
        buckets.append(server.create_bucket(versioned=versioned))
        if versioned:  # at the root: a version-aware remote is often a whole bucket
            return S3Cloud(server, buckets[-1], versioned=True)
        return S3Cloud(server, buckets[-1], REMOTE_PREFIX)

    try:
        yield make
    finally:
        for bucket in buckets:
            server.delete_bucket(bucket)


@pytest.fixture
def make_s3(s3_server: S3Server) -> Iterator[MakeS3Cloud]:
    """``make_remote(typ="s3")``: a Cloud under a prefix of a new, empty bucket."""
    with _fresh_buckets(s3_server, versioned=False) as make:
        yield make


@pytest.fixture
def make_s3_version_aware(s3_server: S3Server) -> Iterator[MakeS3Cloud]:
    """``make_remote_version_aware``/``make_remote_worktree(typ="s3")``: a Cloud at the
    root of a new bucket with versioning enabled."""
    with _fresh_buckets(s3_server, versioned=True) as make:
        yield make


# ------------------------------------------------------ unavailable storage
#: A secret no server accepts, distinctive so finding it in a message is a real leak.
WRONG_SECRET = "dvcremote-wrong-secret-0123456789abcdef"
#: Unreachable endpoints fail within seconds: one attempt (botocore reads it from the
#: environment), short timeouts.
FAST_FAILURE = {"connect_timeout": 2, "read_timeout": 5}

S3Opener = Callable[..., "S3Backend"]


@pytest.fixture
def s3_open_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Opener]:
    """``(**options) -> S3Backend`` on a loopback port where nothing listens."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    options = {
        "endpointurl": closed_port_url(),
        "access_key_id": TEST_ACCESS_KEY_ID,
        "secret_access_key": WRONG_SECRET,
        "region": TEST_REGION,
        **FAST_FAILURE,
    }
    with _backends(f"s3://{unique_bucket_name()}/remote", options) as make:
        yield make


@pytest.fixture
def s3_open_refused(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[S3Opener]:
    """``(**options) -> S3Backend`` with a wrong secret for a real IAM user, while moto
    checks signatures (it accepts any key otherwise); the bucket exists."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    user = s3_server.create_iam_user()
    options = s3_server.remote_options(
        access_key_id=user["access_key_id"], secret_access_key=WRONG_SECRET
    )
    with s3_server.enforce_credentials(), _backends(f"s3://{s3_bucket}/remote", options) as make:
        yield make


@pytest.fixture
def s3_open_missing_bucket(s3_server: S3Server) -> Iterator[S3Opener]:
    """``(**options) -> S3Backend`` on a bucket that does not exist."""
    url = f"s3://{unique_bucket_name('dvcr-missing')}/remote"
    with _backends(url, s3_server.remote_options()) as make:
        yield make


def _backends(url: str, defaults: dict[str, Any]) -> AbstractContextManager[S3Opener]:
    """An opener of backends on ``url`` (options added to ``defaults``), closed on exit."""
    from dvcremote_s3.backend import S3Backend

    return backend_opener(S3Backend.from_url, url, defaults)


# ------------------------------------------------- a server that dies or freezes
#: Short timeouts for the fault suite: a frozen server shows within seconds.
FAULT_TIMEOUTS = {"connect_timeout": 2, "read_timeout": 2}


@pytest.fixture
def s3_fault_server(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MotoProcess]:
    """moto in a child process for one test, with one bucket (``keep_buckets[0]``) that
    is created again, empty, after each ``restart()``; ``kill()``/``freeze()`` it at will.
    botocore makes two attempts per request (``AWS_MAX_ATTEMPTS``)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    with MotoProcess(tmp_path_factory.mktemp("moto-fault")) as proc:
        proc.keep_buckets.append(unique_bucket_name("dvcr-fault"))
        proc.started()
        yield proc


@pytest.fixture
def s3_open_fault_backend(s3_fault_server: MotoProcess) -> Iterator[S3Opener]:
    """``(**options) -> S3Backend`` on the fault server's bucket, with short timeouts."""
    url = f"s3://{s3_fault_server.keep_buckets[0]}/remote"
    with _backends(url, s3_fault_server.server.remote_options(**FAULT_TIMEOUTS)) as make:
        yield make
