"""DVC's Azure remote config keys, turned into adlfs constructor arguments.

The keys mean what they mean in ``dvc remote modify`` (``connection_string``,
``account_name``, ``account_key``, ``sas_token``, service principal keys, timeouts,
``version_aware``), so a DVC remote section works here unchanged. ``retries`` is ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dvcremote.backends.options import as_bool, as_number, reject_unknown
from dvcremote.errors import ConfigError

AZURE_KEYS = frozenset(
    {
        "connection_string",
        "account_name",
        "account_key",
        "sas_token",
        "tenant_id",
        "client_id",
        "client_secret",
        "allow_anonymous_login",
        "exclude_environment_credential",
        "exclude_visual_studio_code_credential",
        "exclude_shared_token_cache_credential",
        "exclude_managed_identity_credential",
        "timeout",
        "read_timeout",
        "connect_timeout",
        "retries",
    }
)

#: Values that must never be shown (on top of the core's list).
AZURE_SECRET_KEYS = frozenset({"connection_string", "account_key", "sas_token", "client_secret"})

_EXCLUDES = tuple(k for k in sorted(AZURE_KEYS) if k.startswith("exclude_"))
# Azure's rule: 3-63 characters, lowercase letters, digits and single hyphens.
_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class AzureConfig:
    container: str
    #: Blob name prefix of the remote's root inside the container ("" for the whole container).
    prefix: str
    account_name: str | None = None
    version_aware: bool = False
    #: How many times the SDK retries a failed request (None: the SDK's default).
    retries: int | None = None
    fs_kwargs: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Substrings of the credentials that must be scrubbed wherever they show up.
    secret_parts: tuple[str, ...] = field(default=(), repr=False)

    @property
    def root(self) -> str:
        """The adlfs path of the remote's root: ``container`` or ``container/prefix``."""
        return f"{self.container}/{self.prefix}" if self.prefix else self.container

    @property
    def url(self) -> str:
        return f"azure://{self.root}"

    @property
    def request_kwargs(self) -> dict[str, Any]:
        """Timeouts for the SDK calls the backend makes itself (adlfs gets them as well)."""
        keys = ("timeout", "connection_timeout", "read_timeout")
        return {k: self.fs_kwargs[k] for k in keys if k in self.fs_kwargs}


def parse_config(url: str, options: Mapping[str, Any]) -> AzureConfig:
    """``azure://container[/prefix]`` plus the remote's keys."""
    reject_unknown("azure", options, AZURE_KEYS)
    parts = urlsplit(url)
    if parts.scheme not in ("azure", "az"):
        raise ConfigError(f"not an azure:// URL: {parts.scheme}://...")
    container = parts.netloc
    if "@" in container or ":" in container:
        raise ConfigError(
            "put the Azure account and credentials in the remote's options, not in the URL"
        )
    if not _CONTAINER.match(container):
        raise ConfigError(
            f"{container!r} is not a valid Azure container name "
            "(3-63 lowercase letters, digits and single hyphens): expected azure://container/path"
        )
    prefix = unquote(parts.path).strip("/")

    kwargs: dict[str, Any] = {
        "skip_instance_cache": True,
        # Others write to the same container: a listings cache would show stale folders.
        "use_listings_cache": False,
        # adlfs would ask for the container's properties (which a container SAS may not
        # read) at folder checks; a missing container is reported by the request itself.
        "assume_container_exists": True,
    }
    secrets: list[str] = []
    connection_string = options.get("connection_string")
    if connection_string:
        kwargs["connection_string"] = str(connection_string)
        secrets += _connection_string_secrets(str(connection_string))
    for key in ("account_name", "account_key", "sas_token", "tenant_id", "client_id",
                "client_secret"):
        if options.get(key):
            kwargs[key] = str(options[key])
    if options.get("sas_token"):
        secrets += _sas_secrets(str(options["sas_token"]))
    if options.get("account_key"):
        secrets.append(str(options["account_key"]))
    if as_bool("allow_anonymous_login", options.get("allow_anonymous_login", False)):
        kwargs["anon"] = True
    for key in _EXCLUDES:
        if key in options:
            kwargs[key] = as_bool(key, options[key])
    for ours, theirs in (("timeout", "timeout"), ("read_timeout", "read_timeout"),
                         ("connect_timeout", "connection_timeout")):
        if options.get(ours) is not None:
            kwargs[theirs] = int(as_number(ours, options[ours], whole=True, minimum=1))
    retries = options.get("retries")
    # A worktree remote is version-aware too: it reads files back by version id.
    version_aware = as_bool("version_aware", options.get("version_aware", False)) or as_bool(
        "worktree", options.get("worktree", False)
    )
    if version_aware:
        kwargs["version_aware"] = True
    return AzureConfig(
        container=container,
        prefix=prefix,
        account_name=_account_name(options),
        version_aware=version_aware,
        retries=None
        if retries is None
        else int(as_number("retries", retries, whole=True, minimum=0)),
        fs_kwargs=kwargs,
        secret_parts=tuple(s for s in secrets if s),
    )


def _account_name(options: Mapping[str, Any]) -> str | None:
    if options.get("account_name"):
        return str(options["account_name"])
    fields = _connection_string_fields(str(options.get("connection_string") or ""))
    return fields.get("accountname")


def _connection_string_fields(text: str) -> dict[str, str]:
    out = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _connection_string_secrets(text: str) -> list[str]:
    fields = _connection_string_fields(text)
    found = [fields.get("accountkey", "")]
    if fields.get("sharedaccesssignature"):
        found += _sas_secrets(fields["sharedaccesssignature"])
    return found


def _sas_secrets(token: str) -> list[str]:
    """The token in the spellings it can show up in, and its signature on its own."""
    bare = token.lstrip("?")
    found = [token, bare]
    for sig in parse_qs(bare).get("sig", []):
        found += [sig, *(s for s in re.findall(r"sig=([^&]+)", bare))]
    return found

