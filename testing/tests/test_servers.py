"""The server kit: a ProcessServer starts, is killed, restarts on the same port, freezes,
and stops with every process it started (even ones that left its process group)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest

from dvcremote_testing.servers import (
    ProcessServer,
    act_when,
    closed_port_url,
    descendants,
    free_port,
    is_listening,
)

#: An HTTP server that also forks a child into a session of its own (as sshd does).
_SERVE = (
    "import os, sys, http.server, time\n"
    "if os.fork() == 0:\n"
    "    os.setsid(); time.sleep(600); os._exit(0)\n"
    "http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler,"
    " port=int(sys.argv[1]), bind='127.0.0.1')\n"
)


class HttpServer(ProcessServer):
    label = "http"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-c", _SERVE, str(port)]


def _answers(port: int, timeout: float = 10) -> bool:
    """True once the server answers (generous: a loaded machine answers late)."""
    try:
        with urlopen(f"http://127.0.0.1:{port}/", timeout=timeout) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def test_free_and_closed_ports_have_no_listener() -> None:
    assert not is_listening("127.0.0.1", free_port())
    port = int(closed_port_url().rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_kill_restart_freeze_and_stop(tmp_path: Path) -> None:
    with HttpServer(tmp_path) as server:
        assert server.process is not None
        port, pid = server.port, server.process.pid
        assert _answers(port)
        forked = descendants(pid)
        assert forked, "the server's setsid child is not found"

        server.kill()
        assert not is_listening("127.0.0.1", port)
        server.restart()
        assert server.port == port and _answers(port)

        server.freeze()
        assert is_listening("127.0.0.1", port)  # the kernel still accepts...
        assert not _answers(port, timeout=2)  # ...but nothing answers
        server.thaw()
        assert _answers(port)
        process = server.process
        assert process is not None
        children = descendants(process.pid)
    assert process.poll() is not None and not is_listening("127.0.0.1", port)
    for child in forked + children:  # none of them outlives the server
        assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_act_when_runs_the_action_once_the_condition_holds() -> None:
    flips = iter([False, False, True])
    ran: list[int] = []
    with act_when(lambda: next(flips), lambda: ran.append(1), poll_s=0.01) as fired:
        assert fired.wait(10)
    assert ran == [1]
