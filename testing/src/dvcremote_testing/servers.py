"""Test servers as child processes: a free port, waiting until one listens, stopping a
process group, and :class:`ProcessServer`, a server a test can kill, freeze and restart.

Plugins run their storage's real server (moto, sshd, Azurite) with these, and the
fault suite (:mod:`dvcremote_testing.backend_tests.faults`) uses the kill / freeze /
restart controls to take it away in the middle of a transfer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from dvcremote.backend import Backend

LOOPBACK = "127.0.0.1"
_S = TypeVar("_S", bound="ProcessServer")


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nothing listens on right now (another process may take it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def closed_port_url(scheme: str = "http", host: str = LOOPBACK) -> str:
    """An endpoint where nothing listens (the port was free a moment ago)."""
    return f"{scheme}://{host}:{free_port(host)}"


def is_listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_listening(
    host: str, port: int, *, timeout_s: float, alive: Callable[[], bool] | None = None
) -> None:
    """Return once something accepts connections on ``host:port``.

    Raises RuntimeError when ``alive()`` turns False (the server exited during
    start-up) or nothing listens within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"the server exited before listening on {host}:{port}")
        if is_listening(host, port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {host}:{port} within {timeout_s}s")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; empty elsewhere).

    sshd's per-connection children call setsid(), so they leave its process group:
    signalling the group alone would leave them running."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def signal_tree(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the process's group and to every descendant (even setsid ones)."""
    for pid in descendants(process.pid):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop_process_group(process: subprocess.Popen[bytes], *, grace_s: float = 5.0) -> None:
    """SIGTERM the process, its group and its descendants; SIGKILL them if they linger.

    The process must have been started with ``start_new_session=True`` (its own group)."""
    if process.poll() is not None and not descendants(process.pid):
        return
    for sig in (signal.SIGCONT, signal.SIGTERM):  # a frozen server cannot act on SIGTERM
        signal_tree(process, sig)
    try:
        process.wait(timeout=grace_s)
        return
    except subprocess.TimeoutExpired:
        pass
    signal_tree(process, signal.SIGKILL)
    process.wait(timeout=grace_s)


class ProcessServer(ABC):
    """A server in a child process (its own process group) on a loopback port.

    Subclasses give :meth:`command`; the port is chosen here. ``restart`` starts it
    again on the SAME port, so clients configured with its address reach it again
    (state kept in memory is gone, as after a real crash). The controls a fault test
    needs: :meth:`kill` (SIGKILL: connections reset, new ones refused), :meth:`freeze`
    / :meth:`thaw` (SIGSTOP / SIGCONT: connections accepted by the kernel, never
    answered), :meth:`restart`.
    """

    #: Shown in errors.
    label = "server"
    host = LOOPBACK
    start_timeout_s = 30.0

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / f"{self.label}.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def command(self, port: int) -> Sequence[str]:
        """The argv that runs the server listening on ``self.host:port``."""

    def environment(self) -> Mapping[str, str] | None:
        """The server's environment (None: this process's)."""
        return None

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start on a free port (the first time) or on the same port (a restart)."""
        if self.running:
            return
        last = ""
        for _ in range(5):  # a free port may be taken before the server binds it
            port = self.port or free_port(self.host)
            with open(self.log, "ab") as out:
                process = subprocess.Popen(
                    list(self.command(port)),
                    cwd=self.workdir,
                    env=None if self.environment() is None else dict(self.environment() or {}),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            try:
                wait_listening(
                    self.host, port, timeout_s=self.start_timeout_s,
                    alive=lambda p=process: p.poll() is None,  # type: ignore[misc]
                )
            except RuntimeError as exc:
                stop_process_group(process)
                last = f"{exc}; log: {self.log.read_text(errors='replace')[-2000:]}"
                if self.port:  # a restart keeps its port: the TCP port may still linger
                    time.sleep(0.5)
                continue
            self.port, self.process = port, process
            self.started()
            return
        raise RuntimeError(f"could not start the {self.label}: {last}")

    def started(self) -> None:
        """Hook: runs after each (re)start, once the server listens."""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop it cleanly (SIGTERM, then SIGKILL); a no-op when it is not running."""
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process)

    def kill(self) -> None:
        """Kill it at once, with every process it started (a crash, a pulled plug)."""
        process, self.process = self.process, None
        if process is not None:
            signal_tree(process, signal.SIGCONT)
            signal_tree(process, signal.SIGKILL)
            process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP it: connections stay open and new ones are accepted, nothing answers."""
        assert self.process is not None, f"the {self.label} is not running"
        signal_tree(self.process, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            signal_tree(self.process, signal.SIGCONT)

    def restart(self) -> None:
        """Kill it if it runs, then start it again on the same port."""
        self.kill()
        self.start()

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def act_when(
    condition: Callable[[], bool], action: Callable[[], None], *, poll_s: float = 0.02
) -> Iterator[threading.Event]:
    """Run ``action`` once ``condition()`` holds, from a watcher thread: a server killed
    while a command in another process is half way through (``condition`` watches the
    remote or the cache). The event it yields is set once ``action`` ran."""
    fired, done = threading.Event(), threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                met = condition()
            except Exception:  # noqa: BLE001 - a check that fails now may hold later
                met = False
            if met:
                action()
                fired.set()
                return
            time.sleep(poll_s)

    watcher = threading.Thread(target=watch, name="act-when", daemon=True)
    watcher.start()
    try:
        yield fired
    finally:
        done.set()
        watcher.join(30)


_B = TypeVar("_B", bound="Backend")


@contextmanager
def backend_opener(
    open_url: Callable[..., _B], url: str, defaults: Mapping[str, Any]
) -> Iterator[Callable[..., _B]]:
    """An opener, ``(**options) -> backend`` on ``url`` with ``defaults`` and then the
    options, as the unavailable and fault suites take; every backend it opened is
    closed on exit (a server that was killed must not leave connections behind)."""
    made: list[_B] = []

    def open_backend(**options: Any) -> _B:
        backend = open_url(url, **{**defaults, **options})
        made.append(backend)
        return backend

    try:
        yield open_backend
    finally:
        for backend in made:
            backend.close()
