"""An fsspec filesystem whose storage is gone: every call raises, as a dead server's would.

For adapters built on :class:`dvcremote.backend.fsspec.FsspecBackend` and for the
unavailable-storage suites' own tests: give it ``ConnectionRefusedError`` for a server
that is down, ``PermissionError`` for refused credentials. Only the calls that do I/O
are overridden; fsspec's ``exists``/``isfile``/``isdir`` stay its defaults, which answer
False for any failure: an adapter that relies on them is caught.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from fsspec.spec import AbstractFileSystem


def refused() -> OSError:
    return ConnectionRefusedError(111, "Connection refused")


class DownFileSystem(AbstractFileSystem):
    protocol = "downfs"
    cachable = False  # each instance has its own failure

    def __init__(self, error: Callable[[], BaseException] = refused, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.error()

    info = ls = find = _open = cat_file = pipe_file = _fail
    cp_file = mv = rm_file = rm = _rm = makedirs = mkdir = rmdir = _fail
    put = get = put_file = get_file = _fail
