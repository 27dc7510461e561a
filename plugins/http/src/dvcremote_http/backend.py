"""A read-only HTTP(S) remote: DVC's content-addressed layout served by any web server.

Public datasets are often published this way (a static site or a CDN in front of a
bucket). HTTP cannot list a folder portably, write, or delete, so the backend declares
only READ, METADATA and LAZY_READ: ``status -c`` asks per object (HEAD requests),
``fetch``/``pull`` download, and ``push``/``gc -c`` are refused before any request.

fsspec's HTTP filesystem answers "missing" for a server that is down or refuses the
credentials (its ``info`` turns every failure into ``FileNotFoundError``), so ``info``
is replaced here: only 404 and 410 mean absent.
"""

from __future__ import annotations

from typing import Any, ClassVar

import aiohttp
from fsspec.implementations.http import HTTPFileSystem, _file_info

from dvcremote.backend.capabilities import Capability
from dvcremote.backend.fsspec import FsspecBackend
from dvcremote.errors import BackendError
from dvcremote_http.config import HTTP_KEYS, HTTPConfig, parse_config
from dvcremote_http.errors import map_http_error

_C = Capability
#: Statuses that mean "this object is not there".
_ABSENT = (404, 410)
#: Statuses of a server that does not do HEAD: ask with GET (headers only) instead.
_NO_HEAD = (405, 501)


class _HTTPFileSystem(HTTPFileSystem):
    """fsspec's HTTP filesystem whose ``info`` lets real failures through."""

    async def _info(self, url: str, **kwargs: Any) -> dict[str, Any]:
        session = await self.set_session()
        kw = {**self.kwargs, **kwargs}
        info: dict[str, Any] = {}
        for policy in ("head", "get"):
            try:
                info = await _file_info(self.encode_url(url), session, size_policy=policy, **kw)
            except aiohttp.ClientResponseError as exc:
                if exc.status in _ABSENT:
                    raise FileNotFoundError(url) from exc
                if policy == "head" and exc.status in _NO_HEAD:
                    continue
                raise
            if info.get("size") is not None:
                break
        return {"name": url, "size": None, **info, "type": "file"}

    def _raise_not_found_for_status(self, response: Any, url: str) -> None:
        if response.status in _ABSENT:
            raise FileNotFoundError(url)
        response.raise_for_status()


class HTTPBackend(FsspecBackend):
    """``http(s)://host[:port]/path``: read-only (see the module docstring)."""

    name: ClassVar[str] = "http"
    CONFIG_KEYS: ClassVar[frozenset[str]] = HTTP_KEYS
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {
            _C.READ,
            _C.METADATA,  # size, etag and modification time from HEAD
            _C.LAZY_READ,  # the body streams as it is read
        }
    )
    CAPABILITY_NOTES: ClassVar[dict[str, str]] = {
        "WRITE": "read-only: HTTP has no portable upload",
        "DELETE": "read-only",
        "LIST": "HTTP cannot list a folder portably; status -c asks per object",
        "SEEKABLE_READ": "reads stream from the start",
    }
    SECRET_OPTIONS: ClassVar[frozenset[str]] = FsspecBackend.SECRET_OPTIONS | {
        "password",
        "custom_auth_header",
    }

    def __init__(self, config: HTTPConfig, **options: Any) -> None:
        self.config = config
        secrets = {**options}
        if config.password:
            secrets["password"] = config.password
        self._remember_secrets(secrets)
        client_kwargs: dict[str, Any] = {
            "timeout": aiohttp.ClientTimeout(
                total=None, sock_connect=config.connect_timeout, sock_read=config.read_timeout
            ),
            "headers": dict(config.headers),
            "trust_env": True,  # proxies from the environment, as DVC
        }
        if config.auth == "basic":
            client_kwargs["headers"]["Authorization"] = aiohttp.encode_basic_auth(
                config.user or "", config.password or ""
            )
        fs = _HTTPFileSystem(
            client_kwargs=client_kwargs,
            get_client=_client_factory(config.ssl_verify),
            skip_instance_cache=True,
            block_size=0,  # stream reads; no range requests needed
        )
        super().__init__(fs, config.url, **options)
        self.root = config.url

    @classmethod
    def from_url(cls, url: str, **options: Any) -> HTTPBackend:
        """``http(s)://host[:port]/path`` plus DVC's http remote keys."""
        return cls(parse_config(url, options), **options)

    @property
    def location(self) -> str:
        return self.config.url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, location={self.location!r})"

    def _rel(self, name: str) -> str:
        prefix = self.root + "/"
        return name[len(prefix) :] if name.startswith(prefix) else name

    def map_error(self, exc: BaseException, path: str | None) -> BackendError | None:
        mapped = map_http_error(exc, path=path, backend=self.name, redact=self.redact)
        return mapped if mapped is not None else super().map_error(exc, path)


def _client_factory(ssl_verify: bool) -> Any:
    """fsspec's ``get_client`` hook: a session whose TLS checks follow ``ssl_verify``."""

    async def get_client(**kwargs: Any) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=ssl_verify)  # True: verify with the defaults
        return aiohttp.ClientSession(connector=connector, **kwargs)

    return get_client
