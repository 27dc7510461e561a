"""The core's import graph: no cycles, and the Backend contract depends on nothing above it.

Read from the source with ``ast`` (nothing is imported), counting imports inside
functions too: a lazy import is still a dependency. Imports under ``TYPE_CHECKING``
are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "dvcremote"

#: Layer -> the dvcremote modules it may import (by prefix), besides its own.
ALLOWED = {
    "dvcremote.backend": ("dvcremote.backend", "dvcremote.errors"),
}


def modules_of(package: Path) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The known modules ``name`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                if sub in known:
                    found.add(sub)
                elif module in known:
                    found.add(module)
    found.discard(name)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    known = modules_of(package)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for layer, allowed in ALLOWED.items():
        for name, targets in graph.items():
            if name != layer and not name.startswith(layer + "."):
                continue
            for target in sorted(targets):
                if not any(target == a or target.startswith(a + ".") for a in allowed):
                    bad.append(f"{name} imports {target}")
    return bad


def test_the_core_has_no_import_cycle() -> None:
    assert cycles(import_graph(CORE)) == []


def test_the_backend_contract_imports_nothing_above_it() -> None:
    assert violations(import_graph(CORE)) == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / "dvcremote" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "dvcremote"


@pytest.mark.parametrize(
    "a_imports",
    [
        "from dvcremote import b\n",
        "def f():\n    from dvcremote.b import thing\n",  # lazy imports count
        "from . import b\n",
    ],
)
def test_a_cycle_is_found(tmp_path: Path, a_imports: str) -> None:
    package = _package(
        tmp_path,
        {"__init__.py": "", "a.py": a_imports, "b.py": "import dvcremote.a\n", "c.py": ""},
    )
    assert cycles(import_graph(package)) == [["dvcremote.a", "dvcremote.b"]]


def test_type_checking_imports_are_not_dependencies(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dvcremote import b\n"
            ),
            "b.py": "from dvcremote import a\n",
        },
    )
    assert cycles(import_graph(package)) == []


def test_a_contract_module_importing_an_implementation_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "backend/__init__.py": "",
            "backend/base.py": (
                "from dvcremote import errors\nfrom dvcremote.backends import naming\n"
            ),
            "backends/__init__.py": "",
            "backends/naming.py": "",
        },
    )
    assert violations(import_graph(package)) == [
        "dvcremote.backend.base imports dvcremote.backends.naming"
    ]
