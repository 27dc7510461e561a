"""From a URL and DVC's Azure remote keys to a backend: discovery, parsing, refusals."""

from __future__ import annotations

import pytest

from dvcremote.backend import available_schemes, backend_class, open_backend
from dvcremote.errors import ConfigError
from dvcremote_azure.backend import AzureBackend
from dvcremote_azure.config import parse_config
from dvcremote_azure.testing import AzuriteServer

SECRET_KEY = "c2VjcmV0LWFjY291bnQta2V5LTQ0ZGE="
SAS = "sv=2023-11-03&ss=b&sp=rl&sig=c2lnbmF0dXJlLTk5YzE%3D"


@pytest.mark.parametrize("scheme", ["azure", "az"])
def test_schemes_are_registered(scheme: str) -> None:
    assert backend_class(scheme) is AzureBackend
    assert available_schemes()[scheme] == "dvcremote_azure.backend:AzureBackend"


def test_az_url_reaches_the_same_container(azurite: AzuriteServer, azure_container: str) -> None:
    timeouts = {"timeout": "30", "connect_timeout": 5, "read_timeout": 30, "retries": 1}
    with open_backend(f"az://{azure_container}/p", **timeouts, **azurite.options()) as backend:
        backend.write("f.bin", b"data")
        backend.copy("f.bin", "g.bin")
        assert backend.read_bytes("g.bin") == b"data"
    with open_backend(f"azure://{azure_container}/p", **azurite.options()) as backend:
        assert backend.read_bytes("f.bin") == b"data"
        assert backend.location == f"azure://{azure_container}/p"


def test_writes_land_under_the_prefix_only(
    azurite: AzuriteServer, azure_container: str, azure_backend: AzureBackend
) -> None:
    azure_backend.write("a/b.bin", b"x")
    with azurite.service_client() as client:
        names = [b.name for b in client.get_container_client(azure_container).list_blobs()]
    assert names == ["root/a/b.bin"]


def test_repr_shows_where_but_no_secret(azurite: AzuriteServer, azure_url: str) -> None:
    with AzureBackend.from_url(azure_url, **azurite.options()) as backend:
        text = f"{backend!r} {backend} {backend.location} {backend.config!r}"
        assert azure_url in text and "devstoreaccount1" in text
        assert azurite.account_key not in text
        assert "AccountKey" not in text


def test_secrets_in_every_option_are_kept_out_of_repr() -> None:
    backend = AzureBackend.from_url(
        "azure://box/data", account_name="acct", account_key=SECRET_KEY, retries=0
    )
    with backend:
        assert SECRET_KEY not in repr(backend)
        assert SECRET_KEY in backend._secrets
    backend = AzureBackend.from_url("azure://box/data", account_name="acct", sas_token=SAS)
    with backend:
        assert SAS not in repr(backend)
        assert "c2lnbmF0dXJlLTk5YzE%3D" in backend._secrets, "the signature alone is scrubbed too"
        assert backend.redact(f"GET https://acct/box?{SAS}") == "GET https://acct/box?***"


def test_account_key_inside_a_connection_string_is_scrubbed_on_its_own(
    azurite: AzuriteServer, azure_url: str
) -> None:
    with AzureBackend.from_url(azure_url, **azurite.options()) as backend:
        assert backend.redact(f"key={azurite.account_key}") == "key=***"


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("azure://box/data", {"bucket": "x"}, "unknown option"),
        ("azure://Box/data", {}, "not a valid Azure container name"),
        ("azure://a/data", {}, "not a valid Azure container name"),
        ("azure://", {}, "not a valid Azure container name"),
        ("azure://acct:key@box/data", {}, "not in the URL"),
        ("azure://box/data", {"retries": -1}, "at least 0"),
        ("azure://box/data", {"timeout": "soon"}, "whole number"),
        ("azure://box/data", {"version_aware": "maybe"}, "true or false"),
    ],
)
def test_bad_config_is_refused_before_any_request(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        open_backend(url, **options)


@pytest.mark.parametrize(
    "options",
    [{}, {"sas_token": SAS}, {"connection_string": f"AccountKey={SECRET_KEY};garbage"}],
    ids=["no credentials", "sas without account", "malformed connection string"],
)
def test_unusable_credentials_are_a_config_error(
    options: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("CONNECTION_STRING", "ACCOUNT_NAME", "ACCOUNT_KEY", "SAS_TOKEN"):
        monkeypatch.delenv(f"AZURE_STORAGE_{var}", raising=False)
    with pytest.raises(ConfigError, match="cannot set up the Azure client") as caught:
        open_backend("azure://box/data", **options)
    assert SECRET_KEY not in str(caught.value)
    assert "c2lnbmF0dXJlLTk5YzE" not in str(caught.value)


def test_dvc_keys_become_adlfs_arguments() -> None:
    config = parse_config(
        "azure://box/some/prefix/",
        {"account_name": "acct", "account_key": SECRET_KEY, "timeout": "30",
         "connect_timeout": 5, "read_timeout": "60", "retries": "2", "jobs": 8,
         "exclude_environment_credential": "true", "allow_anonymous_login": False},
    )
    assert (config.container, config.prefix) == ("box", "some/prefix")
    assert config.root == "box/some/prefix"
    assert config.account_name == "acct" and config.retries == 2
    kwargs = config.fs_kwargs
    assert kwargs["account_key"] == SECRET_KEY
    assert (kwargs["timeout"], kwargs["connection_timeout"], kwargs["read_timeout"]) == (30, 5, 60)
    assert kwargs["exclude_environment_credential"] is True
    assert "anon" not in kwargs
    assert SECRET_KEY not in repr(config)


def _waits(backend: AzureBackend) -> tuple[float, float]:
    transport = backend.fs.service_client._pipeline._transport
    return transport.connection_config.timeout, transport.connection_config.read_timeout


def test_timeouts_reach_every_request(azurite: AzuriteServer) -> None:
    """adlfs passes the timeouts to uploads and downloads only: an ``info`` against a
    frozen server waited the SDK's own defaults. The shared transport carries them."""
    with open_backend("azure://box/p", connect_timeout=2, read_timeout=3,
                      **azurite.options()) as backend:
        assert isinstance(backend, AzureBackend)
        assert _waits(backend) == (2, 3)
    with open_backend("azure://box/p", **azurite.options()) as backend:
        assert isinstance(backend, AzureBackend)
        assert _waits(backend) == (15, 60)


def test_retries_back_off_seconds_not_a_minute(azurite: AzuriteServer) -> None:
    """The SDK's own backoff (15 s, 18 s, 24 s) kept a push to a dead Azurite going for
    about 85 s per request in flight; the count stays the SDK's unless ``retries`` says."""
    with open_backend("azure://box/p", **azurite.options()) as backend:
        assert isinstance(backend, AzureBackend)
        policy = backend.fs.service_client._config.retry_policy
        assert (policy.initial_backoff, policy.increment_base) == (1, 2)
        assert policy.total_retries == 3
    with open_backend("azure://box/p", retries=1, **azurite.options()) as backend:
        assert isinstance(backend, AzureBackend)
        assert backend.fs.service_client._config.retry_policy.total_retries == 1
