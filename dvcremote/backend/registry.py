"""Turn a URL plus options into a Backend, finding plugins by URL scheme.

Plugins register under the entry-point group ``dvcremote.backends`` as
``<scheme> = "package.module:BackendClass"``; the class's ``from_url`` builds it.
The core's own schemes (plain paths, ``file://``, ``memory://``) are resolved
without scanning the installed distributions: that scan costs more than the rest
of a ``status -c`` start-up, so it happens only for a plugin's scheme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

from dvcremote.errors import UnknownScheme

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from dvcremote.backend.base import Backend

ENTRY_POINT_GROUP = "dvcremote.backends"

#: The core's schemes. The core registers them as entry points too (so listings
#: show them); these win over a plugin that registers the same name.
BUILTIN_SCHEMES: dict[str, str] = {
    "local": "dvcremote.backends.local:LocalBackend",
    "file": "dvcremote.backends.local:LocalBackend",
    "memory": "dvcremote.backends.memory:MemoryBackend",
}
#: Modules holding the core's variants (classes ``from_url`` picks by option), which
#: are otherwise imported only when a remote asks for them.
_BUILTIN_VARIANT_MODULES = ("dvcremote.backends.versioned_local",)

#: Which distribution to install for schemes the core does not handle itself.
KNOWN_PLUGINS: dict[str, str] = {
    "s3": "dvcremote-s3",
    "ssh": "dvcremote-ssh",
    "sftp": "dvcremote-ssh",
    "azure": "dvcremote-azure",
    "az": "dvcremote-azure",
    "gs": "dvcremote-gs",
    "gcs": "dvcremote-gs",
    "hdfs": "dvcremote-hdfs",
    "http": "dvcremote-http",
    "https": "dvcremote-http",
    "webdav": "dvcremote-webdav",
    "oss": "dvcremote-oss",
}

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def scheme_of(url: str) -> str:
    """The URL's scheme; plain paths (and Windows drive paths) are ``local``."""
    m = _SCHEME.match(url)
    return m.group(1).lower() if m else "local"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points  # costly: only for plugins' schemes

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


def available_schemes() -> dict[str, str]:
    """Scheme -> ``module:Class`` for every registered backend."""
    found = {name: ep.value for name, ep in _entry_points().items()}
    found.update(BUILTIN_SCHEMES)
    return dict(sorted(found.items()))


def backend_class(scheme: str) -> type[Backend]:
    builtin = BUILTIN_SCHEMES.get(scheme)
    if builtin is not None:
        found: type[Backend] = _load(builtin)
        return found
    ep = _entry_points().get(scheme)
    if ep is None:
        dist = KNOWN_PLUGINS.get(scheme)
        hint = (
            f"install the plugin with: pip install {dist}"
            if dist
            else f"no installed plugin registers it in the {ENTRY_POINT_GROUP!r} entry-point group"
        )
        raise UnknownScheme(f"unsupported URL scheme {scheme!r}: {hint}")
    cls: type[Backend] = ep.load()
    return cls


def open_backend(url: str, **options: Any) -> Backend:
    """Build the backend for ``url``; ``options`` are the remote's config keys."""
    cls = backend_class(scheme_of(url))
    return cls.from_url(url, **options)


# ------------------------------------------------------------------ describing plugins
@dataclass(frozen=True)
class BackendClassInfo:
    """A backend class and what it declares."""

    #: ``module:Class``
    target: str
    capabilities: tuple[str, ...] = ()
    #: Capability -> caveat, from the class's ``CAPABILITY_NOTES``.
    notes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, backend: type[Backend]) -> BackendClassInfo:
        from dvcremote.backend.capabilities import Capability

        raw = getattr(backend, "CAPABILITY_NOTES", None) or {}
        return cls(
            f"{backend.__module__}:{backend.__qualname__}",
            tuple(c.value for c in Capability if c in backend.CAPABILITIES),
            {Capability(k).value: str(v) for k, v in sorted(raw.items(), key=lambda i: str(i[0]))},
        )

    def to_json(self) -> dict[str, Any]:
        return {"class": self.target, "capabilities": list(self.capabilities), "notes": self.notes}


@dataclass(frozen=True)
class PluginInfo:
    """One registered backend class: who ships it, its schemes, what it can do.

    ``variants`` are subclasses ``from_url`` picks by option (a version-aware bucket,
    a versioned folder). ``error`` says why the class could not be loaded: a broken
    plugin is reported, not raised, since finding it is the point of asking.
    """

    distribution: str
    version: str
    schemes: tuple[str, ...]
    target: str
    backend: BackendClassInfo | None = None
    variants: tuple[BackendClassInfo, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "distribution": self.distribution,
            "version": self.version,
            "schemes": list(self.schemes),
            "class": self.target,
        }
        if self.backend is not None:
            data["capabilities"] = list(self.backend.capabilities)
            data["notes"] = self.backend.notes
        data["variants"] = [v.to_json() for v in self.variants]
        data["error"] = self.error
        return data


def describe_plugins() -> list[PluginInfo]:
    """Every backend class registered in the ``dvcremote.backends`` entry-point group
    (the core's included), grouped by class: the core first, then by distribution."""
    from importlib.metadata import entry_points

    groups: dict[tuple[str, str, str], list[str]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):  # all, a scheme two plugins claim too
        dist = ep.dist
        key = (
            dist.name if dist is not None else "?",
            dist.version if dist is not None else "?",
            ep.value,
        )
        groups.setdefault(key, []).append(ep.name)
    for module in _BUILTIN_VARIANT_MODULES:
        import_module(module)
    found = [
        _describe(dist, version, target, tuple(sorted(schemes)))
        for (dist, version, target), schemes in groups.items()
    ]
    return sorted(found, key=lambda p: (p.distribution != "dvcremote", p.distribution, p.target))


def _describe(dist: str, version: str, target: str, schemes: tuple[str, ...]) -> PluginInfo:
    from dvcremote.backend.base import Backend

    try:
        cls = _load(target)
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise TypeError(f"{target} is not a dvcremote Backend subclass")
        info = BackendClassInfo.of(cls)
    except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not raised
        return PluginInfo(dist, version, schemes, target, error=f"{type(exc).__name__}: {exc}")
    package = cls.__module__.partition(".")[0]
    variants = tuple(
        BackendClassInfo.of(sub)
        for sub in sorted(_subclasses(cls), key=lambda c: (c.__module__, c.__qualname__))
        if sub.__module__.partition(".")[0] == package
    )
    return PluginInfo(dist, version, schemes, target, info, variants)


def _subclasses(cls: type[Backend]) -> set[type[Backend]]:
    import inspect

    found: set[type[Backend]] = set()
    for sub in cls.__subclasses__():
        if not inspect.isabstract(sub):
            found.add(sub)
        found |= _subclasses(sub)
    return found
