"""Run ``dvcremote test-remote`` from a test, in a child process, as a user would.

A plugin's own CI can point the command at its test server with :func:`invoke` and
check the JSON it prints; :func:`tree_snapshot` tells whether a folder was left exactly
as it was. ``preamble`` is Python run in the child before the command: a test uses it to
break the backend on purpose (a mutant) and check the command notices.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: A generous guard against a hung child; the suites themselves take seconds.
_GUARD_S = 900

_SCRIPT = """\
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # a parent may ignore Ctrl-C
{preamble}
from dvcremote.cli import main
sys.exit(main(sys.argv[1:]))
"""


@dataclass
class Invocation:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def suite(self, name: str) -> dict[str, Any]:
        """One suite's counts from the ``--json`` output."""
        for item in self.json["suites"]:
            if item["suite"] == name:
                found: dict[str, Any] = item
                return found
        raise KeyError(f"suite {name} did not run: {self.stdout}")


def command(
    url: str, *flags: str, options: Mapping[str, Any] | None = None, preamble: str = ""
) -> list[str]:
    """The child's argv for ``dvcremote test-remote URL [-o k=v ...] FLAGS``."""
    argv = [sys.executable, "-c", _SCRIPT.format(preamble=preamble), "test-remote", url]
    for key, value in (options or {}).items():
        argv += ["-o", f"{key}={value}"]
    return argv + list(flags)


def invoke(
    url: str,
    *flags: str,
    options: Mapping[str, Any] | None = None,
    preamble: str = "",
    env: Mapping[str, str] | None = None,
) -> Invocation:
    done = subprocess.run(
        command(url, *flags, options=options, preamble=preamble),
        capture_output=True,
        text=True,
        timeout=_GUARD_S,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Invocation(done.returncode, done.stdout, done.stderr)


def interrupt(process: subprocess.Popen[str]) -> Invocation:
    """Ctrl-C the child, then collect what it printed."""
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=_GUARD_S)
    return Invocation(process.returncode, stdout, stderr)


def tree_snapshot(root: str | os.PathLike[str]) -> dict[str, tuple[int, int, int]]:
    """Every entry below ``root``: (type, size, mtime). Equal snapshots: nothing changed
    below ``root`` (an entry made and removed again changes only ``root``'s own mtime)."""
    found: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            found[os.path.relpath(full, root)] = (stat.S_IFMT(st.st_mode), size, st.st_mtime_ns)
    return found
