"""Which keys a remote's config section may hold: the backend's, and dvc's.

A key is accepted when the remote's backend declares it (``Backend.CONFIG_KEYS``)
or it is a generic remote key. Checking at ``remote add``/``modify`` time means a
typo (``secret_acces_key``) is refused with a suggestion instead of being written,
with its secret value, into the git-tracked ``.dvc/config``.

dvc validates ``.dvc/config`` and ``config.local`` against its schema and refuses
to run at all when a remote of a scheme it knows holds a key it does not. Keys only
dvcremote understands (a local remote's ``versioning``, ssh's ``known_hosts``) are
therefore kept in ``.dvc/config.dvcremote``, which dvc never reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from dvcremote.backends.options import GENERIC_REMOTE_KEYS
from dvcremote.errors import ConfigError

#: dvc 3.x's ``REMOTE_COMMON`` (dvc/config_schema.py).
_DVC_COMMON = frozenset(
    {"url", "checksum_jobs", "jobs", "worktree", "no_traverse", "version_aware"}
)
_DVC_HTTP = frozenset(
    {"auth", "custom_auth_header", "user", "password", "ask_password", "ssl_verify", "method",
     "connect_timeout", "read_timeout", "verify"}
)
_DVC_WEBDAV = frozenset(
    {"user", "password", "ask_password", "token", "bearer_token_command", "custom_auth_header",
     "cert_path", "key_path", "timeout", "ssl_verify", "verify"}
)
_DVC_LOCAL = frozenset({"type", "protected", "shared", "slow_link_warning", "verify"})

#: Remote keys dvc 3.x's schema accepts, by dvcremote scheme (``REMOTE_SCHEMAS``).
DVC_REMOTE_KEYS: dict[str, frozenset[str]] = {
    "local": _DVC_LOCAL | _DVC_COMMON,
    "file": _DVC_LOCAL | _DVC_COMMON,
    "s3": _DVC_COMMON | {
        "region", "profile", "credentialpath", "configpath", "endpointurl", "access_key_id",
        "secret_access_key", "session_token", "listobjects", "use_ssl",
        "allow_anonymous_login", "ssl_verify", "sse", "sse_kms_key_id",
        "sse_customer_algorithm", "sse_customer_key", "acl", "grant_read", "grant_read_acp",
        "grant_write_acp", "grant_full_control", "cache_regions", "read_timeout",
        "connect_timeout", "verify",
    },
    "gs": _DVC_COMMON | {
        "projectname", "credentialpath", "endpointurl", "verify", "allow_anonymous_login",
    },
    "ssh": _DVC_COMMON | {
        "type", "port", "user", "password", "ask_password", "passphrase", "ask_passphrase",
        "keyfile", "timeout", "gss_auth", "allow_agent", "max_sessions", "verify",
    },
    "hdfs": _DVC_COMMON | {"user", "kerb_ticket", "replication"},
    "webhdfs": _DVC_COMMON | {
        "kerberos", "kerberos_principal", "proxy_to", "ssl_verify", "token", "use_https",
        "user", "password", "data_proxy_target", "verify",
    },
    "azure": _DVC_COMMON | {
        "connection_string", "sas_token", "account_name", "account_key", "tenant_id",
        "client_id", "client_secret", "allow_anonymous_login",
        "exclude_environment_credential", "exclude_visual_studio_code_credential",
        "exclude_shared_token_cache_credential", "exclude_managed_identity_credential",
        "verify", "timeout", "read_timeout", "connection_timeout",
    },
    "oss": _DVC_COMMON | {"oss_key_id", "oss_key_secret", "oss_endpoint", "verify"},
    "gdrive": _DVC_COMMON | {
        "profile", "gdrive_use_service_account", "gdrive_client_id", "gdrive_client_secret",
        "gdrive_user_credentials_file", "gdrive_service_account_user_email",
        "gdrive_service_account_json_file_path", "gdrive_trash_only",
        "gdrive_acknowledge_abuse", "verify",
    },
    "http": _DVC_HTTP | _DVC_COMMON,
    "https": _DVC_HTTP | _DVC_COMMON,
    "webdav": _DVC_WEBDAV | _DVC_COMMON,
    "webdavs": _DVC_WEBDAV | _DVC_COMMON,
}


class UnknownOption(ConfigError):
    """A remote option its backend does not take; names the closest known key.

    The message never holds the value (it may be a secret given under a typo'd key).
    """

    def __init__(self, remote: str, backend: str, key: str, known: Iterable[str]) -> None:
        self.remote = remote
        self.key = key
        self.suggestion = suggest(key, known)
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(
            f"remote {remote!r}: {backend} remotes have no option {key!r}{hint}"
            " (nothing was written)"
        )


def suggest(key: str, known: Iterable[str]) -> str | None:
    """The known key closest to a misspelt one, if any is close."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def accepted_keys(url: str) -> frozenset[str]:
    """Every key a remote at ``url`` takes: its backend's plus the generic ones.
    UnknownScheme when no installed plugin handles the URL."""
    from dvcremote.backend.registry import backend_class, scheme_of

    return backend_class(scheme_of(url)).CONFIG_KEYS | GENERIC_REMOTE_KEYS


def check_option(remote: str, url: str, key: str) -> None:
    """Raise UnknownOption unless a remote at ``url`` takes ``key``."""
    from dvcremote.backend.registry import backend_class, scheme_of

    backend = backend_class(scheme_of(url))
    known = backend.CONFIG_KEYS | GENERIC_REMOTE_KEYS
    if key not in known:
        raise UnknownOption(remote, backend.name, key, known)


def dvc_rejects(url: str, key: str) -> bool:
    """True when dvc knows the URL's scheme and its schema refuses ``key`` there
    (a remote of a scheme dvc does not know is refused by dvc whole, key or not)."""
    from dvcremote.backend.registry import scheme_of

    dvc_keys = DVC_REMOTE_KEYS.get(scheme_of(url))
    return dvc_keys is not None and key not in dvc_keys
