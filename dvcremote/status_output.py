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
_CHANGED_DEPS = "changed deps"
_ALWAYS_CHANGED = "always changed"


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


def workspace_json(status: WorkspaceStatus, namer: Namer) -> dict[str, list[object]]:
    """``{"foo.dvc": [{"changed outs": {"foo": "modified"}}], "train": [{"changed deps":
    {"data": "modified", "params.yaml": {"lr": "modified"}}}, "always changed"]}``."""
    report: dict[str, list[object]] = {}
    for key in sorted({*status.by_file, *status.stages}):
        entries: list[object] = []
        stage = status.stages.get(key)
        if stage is not None and (stage.deps or stage.params or stage.imports):
            deps: dict[str, object] = {namer.path(p): s for p, s in stage.deps.items()}
            deps.update(stage.imports)
            for p, s in stage.params.items():
                deps[namer.path(p)] = s if isinstance(s, str) else dict(s)
            entries.append({_CHANGED_DEPS: deps})
        outs = status.by_file.get(key)
        if outs:
            entries.append({_CHANGED_OUTS: {namer.path(p): s for p, s in outs.items()}})
        if stage is not None and stage.always_changed:
            entries.append(_ALWAYS_CHANGED)
        report[namer.address(key)] = entries
    return report


def workspace_lines(status: WorkspaceStatus, namer: Namer) -> list[str]:
    """``foo.dvc:`` / ``\tchanged outs:`` / ``\t\tmodified:           foo``."""
    lines: list[str] = []
    _show(workspace_json(status, namer), 0, lines)
    return lines


def _show(node: object, indent: int, lines: list[str]) -> None:
    """dvc's ``CmdDataStatus._show``: strings as lines, ``{path: state}`` as padded
    states, other mappings as ``key:`` with their content one tab further in."""
    tabs = "\t" * indent
    if isinstance(node, str):
        lines.append(f"{tabs}{node}")
    elif isinstance(node, list):
        for entry in node:
            _show(entry, indent, lines)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                lines.append(f"{tabs}{_state(value)}{key}")
            elif value:
                lines.append(f"{tabs}{key}:")
                _show(value, indent + 1, lines)


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
