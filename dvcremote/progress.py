"""Progress reporting: silent by default, a tqdm bar when the CLI runs on a terminal."""

from __future__ import annotations

import sys
import threading
from typing import Any, Protocol


class Progress(Protocol):
    """What long operations report to; every method must be cheap and thread-safe."""

    def start(self, desc: str, total: int | None = None) -> None: ...

    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def start(self, desc: str, total: int | None = None) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


NULL = NullProgress()


class TqdmProgress:
    """One bar per phase on stderr; tqdm is imported only when a bar is shown."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self._bar: Any = None
        self._lock = threading.Lock()

    def start(self, desc: str, total: int | None = None) -> None:
        from tqdm import tqdm

        with self._lock:
            if self._bar is not None:
                self._bar.close()
            self._bar = tqdm(
                total=total,
                desc=desc,
                unit="file",
                file=self.stream,
                leave=False,
                dynamic_ncols=True,
                mininterval=0.2,
            )

    def update(self, n: int = 1) -> None:
        bar = self._bar
        if bar is not None:
            with self._lock:
                bar.update(n)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def for_terminal(quiet: bool, stream: Any = None) -> Progress:
    """A bar only on an interactive terminal and never with ``-q``."""
    stream = stream or sys.stderr
    if quiet or not getattr(stream, "isatty", lambda: False)():
        return NULL
    return TqdmProgress(stream)
