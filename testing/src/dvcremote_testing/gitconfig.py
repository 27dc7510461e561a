"""Git tests that do not depend on the machine they run on.

pygit2 reads the user's global, XDG and system git config (name, hooks, autocrlf, ...)
into every repository it opens or makes; a test that commits or compares trees would
then pass on one machine and fail on another.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["hidden_git_config"]


@contextmanager
def hidden_git_config(empty_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Point pygit2's global, XDG and system config search paths at ``empty_dir`` (an
    empty folder) for the duration; the previous paths come back afterwards."""
    import pygit2
    from pygit2.enums import ConfigLevel

    levels = (ConfigLevel.GLOBAL, ConfigLevel.XDG, ConfigLevel.SYSTEM)
    saved = {level: pygit2.settings.search_path[level] for level in levels}
    for level in levels:
        pygit2.settings.search_path[level] = os.fspath(empty_dir)
    try:
        yield
    finally:
        for level, value in saved.items():
            pygit2.settings.search_path[level] = value
