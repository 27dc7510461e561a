"""The module ``test-remote`` hands to pytest: every suite, on places below the live URL.

Each backend topic class and each remote suite is subclassed here under its own name
(so the summary says ``ReadWriteTests``, ``TestRemote``), and the fixtures they ask for
are given from the run's :class:`~dvcremote_testing.testremote.target.LiveTarget`:
``backend`` is a fresh, empty folder below the run folder, ``remote`` a fresh folder
added to the test's repository. Storage seen by the tests is judged through the
plugin's own backend (``BackendCloud``): a live remote has no second client to ask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dvcremote.backend import Backend, Capability
from dvcremote_testing import remote_tests
from dvcremote_testing.backend_tests import TOPICS
from dvcremote_testing.cloud import BackendCloud, Cloud
from dvcremote_testing.testremote import readonly
from dvcremote_testing.testremote.session import TARGET
from dvcremote_testing.testremote.target import LiveTarget, join


# ------------------------------------------------------------------ fixtures
@pytest.fixture
def live(request: pytest.FixtureRequest) -> LiveTarget:
    """The run's target, put in the config's stash by the driving plugin."""
    return request.config.stash[TARGET]


@pytest.fixture
def backend(live: LiveTarget) -> Iterator[Backend]:
    """A fresh, empty folder below the run folder (removed with it at the end)."""
    with live.fresh_backend() as made:
        yield made


@pytest.fixture
def backend_secrets(live: LiveTarget) -> list[str]:
    return live.secrets


@pytest.fixture
def make_live(live: LiveTarget) -> Iterator[Callable[[], Cloud]]:
    """``make_remote(typ="live")``: a Cloud on a fresh folder below the run folder."""
    made: list[Backend] = []

    def _make_live() -> Cloud:
        path = live.fresh_path()
        made.append(live.open(path))
        return BackendCloud(made[-1], join(live.url, path), options=live.remote_options)

    yield _make_live
    for item in made:
        item.close()


@pytest.fixture
def make_live_version_aware(
    live: LiveTarget, make_live: Callable[[], Cloud]
) -> Callable[[], Cloud]:
    if Capability.VERSIONING not in live.capabilities:
        pytest.skip(f"the remote lacks capability {Capability.VERSIONING} (it keeps no versions)")
    return make_live


@pytest.fixture
def remote(make_remote: Callable[..., Cloud]) -> Cloud:
    return make_remote("upstream", typ="live")


@pytest.fixture
def remote_version_aware(make_remote_version_aware: Callable[..., Cloud]) -> Cloud:
    return make_remote_version_aware("upstream", typ="live")


@pytest.fixture
def remote_worktree(make_remote_worktree: Callable[..., Cloud]) -> Cloud:
    return make_remote_worktree("upstream", typ="live")


# -------------------------------------------------------------------- suites
# The URL is the user's choice: a folder (built-in local storage) is a fair target
# here, so every class opts out of the suites' false-green guard (``builtin_guard``).


class ReadOnlyChecks(readonly.ReadOnlyChecks):
    on_builtin_storage = True

    @pytest.fixture
    def backend(self, live: LiveTarget) -> Iterator[Backend]:
        """The URL itself: these checks look at what is already there."""
        with live.open_plain() as root:
            yield root


class TestRemote(remote_tests.TestRemote):
    on_builtin_storage = True


class TestRemoteVersionAware(remote_tests.TestRemoteVersionAware):
    on_builtin_storage = True


class TestRemoteWorktree(remote_tests.TestRemoteWorktree):
    on_builtin_storage = True


def _topic(base: type) -> type:
    return type(base.__name__, (base,), {"__module__": __name__, "on_builtin_storage": True})


_topics: dict[str, Any] = {base.__name__: _topic(base) for base in TOPICS}
globals().update(_topics)

