"""Test doubles built from the backend under test, to observe what its hooks do.

A double is a shallow copy of the fixture's backend (same storage, same
connections) whose class is a throw-away subclass of the backend's own class:
every hook, and every private helper the plugin added, is wrapped so that its
calls are recorded, and optionally made to raise. The public methods stay the
plugin's, so the double proves what happens *before* or *around* its code runs.
"""

from __future__ import annotations

import copy
import inspect
import threading
from collections.abc import Callable, Iterable
from typing import Any

from dvcremote.backend import Backend, Capability

#: The contract's hooks (see ``Backend``); plugins implement some or all of them.
HOOKS: tuple[str, ...] = (
    "_exists",
    "_is_file",
    "_is_folder",
    "_open_read",
    "_file_info",
    "_folder_info",
    "_list_files",
    "_list_folders",
    "_list_paths",
    "_write",
    "_write_atomic",
    "_delete",
    "_delete_folder",
    "_copy",
    "_move",
    "_list_versions",
    "_delete_version",
    "_check_health",
)


class HookLog:
    """Names of the hooks called, in order, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def record(self, name: str) -> None:
        with self._lock:
            self.calls.append(name)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()


def plugin_helpers(cls: type[Backend]) -> set[str]:
    """Private functions the plugin's classes add on top of the contract."""
    contract = set(dir(Backend))
    found: set[str] = set()
    for klass in cls.__mro__:
        if klass in Backend.__mro__:
            continue
        for name, member in vars(klass).items():
            if (
                name.startswith("_")
                and not name.startswith("__")
                and name not in contract
                and inspect.isfunction(member)
            ):
                found.add(name)
    return found


def derive(backend: Backend, namespace: dict[str, Any], *, label: str = "Double") -> Backend:
    """A copy of ``backend`` sharing its state, whose class adds ``namespace``."""
    base = type(backend)
    meta: Any = type(base)
    cls = meta(f"{label}{base.__name__}", (base,), dict(namespace))
    clone = copy.copy(backend)
    clone.__class__ = cls
    return clone


def probe(
    backend: Backend,
    *,
    without: Iterable[Capability] = (),
    explode: Callable[[str], BaseException] | None = None,
) -> tuple[Backend, HookLog]:
    """A double that records every hook/helper call; without some capabilities; maybe exploding.

    With ``explode``, each hook raises ``explode(hook_name)`` instead of running,
    so nothing reaches the storage.
    """
    base = type(backend)
    log = HookLog()
    caps = frozenset(backend.capabilities) - frozenset(without)
    namespace: dict[str, Any] = {
        "CAPABILITIES": caps,
        "capabilities": property(lambda self: caps),
    }
    names = set(HOOKS) if explode is not None else set(HOOKS) | plugin_helpers(base)
    for name in names:
        original = inspect.getattr_static(base, name, None)
        if inspect.isfunction(original):
            namespace[name] = _spy(name, original, log, explode)
    return derive(backend, namespace, label="Probe"), log


def _spy(
    name: str,
    original: Callable[..., Any],
    log: HookLog,
    explode: Callable[[str], BaseException] | None,
) -> Callable[..., Any]:
    def spy(self: Backend, *args: Any, **kwargs: Any) -> Any:
        log.record(name)
        if explode is not None:
            raise explode(name)
        return original(self, *args, **kwargs)

    spy.__name__ = name
    return spy
