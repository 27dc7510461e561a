"""DVC's SSH remote config keys, turned into sshfs/asyncssh connection arguments.

The keys mean what they mean in ``dvc remote modify`` (``user``, ``port``, ``keyfile``,
``password``, ``passphrase``, ``timeout``, ...), so a DVC remote section works here
unchanged. ``known_hosts`` is ours: DVC never checks host keys, we do where we can.
``read_timeout`` is ours too: how long a server may answer nothing (a frozen host)
before the connection counts as lost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from dvcremote.backends.options import as_bool, as_number, reject_unknown
from dvcremote.errors import ConfigError

SSH_KEYS = frozenset(
    {
        "user",
        "port",
        "keyfile",
        "password",
        "passphrase",
        "known_hosts",
        "timeout",
        "read_timeout",
        "allow_agent",
        "gss_auth",
        "max_sessions",
        "ask_password",
        "ask_passphrase",
    }
)

#: ``known_hosts`` value that turns host key checking off (DVC's behaviour).
#: Seconds to wait for the connection (``timeout``) and for a silent server (``read_timeout``).
DEFAULT_CONNECT_TIMEOUT = 15.0
DEFAULT_READ_TIMEOUT = 60.0
KEEPALIVE_PROBES = 3
IGNORE_HOST_KEYS = "ignore"
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"


@dataclass(frozen=True)
class SSHConfig:
    host: str
    #: Absolute path of the remote's root on the server.
    root: str
    port: int | None = None
    user: str | None = None
    #: Human-readable host key policy: a file path or "ignore".
    known_hosts: str = IGNORE_HOST_KEYS
    #: Everything ``SSHFileSystem`` is built with, secrets included: never shown.
    fs_kwargs: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        """The remote's URL without secrets (a user name is not one)."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        return f"ssh://{user}{host}{port}{self.root}"


def parse_config(url: str, options: Mapping[str, Any]) -> SSHConfig:
    """``ssh://[user@]host[:port]/absolute/path`` plus the remote's keys."""
    reject_unknown("ssh", options, SSH_KEYS)
    parts = urlsplit(url)
    if parts.scheme not in ("ssh", "sftp"):
        raise ConfigError(f"not an ssh:// URL: {parts.scheme}://...")
    if parts.password:
        raise ConfigError("do not put a password in the ssh URL; set the remote's password option")
    host = parts.hostname
    if not host:
        raise ConfigError("the ssh URL has no host: expected ssh://[user@]host[:port]/path")
    if not parts.path.startswith("/"):
        raise ConfigError(
            "the ssh URL needs an absolute path on the server: ssh://host/absolute/path"
        )
    root = unquote(parts.path).rstrip("/") or "/"
    for flag in ("ask_password", "ask_passphrase"):
        if as_bool(flag, options.get(flag, False)):
            raise ConfigError(
                f"{flag} needs a terminal; set the password/passphrase option instead"
            )
    if as_bool("version_aware", options.get("version_aware", False)) or as_bool(
        "worktree", options.get("worktree", False)
    ):
        raise ConfigError("SSH storage keeps no file versions: version_aware/worktree remotes "
                          "need versioned storage (s3, azure with blob versioning, local)")

    try:
        port_url = parts.port
    except ValueError as exc:
        raise ConfigError(f"bad port in the ssh URL: {exc}") from None
    port = _port(options.get("port", port_url))
    user = options.get("user") or (unquote(parts.username) if parts.username else None)

    kwargs: dict[str, Any] = {"host": host, "skip_instance_cache": True}
    if port is not None:
        kwargs["port"] = port
    if user:
        kwargs["username"] = str(user)
    if options.get("keyfile"):
        keyfile = os.path.expanduser(str(options["keyfile"]))
        if not os.path.isfile(keyfile):
            raise ConfigError(f"keyfile {str(options['keyfile'])!r} does not exist")
        kwargs["client_keys"] = [keyfile]
    for key in ("password", "passphrase"):
        if options.get(key) is not None:
            kwargs[key] = str(options[key])
    if "allow_agent" in options and not as_bool("allow_agent", options["allow_agent"]):
        kwargs["agent_path"] = None
    if "gss_auth" in options:
        kwargs["gss_auth"] = as_bool("gss_auth", options["gss_auth"])
    timeout = options.get("timeout")
    kwargs["connect_timeout"] = (
        DEFAULT_CONNECT_TIMEOUT if timeout is None else as_number("timeout", timeout)
    )
    # SFTP requests have no timeout of their own: keepalives find a server that stopped
    # answering (``read_timeout`` seconds, three unanswered probes) and end the connection.
    read_timeout = options.get("read_timeout")
    silence = DEFAULT_READ_TIMEOUT if read_timeout is None else as_number(
        "read_timeout", read_timeout)
    kwargs["keepalive_interval"] = silence / KEEPALIVE_PROBES
    kwargs["keepalive_count_max"] = KEEPALIVE_PROBES
    if options.get("max_sessions") is not None:
        sessions = options["max_sessions"]
        kwargs["max_sessions"] = int(as_number("max_sessions", sessions, whole=True))

    policy, known_hosts = _known_hosts(options.get("known_hosts"))
    kwargs["known_hosts"] = known_hosts
    return SSHConfig(host, root, port, str(user) if user else None, policy, kwargs)


def _port(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"port must be a number, not {value!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"port must be between 1 and 65535, not {port}")
    return port



def _known_hosts(value: Any) -> tuple[str, str | None]:
    """(policy shown to users, what asyncssh gets).

    A path checks the server's host key against that file; ``ignore`` accepts any key.
    Unset: ``~/.ssh/known_hosts`` when it exists (as ssh would), else ignore (as DVC does).
    """
    if value is None or value == "":
        default = os.path.expanduser(DEFAULT_KNOWN_HOSTS)
        if os.path.exists(default):
            return default, default
        return IGNORE_HOST_KEYS, None
    text = str(value)
    if text.lower() == IGNORE_HOST_KEYS:
        return IGNORE_HOST_KEYS, None
    path = os.path.expanduser(text)
    if not os.path.isfile(path):
        raise ConfigError(f"known_hosts file {text!r} does not exist (use 'ignore' to skip checks)")
    return path, path
