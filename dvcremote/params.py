"""Parameter values a stage tracks, read from its params files as dvc reads them.

``dvc/dependency/param.py``: a listed key is looked up as a dotted path
(``train.epochs``; a digit picks a list item) and recorded under that dotted name,
so a subtree is recorded whole; a file tracked without keys records all of it. The
file is parsed by :func:`dvcremote.paramsfile.parse_params` (the one parser of params
and vars files: YAML, ``.json``, ``.toml``, ``.py`` read with ``ast``, never run).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from dvcremote.errors import MissingParams
from dvcremote.paramsfile import ParamsFileError, parse_params

_MISSING = object()
#: What :func:`lookup` returns for a key the file does not have.
MISSING = _MISSING


def load_file(root: str, rel: str) -> dict[str, Any] | None:
    """The parsed params file at repo-relative ``rel`` (None when it does not exist)."""
    full = os.path.join(root, *rel.split("/"))
    try:
        with open(full, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise MissingParams(f"'{rel}' is a directory, expected a parameters file") from None
    try:
        parsed = parse_params(rel, data)
    except ParamsFileError as exc:
        raise MissingParams(f"Unable to read parameters from '{rel}': {exc}") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise MissingParams(f"Unable to read parameters from '{rel}': not a mapping")
    return parsed


def lookup(config: Any, dotted: str) -> Any:
    """``config`` at ``a.b.0`` (dpath with ``.`` as the separator), or _MISSING."""
    node = config
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def read_values(root: str, rel: str, keys: Sequence[str]) -> dict[str, Any]:
    """The tracked values of params file ``rel``: ``{key: value}`` for listed keys
    (every one must exist), the whole file for none. A missing file gives ``{}`` for
    a whole-file dep, an error otherwise (as dvc)."""
    config = load_file(root, rel)
    if not keys:
        return dict(config or {})
    found: dict[str, Any] = {}
    for key in keys:
        value = lookup(config or {}, key)
        if value is not _MISSING:
            found[key] = value
    missing = [k for k in keys if k not in found]
    if missing:
        raise MissingParams(f"Parameters '{', '.join(missing)}' are missing from '{rel}'.")
    return found


__all__ = ["MISSING", "load_file", "lookup", "read_values"]
