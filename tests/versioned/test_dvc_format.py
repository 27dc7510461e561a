"""The ``.dvc`` files a version-aware push writes are byte for byte what the real ``dvc`` writes.

``data/dvc/`` holds what dvc 3.67 wrote in a recorded run against a versioned S3
bucket (moto), re-recordable with ``data/record_dvc.py``: the files after
``dvc add``, after ``dvc push``, after changing one file and ``dvc add`` again
(dvc keeps the other files' records), and after the second push, with the version
ids and etags the bucket gave. Here dvcremote replays the same steps on versioned
storage of its own; version ids (and a local directory's etags) are the storage's
own, so each is swapped for the recorded one of the same path before comparing bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from versioned_helpers import DATA_DIR, write_tree

from dvcremote import dvcfile

DVC = Path(__file__).with_name("data") / "dvc"
FILES = ("foo.dvc", "data_dir.dvc")
STEPS = ("added", "pushed", "readded", "repushed")
REMOTE = "upstream"
Records = dict[str, dict[str, str]]


def recorded(step: str) -> Records:
    """Repo path -> {version_id, etag} the bucket gave dvc at ``step``."""
    data: Records = json.loads((DVC / step / "versions.json").read_text())
    return data


def records_in(path: Path) -> Records:
    """Repo path -> this remote's record, read from a ``.dvc`` file."""
    out = yaml.safe_load(path.read_text())["outs"][0]
    if "files" not in out:
        return {out["path"]: out["cloud"][REMOTE]}
    base = out["path"]
    return {f"{base}/{f['relpath']}": f["cloud"][REMOTE] for f in out["files"] if "cloud" in f}


def swap(text: str, src: Records, dst: Records) -> str:
    """``text`` with each path's version id and etag from ``src`` replaced by ``dst``'s."""
    for path in src.keys() & dst.keys():
        text = text.replace(
            f"version_id: {src[path]['version_id']}\n", f"version_id: {dst[path]['version_id']}\n"
        )
        text = text.replace(f"etag: {src[path]['etag']}\n", f"etag: {dst[path]['etag']}\n")
    return text


def test_the_recording_is_complete() -> None:
    assert (DVC / "VERSION").read_text().startswith("3.")
    for step in STEPS:
        for name in FILES:
            assert (DVC / step / name).is_file(), (step, name)
    assert set(recorded("pushed")) == {
        "foo", "data_dir/data", "data_dir/empty", "data_dir/data_sub_dir/data_sub"
    }


@pytest.mark.parametrize("step", STEPS)
def test_unchanged_dvcfiles_are_written_back_byte_for_byte(step: str) -> None:
    for name in FILES:
        data = (DVC / step / name).read_bytes()
        assert dvcfile.loads(data, name).dumps() == data


def test_push_writes_the_bytes_dvc_writes(repo: Any, store: Any, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo", "data_dir": DATA_DIR})
    repo.add(["foo", "data_dir"])
    for name in FILES:  # start from dvc's own files, whatever our add wrote
        shutil.copyfile(DVC / "added" / name, workspace / name)
    store.add_to(repo, REMOTE, version_aware=True)

    summary = repo.push()
    assert summary.ok and len(summary.transferred) == 4
    ours: Records = {}
    for name in FILES:
        ours |= records_in(workspace / name)
        text = swap((workspace / name).read_text(), ours, recorded("pushed"))
        assert text == (DVC / "pushed" / name).read_text(), name

    # dvc changed one file and added the folder again, keeping the other files'
    # records: our add writes the same (with our ids in it), then push.
    data = workspace / "data_dir" / "data"
    data.chmod(0o644)
    data.unlink()
    data.write_text("data, changed")
    repo.add(["data_dir"])
    readded = (DVC / "readded" / "data_dir.dvc").read_text()
    assert (workspace / "data_dir.dvc").read_text() == swap(readded, recorded("pushed"), ours)

    summary = repo.push()
    assert summary.ok
    assert summary.transferred == {"c2e0bef8de799abaa63c355892849a01"}  # only the changed file
    ours = {}
    for name in FILES:
        ours |= records_in(workspace / name)
    for name in FILES:
        text = swap((workspace / name).read_text(), ours, recorded("repushed"))
        assert text == (DVC / "repushed" / name).read_text(), name


# What dvc 3.67 wrote for ``dvc add data_dir`` over the recorded pushed file after
# ``data`` changed, ``empty`` was deleted and ``new`` appeared: the list is rebuilt
# in DVC's entry order, unchanged files keep their records, new ones have none.
READDED_RESHAPED = """outs:
- hash: md5
  path: data_dir
  files:
  - relpath: data
    md5: c2e0bef8de799abaa63c355892849a01
    size: 13
  - relpath: data_sub_dir/data_sub
    md5: c59e996a3eb7e6f1ad09caea0f93c225
    size: 8
    cloud:
      upstream:
        etag: c59e996a3eb7e6f1ad09caea0f93c225
        version_id: 7d1bc71f-7852-4264-aa03-cd804d4dd158
  - relpath: new
    md5: 22af645d1859cb5ca6da0c484f1f37ea
    size: 3
"""


def test_add_over_a_pushed_directory_writes_what_dvc_writes(repo: Any, workspace: Path) -> None:
    write_tree(workspace, {"data_dir": DATA_DIR})
    shutil.copyfile(DVC / "pushed" / "data_dir.dvc", workspace / "data_dir.dvc")
    (workspace / "data_dir" / "data").write_text("data, changed")
    (workspace / "data_dir" / "empty").unlink()
    (workspace / "data_dir" / "new").write_text("new")
    repo.add(["data_dir"])
    assert (workspace / "data_dir.dvc").read_text() == READDED_RESHAPED
    # Nothing changed since: adding again rewrites nothing.
    before = (workspace / "data_dir.dvc").stat().st_mtime_ns
    repo.add(["data_dir"])
    assert (workspace / "data_dir.dvc").stat().st_mtime_ns == before
