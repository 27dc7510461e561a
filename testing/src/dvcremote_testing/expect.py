"""What the suites expect, computed independently of the product.

Object ids and manifests follow DVC 3.x's rules (md5 of the raw bytes; a folder's id
is the md5 of its sorted JSON manifest plus ``.dir``), so a product that hashes or
lays out objects differently fails the suites instead of agreeing with itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

import yaml

from dvcremote_testing.tmp_dir import Struct

#: DVC's own test folder: nested, with an empty file.
DATA_DIR: dict[str, Any] = {
    "data_sub_dir": {"data_sub": "data_sub"},
    "data": "data",
    "empty": "",
}


def md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode() if isinstance(data, str) else data).hexdigest()


def flatten(struct: Struct, prefix: str = "") -> dict[str, bytes]:
    """Nested ``gen`` dicts to ``{"a/b": bytes}`` (posix relative paths)."""
    files: dict[str, bytes] = {}
    for name, value in struct.items():
        rel = f"{prefix}{name}"
        if isinstance(value, Mapping):
            files.update(flatten(value, rel + "/"))
        else:
            files[rel] = value.encode() if isinstance(value, str) else value
    return files


def manifest(struct: Struct) -> bytes:
    """The bytes of a folder's ``.dir`` object."""
    entries = [{"md5": md5(data), "relpath": rel} for rel, data in flatten(struct).items()]
    entries.sort(key=lambda e: e["relpath"])
    return json.dumps(entries, sort_keys=True).encode()


def dir_oid(struct: Struct) -> str:
    return md5(manifest(struct)) + ".dir"


def dir_oids(struct: Struct) -> set[str]:
    """Every object a folder needs on a remote: its manifest and its files."""
    return {dir_oid(struct)} | {md5(data) for data in flatten(struct).values()}


def load_dvcfile(path: str | os.PathLike[str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fobj:
        data = yaml.safe_load(fobj)
    assert isinstance(data, dict), f"{os.fspath(path)} is not a YAML mapping"
    return data


def single_out(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The one output of a ``.dvc`` file written by ``add``."""
    outs = load_dvcfile(path).get("outs")
    assert isinstance(outs, list), f"{os.fspath(path)}: outs is {outs!r}"
    assert len(outs) == 1, f"{os.fspath(path)}: outs is {outs!r}"
    out = outs[0]
    assert isinstance(out, dict)
    return out


def cloud_entry(item: Mapping[str, Any], remote: str) -> dict[str, Any]:
    """The ``cloud: {remote: {...}}`` record of an output or of one of its ``files``."""
    clouds = item.get("cloud")
    assert isinstance(clouds, dict), f"no cloud: mapping in {dict(item)!r}"
    assert list(clouds) == [remote], f"cloud: names {list(clouds)!r}, expected only {remote!r}"
    entry = clouds[remote]
    assert isinstance(entry, dict)
    return entry


def files_by_relpath(out: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    files = out.get("files")
    assert isinstance(files, list), f"no files: list in {dict(out)!r}"
    assert files, f"empty files: list in {dict(out)!r}"
    return {f["relpath"]: f for f in files}
