"""From a URL and DVC's SSH remote keys to a backend: discovery, parsing, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcremote.backend import available_schemes, backend_class, open_backend
from dvcremote.errors import ConfigError
from dvcremote_ssh.backend import SSHBackend
from dvcremote_ssh.config import parse_config
from dvcremote_ssh.testing import SSHServer


@pytest.mark.parametrize("scheme", ["ssh", "sftp"])
def test_schemes_are_registered(scheme: str) -> None:
    assert backend_class(scheme) is SSHBackend
    assert available_schemes()[scheme] == "dvcremote_ssh.backend:SSHBackend"


def test_sftp_url_reaches_the_same_server(ssh_server: SSHServer, ssh_root: str) -> None:
    url = f"sftp://{ssh_server.user}@{ssh_server.host}:{ssh_server.port}{ssh_root}"
    with open_backend(url, **ssh_server.options()) as backend:
        backend.write("f.bin", b"data")
    assert (Path(ssh_root) / "f.bin").read_bytes() == b"data"


def test_options_override_the_url(ssh_server: SSHServer, ssh_root: str) -> None:
    """DVC's precedence: the remote's ``user``/``port`` keys win over the URL's."""
    url = f"ssh://nobody@{ssh_server.host}:1{ssh_root}"
    with open_backend(
        url, user=ssh_server.user, port=str(ssh_server.port), timeout="10",
        allow_agent="false", max_sessions=4, **ssh_server.options()
    ) as backend:
        backend.write("f.bin", b"1")
        assert backend.location == ssh_server.url(ssh_root)


def test_writes_land_under_the_root_only(ssh_backend: SSHBackend, ssh_root: str) -> None:
    ssh_backend.write("a/b/c.bin", b"abc")
    on_disk = sorted(str(p.relative_to(ssh_root)) for p in Path(ssh_root).rglob("*"))
    assert on_disk == ["a", "a/b", "a/b/c.bin"]


def test_repr_shows_where_but_no_secret(ssh_server: SSHServer, ssh_url: str) -> None:
    backend = SSHBackend.from_url(
        ssh_url,
        keyfile=ssh_server.encrypted_keyfile,
        passphrase=ssh_server.passphrase,
        password="pw-shown-nowhere-41aa",
        known_hosts=ssh_server.known_hosts,
    )
    with backend:
        text = f"{backend!r} {backend} {backend.location} {backend.config!r}"
        assert ssh_server.url("") in text
        assert "pw-shown-nowhere-41aa" not in text
        assert ssh_server.passphrase not in text


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("ssh://host/data", {"bucket": "x"}, "unknown option"),
        ("ssh://host", {}, "absolute path"),
        ("ssh://user:secret@host/data", {}, "password in the ssh URL"),
        ("ssh:///data", {}, "no host"),
        ("ssh://host/data", {"port": "twenty-two"}, "port must be a number"),
        ("ssh://host/data", {"port": 70000}, "between 1 and 65535"),
        ("ssh://host/data", {"timeout": -1}, "timeout must be positive"),
        ("ssh://host/data", {"read_timeout": "soon"}, "read_timeout must be a number"),
        ("ssh://host/data", {"version_aware": "true"}, "keeps no file versions"),
        ("ssh://host/data", {"worktree": True}, "keeps no file versions"),
        ("ssh://host/data", {"ask_password": True}, "needs a terminal"),
        ("ssh://host/data", {"keyfile": "/no/such/key"}, "does not exist"),
        ("ssh://host/data", {"known_hosts": "/no/such/file"}, "does not exist"),
    ],
)
def test_bad_config_is_refused_before_connecting(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        open_backend(url, **options)
    assert "secret" not in str(caught.value)


def test_dvc_keys_become_connection_arguments(tmp_path: Path) -> None:
    key = tmp_path / "id"
    key.write_text("not read until connecting")
    config = parse_config(
        "ssh://alice@example.org:2222/srv/dvc/",
        {"keyfile": str(key), "password": "pw-7f1c", "passphrase": "pp-0b9e", "timeout": "5",
         "allow_agent": "false", "known_hosts": "ignore", "jobs": 4},
    )
    assert (config.host, config.port, config.user, config.root) == (
        "example.org", 2222, "alice", "/srv/dvc")
    assert config.fs_kwargs["client_keys"] == [str(key)]
    assert config.fs_kwargs["connect_timeout"] == 5.0
    assert config.fs_kwargs["agent_path"] is None
    assert config.fs_kwargs["known_hosts"] is None
    assert config.fs_kwargs["password"] == "pw-7f1c"
    assert "pw-7f1c" not in repr(config) and "pp-0b9e" not in repr(config)


def test_timeouts_default_to_bounded_waits_and_read_timeout_sets_keepalives() -> None:
    """SFTP requests never time out on their own: without keepalives a frozen server
    hangs a transfer for ever (tests/test_ssh_faults.py shows it against sshd)."""
    default = parse_config("ssh://example.org/srv", {}).fs_kwargs
    assert default["connect_timeout"] == 15.0
    assert default["keepalive_interval"] * default["keepalive_count_max"] == 60.0
    short = parse_config("ssh://example.org/srv", {"read_timeout": "6"}).fs_kwargs
    assert short["keepalive_interval"] * short["keepalive_count_max"] == 6.0
