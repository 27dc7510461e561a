"""DVC 3.x formats: hashes, manifests, .dvc YAML, config INI (facts from the real dvc)."""

from __future__ import annotations

import io

import pytest
from core_helpers import md5

from dvcremote import yamlio
from dvcremote.config import Config, RemoteConfig
from dvcremote.dvcfile import DvcFile, loads
from dvcremote.errors import ConfigError, DvcFileError, InvalidManifest, RemoteNotFound
from dvcremote.hashing import CHUNK_SIZE, MD5_DOS2UNIX, bytes_md5, file_md5, is_text_block
from dvcremote.manifest import Manifest, parse


# ---------------------------------------------------------------------------- hashing
def test_md5_and_dos2unix_known_values(tmp_path) -> None:
    data = b"line1\r\nline2\r\n"
    assert bytes_md5(data) == "c6242222cf6ccdb15a43e0e5b1a08810"
    assert bytes_md5(data, MD5_DOS2UNIX) == "4fcc82a88ee38e0aa16c17f512c685c9"
    path = tmp_path / "f"
    path.write_bytes(data)
    assert file_md5(path) == "c6242222cf6ccdb15a43e0e5b1a08810"
    assert file_md5(path, MD5_DOS2UNIX) == "4fcc82a88ee38e0aa16c17f512c685c9"
    assert bytes_md5(b"") == "d41d8cd98f00b204e9800998ecf8427e"


def test_dos2unix_leaves_binary_alone_and_judges_each_chunk(tmp_path) -> None:
    binary = b"\x00\r\n" * 10
    assert bytes_md5(binary, MD5_DOS2UNIX) == md5(binary)
    assert is_text_block(b"") and not is_text_block(b"a\x00b")
    assert not is_text_block(bytes(range(128, 256)))
    # Chunk 1 is binary (kept as is), chunk 2 is text (converted): DVC 2.x's ids.
    first = b"\x00" + b"a" * (CHUNK_SIZE - 1)
    second = b"x\r\ny\r\n"
    expected = md5(first + b"x\ny\n")
    path = tmp_path / "big"
    path.write_bytes(first + second)
    assert file_md5(path, MD5_DOS2UNIX) == expected
    assert bytes_md5(first + second, MD5_DOS2UNIX) == expected


def test_unknown_hash_name_is_refused() -> None:
    with pytest.raises(ValueError, match="sha1"):
        bytes_md5(b"x", "sha1")


# --------------------------------------------------------------------------- manifests
def test_manifest_bytes_and_id_match_dvc() -> None:
    m = Manifest.build([("subdir/subfile", md5("subfile")), ("file", md5("file"))])
    assert m.oid == "b6dcab6ccd17ca0a8bf4a215a37d14cc.dir"
    assert m.to_bytes() == (
        b'[{"md5": "8c7dd922ad47494fc02c388e12c00eac", "relpath": "file"}, '
        b'{"md5": "' + md5("subfile").encode() + b'", "relpath": "subdir/subfile"}]'
    )
    assert parse(m.to_bytes(), m.oid) == m


def test_manifest_sorts_by_relpath_string() -> None:
    # "a-b" < "a/b" as strings ('-' < '/'), which is DVC's order.
    m = Manifest.build([("a/b", md5("1")), ("a-b", md5("2"))])
    assert [rel for rel, _ in m] == ["a-b", "a/b"]


def test_manifest_non_ascii_is_escaped_as_dvc_does() -> None:
    m = Manifest.build([("dé", md5("x"))])
    assert b'"relpath": "d\\u00e9"' in m.to_bytes()


@pytest.mark.parametrize(
    ("relpath", "reason"),
    [
        ("../evil", "escapes"),
        ("a/../../evil", "escapes"),
        ("/etc/passwd", "absolute"),
        ("a/\x00b", "NUL"),
        ("", "empty"),
        ("a//b", "not normalised"),
        ("./a", "not normalised"),
        ("a/.", "not normalised"),
        ("a/", "not normalised"),
        ("..", "escapes"),
    ],
)
def test_manifest_refuses_unsafe_relpaths(relpath: str, reason: str) -> None:
    # (On Windows backslashes and drive letters are refused too; on posix they are names.)
    data = f'[{{"md5": "{md5("x")}", "relpath": {_json(relpath)}}}]'.encode()
    with pytest.raises(InvalidManifest, match=reason) as info:
        parse(data, "abc.dir")
    assert "abc.dir" in str(info.value)


def test_manifest_accepts_odd_but_safe_names() -> None:
    names = ["..a", "a..", ".hidden", "a/.b/c", "x:y", "sp ace", "new\nline", "dé"]
    m = parse(Manifest.build([(n, md5(n)) for n in names]).to_bytes(), "x.dir")
    assert sorted(rel for rel, _ in m) == sorted(names)


def _json(text: str) -> str:
    import json

    return json.dumps(text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not JSON"),
        (b"{}", "not a JSON list"),
        (b"[1]", "not an object"),
        (b'[{"relpath": "a", "md5": "xyz"}]', "no valid md5"),
        (
            b'[{"relpath": "a", "md5": "%s"}, {"relpath": "a", "md5": "%s"}]'
            % (md5("1").encode(), md5("2").encode()),
            "twice",
        ),
        (
            b'[{"relpath": "a", "md5": "%s"}, {"relpath": "a/b", "md5": "%s"}]'
            % (md5("1").encode(), md5("2").encode()),
            "both a file and a folder",
        ),
    ],
)
def test_manifest_refuses_malformed(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidManifest, match=reason):
        parse(data, "x.dir")


# --------------------------------------------------------------------------- .dvc files
# Bytes exactly as dvc 3.67 writes them (checked with the real dvc).
FILE_DVC = b"outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n"
DIR_DVC = (
    b"outs:\n- md5: 5c38ee7a3524355c5c79a3d6a26cb756.dir\n  size: 11\n  nfiles: 2\n"
    b"  hash: md5\n  path: data\n"
)
VERSIONED_FILE_DVC = (
    b"outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  cloud:\n    upstream:\n"
    b"      etag: acbd18db4cc2f85cedef654fccc4a4d8\n"
    b"      version_id: 4bec5f24-4d25-4852-8872-b4f26206fcd2\n  hash: md5\n  path: foo\n"
)
VERSIONED_DIR_DVC = (
    b"outs:\n- hash: md5\n  path: data_dir\n  files:\n  - relpath: a\n"
    b"    md5: 0cc175b9c0f1b6a831c399e269772661\n    size: 1\n    cloud:\n      upstream:\n"
    b"        etag: 0cc175b9c0f1b6a831c399e269772661\n"
    b"        version_id: 02ac88ed-73f3-4af8-98ef-ebb2936aea21\n"
)
LEGACY_DVC = b"outs:\n- md5: 4fcc82a88ee38e0aa16c17f512c685c9\n  size: 14\n  path: text\n"


@pytest.mark.parametrize(
    "data", [FILE_DVC, DIR_DVC, VERSIONED_FILE_DVC, VERSIONED_DIR_DVC, LEGACY_DVC]
)
def test_dvcfile_round_trip_gives_identical_bytes(data: bytes) -> None:
    d = loads(data, "x.dvc")
    assert d.dumps() == data
    # Re-serialising the parsed data from scratch also gives DVC's bytes.
    assert yamlio.dumps(d.to_data()).encode() == data


def test_dvcfile_reads_dvc_forms() -> None:
    f = loads(FILE_DVC, "foo.dvc").outs[0]
    assert (f.path, f.oid, f.size, f.hash_name, f.isdir) == (
        "foo",
        "acbd18db4cc2f85cedef654fccc4a4d8",
        3,
        "md5",
        False,
    )
    d = loads(DIR_DVC, "data.dvc").outs[0]
    assert d.isdir and d.nfiles == 2
    legacy = loads(LEGACY_DVC, "text.dvc").outs[0]
    assert legacy.hash_name == "md5-dos2unix" and legacy.is_legacy
    v = loads(VERSIONED_DIR_DVC, "data_dir.dvc").outs[0]
    assert v.isdir and v.oid is None and v.files and v.files[0]["relpath"] == "a"
    cloud = loads(VERSIONED_FILE_DVC, "foo.dvc").outs[0].cloud
    assert cloud == {
        "upstream": {
            "etag": "acbd18db4cc2f85cedef654fccc4a4d8",
            "version_id": "4bec5f24-4d25-4852-8872-b4f26206fcd2",
        }
    }


def test_dvcfile_keeps_comments_and_unknown_keys_until_changed() -> None:
    text = (
        b"# my data\nouts:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n"
        b"  hash: md5\n  path: foo\n  desc: the foo file\n  custom: 1\nmeta:\n  owner: me\n"
    )
    d = loads(text, "foo.dvc")
    assert d.dumps() == text  # unchanged: the very bytes
    d.outs[0].set_hash(md5("bar"), 3)
    out = d.dumps().decode()
    assert "desc: the foo file" in out and "custom: 1" in out and "owner: me" in out
    assert out.index("md5:") < out.index("size:") < out.index("hash:") < out.index("path:")
    assert md5("bar") in out


def test_set_hash_and_cloud_give_dvc_key_order() -> None:
    d = DvcFile.new("foo.dvc", [{"path": "foo"}])
    d.outs[0].set_hash("acbd18db4cc2f85cedef654fccc4a4d8", 3)
    assert d.dumps() == FILE_DVC
    d.outs[0].set_cloud(
        "upstream",
        {
            "etag": "acbd18db4cc2f85cedef654fccc4a4d8",
            "version_id": "4bec5f24-4d25-4852-8872-b4f26206fcd2",
        },
    )
    assert d.dumps() == VERSIONED_FILE_DVC
    d.outs[0].set_cloud("upstream", None)
    assert d.dumps() == FILE_DVC
    v = DvcFile.new("data_dir.dvc", [{"path": "data_dir"}])
    v.outs[0].set_files(
        [
            {
                "cloud": {
                    "upstream": {
                        "etag": "0cc175b9c0f1b6a831c399e269772661",
                        "version_id": "02ac88ed-73f3-4af8-98ef-ebb2936aea21",
                    }
                },
                "size": 1,
                "md5": "0cc175b9c0f1b6a831c399e269772661",
                "relpath": "a",
            }
        ]
    )
    assert v.dumps() == VERSIONED_DIR_DVC


RECORD = {"etag": "acbd18db4cc2f85cedef654fccc4a4d8", "version_id": "v1"}
# What dvc 3.67 writes when it pushes FILE_DVC's output to a version-aware remote:
# ``cloud:`` goes after ``path:`` because the file already existed.
PUSHED_FILE_DVC = FILE_DVC + (
    b"  cloud:\n    upstream:\n      etag: acbd18db4cc2f85cedef654fccc4a4d8\n"
    b"      version_id: v1\n"
)


def test_setters_keep_the_key_order_of_the_file_as_read() -> None:
    d = loads(FILE_DVC, "foo.dvc")
    d.outs[0].set_cloud("upstream", RECORD)
    assert d.dumps() == PUSHED_FILE_DVC
    d.outs[0].set_cloud("upstream", None)
    assert d.dumps() == FILE_DVC
    # A directory switching to the files: form keeps hash/path first, files last.
    v = loads(DIR_DVC, "data.dvc")
    v.outs[0].set_files([{"size": 1, "md5": md5("a"), "relpath": "a"}])
    assert v.dumps() == (
        b"outs:\n- hash: md5\n  path: data\n  files:\n  - relpath: a\n"
        b"    md5: " + md5("a").encode() + b"\n    size: 1\n"
    )
    # Unknown keys stay where they were; a new key still goes last.
    odd = loads(b"outs:\n- path: foo\n  custom: 1\n  md5: " + md5("foo").encode()
                + b"\n  size: 3\n  hash: md5\n", "foo.dvc")
    odd.outs[0].set_cloud("upstream", RECORD)
    assert list(odd.outs[0].raw) == ["path", "custom", "md5", "size", "hash", "cloud"]


def test_setters_follow_the_file_as_written() -> None:
    """Once written, the new bytes are what later rewrites keep the order of."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        d = DvcFile.new("foo.dvc", [{"path": "foo"}])
        d.outs[0].set_hash("acbd18db4cc2f85cedef654fccc4a4d8", 3)
        assert d.write(tmp)
        d.outs[0].set_cloud("upstream", RECORD)
        assert d.dumps() == PUSHED_FILE_DVC
        assert d.write(tmp)
        assert Path(tmp, "foo.dvc").read_bytes() == PUSHED_FILE_DVC


def test_setters_keep_a_legacy_output_legacy() -> None:
    legacy_dir = (
        b"outs:\n- md5: " + md5("x").encode() + b".dir\n  size: 1\n  nfiles: 1\n  path: d\n"
    )
    d = loads(legacy_dir, "d.dvc")
    d.outs[0].set_files([{"relpath": "a", "md5": md5("x"), "size": 1}])
    assert "hash" not in d.outs[0].raw and d.outs[0].is_legacy
    assert list(d.outs[0].raw) == ["path", "files"]
    f = loads(LEGACY_DVC, "text.dvc")
    f.outs[0].set_cloud("upstream", RECORD)
    assert list(f.outs[0].raw) == ["md5", "size", "path", "cloud"]
    f.outs[0].set_hash(md5("new"), 3, legacy=True)
    assert list(f.outs[0].raw) == ["md5", "size", "path"] and f.outs[0].is_legacy
    f.outs[0].set_hash(md5("new"), 3)
    assert f.outs[0].raw["hash"] == "md5"


def test_set_hash_keeps_version_records_of_unchanged_content() -> None:
    d = loads(PUSHED_FILE_DVC, "foo.dvc")
    d.outs[0].set_hash("acbd18db4cc2f85cedef654fccc4a4d8", 3)  # the same bytes again
    assert d.dumps() == PUSHED_FILE_DVC
    d.outs[0].set_hash(md5("bar"), 3)  # new bytes: the record no longer applies
    assert "cloud" not in d.outs[0].raw
    # A directory in the files: form keeps the entries of unchanged files.
    pushed = loads(VERSIONED_DIR_DVC, "data_dir.dvc")
    manifest = Manifest.build([("a", md5("a")), ("b", md5("bb"))])
    pushed.outs[0].set_hash(
        manifest.oid, 3, 2, manifest=manifest, file_meta=lambda rel: {"size": 2}
    )
    files = pushed.outs[0].files
    assert files is not None
    assert files[0] == loads(VERSIONED_DIR_DVC).outs[0].raw["files"][0]  # record kept
    assert files[1] == {"relpath": "b", "md5": md5("bb"), "size": 2}
    assert "md5" not in pushed.outs[0].raw


def test_dvcfile_writes_long_and_odd_paths_as_dvc_does() -> None:
    # ruamel (DVC's writer) breaks long scalars and keeps YAML 1.2 words unquoted.
    long_path = "data/" + "x" * 90
    d = DvcFile.new("a.dvc", [{"path": long_path}])
    d.outs[0].set_hash(md5("1"), 1)
    assert f"  path: \n    {long_path}\n".encode() in d.dumps()
    d2 = DvcFile.new("yes.dvc", [{"path": "yes"}])
    d2.outs[0].set_hash(md5("1"), 1)
    assert b"  path: yes\n" in d2.dumps()
    assert loads(d2.dumps(), "yes.dvc").outs[0].path == "yes"
    assert loads(d.dumps(), "a.dvc").outs[0].path == long_path


@pytest.mark.parametrize(
    "scalar",
    [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "true",
        "True",
        "null",
        "~",
        "1e5",
        "0o7",
        "010",
        "12:30",
        "0x1F",
        "1_000",
        ".inf",
        "2001-12-14",
        "-1.5e-3",
        "_1",
        "0b101",
    ],
)
def test_yaml_scalars_load_as_dvc_loads_them(scalar: str) -> None:
    from ruamel.yaml import YAML

    expected = YAML(typ="safe", pure=True).load(f"k: {scalar}\n")["k"]
    got = yamlio.loads(f"k: {scalar}\n")["k"]
    assert type(got) is type(expected) and got == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"outs: [", "not valid YAML at line"),
        (b"- a\n- b\n", "mapping"),
        (b"outs: []\n", "non-empty 'outs'"),
        (b"outs:\n- size: 3\n", "no 'path'"),
        (
            b"outs:\n- path: /etc/passwd\n  md5: acbd18db4cc2f85cedef654fccc4a4d8\n",
            "not a relative",
        ),
        (b"outs:\n- path: ../../x\n", "outside the repository"),
        (b"outs:\n- path: foo\n  md5: zzz\n", "not an md5"),
        (b"outs:\n- path: foo\n  size: big\n", "size must be an integer"),
        (b"outs:\n- path: \xc3\x28\n", "not valid YAML"),
    ],
)
def test_bad_dvcfile_is_a_typed_error_naming_it(data: bytes, reason: str) -> None:
    with pytest.raises(DvcFileError, match=reason) as info:
        loads(data, "sub/bad.dvc")
    assert "sub/bad.dvc" in str(info.value)


# ------------------------------------------------------------------------------ config
def _config_text(config: Config, level: str = "repo") -> str:
    with open(config.files[level], encoding="utf-8") as f:
        return f.read()


def test_config_is_dvc_ini_and_secrets_go_local(tmp_path, monkeypatch) -> None:
    dvc_dir = tmp_path / ".dvc"
    dvc_dir.mkdir()
    monkeypatch.chdir(tmp_path)
    config = Config(dvc_dir)
    config.add_remote("store", "s3://bkt/path", default=True)
    config.modify_remote("store", "endpointurl", "http://127.0.0.1:5000")
    config.modify_remote("store", "secret_access_key", "SEKRIT")
    config.modify_remote("store", "version_aware", "true")
    assert _config_text(config) == (
        "[core]\n    remote = store\n['remote \"store\"']\n    url = s3://bkt/path\n"
        "    endpointurl = http://127.0.0.1:5000\n    version_aware = true\n"
    )
    assert _config_text(config, "local") == (
        "['remote \"store\"']\n    secret_access_key = SEKRIT\n"
    )
    merged = Config(dvc_dir).remote("store")
    assert merged.options["secret_access_key"] == "SEKRIT"
    assert merged.version_aware and not merged.worktree
    assert "SEKRIT" not in repr(merged)


def test_config_relative_url_is_stored_relative_to_dvc_dir(tmp_path, monkeypatch) -> None:
    (tmp_path / "repo" / ".dvc").mkdir(parents=True)
    (tmp_path / "repo" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "repo" / "sub")
    config = Config(tmp_path / "repo" / ".dvc")
    config.add_remote("rel", "../../store")
    assert "url = ../../store\n" in _config_text(config)  # relative to .dvc/, as dvc writes
    assert config.remote("rel").url == str(tmp_path / "store")
    config.add_remote("abs", "/tmp/abs")
    assert config.remote("abs").url == "/tmp/abs"


def test_config_remote_management_errors(tmp_path) -> None:
    (tmp_path / ".dvc").mkdir()
    config = Config(tmp_path / ".dvc")
    with pytest.raises(RemoteNotFound, match="no default remote"):
        config.remote()
    config.add_remote("a", "memory://a")
    with pytest.raises(RemoteNotFound, match=r"'nope' does not exist.*known: a"):
        config.remote("nope")
    with pytest.raises(ConfigError, match="already exists"):
        config.add_remote("a", "memory://b")
    config.modify_remote("a", "worktree", "true")
    with pytest.raises(ConfigError, match="worktree"):
        config.modify_remote("a", "version_aware", "false")
    assert Config(tmp_path / ".dvc").remote("a").options.get("version_aware") != "false"
    with pytest.raises(ConfigError, match="jobs"):
        config.modify_remote("a", "jobs", "many")
    config.set_default("a")
    config.remove_remote("a")
    fresh = Config(tmp_path / ".dvc")
    assert fresh.remote_names() == [] and fresh.default_remote is None


def test_config_reads_what_dvc_wrote(tmp_path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text(
        '[core]\n    remote = store\n[cache]\n    type = "hardlink,symlink"\n'
        "['remote \"store\"']\n    url = ../../store\n    jobs = 4\n"
    )
    config = Config(tmp_path / ".dvc")
    assert config.link_types == ("hardlink", "symlink")
    remote = config.remote()
    assert remote.url == str(tmp_path.parent / "store") and remote.jobs == 4
    (tmp_path / ".dvc" / "config").write_text("[core\n")
    with pytest.raises(ConfigError, match="cannot parse"):
        Config(tmp_path / ".dvc")


def test_remote_config_worktree_implies_version_aware() -> None:
    assert RemoteConfig("r", "memory://x", {"worktree": "true"}).version_aware
    with pytest.raises(ConfigError, match="worktree"):
        _ = RemoteConfig(
            "r", "memory://x", {"worktree": "true", "version_aware": "false"}
        ).version_aware


def test_configobj_bytes_are_what_dvc_writes() -> None:
    # The format itself: configobj with DVC's section spelling and four-space indent.
    from configobj import ConfigObj

    buf = io.BytesIO()
    ConfigObj({"core": {"remote": "s"}, 'remote "s"': {"url": "/x"}}).write(buf)
    assert buf.getvalue() == b"[core]\n    remote = s\n['remote \"s\"']\n    url = /x\n"


def test_empty_manifest_is_valid() -> None:
    m = Manifest.build([])
    assert m.to_bytes() == b"[]" and parse(b"[]", m.oid) == m
    assert m.oid == md5("[]") + ".dir"
