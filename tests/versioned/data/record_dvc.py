"""Re-record what the real ``dvc`` writes after pushes to a version-aware S3 remote.

Run by hand (not collected by pytest): ``.venv/bin/python tests/versioned/data/record_dvc.py``.
It starts moto's S3 server on loopback with a versioned bucket, drives the real
``dvc`` command through add -> push -> change one file -> add -> push, and stores
each ``.dvc`` file as dvc wrote it, plus the version ids and etags the bucket
reported, under ``tests/versioned/data/dvc/``. ``test_dvc_format.py`` replays the
same steps with dvcremote and compares bytes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "dvc"
PREFIX = "prefix"
STEPS = ("added", "pushed", "readded", "repushed")
FILES = ("foo.dvc", "data_dir.dvc")


def main() -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    creds = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="bucket")
    s3.put_bucket_versioning(Bucket="bucket", VersioningConfiguration={"Status": "Enabled"})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            record(Path(tmp), endpoint, creds, s3)
    finally:
        server.stop()


def record(tmp: Path, endpoint: str, creds: dict[str, str], s3: object) -> None:
    from dvcremote_testing.dvc import DvcRunner

    ws = tmp / "ws"
    ws.mkdir()
    runner = DvcRunner(tmp / "dvc-home", tmp / "pycache", creds)

    def dvc(*args: str) -> str:
        return runner(*args, cwd=ws).stdout

    def save(step: str) -> None:
        (OUT / step).mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(ws / name, OUT / step / name)

    def versions(step: str) -> None:
        found = {}
        reply = s3.list_object_versions(Bucket="bucket")  # type: ignore[attr-defined]
        for v in reply.get("Versions", []):
            if v["IsLatest"]:
                found[v["Key"][len(PREFIX) + 1 :]] = {
                    "version_id": v["VersionId"],
                    "etag": v["ETag"].strip('"'),
                }
        text = json.dumps(dict(sorted(found.items())), indent=2) + "\n"
        (OUT / step / "versions.json").write_text(text)

    shutil.rmtree(OUT, ignore_errors=True)
    dvc("init", "--no-scm")
    dvc("remote", "add", "-d", "upstream", f"s3://bucket/{PREFIX}")
    dvc("remote", "modify", "upstream", "endpointurl", endpoint)
    dvc("remote", "modify", "upstream", "version_aware", "true")
    (ws / "foo").write_text("foo")
    (ws / "data_dir" / "data_sub_dir").mkdir(parents=True)
    (ws / "data_dir" / "data").write_text("data")
    (ws / "data_dir" / "empty").write_text("")
    (ws / "data_dir" / "data_sub_dir" / "data_sub").write_text("data_sub")
    dvc("add", "foo", "data_dir")
    save("added")
    dvc("push")
    save("pushed")
    versions("pushed")
    data = ws / "data_dir" / "data"
    data.chmod(0o644)
    data.unlink()
    data.write_text("data, changed")
    dvc("add", "data_dir")
    save("readded")
    dvc("push")
    save("repushed")
    versions("repushed")
    (OUT / "VERSION").write_text(dvc("--version"))


if __name__ == "__main__":
    main()
