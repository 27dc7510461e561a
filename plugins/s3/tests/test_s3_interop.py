"""Interop with the real ``dvc`` + ``dvc-s3`` on the same moto server, both ways, for a plain
and a version-aware remote: what one tool pushes and writes, the other pulls byte for byte.

Credentials reach dvcremote through ``.dvc/config.local`` (``remote modify``, as a user
would) and dvc through ``AWS_*`` variables or the same ``config.local`` when it is cloned
along; the endpoint always comes from the remote's ``endpointurl`` key.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from dvcremote.cli import main as dvcremote_main
from dvcremote_s3.testing import S3Server

REMOTE = "store"

TREE: dict[str, bytes] = {
    "foo": b"foo",
    "crlf.txt": b"line1\r\nline2\r\n",
    "my data \u00fc.txt": "spaces & \u00fcmlauts\n".encode(),
    "data/a.txt": b"a",
    "data/empty": b"",
    "data/sub/sp ace \u00e9.txt": "x \u00e9\n".encode(),
    "data/sub/blob.bin": bytes(range(256)) * 4,
}
TARGETS = ("foo", "crlf.txt", "my data \u00fc.txt", "data")


# ------------------------------------------------------------------------ the two tools
class RealDvc:
    """The real ``dvc`` as a subprocess of this interpreter, writing nothing outside ``home``."""

    def __init__(self, home: Path, pycache: Path, extra: Mapping[str, str]) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DVC_", "AWS_", "XDG_")) and k != "PYTHONDONTWRITEBYTECODE"
        }
        dirs = {
            "HOME": home / "home",
            "XDG_CONFIG_HOME": home / "xdg-config",
            "XDG_CACHE_HOME": home / "xdg-cache",
            "XDG_DATA_HOME": home / "xdg-data",
            "DVC_SITE_CACHE_DIR": home / "site-cache",
            "DVC_GLOBAL_CONFIG_DIR": home / "global-config",
            "DVC_SYSTEM_CONFIG_DIR": home / "system-config",
        }
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        (dirs["DVC_GLOBAL_CONFIG_DIR"] / "config").write_text("[core]\n    check_update = false\n")
        env.update({k: str(v) for k, v in dirs.items()})
        env.update(
            DVC_NO_ANALYTICS="1",
            AWS_EC2_METADATA_DISABLED="true",
            PYTHONPYCACHEPREFIX=str(pycache),
        )
        env.update(extra)
        self.env = env

    def __call__(self, *args: str, cwd: Path) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "dvc", *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, (
            f"dvc {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
        return proc.stdout


@pytest.fixture(scope="session")
def dvc_pycache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Checks that the real dvc is installed (a declared test dependency: no skip)."""
    for name in ("dvc", "dvc-s3"):
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError(f"the s3 interop tests need {name!r} installed") from None
    cache = request.config.cache
    if cache is not None:
        return Path(cache.mkdir("interop-dvc-pycache"))
    return tmp_path_factory.mktemp("dvc-pycache")


@pytest.fixture
def real_dvc(tmp_path: Path, dvc_pycache: Path) -> RealDvc:
    """dvc with no credentials but what the repository's config.local gives it."""
    return RealDvc(tmp_path / "dvc-home", dvc_pycache, {})


@pytest.fixture
def real_dvc_env_creds(tmp_path: Path, dvc_pycache: Path, s3_server: S3Server) -> RealDvc:
    """dvc with the server's credentials in its environment (never its endpoint)."""
    creds = {
        "AWS_ACCESS_KEY_ID": s3_server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_access_key,
        "AWS_DEFAULT_REGION": s3_server.region,
    }
    return RealDvc(tmp_path / "dvc-home", dvc_pycache, creds)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def dvcremote(*args: str, cwd: Path) -> str:
    """``dvcremote ARGS`` in ``cwd``, in-process (tracebacks land in the failure message)."""
    out, err = io.StringIO(), io.StringIO()
    with _cwd(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = dvcremote_main(["-v", *args])
    assert code == 0, (
        f"dvcremote {' '.join(args)} exited {code}\n{out.getvalue()}\n{err.getvalue()}"
    )
    return out.getvalue()


# ------------------------------------------------------------------------------ helpers
def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def write_data(ws: Path) -> None:
    for rel, data in TREE.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def workspace_data(ws: Path) -> dict[str, bytes]:
    return {
        p.relative_to(ws).as_posix(): p.read_bytes()
        for p in ws.rglob("*")
        if p.is_file() and ".dvc" not in p.relative_to(ws).parts[:1] and p.suffix != ".dvc"
    }


def dvcfiles(ws: Path) -> dict[str, bytes]:
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in ws.rglob("*.dvc") if p.is_file()}


def clone(src: Path, dst: Path, *, config_local: bool) -> Path:
    """What a ``git clone`` brings: the .dvc files and the config (config.local if asked)."""
    (dst / ".dvc").mkdir(parents=True)
    for name in ("config", "config.local") if config_local else ("config",):
        shutil.copy2(src / ".dvc" / name, dst / ".dvc" / name)
    for rel in dvcfiles(src):
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, dst / rel)
    return dst


def bucket_objects(client: Any, bucket: str, prefix: str) -> dict[str, bytes]:
    """The current objects under ``prefix/`` (key relative to it -> bytes), read with boto3."""
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix + "/"
    ):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"][len(prefix) + 1 :]] = body
    return found


def overwrite_all(client: Any, bucket: str, prefix: str) -> int:
    """Give every object under ``prefix/`` a newer version with other bytes, so only a
    reader that asks for the recorded version ids gets the pushed data back."""
    keys = list(bucket_objects(client, bucket, prefix))
    for key in keys:
        client.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=b"newer, unrelated bytes")
    return len(keys)


def content_layout() -> dict[str, bytes]:
    """The objects of TREE as a content-addressed remote holds them (key -> bytes)."""
    objects = {md5(data): data for data in TREE.values()}
    inside = {r.removeprefix("data/"): md5(d) for r, d in TREE.items() if r.startswith("data/")}
    listing = [{"md5": oid, "relpath": rel} for rel, oid in sorted(inside.items())]
    manifest = json.dumps(listing, sort_keys=True).encode()
    objects[md5(manifest) + ".dir"] = manifest
    return {f"files/md5/{oid[:2]}/{oid[2:]}": data for oid, data in objects.items()}


def dvcremote_repo(ws: Path, server: S3Server, url: str, *, version_aware: bool) -> None:
    """A dvcremote workspace tracking TREE, its default remote on the moto server."""
    write_data(ws)
    dvcremote("init", "--no-scm", cwd=ws)
    dvcremote("add", *TARGETS, cwd=ws)
    dvcremote("remote", "add", "-d", REMOTE, url, cwd=ws)
    dvcremote("remote", "modify", REMOTE, "endpointurl", server.endpoint_url, cwd=ws)
    dvcremote("remote", "modify", REMOTE, "region", server.region, cwd=ws)
    if version_aware:
        dvcremote("remote", "modify", REMOTE, "version_aware", "true", cwd=ws)
    add_credentials(ws, server)


def add_credentials(ws: Path, server: S3Server) -> None:
    dvcremote("remote", "modify", REMOTE, "access_key_id", server.access_key_id, cwd=ws)
    dvcremote("remote", "modify", REMOTE, "secret_access_key", server.secret_access_key, cwd=ws)
    assert server.secret_access_key not in (ws / ".dvc" / "config").read_text()


def dvc_repo(ws: Path, dvc: RealDvc, server: S3Server, url: str, *, version_aware: bool) -> None:
    """A dvc workspace tracking TREE, its default remote on the moto server."""
    write_data(ws)
    dvc("init", "--no-scm", cwd=ws)
    dvc("add", *TARGETS, cwd=ws)
    dvc("remote", "add", "-d", REMOTE, url, cwd=ws)
    dvc("remote", "modify", REMOTE, "endpointurl", server.endpoint_url, cwd=ws)
    if version_aware:
        dvc("remote", "modify", REMOTE, "version_aware", "true", cwd=ws)


def cloud_entries(dvcfile: bytes) -> list[dict[str, str]]:
    """Every ``cloud: {store: {...}}`` mapping in a .dvc file (file and directory forms)."""
    found: list[dict[str, str]] = []
    for out in yaml.safe_load(dvcfile)["outs"]:
        for entry in [out, *out.get("files", [])]:
            if "cloud" in entry:
                assert list(entry["cloud"]) == [REMOTE]
                found.append({"md5": entry["md5"], **entry["cloud"][REMOTE]})
    return found


# -------------------------------------------------------------------------- plain remote
def test_s3_dvc_pulls_what_dvcremote_pushed(
    tmp_path: Path, real_dvc: RealDvc, s3_server: S3Server, s3_bucket: str, s3_client: Any
) -> None:
    ws = tmp_path / "ws"
    dvcremote_repo(ws, s3_server, f"s3://{s3_bucket}/ours", version_aware=False)
    dvcremote("push", cwd=ws)
    assert bucket_objects(s3_client, s3_bucket, "ours") == content_layout()

    theirs = clone(ws, tmp_path / "clone", config_local=True)
    real_dvc("pull", cwd=theirs)  # credentials: dvcremote's config.local only

    assert workspace_data(theirs) == TREE
    assert dvcfiles(theirs) == dvcfiles(ws)
    assert json.loads(real_dvc("status", "-c", "--json", cwd=theirs)) == {}


def test_s3_dvcremote_pulls_what_dvc_pushed(
    tmp_path: Path, real_dvc_env_creds: RealDvc, s3_server: S3Server, s3_bucket: str, s3_client: Any
) -> None:
    dvc = real_dvc_env_creds  # this workspace has no config.local
    ws = tmp_path / "ws"
    dvc_repo(ws, dvc, s3_server, f"s3://{s3_bucket}/theirs", version_aware=False)
    dvc("push", cwd=ws)
    assert bucket_objects(s3_client, s3_bucket, "theirs") == content_layout()

    ours = clone(ws, tmp_path / "clone", config_local=False)
    add_credentials(ours, s3_server)
    dvcremote("pull", cwd=ours)

    assert workspace_data(ours) == TREE
    assert dvcfiles(ours) == dvcfiles(ws)
    status = json.loads(dvcremote("status", "-c", "--json", cwd=ours))
    assert status["paths"] == {} and len(status["ok"]) == len(content_layout())
    assert json.loads(dvc("status", "-c", "--json", cwd=ours)) == {}


# ------------------------------------------------------------------ version-aware remote
def test_s3_version_aware_dvc_pulls_what_dvcremote_pushed(
    tmp_path: Path, real_dvc: RealDvc, s3_server: S3Server, s3_versioned_bucket: str, s3_client: Any
) -> None:
    bucket = s3_versioned_bucket
    ws = tmp_path / "ws"
    dvcremote_repo(ws, s3_server, f"s3://{bucket}/ours", version_aware=True)
    dvcremote("push", cwd=ws)

    # Every file now records the version it was pushed as, and that version holds its bytes.
    recorded = [entry for data in dvcfiles(ws).values() for entry in cloud_entries(data)]
    assert sorted(e["md5"] for e in recorded) == sorted(md5(d) for d in TREE.values())
    versions = s3_client.list_object_versions(Bucket=bucket, Prefix="ours/")["Versions"]
    by_id = {v["VersionId"]: v for v in versions}
    for entry in recorded:
        assert entry["etag"] == entry["md5"]
        body = s3_client.get_object(
            Bucket=bucket, Key=by_id[entry["version_id"]]["Key"], VersionId=entry["version_id"]
        )["Body"].read()
        assert md5(body) == entry["md5"]

    theirs = clone(ws, tmp_path / "clone", config_local=True)
    assert overwrite_all(s3_client, bucket, "ours") == len(TREE)
    real_dvc("pull", cwd=theirs)

    assert workspace_data(theirs) == TREE
    assert dvcfiles(theirs) == dvcfiles(ws)


def test_s3_version_aware_dvcremote_pulls_what_dvc_pushed(
    tmp_path: Path,
    real_dvc_env_creds: RealDvc,
    s3_server: S3Server,
    s3_versioned_bucket: str,
    s3_client: Any,
) -> None:
    dvc = real_dvc_env_creds  # this workspace has no config.local
    bucket = s3_versioned_bucket
    ws = tmp_path / "ws"
    dvc_repo(ws, dvc, s3_server, f"s3://{bucket}/theirs", version_aware=True)
    dvc("push", cwd=ws)
    written = dvcfiles(ws)
    assert len([e for data in written.values() for e in cloud_entries(data)]) == len(TREE)

    ours = clone(ws, tmp_path / "clone", config_local=False)
    add_credentials(ours, s3_server)
    assert overwrite_all(s3_client, bucket, "theirs") == len(TREE)
    dvcremote("pull", cwd=ours)

    assert workspace_data(ours) == TREE
    assert dvcfiles(ours) == written, "dvcremote rewrote dvc's version-aware .dvc files"


def test_s3_version_aware_dvcfiles_are_dvcs(
    tmp_path: Path, real_dvc_env_creds: RealDvc, s3_server: S3Server, s3_versioned_bucket: str
) -> None:
    """Pushing the same data, both tools write the same .dvc bytes but for the version ids."""
    dvc = real_dvc_env_creds  # this workspace has no config.local
    bucket = s3_versioned_bucket
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    dvcremote_repo(ours, s3_server, f"s3://{bucket}/ours", version_aware=True)
    dvc_repo(theirs, dvc, s3_server, f"s3://{bucket}/theirs", version_aware=True)
    dvcremote("push", cwd=ours)
    dvc("push", cwd=theirs)

    def masked(files: dict[str, bytes]) -> dict[str, str]:
        return {
            path: re.sub(r"version_id: \S+", "version_id: <id>", data.decode())
            for path, data in files.items()
        }

    ours_files, theirs_files = masked(dvcfiles(ours)), masked(dvcfiles(theirs))
    assert sorted(ours_files) == sorted(theirs_files)
    for path in sorted(theirs_files):
        assert ours_files[path] == theirs_files[path], path
