"""``isexec``: an executable file's ``.dvc`` entry says so, and checkout sets the bit again.

The expected bytes were written by the real dvc 3.67 from the same data (a file output
gets ``isexec: true``, a ``.dir`` manifest never records it, a version-aware push drops
it), so a repository stays byte-identical whichever tool wrote it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from core_helpers import cache_file, md5, write_tree

from dvcremote import dvcfile as dvcfile_mod
from dvcremote.repo import Repo

HELLO = b"hello\n"  # md5 b1946ac92492d2347c6235b4d2611184
DIR = {"x": b"x\n", "y": b"y\n"}  # y is the executable one
#: dvc 3.67's .dir manifest of DIR: no isexec, whatever the modes.
DIR_MANIFEST = (
    b'[{"md5": "401b30e3b8b5d629635a5c613cdb7919", "relpath": "x"},'
    b' {"md5": "009520053b00386d1173f3988c55d192", "relpath": "y"}]'
)


def _chmod(path: Path, add: int = 0, drop: int = 0) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    path.chmod((mode | add) & ~drop)


def _exec(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def _tracked(workspace: Path, repo: Repo) -> None:
    """f (executable), g (not), d/ (d/y executable) added."""
    write_tree(workspace, {"f": HELLO, "g": b"g\n", "d": DIR})
    _chmod(workspace / "f", add=0o111)
    _chmod(workspace / "d" / "y", add=0o111)
    repo.add(["f", "g", "d"])


# -------------------------------------------------------------------------------- add
def test_add_writes_isexec_as_dvc_does(dvcrepo: Repo, workspace: Path) -> None:
    _tracked(workspace, dvcrepo)
    assert (workspace / "f.dvc").read_bytes() == (
        b"outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  isexec: true\n"
        b"  hash: md5\n  path: f\n"
    )
    assert (workspace / "g.dvc").read_bytes() == (
        b"outs:\n- md5: f5302386464f953ed581edac03556e55\n  size: 2\n  hash: md5\n  path: g\n"
    )
    assert (workspace / "d.dvc").read_bytes() == (
        b"outs:\n- md5: 78e06c88520d5d3cb47549bf24ee3baf.dir\n  size: 4\n  nfiles: 2\n"
        b"  hash: md5\n  path: d\n"
    )
    assert cache_file(workspace, "78e06c88520d5d3cb47549bf24ee3baf.dir").read_bytes() == (
        DIR_MANIFEST
    )
    assert md5(DIR_MANIFEST) == "78e06c88520d5d3cb47549bf24ee3baf"
    # Adding does not take the bit away.
    assert _exec(workspace / "f") and _exec(workspace / "d" / "y")


def test_any_execute_bit_counts(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "s5").write_bytes(b"s5\n")
    _chmod(workspace / "s5", add=stat.S_IXGRP)
    dvcrepo.add("s5")
    assert (workspace / "s5.dvc").read_bytes() == (
        b"outs:\n- md5: 1b8aaed3a8fc6dcbae264697b02d94c9\n  size: 3\n  isexec: true\n"
        b"  hash: md5\n  path: s5\n"
    )


def test_readding_follows_the_workspace_mode(dvcrepo: Repo, workspace: Path) -> None:
    """What dvc 3.67 writes when a file's mode (and maybe content) changed since its add:
    ``isexec`` is read again, and a key the file did not have goes last."""
    for name in ("s1", "s2", "s3", "s4"):
        (workspace / name).write_bytes(f"{name}\n".encode())
    _chmod(workspace / "s2", add=0o111)
    _chmod(workspace / "s3", add=0o111)
    dvcrepo.add(["s1", "s2", "s3", "s4"])
    _chmod(workspace / "s1", add=0o111)  # same content, now executable
    _chmod(workspace / "s2", drop=0o111)  # same content, no longer executable
    with open(workspace / "s3", "ab") as f:  # new content, still executable
        f.write(b"more\n")
    with open(workspace / "s4", "ab") as f:  # new content, now executable
        f.write(b"more\n")
    _chmod(workspace / "s4", add=0o111)
    dvcrepo.add(["s1", "s2", "s3", "s4"])
    expected = {
        "s1": b"- md5: 519f03d7d7d9a62db27918deb6d8a24d\n  size: 3\n  hash: md5\n  path: s1\n"
        b"  isexec: true\n",
        "s2": b"- md5: a9adc0083a3f41b84b070d36adfafee4\n  size: 3\n  hash: md5\n  path: s2\n",
        "s3": b"- md5: ac434776ffacc5648163740cd3649f31\n  size: 8\n  isexec: true\n"
        b"  hash: md5\n  path: s3\n",
        "s4": b"- md5: a54c2946bdf5c064ebdda242d34f73ca\n  size: 8\n  hash: md5\n  path: s4\n"
        b"  isexec: true\n",
    }
    for name, out in expected.items():
        assert (workspace / f"{name}.dvc").read_bytes() == b"outs:\n" + out, name


def test_add_through_a_hardlink_keeps_the_bit(dvcrepo: Repo, workspace: Path) -> None:
    """The cache makes its objects read-only; a hardlinked workspace file shares that
    mode, so add sets the owner's bit again (as dvc does)."""
    with open(workspace / ".dvc" / "config", "a") as f:
        f.write("[cache]\n    type = hardlink\n")
    repo = Repo(workspace)
    try:
        (workspace / "f").write_bytes(HELLO)
        _chmod(workspace / "f", add=0o111)
        repo.add("f")
    finally:
        repo.close()
    assert b"isexec: true" in (workspace / "f.dvc").read_bytes()
    assert os.path.samefile(workspace / "f", cache_file(workspace, md5(HELLO)))
    assert _exec(workspace / "f")


# --------------------------------------------------------------------------- checkout
def test_checkout_restores_the_bit_of_a_file_output(dvcrepo: Repo, workspace: Path) -> None:
    _tracked(workspace, dvcrepo)
    for name in ("f", "g"):
        (workspace / name).unlink()
    result = dvcrepo.checkout()
    assert {"f", "g"} <= set(result.added)
    assert (workspace / "f").read_bytes() == HELLO
    assert _exec(workspace / "f")
    assert not _exec(workspace / "g")
    # A copy checkout leaves the cache object as it was.
    assert not cache_file(workspace, md5(HELLO)).stat().st_mode & 0o111


def test_checkout_sets_the_bit_on_an_unchanged_file(dvcrepo: Repo, workspace: Path) -> None:
    _tracked(workspace, dvcrepo)
    _chmod(workspace / "f", drop=0o111)
    result = dvcrepo.checkout()
    assert _exec(workspace / "f")
    assert result.unchanged >= 1 and "f" not in result.added + result.modified


def test_checkout_of_a_dir_manifest_sets_no_bits(dvcrepo: Repo, workspace: Path) -> None:
    """A ``.dir`` manifest records no modes: dvc checks its files out plain, so do we."""
    _tracked(workspace, dvcrepo)
    for name in DIR:
        (workspace / "d" / name).unlink()
    dvcrepo.checkout()
    assert (workspace / "d" / "y").read_bytes() == DIR["y"]
    assert not _exec(workspace / "d" / "y")


# ------------------------------------------------------------ version-aware files: form
#: The files: form as dvc 3.67 left it after a push to a version-aware S3 remote "v".
PUSHED = """\
outs:
- hash: md5
  path: d
  files:
  - relpath: x
    md5: 401b30e3b8b5d629635a5c613cdb7919
    size: 2
    cloud:
      v:
        etag: 401b30e3b8b5d629635a5c613cdb7919
        version_id: 333abfc4-3f22-4c93-a407-6f4544465930
  - relpath: y
    md5: 009520053b00386d1173f3988c55d192
    size: 2
    cloud:
      v:
        etag: 009520053b00386d1173f3988c55d192
        version_id: 4feb1484-3ad5-4dfd-a7a3-effa477ee3d4
"""
#: What dvc 3.67 wrote on ``dvc add d`` after y changed (still executable) and an
#: executable z was added: new and changed entries carry ``isexec``.
READDED = """\
outs:
- hash: md5
  path: d
  files:
  - relpath: x
    md5: 401b30e3b8b5d629635a5c613cdb7919
    size: 2
    cloud:
      v:
        etag: 401b30e3b8b5d629635a5c613cdb7919
        version_id: 333abfc4-3f22-4c93-a407-6f4544465930
  - relpath: y
    md5: b75aa67081edc66abeb842ab68e67df2
    size: 7
    isexec: true
  - relpath: z
    md5: a8a78d0ff555c931f045b6f448129846
    size: 2
    isexec: true
"""
#: ...and after ``dvc push`` of that: the storage's meta replaces the new entries'.
REPUSHED_TAIL = """\
  - relpath: y
    md5: b75aa67081edc66abeb842ab68e67df2
    size: 7
    cloud:
      v:
        etag: b75aa67081edc66abeb842ab68e67df2
        version_id: d7934dcc-ce89-4b97-980c-4bc063716584
  - relpath: z
    md5: a8a78d0ff555c931f045b6f448129846
    size: 2
    cloud:
      v:
        etag: a8a78d0ff555c931f045b6f448129846
        version_id: 44aaf33c-962f-4bb4-8cb1-17d75554134c
"""
#: A file output pushed to "v" by dvc (it had ``isexec: true`` before the push).
PUSHED_FILE = """\
outs:
- md5: 9ffbf43126e33be52cd2bf7e01d627f9
  size: 2
  hash: md5
  path: e
  cloud:
    v:
      etag: 9ffbf43126e33be52cd2bf7e01d627f9
      version_id: 0bcabc54-d02b-4685-abcd-4cecb827cdec
"""


def test_files_form_readd_records_isexec(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"d": {"x": b"x\n", "y": b"y\nmore\n", "z": b"z\n"}})
    _chmod(workspace / "d" / "y", add=0o111)
    _chmod(workspace / "d" / "z", add=0o111)
    (workspace / "d.dvc").write_text(PUSHED)
    dvcrepo.add("d")
    assert (workspace / "d.dvc").read_text() == READDED


def test_unchanged_versioned_file_keeps_its_recorded_meta(
    dvcrepo: Repo, workspace: Path
) -> None:
    """dvc keeps the whole recorded meta of an unchanged file that has a version: the
    file is executable, yet no ``isexec`` appears."""
    (workspace / "e").write_bytes(b"e\n")
    _chmod(workspace / "e", add=0o111)
    (workspace / "e.dvc").write_text(PUSHED_FILE)
    dvcrepo.add("e")
    assert (workspace / "e.dvc").read_text() == PUSHED_FILE
    # Changed content: the record goes and the workspace's mode is read (dvc's bytes).
    _chmod(workspace / "e", add=stat.S_IWUSR)
    (workspace / "e").write_bytes(b"e\nmore\n")
    dvcrepo.add("e")
    assert (workspace / "e.dvc").read_text() == (
        "outs:\n- md5: 30c2c8ec90ddd356330141dafbb1a320\n  size: 7\n  hash: md5\n  path: e\n"
        "  isexec: true\n"
    )


def test_a_first_version_record_drops_isexec_as_dvc_does(workspace: Path) -> None:
    """Recording versions the way a version-aware push does gives dvc's pushed bytes."""
    (workspace / "d.dvc").write_text(READDED)
    dvcfile = dvcfile_mod.load(workspace, "d.dvc")
    out = dvcfile.outs[0]
    records = {
        "y": ("b75aa67081edc66abeb842ab68e67df2", "d7934dcc-ce89-4b97-980c-4bc063716584"),
        "z": ("a8a78d0ff555c931f045b6f448129846", "44aaf33c-962f-4bb4-8cb1-17d75554134c"),
    }
    entries = []
    for entry in out.files or ():
        entry = dict(entry)
        if entry["relpath"] in records:
            etag, version = records[entry["relpath"]]
            entry["cloud"] = {"v": {"etag": etag, "version_id": version}}
        entries.append(entry)
    out.set_files(entries)
    assert dvcfile.dumps().decode() == PUSHED.split("  - relpath: y\n")[0] + REPUSHED_TAIL

    (workspace / "e.dvc").write_text(
        "outs:\n- md5: 9ffbf43126e33be52cd2bf7e01d627f9\n  size: 2\n  isexec: true\n"
        "  hash: md5\n  path: e\n"
    )
    single = dvcfile_mod.load(workspace, "e.dvc")
    single.outs[0].set_cloud(
        "v",
        {"etag": "9ffbf43126e33be52cd2bf7e01d627f9",
         "version_id": "0bcabc54-d02b-4685-abcd-4cecb827cdec"},
    )
    assert single.dumps().decode() == PUSHED_FILE
    # A later record (the file had one) keeps the meta the output has.
    (workspace / "e.dvc").write_text(PUSHED_FILE.replace("  hash:", "  isexec: true\n  hash:"))
    again = dvcfile_mod.load(workspace, "e.dvc")
    again.outs[0].set_cloud("v", {"version_id": "another"})
    assert again.outs[0].isexec


def test_push_to_a_version_aware_remote_drops_isexec(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    _tracked(workspace, dvcrepo)
    store = tmp_path / "versioned"
    store.mkdir()
    dvcrepo.remote_add("v", str(store), default=True, version_aware=True, versioning=True)
    assert dvcrepo.push().ok
    f_out = dvcfile_mod.load(workspace, "f.dvc").outs[0]
    assert f_out.cloud is not None and not f_out.isexec
    d_out = dvcfile_mod.load(workspace, "d.dvc").outs[0]
    assert d_out.files is not None and len(d_out.files) == 2
    assert all("isexec" not in e and "cloud" in e for e in d_out.files)


def test_checkout_of_the_files_form_restores_recorded_bits(
    dvcrepo: Repo, workspace: Path
) -> None:
    write_tree(workspace, {"d": {"x": b"x\n", "y": b"y\nmore\n", "z": b"z\n"}})
    dvcrepo.add("d")  # the objects go into the cache; the .dvc file is replaced below
    (workspace / "d.dvc").write_text(READDED)
    for name in ("y", "z"):
        (workspace / "d" / name).unlink()
    _chmod(workspace / "d" / "x", drop=0o111)
    dvcrepo.checkout()
    assert _exec(workspace / "d" / "y") and _exec(workspace / "d" / "z")
    assert not _exec(workspace / "d" / "x")
    assert (workspace / "d" / "y").read_bytes() == b"y\nmore\n"
    # An unchanged file whose entry says isexec gets its bit back too.
    _chmod(workspace / "d" / "z", drop=0o111)
    dvcrepo.checkout()
    assert _exec(workspace / "d" / "z")
