"""The docs must not drift from the code: generated parts match, names exist, links resolve."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

import dvcremote.errors
from dvcremote.backend import Backend, Capability

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_capabilities", DOCS / "gen_capabilities.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ capability matrix
def test_capability_matrix_matches_the_installed_backends() -> None:
    expected = _generator().render()
    assert _read(DOCS / "capabilities.md") == expected, (
        "docs/capabilities.md is stale: run .venv/bin/python docs/gen_capabilities.py"
    )


def test_capability_matrix_covers_every_registered_backend() -> None:
    gen = _generator()
    entries = gen.collect()
    classes = {e.cls for e in entries}
    from dvcremote.backend import available_schemes, backend_class

    for scheme in available_schemes():
        assert backend_class(scheme) in classes, scheme
    table = _read(DOCS / "capabilities.md")
    for entry in entries:
        assert f"`{entry.class_path}`" in table


def test_capability_notes_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    entries = gen.collect()
    noted = entries[0].cls
    monkeypatch.setattr(
        noted, "CAPABILITY_NOTES", {Capability.VERSIONING: "a caveat for readers"}, raising=False
    )
    row = next(
        line for line in gen.render(entries).splitlines() if line.startswith("| `VERSIONING`")
    )
    notes_cell = row.rstrip(" |").rsplit(" | ", 1)[-1]
    assert f"**{gen._labels(entries)[0]}**: a caveat for readers" in notes_cell


# -------------------------------------------------------------------- README and CI
def _setup_commands() -> list[str]:
    readme = _read(ROOT / "README.md")
    section = readme.split("\n## Set up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)\n(.*?)```", section, re.S)
    assert block, "README's 'Set up' section has no shell code block"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2, commands
    for command in commands:
        script = ROOT / command.split()[0]
        assert script.is_file(), f"{command!r}: no such script"
        assert os.access(script, os.X_OK), f"{script} is not executable"


def test_ci_runs_the_readme_commands() -> None:
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    text = _read(ci)
    assert "set -euo pipefail" in text
    ci_lines = [line.strip() for line in text.splitlines()]
    quickstart, test = _setup_commands()
    assert quickstart in ci_lines, "CI must run the README's quickstart command as written"
    assert test in ci_lines, "CI must run the README's test command as written"
    assert ci_lines.index(test) > max(i for i, line in enumerate(ci_lines) if "lint" in line)


# ----------------------------------------------------------------- Backend contract doc
def _contract() -> str:
    return _read(DOCS / "backend-contract.md")


@pytest.mark.parametrize(
    "method", sorted(name for name in dir(Backend) if not name.startswith("_") and name != "redact")
)
def test_contract_doc_describes_every_public_member(method: str) -> None:
    assert re.search(rf"`{method}[`(]", _contract()), method


@pytest.mark.parametrize("capability", [c.value for c in Capability])
def test_contract_doc_describes_every_capability(capability: str) -> None:
    assert f"| `{capability}` |" in _contract()


@pytest.mark.parametrize(
    "error",
    sorted(
        name
        for name, obj in vars(dvcremote.errors).items()
        if isinstance(obj, type) and issubclass(obj, dvcremote.errors.BackendError)
    ),
)
def test_contract_doc_describes_every_backend_error(error: str) -> None:
    assert f"`{error}`" in _contract()


# ---------------------------------------------------------------------- paths and links
_PATH = re.compile(r"`((?:dvcremote|testing|plugins|docs|tests|scripts|bench|\.ci)/[^`\s<>*]*)`")


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md", "docs/index.md"])
def test_paths_named_in_docs_exist(doc: str) -> None:
    missing = [p for p in _PATH.findall(_read(ROOT / doc)) if not (ROOT / p).exists()]
    assert not missing, f"{doc} names paths that do not exist: {missing}"


_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "doc", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md"))]
)
def test_relative_links_resolve(doc: str) -> None:
    base = (ROOT / doc).parent
    broken = [
        target
        for target in _LINK.findall(_read(ROOT / doc))
        if "://" not in target and not (base / target).exists()
    ]
    assert not broken, f"{doc} links to missing files: {broken}"


# A test reference in reliability.md: `path.py::name[::name]`, or `::name` (same file
# as the reference before it), or `Suite::test_name` (a suite in dvcremote_testing).
_TEST_REF = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.py)?((?:::\w+)+)`|`([A-Z]\w+)::(test_\w+)`")


def test_reliability_names_tests_that_exist() -> None:
    """Each guarantee in docs/reliability.md names the test holding it; a renamed or
    deleted test must not leave a guarantee that nothing checks."""
    suites = "\n".join(_read(p) for p in (ROOT / "testing" / "src").rglob("*.py"))
    current = ""
    missing = []
    found = 0
    for path, names, suite, test in _TEST_REF.findall(_read(DOCS / "reliability.md")):
        found += 1
        if suite:
            if f"class {suite}" not in suites or f"def {test}(" not in suites:
                missing.append(f"{suite}::{test}")
            continue
        current = path or current
        source = _read(ROOT / current) if (ROOT / current).is_file() else ""
        for name in names.strip(":").split("::"):
            if not re.search(rf"^\s*(?:def|class) {name}\b", source, re.M):
                missing.append(f"{current}::{name}")
    assert found > 10 and not missing, f"docs/reliability.md names missing tests: {missing}"


def test_index_links_every_doc() -> None:
    index = _read(DOCS / "index.md")
    for doc in sorted(DOCS.glob("*.md")):
        if doc.name != "index.md":
            assert f"({doc.name})" in index, f"docs/index.md does not link {doc.name}"


# ------------------------------------------------------------ layering (architecture.md)
_PLUGIN_IMPORT = re.compile(r"^\s*(?:from|import)\s+(dvcremote_\w+)", re.M)


def test_core_imports_no_plugin_and_no_testing_package() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "dvcremote").rglob("*.py")
        for name in _PLUGIN_IMPORT.findall(_read(path))
    }
    assert not offenders, sorted(offenders)
