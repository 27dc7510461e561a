"""Params and vars files (``params.yaml``, ``.json``, ``.toml``, ``.py``) parsed as dvc parses them.

dvc picks the parser by the file's suffix, any other suffix being YAML (1.2, as
:mod:`dvcremote.yamlio` reads it). A Python file is never run: as in dvc, its
top-level assignments, its classes (a mapping of their assignments) and the
``self.x = ...`` assignments of an ``__init__`` are read with :mod:`ast` and
``literal_eval``; a statement whose value is not a literal is skipped.

The bytes are hostile input: a parse failure, a too deep or too large document
is a :class:`ParamsFileError`, never a crash.
"""

from __future__ import annotations

import ast
import importlib
import json
import posixpath
from typing import Any

from dvcremote import yamlio


class ParamsFileError(ValueError):
    """The file cannot be read as params; the message says why (the caller names it)."""


def parse_params(path: str, data: bytes) -> Any:
    """The data of the params file ``path`` holding ``data``; an empty YAML file is ``{}``."""
    suffix = posixpath.splitext(path)[1].lower()
    try:
        if suffix == ".json":
            return json.loads(data)
        if suffix == ".toml":
            return _toml().loads(data.decode("utf-8"))
        if suffix == ".py":
            return _python_params(ast.parse(data, filename=path))
        return yamlio.loads(data) or {}
    except ParamsFileError:
        raise
    except RecursionError:
        raise ParamsFileError("nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad params file
        raise ParamsFileError(f"cannot be parsed ({type(exc).__name__})") from None


def _toml() -> Any:
    try:
        return importlib.import_module("tomllib")  # Python 3.11+
    except ModuleNotFoundError:
        raise ParamsFileError("TOML needs Python 3.11 or later") from None


def _python_params(
    tree: ast.Module | ast.ClassDef | ast.FunctionDef, only_self: bool = False
) -> dict[str, Any]:
    """Literal assignments, class bodies and ``__init__``'s ``self.x``, in file order."""
    result: dict[str, Any] = {}
    for stmt in tree.body:
        try:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                result.update(_assignment(stmt, only_self))
            elif isinstance(stmt, ast.ClassDef):
                result[stmt.name] = _python_params(stmt)
            elif isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
                result.update(_python_params(stmt, only_self=True))
        except (ValueError, TypeError, AttributeError):
            continue  # not a literal, or not a plain name: dvc skips it
    return result


def _assignment(stmt: ast.Assign | ast.AnnAssign, only_self: bool) -> dict[str, Any]:
    if isinstance(stmt, ast.AnnAssign):
        target: ast.expr = stmt.target
    elif len(stmt.targets) == 1:
        target = stmt.targets[0]
    else:
        raise AttributeError("several targets")
    if isinstance(target, ast.Name) and not only_self:
        name = target.id
    elif isinstance(target, ast.Attribute) and getattr(target.value, "id", None) == "self":
        name = target.attr
    else:
        raise AttributeError("not a name")
    node = stmt.value
    if node is None:
        raise ValueError("no value")
    if isinstance(node, ast.Dict):
        return {name: {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}}
    if isinstance(node, ast.List):
        return {name: [_literal(v) for v in node.elts]}
    if isinstance(node, ast.Set):
        return {name: {_literal(v) for v in node.elts}}
    if isinstance(node, ast.Tuple):
        return {name: tuple(_literal(v) for v in node.elts)}
    return {name: _literal(node)}


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        raise ValueError("not a literal")  # ``{**other}``
    return ast.literal_eval(node)


__all__ = ["ParamsFileError", "parse_params"]
