"""The remote suites' own machinery: workspace helpers, Clouds, the spy, skips, opt-in loading."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from dvcremote.backend import Capability
from dvcremote.backends.memory import MemoryBackend
from dvcremote.errors import PermissionDenied
from dvcremote_testing import expect
from dvcremote_testing.cloud import LocalCloud
from dvcremote_testing.remote_tests import TestRemote
from dvcremote_testing.spy import Interrupted, SpyBackend

# ------------------------------------------------------------------ tmp_dir


def test_gen_writes_nested_text_and_bytes(tmp_dir):
    made = tmp_dir.gen({"dir": {"sub": {"a": "text"}, "b": b"\x00bin"}, "top": "t"})
    assert [p.name for p in made] == ["dir", "top"]
    assert (tmp_dir / "dir" / "b").read_bytes() == b"\x00bin"
    assert (tmp_dir / "dir").read_text() == {"b": "\x00bin", "sub": {"a": "text"}}
    assert tmp_dir.read_text() == {"dir": {"b": "\x00bin", "sub": {"a": "text"}}, "top": "t"}
    assert os.getcwd() == os.fspath(tmp_dir)


def test_gen_single_file_makes_parents(tmp_dir):
    (path,) = tmp_dir.gen("x/y/z.txt", "deep")
    assert path == tmp_dir / "x/y/z.txt"
    assert path.read_text() == "deep"


def test_chdir_returns(tmp_dir):
    other = tmp_dir / "elsewhere"
    other.mkdir()
    with other.chdir():
        assert os.getcwd() == os.fspath(other)
    assert os.getcwd() == os.fspath(tmp_dir)


def test_plain_tmp_dir_has_no_repo(tmp_dir):
    assert not (tmp_dir / ".dvc").exists()
    with pytest.raises(TypeError, match="'dvc' fixture"):
        tmp_dir.dvc_gen("foo", "foo")


def test_dvc_gen_tracks(tmp_dir, dvc):
    result = tmp_dir.dvc_gen({"data": {"a": "1", "b": "2"}})
    assert [o.path for o in result.outputs] == ["data"]
    out = expect.single_out(tmp_dir / "data.dvc")
    assert out["md5"] == expect.dir_oid({"a": "1", "b": "2"})
    assert out["nfiles"] == 2
    assert dvc.root == os.fspath(tmp_dir)


def test_scm_and_dvc_share_one_git(tmp_dir, scm, dvc):
    assert scm is dvc.git
    assert scm.head is not None, "init commits the repository's config"
    assert not scm.is_dirty()
    tmp_dir.dvc_gen("foo", "foo", commit="track foo")
    assert scm.read_file("HEAD", "foo.dvc") == (tmp_dir / "foo.dvc").read_bytes()
    assert scm.read_file("HEAD", ".gitignore") == b"/foo\n"


def test_scm_gen_and_branch(tmp_dir, scm):
    tmp_dir.scm_gen("file", "on main", commit="first")
    with tmp_dir.branch("feature", new=True):
        assert scm.current_branch == "feature"
        tmp_dir.scm_gen("file", "on feature", commit="second")
    assert scm.current_branch == "main"
    assert (tmp_dir / "file").read_text() == "on main"
    assert scm.read_file("feature", "file") == b"on feature"


def test_add_remote_writes_config(tmp_dir, dvc, scm):
    tmp_dir.add_remote(config={"url": "memory://somewhere", "worktree": True}, name="wt")
    remote = dvc.config.remote()
    assert remote.name == "wt"
    assert remote.url == "memory://somewhere"
    assert remote.options["worktree"] == "true"
    assert scm.read_file("HEAD", ".dvc/config") == (tmp_dir / ".dvc" / "config").read_bytes()


# ------------------------------------------------------------------- clouds


@pytest.fixture(params=["local", "memory"])
def any_cloud(request, make_cloud):
    return make_cloud(request.param)


def test_cloud_round_trip(any_cloud):
    made = any_cloud.gen({"d": {"x": "1", "sub": {"y": b"2"}}, "z": "3"})
    assert sorted(made) == ["d/sub/y", "d/x", "z"]
    assert sorted(any_cloud.walk_files()) == ["d/sub/y", "d/x", "z"]
    assert (any_cloud / "d" / "sub" / "y").read_bytes() == b"2"
    assert (any_cloud / "d").is_dir()
    assert (any_cloud / "z").is_file()
    (any_cloud / "z").unlink()
    assert not (any_cloud / "z").exists()
    (any_cloud / "z").unlink(missing_ok=True)
    (any_cloud / "d").rmdir()
    assert not (any_cloud / "d").exists()
    assert list(any_cloud.walk_files()) == []


def test_cloud_object_path(any_cloud):
    oid = expect.md5("foo")
    assert any_cloud.object(oid).path.endswith(f"files/md5/{oid[:2]}/{oid[2:]}")


def test_local_cloud_is_the_directory(tmp_path):
    cloud = LocalCloud(tmp_path)
    (cloud / "a" / "b").write_text("text")
    assert (tmp_path / "a" / "b").read_text() == "text"
    assert cloud.url == os.fspath(tmp_path)
    assert cloud.config == {"url": os.fspath(tmp_path)}
    assert cloud.backend_name == "local"
    assert Capability.VERSIONING not in cloud.capabilities


def test_versioned_clouds_list_versions(make_cloud_version_aware):
    for typ in ("local", "memory"):
        cloud = make_cloud_version_aware(typ)
        assert Capability.VERSIONING in cloud.capabilities
        (cloud / "f").write_bytes(b"one")
        (cloud / "f").write_bytes(b"two")
        ids = (cloud / "f").version_ids()
        assert len(ids) == 2
        assert [(cloud / "f").read_version(v) for v in ids] == [b"two", b"one"]


def test_unversioned_cloud_refuses_version_questions(local_cloud):
    with pytest.raises(Exception, match="VERSIONING"):
        (local_cloud / "f").version_ids()


def test_make_remote_configures_the_repo(tmp_dir, dvc, make_remote, make_remote_worktree):
    plain = make_remote(name="plain", typ="memory", default=False)
    wt = make_remote_worktree(name="wt", typ="memory")
    assert dvc.config.default_remote == "wt"
    assert dvc.config.remote("plain").url == plain.url
    assert dvc.config.remote("wt").url == wt.url
    assert dvc.config.remote("wt").worktree
    assert plain.url != wt.url


def test_unknown_cloud_type_is_explained(make_cloud):
    with pytest.raises(LookupError, match="make_nosuch"):
        make_cloud("nosuch")


def test_version_aware_on_plain_storage_skips_naming_the_capability(make_cloud_version_aware):
    with pytest.raises(pytest.skip.Exception, match="lacks capability VERSIONING"):
        make_cloud_version_aware("plain_local_for_kit")


@pytest.fixture
def make_plain_local_for_kit(tmp_path_factory):
    return lambda: LocalCloud(tmp_path_factory.mktemp("plain"))


# ---------------------------------------------------------------------- spy


@pytest.fixture
def memory_backend():
    backend = MemoryBackend()
    yield backend
    backend.close()


def test_spy_counts_and_forwards(memory_backend, tmp_path):
    spy = SpyBackend(memory_backend)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    results = spy.upload_many([(os.fspath(src), "a/x"), (os.fspath(src), "b/y")])
    assert all(r.ok for r in results)
    assert sorted(spy.uploaded) == ["a/x", "b/y"]
    assert memory_backend.read_bytes("a/x") == b"payload"
    assert sorted(f.path for f in spy.list_files("", recursive=True)) == ["a/x", "b/y"]
    assert spy.listed == 2
    assert spy.exists_many(["a/x", "nope"]) == {"a/x": True, "nope": False}
    assert spy.asked == 2
    assert spy.name == memory_backend.name
    assert spy.capabilities == memory_backend.capabilities


def test_spy_refuses_named_paths(memory_backend, tmp_path):
    spy = SpyBackend(memory_backend, refuse={"a/x"})
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    results = {r.dst: r for r in spy.upload_many([(os.fspath(src), "a/x"),
                                                  (os.fspath(src), "a/y")])}
    assert isinstance(results["a/x"].error, PermissionDenied)
    assert results["a/y"].ok
    assert not memory_backend.exists("a/x")
    with pytest.raises(PermissionDenied):
        spy.write("a/x", b"direct")


def test_spy_interrupts_after_n_uploads(memory_backend, tmp_path):
    spy = SpyBackend(memory_backend, interrupt_after=2)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    pairs = [(os.fspath(src), f"f{i}") for i in range(8)]
    with pytest.raises(Interrupted):
        spy.upload_many(pairs)
    assert sorted(spy.uploaded) == ["f0", "f1"]
    assert sorted(f.path for f in memory_backend.list_files("")) == ["f0", "f1"]
    with pytest.raises(Interrupted):
        spy.write("f9", b"one more")
    assert not memory_backend.exists("f9")


# ------------------------------------------------------------- collection


def test_suites_run_only_as_subclasses():
    assert TestRemote.__test__ is False

    class TestSomething(TestRemote):
        pass

    assert TestSomething.__test__ is True


def _run_pytest(where, *args):
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(expect.__file__))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
        cwd=where, env=env, capture_output=True, text=True, timeout=300,
    )


def test_plugin_is_opt_in(tmp_path):
    (tmp_path / "test_it.py").write_text(textwrap.dedent("""
        from dvcremote_testing.remote_tests import TestRemoteVersionAware


        class TestPlain(TestRemoteVersionAware):
            pass


        def test_workspace(tmp_dir):
            assert (tmp_dir / ".dvc").exists() is False
    """))
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import pytest
        from dvcremote_testing.cloud import LocalCloud


        @pytest.fixture
        def make_plain(tmp_path_factory):
            return lambda: LocalCloud(tmp_path_factory.mktemp("plain"))


        @pytest.fixture
        def remote_version_aware(make_remote_version_aware):
            return make_remote_version_aware(name="upstream", typ="plain")
    """))
    without = _run_pytest(tmp_path)
    assert without.returncode != 0
    assert "fixture 'tmp_dir' not found" in without.stdout

    with_plugin = _run_pytest(tmp_path, "-p", "dvcremote_testing.plugin")
    assert with_plugin.returncode == 0, with_plugin.stdout + with_plugin.stderr
    assert "1 passed, 6 skipped" in with_plugin.stdout
    assert with_plugin.stdout.count("backend 'local' lacks capability VERSIONING") >= 1
