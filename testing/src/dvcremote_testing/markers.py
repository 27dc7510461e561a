"""Skip rules for inherited suite tests: by missing capability, or by backend name.

These are plain decorators, not registered pytest marks, so a plugin's test run
needs no conftest and raises no unknown-mark warning (``--strict-markers`` stays
usable). The suites evaluate them in an autouse fixture, once the backend under
test (and so its name and capabilities) is known.

Decorating a function returns a new function and never touches the original, so
a plugin author can opt out of one inherited test without changing it for others::

    class TestMyBackend(BackendConformance):
        test_move_overwrites = skip_backend("mine", reason="rename is copy+delete")(
            BackendConformance.test_move_overwrites
        )

Decorating a class applies the rule to every test the class has, inherited ones
included, by giving that class its own wrapped copies.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, Union

import pytest

from dvcremote.backend import Backend, Capability
from dvcremote.backend.registry import BackendClassInfo

__all__ = [
    "OnlyBackends",
    "Requires",
    "SkipBackend",
    "apply_skip_rules",
    "capability_notes",
    "noted",
    "only_backends",
    "requires",
    "rules_of",
    "skip_backend",
    "skip_reason",
]

_ATTR = "__dvcremote_skip_rules__"

T = TypeVar("T")


@dataclass(frozen=True)
class Requires:
    capabilities: tuple[Capability, ...]


@dataclass(frozen=True)
class SkipBackend:
    names: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class OnlyBackends:
    names: tuple[str, ...]
    reason: str | None = None


Rule = Union[Requires, SkipBackend, OnlyBackends]  # noqa: UP007 - runtime alias on 3.10


def requires(*capabilities: Capability | str) -> Callable[[T], T]:
    """Skip the test unless the backend declares every one of ``capabilities``."""
    if not capabilities:
        raise ValueError("requires() needs at least one capability")
    caps = tuple(Capability(c) for c in capabilities)
    return _decorator(Requires(caps))


def skip_backend(*names: str, reason: str) -> Callable[[T], T]:
    """Skip the test for backends with one of these ``name`` values; ``reason`` is shown."""
    if not names or not reason:
        raise ValueError("skip_backend() needs at least one backend name and a reason")
    return _decorator(SkipBackend(tuple(names), reason))


def only_backends(*names: str, reason: str | None = None) -> Callable[[T], T]:
    """Run the test only for backends with one of these ``name`` values."""
    if not names:
        raise ValueError("only_backends() needs at least one backend name")
    return _decorator(OnlyBackends(tuple(names), reason))


def rules_of(obj: object) -> tuple[Rule, ...]:
    rules: tuple[Rule, ...] = getattr(obj, _ATTR, ())
    return rules


def capability_notes(backend: Backend | type[Backend]) -> dict[str, str]:
    """The backend class's ``CAPABILITY_NOTES`` by capability name: why it lacks what it
    lacks (an emulator without versions, say), so a skip can tell the reader."""
    cls = backend if isinstance(backend, type) else type(backend)
    return BackendClassInfo.of(cls).notes


def skip_reason(
    rules: Iterable[Rule],
    *,
    backend_name: str,
    capabilities: Collection[Capability],
    notes: Mapping[str, str] | None = None,
) -> str | None:
    """Why a test with these rules must not run on this backend, or None if it may.

    ``notes`` (see :func:`capability_notes`) are appended for the missing capabilities.
    """
    rules = list(rules)
    missing: list[str] = []
    for rule in rules:
        if isinstance(rule, Requires):
            missing += [c.value for c in rule.capabilities
                        if c not in capabilities and c.value not in missing]
    if missing:
        plural = "capability" if len(missing) == 1 else "capabilities"
        return noted(f"backend lacks {plural} {', '.join(missing)}", missing, notes)
    for rule in rules:
        if isinstance(rule, OnlyBackends) and backend_name not in rule.names:
            wanted = ", ".join(repr(n) for n in rule.names)
            extra = f": {rule.reason}" if rule.reason else ""
            return f"only for backends {wanted}, not {backend_name!r}{extra}"
    for rule in rules:
        if isinstance(rule, SkipBackend) and backend_name in rule.names:
            return f"skipped for backend {backend_name!r}: {rule.reason}"
    return None


def noted(reason: str, missing: Iterable[str], notes: Mapping[str, str] | None) -> str:
    """``reason`` with the notes of the ``missing`` capabilities appended, if any."""
    why = "; ".join(notes[c] for c in missing if c in notes) if notes else ""
    return f"{reason} ({why})" if why else reason


def apply_skip_rules(
    request: pytest.FixtureRequest,
    *,
    backend_name: str,
    capabilities: Collection[Capability],
    notes: Mapping[str, str] | None = None,
) -> None:
    """Skip the requesting test if its rules say so; suites call this from an autouse fixture."""
    reason = skip_reason(
        rules_of(request.function),
        backend_name=backend_name,
        capabilities=capabilities,
        notes=notes,
    )
    if reason is not None:
        pytest.skip(reason)


def _decorator(rule: Rule) -> Callable[[T], T]:
    def decorate(obj: T) -> T:
        if inspect.isclass(obj):
            for name in dir(obj):
                member = inspect.getattr_static(obj, name)
                if name.startswith("test") and inspect.isfunction(member):
                    setattr(obj, name, _with_rule(member, rule))
            return obj
        if inspect.isfunction(obj):
            return _with_rule(obj, rule)  # type: ignore[return-value]
        raise TypeError(f"cannot apply a skip rule to {obj!r}; use it on a test or a class")

    return decorate


def _with_rule(fn: Callable[..., Any], rule: Rule) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    setattr(wrapper, _ATTR, (*rules_of(fn), rule))
    return wrapper
