"""Turn a URL plus options into a Backend, finding plugins by URL scheme.

Plugins register under the entry-point group ``dvcremote.backends`` as
``<scheme> = "package.module:BackendClass"``; the class's ``from_url`` builds it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from dvcremote.errors import UnknownScheme

if TYPE_CHECKING:
    from dvcremote.backend.base import Backend

ENTRY_POINT_GROUP = "dvcremote.backends"

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


@lru_cache(maxsize=None)
def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_schemes() -> dict[str, str]:
    """Scheme -> ``module:Class`` for every registered backend."""
    return {name: ep.value for name, ep in sorted(_entry_points().items())}


def backend_class(scheme: str) -> type[Backend]:
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
