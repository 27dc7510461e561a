"""DVC's S3 remote config keys, turned into s3fs constructor arguments.

The keys and their meaning are DVC's (``dvc remote modify``), so a remote section
written for ``dvc`` works here unchanged.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dvcremote.backends.options import as_bool, as_number, reject_unknown
from dvcremote.errors import ConfigError

#: Every key ``from_url`` accepts besides the generic remote ones.
S3_KEYS = frozenset(
    {
        "endpointurl",
        "access_key_id",
        "secret_access_key",
        "session_token",
        "region",
        "profile",
        "credentialpath",
        "configpath",
        "use_ssl",
        "ssl_verify",
        "allow_anonymous_login",
        "read_timeout",
        "connect_timeout",
        "sse",
        "sse_kms_key_id",
        "sse_customer_algorithm",
        "sse_customer_key",
        "acl",
        "grant_read",
        "grant_read_acp",
        "grant_write_acp",
        "grant_full_control",
        "cache_regions",
        "listobjects",  # obsolete in DVC; accepted and ignored
    }
)

#: Option values that must never be shown.
S3_SECRET_KEYS = frozenset({"secret_access_key", "session_token", "sse_customer_key"})

_GRANTS = {
    "grant_read": "GrantRead",
    "grant_read_acp": "GrantReadACP",
    "grant_write_acp": "GrantWriteACP",
    "grant_full_control": "GrantFullControl",
}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @property
    def root(self) -> str:
        """The s3fs path of the remote's root (``bucket`` or ``bucket/prefix``)."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    @property
    def url(self) -> str:
        return f"s3://{self.root}"


@dataclass(frozen=True)
class S3Config:
    location: S3Location
    fs_kwargs: dict[str, Any] = field(repr=False)
    version_aware: bool = False
    worktree: bool = False
    endpoint_url: str | None = None


def parse_url(url: str) -> S3Location:
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3":
        raise ConfigError(f"not an s3:// URL: {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"an S3 remote URL takes no query or fragment: {url!r}")
    bucket = parts.netloc
    if not bucket or "@" in bucket or ":" in bucket:
        raise ConfigError(f"an S3 remote URL needs a bucket name, as s3://bucket/prefix: {url!r}")
    prefix = parts.path.strip("/")
    if prefix and any(seg in ("", ".", "..") for seg in prefix.split("/")):
        raise ConfigError(f"the prefix of an S3 remote URL must be a plain key path: {url!r}")
    return S3Location(bucket=bucket, prefix=prefix)


def parse_config(url: str, options: Mapping[str, Any]) -> S3Config:
    """Check ``options`` (DVC remote keys) and build the s3fs arguments from them."""
    reject_unknown("s3", options, S3_KEYS)
    location = parse_url(url)
    opt = {k: v for k, v in options.items() if v is not None}

    worktree = as_bool("worktree", opt.get("worktree", False))
    # A worktree remote mirrors the workspace and keeps history only through versions.
    version_aware = worktree or as_bool("version_aware", opt.get("version_aware", False))

    client: dict[str, Any] = {}
    if "endpointurl" in opt:
        client["endpoint_url"] = str(opt["endpointurl"])
    if "region" in opt:
        client["region_name"] = str(opt["region"])
    if "ssl_verify" in opt:
        verify = opt["ssl_verify"]
        # A CA bundle path or a boolean, as DVC accepts.
        client["verify"] = verify if _looks_like_path(verify) else as_bool("ssl_verify", verify)

    config_kwargs: dict[str, Any] = _client_settings(opt)
    for key in ("read_timeout", "connect_timeout"):
        if key in opt:
            config_kwargs[key] = int(as_number(key, opt[key], whole=True))
    # botocore waits 60 s for a connection; a host that does not answer a SYN in 15 s
    # is down (read_timeout keeps botocore's 60 s: a slow reply is not a dead server).
    config_kwargs.setdefault("connect_timeout", DEFAULT_CONNECT_TIMEOUT)
    if not any(os.environ.get(name) for name in _RETRY_ENV):
        # botocore's legacy mode makes 5 attempts, backing off up to 15 s: a push
        # to a server that died waited that out per object in flight. AWS's standard
        # mode, 3 attempts, gives up within seconds (the environment still decides).
        config_kwargs["retries"] = dict(DEFAULT_RETRIES)

    fs_kwargs: dict[str, Any] = {
        # Even for a version-aware remote: s3fs's version-aware mode lists through
        # ListObjectVersions, which still shows folders whose files were all deleted.
        # The backend passes version ids itself where one is wanted.
        "version_aware": False,
        # Others write to the bucket too (and the tests' boto3 view): never answer
        # from a stale listing.
        "use_listings_cache": False,
        "client_kwargs": client,
        "config_kwargs": config_kwargs,
        "s3_additional_kwargs": _write_arguments(opt),
        # One filesystem per backend: s3fs would otherwise share instances by arguments,
        # and closing one backend must not break another.
        "skip_instance_cache": True,
    }
    if "access_key_id" in opt:
        fs_kwargs["key"] = str(opt["access_key_id"])
    if "secret_access_key" in opt:
        fs_kwargs["secret"] = str(opt["secret_access_key"])
    if "session_token" in opt:
        fs_kwargs["token"] = str(opt["session_token"])
    if "use_ssl" in opt:
        fs_kwargs["use_ssl"] = as_bool("use_ssl", opt["use_ssl"])
    if "allow_anonymous_login" in opt:
        fs_kwargs["anon"] = as_bool("allow_anonymous_login", opt["allow_anonymous_login"])
    if "cache_regions" in opt:
        fs_kwargs["cache_regions"] = as_bool("cache_regions", opt["cache_regions"])

    session = _session_settings(opt)
    if session:
        fs_kwargs["session"] = _make_session(**session)
    elif "key" in fs_kwargs and "secret" in fs_kwargs:
        # Explicit keys: nothing the session would resolve (credentials, profile) can go
        # stale, so share one and skip re-parsing botocore's service model per backend.
        fs_kwargs["session"] = _shared_session(*(os.environ.get(v) for v in _SESSION_ENV))

    return S3Config(
        location=location,
        fs_kwargs=fs_kwargs,
        version_aware=version_aware,
        worktree=worktree,
        endpoint_url=client.get("endpoint_url"),
    )


#: Seconds to wait for a connection unless the remote sets ``connect_timeout``.
DEFAULT_CONNECT_TIMEOUT = 15

#: botocore's retries unless ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` say otherwise.
DEFAULT_RETRIES = {"mode": "standard", "max_attempts": 3}
_RETRY_ENV = ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE")

#: Connections (and so requests in flight) per backend unless the remote's ``jobs`` asks
#: for more; botocore's default is 10.
DEFAULT_CONNECTIONS = 16


def _client_settings(opt: Mapping[str, Any]) -> dict[str, Any]:
    """botocore ``Config`` arguments that make each request cheaper for the client.

    - a fixed ``user_agent``: botocore otherwise assembles it twice per request.
    - ``max_pool_connections`` at least the remote's ``jobs``, so parallel requests do
      not queue for a connection (the backend keeps as many in flight in bulk operations).

    botocore's default checksum (a CRC32 of every body) stays on: dropping it saves
    about 3 % of a small PutObject's client CPU, but over HTTPS a body without a
    checksum header is SHA-256-signed instead, which for multipart uploads of big
    files costs far more than the CRC32.
    """
    jobs = opt.get("jobs")
    connections = DEFAULT_CONNECTIONS
    if jobs is not None:
        connections = max(connections, int(as_number("jobs", jobs, whole=True)))
    return {
        "user_agent": _user_agent(),
        "max_pool_connections": connections,
    }


@functools.lru_cache(maxsize=1)
def _user_agent() -> str:
    import platform

    import aiobotocore

    # botocore appends its own name and version to this
    return (
        f"dvcremote-s3 aiobotocore/{aiobotocore.__version__}"
        f" Python/{platform.python_version()} {platform.system()}/{platform.release()}"
    )


def _write_arguments(opt: Mapping[str, Any]) -> dict[str, Any]:
    """Extra arguments for every upload: server-side encryption, ACL, grants."""
    extra: dict[str, Any] = {}
    if opt.get("sse_kms_key_id") and opt.get("sse_customer_key"):
        raise ConfigError("the S3 options sse_kms_key_id and sse_customer_key exclude each other")
    if "sse" in opt:
        extra["ServerSideEncryption"] = str(opt["sse"])
    if "sse_kms_key_id" in opt:
        extra["SSEKMSKeyId"] = str(opt["sse_kms_key_id"])
    if "sse_customer_key" in opt:
        try:
            key = base64.b64decode(str(opt["sse_customer_key"]), validate=True)
        except (binascii.Error, ValueError):
            # never echo the value: it is a secret
            raise ConfigError("the S3 option sse_customer_key must be base64") from None
        extra["SSECustomerKey"] = key
        extra["SSECustomerAlgorithm"] = str(opt.get("sse_customer_algorithm") or "AES256")
    elif "sse_customer_algorithm" in opt:
        extra["SSECustomerAlgorithm"] = str(opt["sse_customer_algorithm"])
    grants = {arg: str(opt[key]) for key, arg in _GRANTS.items() if opt.get(key)}
    if grants and opt.get("acl"):
        raise ConfigError("the S3 option acl excludes the grant_* options")
    if opt.get("acl"):
        extra["ACL"] = str(opt["acl"])
    extra.update(grants)
    return extra


def _session_settings(opt: Mapping[str, Any]) -> dict[str, str]:
    """Profile and credential/config file paths, kept per backend (never in os.environ)."""
    settings: dict[str, str] = {}
    if opt.get("profile"):
        settings["profile"] = str(opt["profile"])
    if opt.get("credentialpath"):
        settings["credentials_file"] = str(opt["credentialpath"])
    if opt.get("configpath"):
        settings["config_file"] = str(opt["configpath"])
    return settings


def _make_session(**settings: str) -> Any:
    from aiobotocore.session import AioSession

    session = AioSession()
    for name, value in settings.items():
        session.set_config_variable(name, value)
    return session


#: Environment variables a botocore session reads once; a change gets a new session.
_SESSION_ENV = (
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
)


@functools.lru_cache(maxsize=8)
def _shared_session(*env: str | None) -> Any:
    return _make_session()


def _looks_like_path(value: Any) -> bool:
    return isinstance(value, str) and ("/" in value or value.endswith((".pem", ".crt")))

