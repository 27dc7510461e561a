"""The remote suites' fixtures, under the names a DVC plugin author already knows.

``make_remote(name=..., typ="foo")`` resolves ``typ`` to a fixture named ``make_foo``
(``make_foo_version_aware`` for the version-aware and worktree remotes), so a plugin
adds its storage by defining one or two fixtures that return a fresh, empty Cloud.
``local`` and ``memory`` versions of every make-fixture are here, so the suites run
with no server at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dvcremote.backend import Capability
from dvcremote_testing.cloud import BackendCloud, Cloud, LocalCloud
from dvcremote_testing.markers import noted
from dvcremote_testing.tmp_dir import TmpDir

__all__ = [
    "cloud",
    "dvc",
    "local_cloud",
    "local_remote",
    "make_cloud",
    "make_cloud_version_aware",
    "make_local",
    "make_local_version_aware",
    "make_memory",
    "make_memory_version_aware",
    "make_remote",
    "make_remote_version_aware",
    "make_remote_worktree",
    "memory_cloud",
    "remote",
    "remote_version_aware",
    "remote_worktree",
    "repo",
    "scm",
    "tmp_dir",
]

MakeCloud = Callable[[], Cloud]
MakeRemote = Callable[..., Cloud]

#: Fixture names that make ``tmp_dir`` initialise a repository / git.
_REPO_FIXTURES = frozenset({"dvc", "repo"})


# ---------------------------------------------------------------- workspace
@pytest.fixture
def tmp_dir(tmp_path, request: pytest.FixtureRequest, monkeypatch) -> Iterator[TmpDir]:
    """A fresh workspace, made the current directory; git and the repo exist if asked for."""
    monkeypatch.chdir(tmp_path)
    wanted = set(request.fixturenames)
    workspace = TmpDir(tmp_path)
    workspace.init(scm="scm" in wanted, dvc=bool(_REPO_FIXTURES & wanted))
    yield workspace
    workspace.close()


@pytest.fixture
def scm(tmp_dir: TmpDir):
    """The workspace's git repository (``dvcremote.scm.Git``)."""
    return tmp_dir.scm


@pytest.fixture
def dvc(tmp_dir: TmpDir):
    """The workspace's ``dvcremote.repo.Repo``."""
    return tmp_dir.dvc


@pytest.fixture
def repo(dvc):
    """The dvcremote name for ``dvc``."""
    return dvc


# ------------------------------------------------------------------- clouds
def _lookup(request: pytest.FixtureRequest, name: str) -> MakeCloud | None:
    try:
        maker: MakeCloud = request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return None
    return maker


def _closing(make: Callable[[str], Cloud]) -> Iterator[Callable[[str], Cloud]]:
    """Yield ``make``, then close every Cloud it made (for a fixture to ``yield from``)."""
    made: list[Cloud] = []

    def _make(typ: str) -> Cloud:
        made.append(make(typ))
        return made[-1]

    yield _make
    for item in made:
        item.close()


@pytest.fixture
def make_cloud(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Cloud]]:
    """``make_cloud("foo")``: a fresh, empty location from the ``make_foo`` fixture."""

    def _make_cloud(typ: str) -> Cloud:
        maker = _lookup(request, f"make_{typ}")
        if maker is None:
            raise LookupError(
                f"no fixture 'make_{typ}': a plugin testing remotes of type {typ!r} defines"
                f" one that returns a Cloud for a fresh, empty location"
            )
        return maker()

    yield from _closing(_make_cloud)


@pytest.fixture
def make_cloud_version_aware(
    request: pytest.FixtureRequest, make_cloud: Callable[[str], Cloud]
) -> Iterator[Callable[[str], Cloud]]:
    """``make_cloud_version_aware("foo")``: a versioned location from ``make_foo_version_aware``.

    A storage without versioning has no such fixture: the test is then skipped by
    that capability (checked on a plain ``make_foo`` location), never silently.
    """

    def _make_cloud(typ: str) -> Cloud:
        maker = _lookup(request, f"make_{typ}_version_aware")
        if maker is None:
            plain = make_cloud(typ)
            if Capability.VERSIONING not in plain.capabilities:
                reason = f"backend {plain.backend_name!r} lacks capability {Capability.VERSIONING}"
                pytest.skip(noted(reason, [Capability.VERSIONING.value], plain.capability_notes))
            raise LookupError(
                f"no fixture 'make_{typ}_version_aware', but the {typ!r} backend declares"
                f" {Capability.VERSIONING}: define it to return a Cloud for a fresh location"
                " where versioning is on"
            )
        return maker()

    yield from _closing(_make_cloud)


@pytest.fixture
def cloud(make_cloud: Callable[[str], Cloud], request: pytest.FixtureRequest) -> Cloud:
    """A fresh location of the type given by indirect parametrisation (``local`` by default)."""
    return make_cloud(getattr(request, "param", "local"))


@pytest.fixture
def local_cloud(make_cloud: Callable[[str], Cloud]) -> Cloud:
    return make_cloud("local")


@pytest.fixture
def memory_cloud(make_cloud: Callable[[str], Cloud]) -> Cloud:
    return make_cloud("memory")


# ------------------------------------------------------ built-in make-fixtures
@pytest.fixture
def make_local(tmp_path_factory: pytest.TempPathFactory) -> MakeCloud:
    """A new empty directory, seen through the standard library (not the local backend)."""

    def _make_local() -> Cloud:
        return LocalCloud(tmp_path_factory.mktemp("local-remote"))

    return _make_local


@pytest.fixture
def make_local_version_aware(tmp_path_factory: pytest.TempPathFactory) -> MakeCloud:
    """A new empty directory used through the local backend with versioning on."""
    from dvcremote.backends.local import LocalBackend

    def _make_local_version_aware() -> Cloud:
        path = str(tmp_path_factory.mktemp("local-versioned-remote"))
        backend = LocalBackend.from_url(path, versioning=True)
        return BackendCloud(backend, path, options={"versioning": True})

    return _make_local_version_aware


def _memory_cloud() -> tuple[Cloud, str]:
    from dvcremote.backends.memory import MemoryBackend

    bucket = f"test-{uuid.uuid4().hex}"
    url = f"memory://{bucket}"
    return BackendCloud(MemoryBackend.from_url(url), url), bucket


@pytest.fixture
def make_memory() -> Iterator[MakeCloud]:
    """A new in-process bucket, dropped after the test."""
    from dvcremote.backends.memory import MemoryBackend

    buckets: list[str] = []

    def _make_memory() -> Cloud:
        made, bucket = _memory_cloud()
        buckets.append(bucket)
        return made

    yield _make_memory
    for bucket in buckets:
        MemoryBackend.drop_store(bucket)


@pytest.fixture
def make_memory_version_aware(make_memory: MakeCloud) -> MakeCloud:
    """Memory buckets always keep versions."""
    return make_memory


# ------------------------------------------------------------------ remotes
def _adder(
    tmp_dir: TmpDir, make: Callable[[str], Cloud], extra: dict[str, Any]
) -> MakeRemote:
    def _make_remote(
        name: str = "upstream", typ: str = "local", *, default: bool = True, **config: Any
    ) -> Cloud:
        made = make(typ)
        tmp_dir.add_remote(name=name, config={**made.config, **extra, **config}, default=default)
        return made

    return _make_remote


@pytest.fixture
def make_remote(tmp_dir: TmpDir, dvc, make_cloud: Callable[[str], Cloud]) -> MakeRemote:
    """``make_remote(name="upstream", typ="foo")``: a fresh ``make_foo`` location added as a remote.

    Extra keyword arguments become remote config keys; ``default=False`` keeps the
    repository's default remote as it was.
    """
    return _adder(tmp_dir, make_cloud, {})


@pytest.fixture
def make_remote_version_aware(
    tmp_dir: TmpDir, dvc, make_cloud_version_aware: Callable[[str], Cloud]
) -> MakeRemote:
    """Like ``make_remote``, on a versioned location, with ``version_aware = true``."""
    return _adder(tmp_dir, make_cloud_version_aware, {"version_aware": True})


@pytest.fixture
def make_remote_worktree(
    tmp_dir: TmpDir, dvc, make_cloud_version_aware: Callable[[str], Cloud]
) -> MakeRemote:
    """Like ``make_remote``, on a versioned location, with ``worktree = true``."""
    return _adder(tmp_dir, make_cloud_version_aware, {"worktree": True})


@pytest.fixture
def remote(make_remote: MakeRemote, request: pytest.FixtureRequest) -> Cloud:
    """The default remote ``upstream`` (``local`` unless parametrised or overridden)."""
    return make_remote("upstream", typ=getattr(request, "param", "local"))


@pytest.fixture
def remote_version_aware(
    make_remote_version_aware: MakeRemote, request: pytest.FixtureRequest
) -> Cloud:
    return make_remote_version_aware("upstream", typ=getattr(request, "param", "local"))


@pytest.fixture
def remote_worktree(make_remote_worktree: MakeRemote, request: pytest.FixtureRequest) -> Cloud:
    return make_remote_worktree("upstream", typ=getattr(request, "param", "local"))


@pytest.fixture
def local_remote(make_remote: MakeRemote) -> Cloud:
    return make_remote("upstream", typ="local")
