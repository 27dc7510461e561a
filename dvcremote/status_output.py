"""What ``status`` prints, in dvc's shapes, so that scripts written for ``dvc status``
read dvcremote's output unchanged (dvc's ``dvc/commands/status.py``).

dvc names paths and files relative to the current folder (``../data`` from a
sub-folder), groups workspace changes per ``.dvc`` file or stage, and pads each state
to 20 characters. The API results stay repo-relative; only this module turns them
into dvc's text and JSON.
"""

from __future__ import annotations

import os

from dvcremote.pipeline import PIPELINE
from dvcremote.results import StatusResult, WorkspaceStatus

UP_TO_DATE = "Data and pipelines are up to date."
IN_SYNC = "Cache and remote '{remote}' are in sync."
EMPTY_PROJECT = (
    "There are no data or pipelines tracked in this project yet.\n"
    "See <https://dvc.org/doc/start> to get started!"
)
_STATE_WIDTH = 20
_CHANGED_OUTS = "changed outs"


class Namer:
    """Repo-relative posix paths as dvc prints them: relative to ``cwd``."""

    def __init__(self, root: str, cwd: str) -> None:
        self.root = root
        self.cwd = cwd

    def path(self, rel: str) -> str:
        full = os.path.join(self.root, *rel.split("/")) if rel else self.root
        return os.path.relpath(full, self.cwd).replace(os.sep, "/")

    def address(self, key: str) -> str:
        """A :attr:`WorkspaceStatus.by_file` key as dvc's stage address: the ``.dvc``
        file's path, or the stage name alone for the ``dvc.yaml`` in ``cwd``."""
        if key.endswith(".dvc"):
            return self.path(key)
        pipeline, _, stage = key.rpartition(":")
        where = self.path(pipeline)
        return stage if where == PIPELINE else f"{where}:{stage}"


def _state(state: str) -> str:
    return f"{state}:".ljust(_STATE_WIDTH)


def workspace_json(status: WorkspaceStatus, namer: Namer) -> dict[str, object]:
    """``{"foo.dvc": [{"changed outs": {"foo": "modified"}}]}``."""
    return {
        namer.address(key): [{_CHANGED_OUTS: {namer.path(p): s for p, s in outs.items()}}]
        for key, outs in status.by_file.items()
    }


def workspace_lines(status: WorkspaceStatus, namer: Namer) -> list[str]:
    """``foo.dvc:`` / ``\\tchanged outs:`` / ``\\t\\tmodified:           foo``."""
    lines: list[str] = []
    for key, outs in status.by_file.items():
        lines += [f"{namer.address(key)}:", f"\t{_CHANGED_OUTS}:"]
        lines += [f"\t\t{_state(s)}{namer.path(p)}" for p, s in outs.items()]
    return lines


def cloud_json(status: StatusResult, namer: Namer) -> dict[str, str]:
    """``{"data/a": "new", "data": "new"}``: every path not in sync."""
    return {namer.path(p): s for p, s in status.changed().items()}


def cloud_lines(status: StatusResult, namer: Namer, *, indent: bool) -> list[str]:
    """``\\tnew:                data/a``; dvc indents only when ``-c`` is given (not for
    ``-r`` alone)."""
    tab = "\t" if indent else ""
    return [f"{tab}{_state(s)}{namer.path(p)}" for p, s in status.changed().items()]


__all__ = [
    "EMPTY_PROJECT",
    "IN_SYNC",
    "UP_TO_DATE",
    "Namer",
    "cloud_json",
    "cloud_lines",
    "workspace_json",
    "workspace_lines",
]
