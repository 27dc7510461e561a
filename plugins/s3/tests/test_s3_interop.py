"""Interop with the real ``dvc`` + ``dvc-s3`` on the same moto server, both ways, for a plain
and a version-aware remote: what one tool pushes and writes, the other pulls byte for byte.

Credentials reach dvcremote through ``.dvc/config.local`` (``remote modify``, as a user
would) and dvc through ``AWS_*`` variables or the same ``config.local`` when it is cloned
along; the endpoint always comes from the remote's ``endpointurl`` key.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from dvcremote_s3.testing import S3Server
from dvcremote_testing.dvc import DvcRunner, bytecode_cache, require_dvc, run_dvcremote

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
@pytest.fixture(scope="session")
def dvc_pycache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Checks that the real dvc is installed (a declared test dependency: no skip)."""
    require_dvc("dvc-s3")
    return bytecode_cache(request.config, tmp_path_factory)


@pytest.fixture
def real_dvc(tmp_path: Path, dvc_pycache: Path) -> DvcRunner:
    """dvc with no credentials but what the repository's config.local gives it."""
    return DvcRunner(tmp_path / "dvc-home", dvc_pycache)


@pytest.fixture
def real_dvc_env_creds(tmp_path: Path, dvc_pycache: Path, s3_server: S3Server) -> DvcRunner:
    """dvc with the server's credentials in its environment (never its endpoint)."""
    creds = {
        "AWS_ACCESS_KEY_ID": s3_server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_access_key,
        "AWS_DEFAULT_REGION": s3_server.region,
    }
    return DvcRunner(tmp_path / "dvc-home", dvc_pycache, creds)


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
    run_dvcremote("init", "--no-scm", cwd=ws)
    run_dvcremote("add", *TARGETS, cwd=ws)
    run_dvcremote("remote", "add", "-d", REMOTE, url, cwd=ws)
    run_dvcremote("remote", "modify", REMOTE, "endpointurl", server.endpoint_url, cwd=ws)
    run_dvcremote("remote", "modify", REMOTE, "region", server.region, cwd=ws)
    if version_aware:
        run_dvcremote("remote", "modify", REMOTE, "version_aware", "true", cwd=ws)
    add_credentials(ws, server)


def add_credentials(ws: Path, server: S3Server) -> None:
    run_dvcremote("remote", "modify", REMOTE, "access_key_id", server.access_key_id, cwd=ws)
    run_dvcremote("remote", "modify", REMOTE, "secret_access_key", server.secret_access_key, cwd=ws)
    assert server.secret_access_key not in (ws / ".dvc" / "config").read_text()


def dvc_repo(ws: Path, dvc: DvcRunner, server: S3Server, url: str, *, version_aware: bool) -> None:
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
    tmp_path: Path, real_dvc: DvcRunner, s3_server: S3Server, s3_bucket: str, s3_client: Any
) -> None:
    ws = tmp_path / "ws"
    dvcremote_repo(ws, s3_server, f"s3://{s3_bucket}/ours", version_aware=False)
    run_dvcremote("push", cwd=ws)
    assert bucket_objects(s3_client, s3_bucket, "ours") == content_layout()

    theirs = clone(ws, tmp_path / "clone", config_local=True)
    real_dvc("pull", cwd=theirs)  # credentials: dvcremote's config.local only

    assert workspace_data(theirs) == TREE
    assert dvcfiles(theirs) == dvcfiles(ws)
    assert real_dvc.json("status", "-c", cwd=theirs) == {}


def test_s3_dvcremote_pulls_what_dvc_pushed(
    tmp_path: Path,
    real_dvc_env_creds: DvcRunner,
    s3_server: S3Server,
    s3_bucket: str,
    s3_client: Any,
) -> None:
    dvc = real_dvc_env_creds  # this workspace has no config.local
    ws = tmp_path / "ws"
    dvc_repo(ws, dvc, s3_server, f"s3://{s3_bucket}/theirs", version_aware=False)
    dvc("push", cwd=ws)
    assert bucket_objects(s3_client, s3_bucket, "theirs") == content_layout()

    ours = clone(ws, tmp_path / "clone", config_local=False)
    add_credentials(ours, s3_server)
    run_dvcremote("pull", cwd=ours)

    assert workspace_data(ours) == TREE
    assert dvcfiles(ours) == dvcfiles(ws)
    status = run_dvcremote("status", "-c", "--json-objects", cwd=ours).json()
    assert status["paths"] == {} and len(status["ok"]) == len(content_layout())
    assert dvc.json("status", "-c", cwd=ours) == {}


# ------------------------------------------------------------------ version-aware remote
def test_s3_version_aware_dvc_pulls_what_dvcremote_pushed(
    tmp_path: Path,
    real_dvc: DvcRunner,
    s3_server: S3Server,
    s3_versioned_bucket: str,
    s3_client: Any,
) -> None:
    bucket = s3_versioned_bucket
    ws = tmp_path / "ws"
    dvcremote_repo(ws, s3_server, f"s3://{bucket}/ours", version_aware=True)
    run_dvcremote("push", cwd=ws)

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
    real_dvc_env_creds: DvcRunner,
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
    run_dvcremote("pull", cwd=ours)

    assert workspace_data(ours) == TREE
    assert dvcfiles(ours) == written, "dvcremote rewrote dvc's version-aware .dvc files"


def test_s3_version_aware_dvcfiles_are_dvcs(
    tmp_path: Path, real_dvc_env_creds: DvcRunner, s3_server: S3Server, s3_versioned_bucket: str
) -> None:
    """Pushing the same data, both tools write the same .dvc bytes but for the version ids."""
    dvc = real_dvc_env_creds  # this workspace has no config.local
    bucket = s3_versioned_bucket
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    dvcremote_repo(ours, s3_server, f"s3://{bucket}/ours", version_aware=True)
    dvc_repo(theirs, dvc, s3_server, f"s3://{bucket}/theirs", version_aware=True)
    run_dvcremote("push", cwd=ours)
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
