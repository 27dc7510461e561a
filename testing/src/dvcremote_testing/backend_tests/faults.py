"""A server that dies or freezes in the middle of a transfer.

Killed mid-push, a bulk transfer must stop at once with one ``BackendUnavailable``
(not try every remaining object against a dead server, waiting out each one's
retries: minutes for a big push), leave only whole files behind, and a rerun once
the server is back must finish the job. A frozen server (SIGSTOP: connections are
accepted, nothing answers) must end in ``BackendUnavailable`` after the configured
timeouts, never hang.

The plugin provides two fixtures:

- ``fault_server``: its real server, run for this test alone, with ``kill()``,
  ``freeze()``, ``thaw()`` and ``restart()`` (same address; usually a
  :class:`dvcremote_testing.servers.ProcessServer`). After a restart the remote's
  location must exist again (an in-memory server recreates its bucket in a
  ``started`` hook); what it held before may be gone.
- ``open_fault_backend``: ``() -> Backend`` on an existing, empty location of that
  server, with short timeouts (a second or two) and few retries, so each failure
  shows within seconds.

The bound checked is a count, never a time: after the kill, at most ``2 * JOBS``
items (the ones in flight or just finished) may report a result, and the call must
raise; a transfer that goes on reports every remaining item. The only clock
is a generous guard that turns a hang into a failure instead of a stuck run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from dvcremote.backend import Backend, Capability, TransferResult
from dvcremote.errors import BackendUnavailable
from dvcremote_testing.backend_tests._base import need, payload

C = Capability
T = TypeVar("T")

#: Files in a transfer, the ones that succeed before the kill, and the concurrency.
FILES = 40
BEFORE_KILL = 4
JOBS = 4
#: Items that may still report after the server died: the ones in flight, and as many
#: that had finished (or got a free slot) before their result was taken in.
LATE_BOUND = 2 * JOBS
#: A run still going after this long is a hang (a guard, not a measurement).
HANG_GUARD_S = 300.0


class FaultServer(Protocol):
    def kill(self) -> None: ...
    def freeze(self) -> None: ...
    def thaw(self) -> None: ...
    def restart(self) -> None: ...


def finish(fn: Callable[[], T], *, guard_s: float = HANG_GUARD_S) -> T:
    """``fn()`` run in a thread; what it returns or raises. Fails if it never ends."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=run, name="fault-suite-call", daemon=True)
    thread.start()
    thread.join(guard_s)
    assert not thread.is_alive(), f"the call still runs after {guard_s:.0f} s: it hangs"
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


class _Killer:
    """A bulk callback that stops the server after ``after`` results, then counts."""

    def __init__(self, server: FaultServer, after: int, action: str = "kill") -> None:
        self.server, self.after, self.action = server, after, action
        self.before: list[TransferResult] = []
        self.later: list[TransferResult] = []
        self._lock = threading.Lock()

    def __call__(self, result: TransferResult) -> None:
        with self._lock:
            if len(self.before) < self.after:
                self.before.append(result)
                if len(self.before) == self.after:
                    getattr(self.server, self.action)()
            else:
                self.later.append(result)


class ServerFaultTests:
    """Needs ``fault_server`` and ``open_fault_backend`` (see the module docstring)."""

    @pytest.fixture
    def fault_sources(self, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
        """Remote path -> content; the files are in ``fault_scratch``."""
        return {f"f/{i:02d}.bin": payload(2048 + i, seed=i) for i in range(FILES)}

    @pytest.fixture
    def fault_scratch(
        self, tmp_path_factory: pytest.TempPathFactory, fault_sources: dict[str, bytes]
    ) -> Path:
        scratch = tmp_path_factory.mktemp("fault-scratch")
        for path, data in fault_sources.items():
            (scratch / path.replace("/", "_")).write_bytes(data)
        return scratch

    def _pairs(self, scratch: Path, sources: dict[str, bytes]) -> list[tuple[str, str]]:
        return [(str(scratch / p.replace("/", "_")), p) for p in sorted(sources)]

    def _check_unavailable(self, exc: BaseException, killer: _Killer, backend: Backend) -> None:
        assert isinstance(exc, BackendUnavailable), f"expected BackendUnavailable: {exc!r}"
        assert exc.backend == backend.name, f"{exc!r} does not name the backend"
        assert len(killer.before) == killer.after, "the server went away too early"
        assert len(killer.later) <= LATE_BOUND, (
            f"{len(killer.later)} items reported after the server died (at most {LATE_BOUND}"
            " were in flight): the transfer went on against a dead server"
        )

    def _only_whole_files(self, backend: Backend, sources: dict[str, bytes]) -> None:
        for info in backend.list_files("", recursive=True):
            assert info.path in sources, f"{info.path} is left on the remote"
            assert backend.read_bytes(info.path) == sources[info.path], f"{info.path} is partial"

    def _upload_all(self, backend: Backend, pairs: list[tuple[str, str]]) -> None:
        results = finish(lambda: backend.upload_many(pairs, jobs=JOBS))
        assert [r.error for r in results if not r.ok] == []
        assert len(results) == len(pairs)

    def _stop_mid_call(
        self, server: FaultServer, backend: Backend,
        call: Callable[[Backend, _Killer], object], action: str = "kill",
    ) -> None:
        """Run a bulk ``call`` whose callback kills (or freezes) the server part way;
        check it raised BackendUnavailable and went no further."""
        killer = _Killer(server, BEFORE_KILL, action)
        try:
            with pytest.raises(Exception) as caught:  # noqa: PT011 - checked just below
                finish(lambda: call(backend, killer))
            self._check_unavailable(caught.value, killer, backend)
        finally:
            server.thaw()

    def test_server_killed_mid_upload_stops_it_and_a_rerun_finishes(
        self, fault_server: FaultServer, open_fault_backend: Callable[[], Backend],
        fault_scratch: Path, fault_sources: dict[str, bytes],
    ) -> None:
        pairs = self._pairs(fault_scratch, fault_sources)
        with closing(open_fault_backend()) as backend:
            need(backend, C.WRITE, C.READ, C.LIST)
            self._stop_mid_call(
                fault_server, backend, lambda b, k: b.upload_many(pairs, jobs=JOBS, callback=k)
            )
        fault_server.restart()
        with closing(open_fault_backend()) as backend:
            self._only_whole_files(backend, fault_sources)
            self._upload_all(backend, pairs)
            self._only_whole_files(backend, fault_sources)
            assert {i.path for i in backend.list_files("", recursive=True)} == set(fault_sources)

    def test_server_killed_mid_download_stops_it_and_a_rerun_finishes(
        self, fault_server: FaultServer, open_fault_backend: Callable[[], Backend],
        fault_scratch: Path, fault_sources: dict[str, bytes],
        tmp_path_factory: pytest.TempPathFactory,
    ) -> None:
        pairs = self._pairs(fault_scratch, fault_sources)
        target = tmp_path_factory.mktemp("fault-downloads")
        items = [(p, str(target / p.replace("/", "_"))) for p in sorted(fault_sources)]
        with closing(open_fault_backend()) as backend:
            need(backend, C.WRITE, C.READ)
            self._upload_all(backend, pairs)
            self._stop_mid_call(
                fault_server, backend, lambda b, k: b.download_many(items, jobs=JOBS, callback=k)
            )
        fault_server.restart()
        with closing(open_fault_backend()) as backend:
            if not backend.exists(pairs[0][1]):  # an in-memory server forgot everything
                self._upload_all(backend, pairs)
            results = finish(lambda: backend.download_many(items, jobs=JOBS))
            assert [r.error for r in results if not r.ok] == []
            for path, local in items:
                assert Path(local).read_bytes() == fault_sources[path], f"{path} differs"

    def test_frozen_server_is_unavailable_not_a_hang(
        self, fault_server: FaultServer, open_fault_backend: Callable[[], Backend],
    ) -> None:
        with closing(open_fault_backend()) as backend:
            need(backend, C.WRITE, C.READ)
            backend.write("f/one.bin", b"one")
            fault_server.freeze()
            try:
                with pytest.raises(BackendUnavailable) as caught:
                    finish(lambda: backend.read_bytes("f/one.bin"))
                assert caught.value.backend == backend.name
            finally:
                fault_server.thaw()
        with closing(open_fault_backend()) as backend:  # thawed: it answers again
            assert finish(lambda: backend.read_bytes("f/one.bin")) == b"one"

    def test_server_frozen_mid_upload_stops_it(
        self, fault_server: FaultServer, open_fault_backend: Callable[[], Backend],
        fault_scratch: Path, fault_sources: dict[str, bytes],
    ) -> None:
        pairs = self._pairs(fault_scratch, fault_sources)
        with closing(open_fault_backend()) as backend:
            need(backend, C.WRITE)
            self._stop_mid_call(
                fault_server, backend, lambda b, k: b.upload_many(pairs, jobs=JOBS, callback=k),
                action="freeze",
            )
