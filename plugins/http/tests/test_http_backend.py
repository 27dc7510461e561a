"""The backend over a real HTTP server: what it reads, what "absent" means, what it refuses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dvcremote.backend import Capability
from dvcremote.backend.registry import open_backend
from dvcremote.errors import CapabilityNotSupported, ConfigError, NotFound
from dvcremote_http.backend import HTTPBackend
from dvcremote_http.testing import PASSWORD, HTTPServer, Published


@pytest.fixture
def published(http_store: Published) -> Published:
    (http_store.path / "files" / "md5" / "ab").mkdir(parents=True)
    (http_store.path / "files" / "md5" / "ab" / "cdef").write_bytes(b"x" * 70_000)
    return http_store


def test_reads_sizes_and_existence(published: Published, tmp_path: Path) -> None:
    backend = open_backend(published.url)
    assert isinstance(backend, HTTPBackend)
    assert backend.read_bytes("files/md5/ab/cdef") == b"x" * 70_000
    with backend.read("files/md5/ab/cdef") as stream:
        assert stream.read(10) == b"x" * 10  # streams: no need to read it all
    assert backend.get_file_info("files/md5/ab/cdef").size == 70_000
    assert backend.exists_many(["files/md5/ab/cdef", "files/md5/ab/nope"]) == {
        "files/md5/ab/cdef": True,
        "files/md5/ab/nope": False,
    }
    assert backend.get_file_info_many(["files/md5/ab/nope"]) == {"files/md5/ab/nope": None}
    with pytest.raises(NotFound):
        backend.read_bytes("files/md5/ab/nope")
    target = tmp_path / "dl.bin"
    [result] = backend.download_many([("files/md5/ab/cdef", str(target))])
    assert (
        result.ok
        and hashlib.md5(target.read_bytes()).hexdigest() == hashlib.md5(b"x" * 70_000).hexdigest()
    )


def test_writes_are_refused_before_any_request(published: Published) -> None:
    backend = open_backend(published.url)
    before = sorted(p.relative_to(published.path) for p in published.path.rglob("*"))
    for capability in (Capability.WRITE, Capability.DELETE, Capability.LIST):
        assert capability not in backend.capabilities
    with pytest.raises(CapabilityNotSupported):
        backend.write("files/md5/00/new", b"data")
    with pytest.raises(CapabilityNotSupported):
        backend.delete("files/md5/ab/cdef")
    with pytest.raises(CapabilityNotSupported):
        list(backend.list_files("", recursive=True))
    assert sorted(p.relative_to(published.path) for p in published.path.rglob("*")) == before


def test_basic_auth_reads_with_the_password(http_auth_server: HTTPServer) -> None:
    (http_auth_server.root / "a.txt").write_bytes(b"secret data")  # shared: one fixed name
    backend = HTTPBackend.from_url(http_auth_server.url, **http_auth_server.options())
    assert backend.read_bytes("a.txt") == b"secret data"
    assert PASSWORD not in repr(backend)


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("http://u:p@host/x", {}, "credentials in the http URL"),
        ("http://host/x", {"auth": "basic"}, "needs the user"),
        ("http://host/x", {"auth": "custom", "password": "p"}, "custom_auth_header"),
        ("http://host/x", {"auth": "digest", "user": "u"}, "digest is not supported"),
        ("http://host/x", {"read_timeout": "soon"}, "read_timeout must be a number"),
        ("http://host/x", {"secret_access_key": "k"}, "unknown option"),
    ],
)
def test_bad_config_is_refused(url: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        HTTPBackend.from_url(url, **options)
    assert "p@" not in str(caught.value)
