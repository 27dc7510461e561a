"""A dataset published over HTTP, read by a repository: what users of a public DVC
remote do. The data is pushed to the served folder as a local remote (by dvcremote,
or by the real dvc), then status -c, fetch and pull go over HTTP."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from dvcremote_http.testing import PASSWORD, WRONG_PASSWORD, HTTPServer, Published
from dvcremote_testing.dvc import DvcRunner, bytecode_cache, require_dvc, run_dvcremote

DATA = {"data/a.txt": b"alpha\n", "data/sub/b.bin": b"\x00\x01" * 5000, "model.bin": b"m" * 3000}


def _workspace(root: Path) -> Path:
    for rel, content in DATA.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return root


def _data(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in DATA if (root / rel).exists()}


def _published(tmp_path: Path, store: Path) -> Path:
    """A repository that pushed DATA into ``store`` (a local remote), then lost its data."""
    ws = _workspace(tmp_path / "ws")
    run_dvcremote("init", "--no-scm", cwd=ws)
    run_dvcremote("add", "data", "model.bin", cwd=ws)
    run_dvcremote("remote", "add", "-d", "origin", str(store), cwd=ws)
    run_dvcremote("push", cwd=ws)
    shutil.rmtree(ws / ".dvc" / "cache")
    shutil.rmtree(ws / "data")
    (ws / "model.bin").unlink()
    return ws


def _use_http(ws: Path, url: str, **options: str) -> None:
    run_dvcremote("remote", "add", "-d", "-f", "origin", url, cwd=ws)
    for key, value in options.items():
        run_dvcremote("remote", "modify", "--local", "origin", key, value, cwd=ws)


def test_status_and_pull_over_http(tmp_path: Path, http_store: Published) -> None:
    ws = _published(tmp_path, http_store.path)
    _use_http(ws, http_store.url)

    status = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False)
    assert status.returncode == 1, status.describe()  # not in the cache yet: "deleted"
    assert set(status.json()["paths"].values()) == {"deleted"}

    run_dvcremote("pull", cwd=ws)
    assert _data(ws) == DATA
    assert run_dvcremote("status", "-c", "--json-objects", cwd=ws).json()["paths"] == {}


def test_an_object_missing_on_the_server_is_new_not_an_error(
    tmp_path: Path, http_store: Published
) -> None:
    ws = _published(tmp_path, http_store.path)
    _use_http(ws, http_store.url)
    run_dvcremote("pull", cwd=ws)
    oid = hashlib.md5(DATA["model.bin"]).hexdigest()
    (http_store.path / "files" / "md5" / oid[:2] / oid[2:]).unlink()

    status = run_dvcremote("status", "-c", "--json-objects", cwd=ws, check=False)
    assert status.returncode == 1
    assert status.json()["paths"] == {"model.bin": "new"}


def test_a_corrupt_object_on_the_server_is_refused(tmp_path: Path, http_store: Published) -> None:
    ws = _published(tmp_path, http_store.path)
    _use_http(ws, http_store.url)
    oid = hashlib.md5(DATA["model.bin"]).hexdigest()
    (http_store.path / "files" / "md5" / oid[:2] / oid[2:]).write_bytes(b"tampered")

    pulled = run_dvcremote("pull", cwd=ws, check=False)
    assert pulled.returncode != 0
    assert oid in pulled.stderr + pulled.stdout
    assert not (ws / "model.bin").exists()
    assert _data(ws) == {k: v for k, v in DATA.items() if k != "model.bin"}
    assert not (ws / ".dvc" / "cache" / "files" / "md5" / oid[:2] / oid[2:]).exists()


def test_push_and_gc_are_refused_and_write_nothing(tmp_path: Path, http_store: Published) -> None:
    ws = _published(tmp_path, http_store.path)
    _use_http(ws, http_store.url)
    run_dvcremote("pull", cwd=ws)
    (ws / "model.bin").write_bytes(b"changed")
    run_dvcremote("add", "model.bin", cwd=ws)
    before = sorted(p for p in http_store.path.rglob("*"))

    pushed = run_dvcremote("push", cwd=ws, check=False)
    assert pushed.returncode == 3, pushed.describe()
    assert "WRITE" in pushed.stderr and "http" in pushed.stderr
    collected = run_dvcremote("gc", "-w", "-c", "-f", cwd=ws, check=False)
    assert collected.returncode == 3, collected.describe()
    assert "is not supported (backend 'http'" in collected.stderr, collected.describe()
    assert sorted(p for p in http_store.path.rglob("*")) == before


def test_the_run_cache_is_not_read_over_http_and_it_says_so(
    tmp_path: Path, http_store: Published
) -> None:
    """HTTP cannot list ``runs/`` (dvc skips it silently): a warning, and the data
    still comes."""
    ws = _published(tmp_path, http_store.path)
    entry = http_store.path / "runs" / "01" / ("01" + "0" * 62) / ("6e" + "0" * 62)
    entry.parent.mkdir(parents=True)
    entry.write_text("cmd: cp foo bar\n")
    _use_http(ws, http_store.url)

    pulled = run_dvcremote("pull", "--run-cache", cwd=ws)
    assert "WARNING: run cache not fetched: remote 'origin' cannot be listed" in pulled.stderr
    assert _data(ws) == DATA
    assert not (ws / ".dvc" / "cache" / "runs").exists()


def test_basic_auth_password_from_config_local(
    tmp_path: Path, http_auth_server: HTTPServer
) -> None:
    store = http_auth_server.root / f"store-{tmp_path.name}"
    ws = _published(tmp_path, store)
    url = f"{http_auth_server.url}/{store.name}"
    _use_http(ws, url, auth="basic", user="reader", password=WRONG_PASSWORD)

    refused = run_dvcremote("pull", cwd=ws, check=False)
    assert refused.returncode == 3, refused.describe()
    assert "HTTP 401" in refused.stderr
    assert WRONG_PASSWORD not in refused.stderr + refused.stdout
    assert _data(ws) == {}

    run_dvcremote("remote", "modify", "--local", "origin", "password", PASSWORD, cwd=ws)
    assert PASSWORD not in (ws / ".dvc" / "config").read_text()
    run_dvcremote("pull", cwd=ws)
    assert _data(ws) == DATA


@pytest.fixture
def real_dvc(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> DvcRunner:
    require_dvc("dvc-http")
    return DvcRunner(tmp_path / "dvc-home", bytecode_cache(request.config, tmp_path_factory))


def test_interop_with_dvc_over_http(
    tmp_path: Path, http_store: Published, real_dvc: DvcRunner
) -> None:
    """dvc pushes to the served folder; dvcremote and dvc each pull it over HTTP and
    agree on status -c."""
    ws = _workspace(tmp_path / "ws")
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("add", "data", "model.bin", cwd=ws)
    real_dvc("remote", "add", "-d", "origin", str(http_store.path), cwd=ws)
    real_dvc("push", cwd=ws)
    for name, tool in (("ours", run_dvcremote), ("dvc", real_dvc)):
        clone = tmp_path / name
        shutil.copytree(ws, clone, ignore=shutil.ignore_patterns("cache", "data", "model.bin"))
        real_dvc("remote", "modify", "origin", "url", http_store.url, cwd=clone)
        tool("pull", cwd=clone)
        assert _data(clone) == DATA, name
        assert real_dvc.json("status", "-c", cwd=clone) == {}
        assert run_dvcremote("status", "-c", "--json-objects", cwd=clone).json()["paths"] == {}
