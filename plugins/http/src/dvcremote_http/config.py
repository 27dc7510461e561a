"""DVC's HTTP remote config keys, turned into aiohttp session arguments.

The keys mean what they mean in ``dvc remote modify`` for an http remote (``auth``,
``user``, ``password``, ``custom_auth_header``, ``ssl_verify``, ``read_timeout``,
``connect_timeout``), so a DVC remote section works here unchanged. ``method`` (the
upload verb) is accepted and ignored: this remote is read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dvcremote.backends.options import as_bool, as_number, reject_unknown
from dvcremote.errors import ConfigError

HTTP_KEYS = frozenset(
    {
        "auth",
        "user",
        "password",
        "ask_password",
        "custom_auth_header",
        "ssl_verify",
        "read_timeout",
        "connect_timeout",
        "method",
    }
)
#: Seconds; DVC's defaults for its http remote.
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class HTTPConfig:
    #: The remote's root URL, without credentials and without a trailing slash.
    url: str
    auth: str | None = None
    user: str | None = None
    ssl_verify: bool = True
    connect_timeout: float = DEFAULT_TIMEOUT
    read_timeout: float = DEFAULT_TIMEOUT
    #: Headers sent with every request (a custom auth header holds a secret): never shown.
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    password: str | None = field(default=None, repr=False)


def parse_config(url: str, options: Mapping[str, Any]) -> HTTPConfig:
    """``http(s)://host[:port]/path`` plus the remote's keys."""
    reject_unknown("http", options, HTTP_KEYS)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("expected an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ConfigError(
            "do not put credentials in the http URL; set the remote's user and password options"
        )
    if as_bool("ask_password", options.get("ask_password", False)):
        raise ConfigError(
            "ask_password is not supported: set the password option (in config.local)"
        )
    auth = options.get("auth")
    user = options.get("user")
    password = options.get("password")
    headers: dict[str, str] = {}
    if auth in (None, ""):
        auth = None
    elif auth == "basic":
        if not user:
            raise ConfigError("auth = basic needs the user option (and password)")
    elif auth == "custom":
        name = options.get("custom_auth_header")
        if not name or not password:
            raise ConfigError("auth = custom needs custom_auth_header and password")
        headers[str(name)] = str(password)
    elif auth == "digest":
        raise ConfigError("auth = digest is not supported yet: use basic or custom")
    else:
        raise ConfigError(f"auth must be basic or custom, not {auth!r}")
    root = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))
    return HTTPConfig(
        url=root,
        auth=auth,
        user=str(user) if user else None,
        password=str(password) if password else None,
        ssl_verify=as_bool("ssl_verify", options.get("ssl_verify", True)),
        connect_timeout=as_number(
            "connect_timeout", options.get("connect_timeout", DEFAULT_TIMEOUT)
        ),
        read_timeout=as_number("read_timeout", options.get("read_timeout", DEFAULT_TIMEOUT)),
        headers=headers,
    )
