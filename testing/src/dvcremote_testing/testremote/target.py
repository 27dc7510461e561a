"""The live remote under test: where each test gets a fresh place, and the cleanup.

Everything a run writes lives below one folder of the URL, ``dvcremote-test-remote-<random>``,
so removing that one folder at the end removes all of it, and nothing else is touched.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from secrets import token_hex
from typing import Any

from dvcremote.backend import Backend, Capability, open_backend

#: Every run's folder starts with this, so a leftover one is easy to recognise.
RUN_PREFIX = "dvcremote-test-remote-"

#: Remote config keys that make a backend keep versions (local, S3, Azure). The cleanup
#: and the read-only checks open the URL without them: a versioned backend on the URL
#: keeps a version of each file it deletes, and the local one even of each file it is
#: asked about (in a new ``<URL>/.dvcremote`` folder): a write.
_VERSIONING_KEYS = frozenset({"versioning", "version_aware", "worktree"})

#: The core's remote modes. Each remote suite sets the one it tests (``make_remote`` none,
#: ``make_remote_version_aware`` ``version_aware``, ...); given with ``-o`` (S3 needs
#: ``version_aware`` to open its versioned backend) they reach only the backend.
_REMOTE_MODE_KEYS = frozenset({"version_aware", "worktree"})

#: Option keys whose values are secrets: the suites check no repr or error shows them.
_SECRET_WORDS = ("password", "passphrase", "secret", "token", "key_id", "sas", "credential")


def join(url: str, path: str) -> str:
    """``url`` with ``path`` below it (plain paths and ``scheme://`` URLs alike)."""
    return f"{url.rstrip('/')}/{path}" if path else url


class LiveTarget:
    """A URL plus its remote config keys, and the run folder below it."""

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        self.url = url
        self.options = dict(options)
        self.run_folder = RUN_PREFIX + token_hex(6)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._capabilities: frozenset[Capability] | None = None

    def open(self, path: str = "") -> Backend:
        """A backend on ``path`` below the URL, opened with the run's options."""
        return open_backend(join(self.url, path), **self.options)

    @property
    def remote_options(self) -> dict[str, Any]:
        """The options for a repository's remote config: all but the remote modes."""
        return {k: v for k, v in self.options.items() if k not in _REMOTE_MODE_KEYS}

    def open_plain(self) -> Backend:
        """The URL itself, opened so that nothing but an explicit write writes."""
        plain = {k: v for k, v in self.options.items() if k not in _VERSIONING_KEYS}
        return open_backend(self.url, **plain)

    def fresh_path(self) -> str:
        """A new, empty place for one test, below the run folder."""
        with self._lock:
            n = next(self._counter)
        return f"{self.run_folder}/t{n}"

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the backend opened with the run's options declares (decides skips)."""
        if self._capabilities is None:
            with self.open() as backend:
                self._capabilities = backend.capabilities
        return self._capabilities

    @property
    def secrets(self) -> list[str]:
        """Option values that are credentials (they must show in no message)."""
        return [
            str(value)
            for key, value in self.options.items()
            if value and any(word in key.lower() for word in _SECRET_WORDS)
        ]

    @contextmanager
    def fresh_backend(self) -> Iterator[Backend]:
        backend = self.open(self.fresh_path())
        try:
            yield backend
        finally:
            backend.close()

    def cleanup(self) -> None:
        """Remove the run folder and everything in it (also after a failed run)."""
        with self.open_plain() as backend:
            backend.delete_folder(self.run_folder, recursive=True, missing_ok=True)
