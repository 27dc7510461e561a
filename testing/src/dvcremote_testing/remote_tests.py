"""Inheritable remote suites: subclass them and provide ``remote`` (and friends).

``TestRemote`` runs on a content-addressed remote, ``TestRemoteVersionAware`` on a
version-aware one and ``TestRemoteWorktree`` on a worktree one. Each test drives a
real repository through its Python API (and the CLI where the CLI is the subject),
and looks at the storage only through the Cloud the remote fixture returned, so a
plugin's backend is never the only judge of itself.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dvcremote.backend import Backend, Capability, backend_class, scheme_of
from dvcremote.errors import IntegrityError
from dvcremote.results import TransferSummary
from dvcremote_testing import expect
from dvcremote_testing.builtin_guard import refuse_builtin_storage
from dvcremote_testing.cloud import Cloud
from dvcremote_testing.expect import DATA_DIR, md5
from dvcremote_testing.markers import apply_skip_rules, requires
from dvcremote_testing.spy import Interrupted, SpyBackend
from dvcremote_testing.tmp_dir import Struct, TmpDir

__all__ = ["TestRemote", "TestRemoteVersionAware", "TestRemoteWorktree"]

REMOTE = "upstream"


# ------------------------------------------------------------------ helpers
def check_status(status: Any, **expected: Collection[str]) -> None:
    """Every one of ok/new/deleted/missing equals what is given (empty when not given)."""
    for key in ("ok", "new", "deleted", "missing"):
        want = set(expected.get(key, ()))
        got = set(getattr(status, key))
        assert got == want, f"status.{key} is {sorted(got)}, expected {sorted(want)}"


def cache_dir(tmp_dir: TmpDir) -> Path:
    return tmp_dir / ".dvc" / "cache"


def cache_object(tmp_dir: TmpDir, oid: str) -> Path:
    return cache_dir(tmp_dir) / "files" / "md5" / oid[:2] / oid[2:]


def clear_cache(tmp_dir: TmpDir) -> None:
    """Remove the whole cache behind the repository's back, as a user's ``rm -rf`` would."""
    remove(cache_dir(tmp_dir))


def remove(path: str | os.PathLike[str]) -> None:
    """Delete a workspace file or folder, read-only ones (cache objects) included."""
    if os.path.isdir(path) and not os.path.islink(path):
        for dirpath, _dirnames, _files in os.walk(path):
            os.chmod(dirpath, 0o755)
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def workspace_files(tmp_dir: TmpDir) -> dict[str, bytes]:
    """Every file of the workspace outside ``.dvc`` and ``.git``, keyed by posix path."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(tmp_dir):
        if dirpath == os.fspath(tmp_dir):
            dirnames[:] = [d for d in dirnames if d not in (".dvc", ".git")]
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, tmp_dir).replace(os.sep, "/")
            with open(full, "rb") as fobj:
                found[rel] = fobj.read()
    return found


def moved(summary: TransferSummary) -> tuple[int, int]:
    """(objects transferred, objects failed) of a push or fetch."""
    return len(summary.transferred), len(summary.failed)


@contextmanager
def spy_on_remote(
    monkeypatch: pytest.MonkeyPatch,
    *,
    interrupt_after: int | None = None,
    refuse: Collection[str] = (),
) -> Iterator[list[SpyBackend]]:
    """Give the repo a SpyBackend around every backend it opens for a remote.

    The seam is ``RemoteConfig.open_backend``: the one place the repo turns a
    remote's config into a backend (the local cache never goes through it).
    """
    from dvcremote.config import RemoteConfig

    spies: list[SpyBackend] = []
    original = RemoteConfig.open_backend

    def spied(self: RemoteConfig) -> Backend:
        spy = SpyBackend(original(self), interrupt_after=interrupt_after, refuse=refuse)
        spies.append(spy)
        return spy

    with monkeypatch.context() as patch:
        patch.setattr(RemoteConfig, "open_backend", spied)
        yield spies


def _path_states(name: str, struct: Struct, state: str) -> dict[str, str]:
    """The per-path view of one tracked folder whose every object is in ``state``."""
    return {name: state, **{f"{name}/{rel}": state for rel in expect.flatten(struct)}}


def _seed_unrelated_objects(cloud: Cloud, count: int) -> None:
    """Objects of other data, spread over every prefix, as on a remote shared by many repos."""
    for i in range(count):
        data = f"unrelated object {i}".encode()
        cloud.object(md5(data)).write_bytes(data)


def files_under(folder: str | os.PathLike[str]) -> dict[str, bytes]:
    """Every file below a local folder, keyed by posix path relative to it."""
    found: dict[str, bytes] = {}
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as fobj:
                found[os.path.relpath(full, folder).replace(os.sep, "/")] = fobj.read()
    return found


def cloud_files(cloud: Cloud) -> dict[str, bytes]:
    """Every file below a remote path, keyed by posix path relative to it."""
    if not cloud.exists():
        return {}
    return {rel: (cloud / rel).read_bytes() for rel in cloud.walk_files()}


def clone(tmp_dir: TmpDir, where: Path, files: Collection[str]) -> Any:
    """Another machine's checkout: the remote config (``config.local`` too: credentials)
    and ``files`` copied, no cache; returns its Repo."""
    from dvcremote.repo import Repo

    (where / ".dvc").mkdir(parents=True)
    for name in ("config", "config.local"):
        if (tmp_dir / ".dvc" / name).exists():
            shutil.copy2(tmp_dir / ".dvc" / name, where / ".dvc" / name)
    for rel in files:
        shutil.copy2(tmp_dir / rel, where / rel)
    return Repo(where)


class _SuiteBase:
    #: Name of the fixture giving this suite's remote.
    remote_fixture = "remote"

    # The suites themselves never run: importing one into a test module would otherwise
    # collect it a second time beside the subclass. Every subclass made elsewhere runs.
    __test__ = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__test__ = cls.__module__ != __name__

    #: True only in dvcremote's own tests of its built-in storages (see ``builtin_guard``).
    on_builtin_storage = False

    @pytest.fixture(autouse=True)
    def _dvcremote_remote_skip_rules(self, request: pytest.FixtureRequest) -> None:
        """Refuse built-in storage (a forgotten fixture), then honour ``requires``/
        ``skip_backend``/``only_backends`` once the backend is known."""
        cloud: Cloud = request.getfixturevalue(self.remote_fixture)
        refuse_builtin_storage(
            request, backend_class(scheme_of(cloud.url)), self.remote_fixture,
            f"Define `{self.remote_fixture}` in the test module, returning e.g."
            f" `make_remote{self.remote_fixture[len('remote'):]}(name=\"upstream\", typ=\"foo\")`"
            " for your `make_foo` fixture.",
        )
        apply_skip_rules(
            request,
            backend_name=cloud.backend_name,
            capabilities=cloud.capabilities,
            notes=cloud.capability_notes,
        )


# ------------------------------------------------------ content-addressed
class TestRemote(_SuiteBase):
    """A content-addressed remote (objects at ``files/md5/xx/...``)."""

    def test(self, tmp_dir: TmpDir, dvc: Any, remote: Cloud) -> None:
        tmp_dir.dvc_gen("foo", "foo")
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        foo = md5("foo")
        dir_id = expect.dir_oid(DATA_DIR)
        dir_ids = expect.dir_oids(DATA_DIR)
        assert expect.single_out(tmp_dir / "foo.dvc")["md5"] == foo
        assert expect.single_out(tmp_dir / "data_dir.dvc")["md5"] == dir_id

        check_status(dvc.status(["foo"], cloud=True), new={foo})
        status = dvc.status(["data_dir"], cloud=True)
        check_status(status, new=dir_ids)
        assert dict(status.paths) == _path_states("data_dir", DATA_DIR, "new")

        # With the cache moved away, nothing is anywhere (DVC's issue #4383). The
        # folder's files cannot be known without its manifest: only it is named.
        backup = tmp_dir / "cache-backup"
        shutil.move(cache_dir(tmp_dir), backup)
        check_status(dvc.status(["foo"], cloud=True), missing={foo})
        status = dvc.status(["data_dir"], cloud=True)
        assert dir_id in status.missing
        assert status.missing <= dir_ids
        assert not status.ok | status.new | status.deleted
        shutil.move(backup, cache_dir(tmp_dir))

        assert moved(dvc.push(["foo"])) == (1, 0)
        assert cache_object(tmp_dir, foo).is_file()
        assert remote.object(foo).read_bytes() == b"foo"

        assert moved(dvc.push(["data_dir"])) == (len(dir_ids), 0)
        assert cache_object(tmp_dir, dir_id).is_file()
        assert remote.object(dir_id).read_bytes() == expect.manifest(DATA_DIR)
        for data in expect.flatten(DATA_DIR).values():
            assert remote.object(md5(data)).read_bytes() == data

        check_status(dvc.status(["foo"], cloud=True), ok={foo})
        status = dvc.status(["data_dir"], cloud=True)
        check_status(status, ok=dir_ids)
        assert dict(status.paths) == _path_states("data_dir", DATA_DIR, "ok")

        clear_cache(tmp_dir)
        check_status(dvc.status(["foo"], cloud=True), deleted={foo})
        check_status(dvc.status(["data_dir"], cloud=True), deleted=dir_ids)

        remove(tmp_dir / "foo")
        remove(tmp_dir / "data_dir")
        result = dvc.pull(["foo"])
        assert result.ok, result
        assert moved(result.fetch) == (1, 0)
        assert cache_object(tmp_dir, foo).read_bytes() == b"foo"
        assert (tmp_dir / "foo").read_text() == "foo"

        result = dvc.pull(["data_dir"])
        assert result.ok
        assert moved(result.fetch) == (len(dir_ids), 0)
        assert cache_object(tmp_dir, dir_id).read_bytes() == expect.manifest(DATA_DIR)
        assert (tmp_dir / "data_dir").read_text() == {
            "data": "data",
            "data_sub_dir": {"data_sub": "data_sub"},
            "empty": "",
        }

        check_status(dvc.status(["foo"], cloud=True), ok={foo})
        check_status(dvc.status(["data_dir"], cloud=True), ok=dir_ids)

    def test_stage_cache_push_pull(
        self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, tmp_path_factory: Any
    ) -> None:
        """DVC's test: a reproduced copy stage; ``push --run-cache`` sends its output's
        object and its run-cache entry (2 files); with ``runs/`` removed, ``pull
        --run-cache`` brings the same files back. Then, on another machine with no
        ``dvc.lock`` and no cache, ``repro --pull`` restores the stage from the remote's
        run cache (its object too, which dvc would not have pushed) and runs nothing."""
        tmp_dir.gen("foo", "foo")
        dvc.stage_add("copy-foo-bar", "cp foo bar", deps=["foo"], outs=["bar"])
        dvc.reproduce(["copy-foo-bar"])
        summary = dvc.push(run_cache=True)
        assert summary.ok and summary.runs_skipped is None, summary
        assert len(summary.transferred) + len(summary.runs) == 2
        assert remote.object(md5("foo")).read_bytes() == b"foo"

        runs = cache_dir(tmp_dir) / "runs"
        expected = files_under(runs)
        assert len(expected) == 1
        assert cloud_files(remote / "runs") == expected
        expected = {f"runs/{rel}": data for rel, data in expected.items()}
        shutil.rmtree(runs)
        result = dvc.pull(run_cache=True)
        assert result.ok and result.fetch.runs == set(expected)
        assert {f"runs/{rel}": data for rel, data in files_under(runs).items()} == expected

        other = clone(tmp_dir, tmp_path_factory.mktemp("clone"), ["dvc.yaml", "foo"])
        with other:
            assert other.pull(run_cache=True).fetch.runs == set(expected)
            lines: list[str] = []
            done = other.reproduce(pull=True, log=lines.append)
        assert done.restored == ("copy-foo-bar",) and done.ran == (), lines
        assert "Stage 'copy-foo-bar' is cached - skipping run, checking out outputs" in lines
        assert (Path(other.root) / "bar").read_text() == "foo"
        assert (Path(other.root) / "dvc.lock").read_bytes() == (tmp_dir / "dvc.lock").read_bytes()

    def test_run_cache_entries_are_checked(self, tmp_dir: TmpDir, dvc: Any, remote: Cloud) -> None:
        """Run-cache entries on this storage are hostile input: ``pull --run-cache``
        brings the valid ones back byte for byte and refuses, by name, one filed under
        another stage's key (it would write ``../.bashrc``); nothing of it is kept."""
        from dvcremote import yamlio
        from dvcremote.errors import InvalidRunCacheEntry
        from dvcremote.runcache import entry_relpath, run_key, run_value

        tmp_dir.dvc_gen("foo", "foo")
        item = {"hash": "md5", "md5": md5("foo"), "size": 3}
        entry = {
            "cmd": "cp foo bar",
            "deps": [{"path": "foo", **item}],
            "outs": [{"path": "bar", **item}],
        }
        good = entry_relpath(run_key(entry), run_value(entry))
        dvc.run_cache.save(entry)
        summary = dvc.push(run_cache=True)
        assert summary.ok and summary.runs == {good}, summary
        hostile = {**entry, "outs": [{"path": "../.bashrc", **item}]}
        bad = entry_relpath(run_key(entry), run_value(hostile))
        (remote / bad).write_bytes(yamlio.dumps(hostile).encode())

        runs = cache_dir(tmp_dir) / "runs"
        saved = files_under(runs)
        shutil.rmtree(runs)
        summary = dvc.fetch(run_cache=True)
        assert summary.runs == {good} and set(summary.runs_failed) == {bad}
        assert isinstance(summary.runs_failed[bad], InvalidRunCacheEntry)
        assert files_under(runs) == saved

    def _pull_prefix_case(
        self, tmp_dir: TmpDir, dvc: Any, contents: dict[str, str], monkeypatch: Any
    ) -> None:
        tmp_dir.dvc_gen(contents)
        ids = {md5(text) for text in contents.values()}

        assert moved(dvc.push()) == (len(ids), 0)
        # The listing path of the existence check, forced whatever the remote's size.
        with spy_on_remote(monkeypatch) as spies:
            check_status(dvc.status(cloud=True, method="list"), ok=ids)
        assert sum(spy.listings for spy in spies) > 0
        assert sum(spy.asked for spy in spies) == 0

        clear_cache(tmp_dir)
        for name in contents:
            remove(tmp_dir / name)
        check_status(dvc.status(cloud=True, method="list"), deleted=ids)

        result = dvc.pull()
        assert moved(result.fetch) == (2, 0)
        assert set(result.checkout.added) == set(contents)
        assert not result.checkout.failed
        for name, text in contents.items():
            assert (tmp_dir / name).read_text() == text

    def test_pull_00_prefix(self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, monkeypatch) -> None:
        # md5 00411460f7c92d2124a67ea0f4cb5f85 and 0000000018e6137ac2caab16074784a6: the
        # ``00`` prefix a size estimate lists first must not be lost (DVC #6089).
        assert md5("363").startswith("00")
        assert md5("jk8ssl").startswith("00")
        self._pull_prefix_case(tmp_dir, dvc, {"foo": "363", "bar": "jk8ssl"}, monkeypatch)

    def test_pull_no_00_prefix(
        self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, monkeypatch
    ) -> None:
        # The control: nothing under ``00`` (DVC #6244).
        assert not md5("dvc").startswith("00")
        assert not md5("cml").startswith("00")
        self._pull_prefix_case(tmp_dir, dvc, {"foo": "dvc", "bar": "cml"}, monkeypatch)

    def test_interrupted_push_resumes(
        self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, monkeypatch
    ) -> None:
        files = {f"f{i}": f"content {i}" for i in range(6)}
        tmp_dir.dvc_gen({"data_dir": files})
        ids = expect.dir_oids(files)
        dir_id = expect.dir_oid(files)

        with spy_on_remote(monkeypatch, interrupt_after=2) as spies, pytest.raises(Interrupted):
            dvc.push(jobs=1)
        assert sum(spy.uploads for spy in spies) == 2

        # What landed is whole, and the manifest never comes before all of its files.
        on_remote = {oid for oid in ids if remote.object(oid).exists()}
        assert 0 < len(on_remote) < len(ids)
        assert dir_id not in on_remote
        for oid in on_remote:
            assert md5(remote.object(oid).read_bytes()) == oid
        status = dvc.status(cloud=True)
        assert status.ok == on_remote
        assert status.new == ids - on_remote

        assert moved(dvc.push()) == (len(ids - on_remote), 0)
        check_status(dvc.status(cloud=True), ok=ids)
        assert remote.object(dir_id).read_bytes() == expect.manifest(files)

    def test_push_with_failures_resumes(
        self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, monkeypatch
    ) -> None:
        """A refused upload is reported, the others still land; the next push ends the job."""
        tmp_dir.dvc_gen({"foo": "foo", "bar": "bar"})
        foo = md5("foo")
        refused = f"files/md5/{foo[:2]}/{foo[2:]}"  # relative to the remote's URL
        with spy_on_remote(monkeypatch, refuse={refused}):
            result = dvc.push()
        assert moved(result) == (1, 1)
        assert set(result.failed) == {md5("foo")}
        assert not remote.object(md5("foo")).exists()
        check_status(dvc.status(cloud=True), ok={md5("bar")}, new={md5("foo")})

        assert moved(dvc.push()) == (1, 0)
        check_status(dvc.status(cloud=True), ok={md5("foo"), md5("bar")})

    def test_pull_refuses_corrupt_object(self, tmp_dir: TmpDir, dvc: Any, remote: Cloud) -> None:
        tmp_dir.dvc_gen({"data_dir": DATA_DIR, "foo": "foo"})
        dvc.push()
        bad = md5("data")
        remote.object(bad).write_bytes(b"not the data")
        clear_cache(tmp_dir)
        remove(tmp_dir / "data_dir")
        remove(tmp_dir / "foo")

        result = dvc.pull()
        assert not result.ok
        assert set(result.fetch.failed) == {bad}
        error = result.fetch.failed[bad]
        assert isinstance(error, IntegrityError)
        assert bad in str(error)

        assert not cache_object(tmp_dir, bad).exists()
        assert b"not the data" not in workspace_files(tmp_dir).values()
        for path in cache_dir(tmp_dir).rglob("*"):
            if path.is_file() and path.parent.parent.name == "md5":
                oid = path.parent.name + path.name
                assert md5(path.read_bytes()) == oid.removesuffix(".dir"), path
        # What was not corrupt still arrives.
        assert (tmp_dir / "foo").read_text() == "foo"

        remote.object(bad).write_bytes(b"data")
        result = dvc.pull()
        assert result.ok
        assert (tmp_dir / "data_dir" / "data").read_text() == "data"

    def test_push_nothing_to_do(
        self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, monkeypatch
    ) -> None:
        _seed_unrelated_objects(remote, 256)
        tmp_dir.dvc_gen({"data_dir": DATA_DIR, "foo": "foo"})
        ids = expect.dir_oids(DATA_DIR) | {md5("foo")}
        assert moved(dvc.push()) == (len(ids), 0)

        with spy_on_remote(monkeypatch) as spies:
            result = dvc.push()
        assert moved(result) == (0, 0)
        assert result.up_to_date == len(ids)
        assert spies, "the repo never opened the remote"
        assert sum(spy.uploads for spy in spies) == 0
        # Never dearer than asking once per object, plus one listing to estimate the
        # remote's size and one page of a full listing (what DVC's heuristic allows).
        asked = sum(spy.asked for spy in spies)
        listings = sum(spy.listings for spy in spies)
        pages = sum(spy.listed for spy in spies) // 1000
        assert asked + listings + pages <= len(ids) + 2, (asked, listings, pages)

    def test_status_json_matches_api(
        self, tmp_dir: TmpDir, dvc: Any, remote: Cloud, capsys
    ) -> None:
        from dvcremote.cli import main

        tmp_dir.dvc_gen({"foo": "foo", "bar": "bar"})
        dvc.push(["foo"])
        api = dvc.status(cloud=True)
        check_status(api, ok={md5("foo")}, new={md5("bar")})

        capsys.readouterr()
        code = main(["status", "--cloud", "--json-objects"])
        report = json.loads(capsys.readouterr().out)
        assert code != 0, "status -c must fail when something is not on the remote"
        for key in ("ok", "new", "deleted", "missing"):
            assert set(report[key]) == set(getattr(api, key)), key
        assert report["paths"] == {"bar": "new"}

        dvc.push()
        assert main(["status", "--cloud", "--json-objects"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert set(report["ok"]) == {md5("foo"), md5("bar")}
        assert not report["new"]
        assert report["paths"] == {}


# ------------------------------------------------------------ version-aware
def _version_checks(cloud: Cloud, relpath: str, entry: dict[str, Any], data: bytes) -> None:
    """A recorded version is one the storage really keeps, and holds the tracked bytes."""
    assert entry.get("version_id"), f"no version_id recorded for {relpath}"
    assert entry.get("etag"), f"no etag recorded for {relpath}"
    assert entry["version_id"] in (cloud / relpath).version_ids()
    assert (cloud / relpath).read_version(entry["version_id"]) == data


#: What ``run_copy`` stages run (dvc's ``copy_script``): a file or a folder, copied.
COPY_SCRIPT = """\
import os, shutil, sys
src, dst = sys.argv[1:]
(shutil.copytree if os.path.isdir(src) else shutil.copyfile)(src, dst)
"""


@requires(Capability.VERSIONING)
class TestRemoteVersionAware(_SuiteBase):
    """A version-aware remote: files at their workspace paths, versions in ``.dvc`` files
    and in ``dvc.lock``."""

    remote_fixture = "remote_version_aware"

    @pytest.fixture
    def run_copy(self, tmp_dir: TmpDir, dvc: Any) -> Any:
        """``run_copy(src, dst, name=...)``: DVC's fixture, a stage copying ``src`` to
        ``dst`` added and reproduced (``dvc run``)."""
        import shlex
        import sys

        tmp_dir.gen("copy.py", COPY_SCRIPT)
        python = shlex.quote(sys.executable)

        def run_copy(src: str, dst: str, *, name: str) -> Any:
            cmd = f"{python} copy.py {src} {dst}"
            dvc.stage_add(name, cmd, deps=[src, "copy.py"], outs=[dst])
            return dvc.reproduce([name])

        return run_copy

    def test_pipeline_file(
        self, tmp_dir: TmpDir, dvc: Any, run_copy: Any, remote_version_aware: Cloud
    ) -> None:
        """DVC's ``test_file`` for a stage output: its version goes into ``dvc.lock``."""
        cloud = remote_version_aware
        tmp_dir.dvc_gen("foo", "foo")
        run_copy("foo", "foo_copy", name="copy")
        pushed = dvc.push()
        assert pushed.ok and pushed.transferred == {md5("foo")}  # two files, one content
        assert (cloud / "foo").read_bytes() == b"foo"
        assert (cloud / "foo_copy").read_bytes() == b"foo"
        foo_dvc = (tmp_dir / "foo.dvc").read_text()
        lock = expect.load_dvcfile(tmp_dir / "dvc.lock")
        (out,) = lock["stages"]["copy"]["outs"]
        assert out["path"] == "foo_copy" and out["md5"] == md5("foo")
        _version_checks(cloud, "foo_copy", expect.cloud_entry(out, REMOTE), b"foo")
        dvc_lock = (tmp_dir / "dvc.lock").read_text()

        clear_cache(tmp_dir)
        remove(tmp_dir / "foo")
        remove(tmp_dir / "foo_copy")
        assert dvc.pull().ok
        assert (tmp_dir / "foo").read_text() == "foo"
        assert (tmp_dir / "foo_copy").read_text() == "foo"
        assert (tmp_dir / "foo.dvc").read_text() == foo_dvc
        assert (tmp_dir / "dvc.lock").read_text() == dvc_lock

        assert moved(dvc.push()) == (0, 0)
        assert (tmp_dir / "dvc.lock").read_text() == dvc_lock
        dvc.reproduce()  # unchanged: skipped, the lock keeps its version records
        assert moved(dvc.push()) == (0, 0)
        assert (cloud / "foo_copy").read_bytes() == b"foo"
        assert (tmp_dir / "foo.dvc").read_text() == foo_dvc
        assert (tmp_dir / "dvc.lock").read_text() == dvc_lock

    def test_pipeline_dir(
        self, tmp_dir: TmpDir, dvc: Any, run_copy: Any, remote_version_aware: Cloud
    ) -> None:
        """DVC's ``test_dir`` for a stage output: the lock's directory switches to
        ``files:`` with a version per file, and the recorded versions pull."""
        cloud = remote_version_aware
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        files = expect.flatten(DATA_DIR)
        assert not dvc.push().failed
        data_dir_dvc = (tmp_dir / "data_dir.dvc").read_text()

        run_copy("data_dir", "data_dir_copy", name="copy")
        dvc_lock = (tmp_dir / "dvc.lock").read_text()
        assert not dvc.push().failed
        assert (tmp_dir / "data_dir.dvc").read_text() == data_dir_dvc
        assert (tmp_dir / "dvc.lock").read_text() != dvc_lock
        dvc_lock = (tmp_dir / "dvc.lock").read_text()
        (out,) = expect.load_dvcfile(tmp_dir / "dvc.lock")["stages"]["copy"]["outs"]
        assert "md5" not in out and "nfiles" not in out, out
        recorded = expect.files_by_relpath(out)
        assert set(recorded) == set(files)
        for relpath, data in files.items():
            entry = expect.cloud_entry(recorded[relpath], REMOTE)
            _version_checks(cloud, f"data_dir_copy/{relpath}", entry, data)

        assert moved(dvc.push()) == (0, 0)
        assert (tmp_dir / "dvc.lock").read_text() == dvc_lock

        (cloud / "data_dir_copy" / "data").write_bytes(b"overwritten")
        (cloud / "data_dir_copy" / "data_sub_dir" / "data_sub").unlink()
        clear_cache(tmp_dir)
        remove(tmp_dir / "data_dir")
        remove(tmp_dir / "data_dir_copy")
        assert dvc.pull().ok
        assert _under(tmp_dir, "data_dir") == files
        assert _under(tmp_dir, "data_dir_copy") == files
        assert (tmp_dir / "dvc.lock").read_text() == dvc_lock

    def test_file(self, tmp_dir: TmpDir, dvc: Any, remote_version_aware: Cloud) -> None:
        cloud = remote_version_aware
        tmp_dir.dvc_gen("foo", "foo")
        result = dvc.push()
        assert moved(result) == (1, 0)

        foo_dvc = (tmp_dir / "foo.dvc").read_text()
        out = expect.single_out(tmp_dir / "foo.dvc")
        assert out["md5"] == md5("foo")
        assert out["path"] == "foo"
        entry = expect.cloud_entry(out, REMOTE)
        _version_checks(cloud, "foo", entry, b"foo")
        assert (cloud / "foo").read_bytes() == b"foo"

        clear_cache(tmp_dir)
        remove(tmp_dir / "foo")
        dvc.pull()
        assert (tmp_dir / "foo").read_text() == "foo"
        assert (tmp_dir / "foo.dvc").read_text() == foo_dvc

        result = dvc.push()
        assert moved(result) == (0, 0)
        assert (tmp_dir / "foo.dvc").read_text() == foo_dvc

        # The recorded version still restores the data once the current file is gone.
        (cloud / "foo").unlink()
        assert not (cloud / "foo").exists()
        clear_cache(tmp_dir)
        remove(tmp_dir / "foo")
        dvc.pull()
        assert (tmp_dir / "foo").read_text() == "foo"
        assert (tmp_dir / "foo.dvc").read_text() == foo_dvc

    def test_dir(self, tmp_dir: TmpDir, dvc: Any, remote_version_aware: Cloud) -> None:
        cloud = remote_version_aware
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        files = expect.flatten(DATA_DIR)
        result = dvc.push()
        assert not result.failed
        # Every file went up; a manifest may too, where the remote keeps one.
        file_ids = {md5(data) for data in files.values()}
        assert file_ids <= result.transferred <= file_ids | {expect.dir_oid(DATA_DIR)}

        data_dir_dvc = (tmp_dir / "data_dir.dvc").read_text()
        out = expect.single_out(tmp_dir / "data_dir.dvc")
        assert out["path"] == "data_dir"
        assert "md5" not in out, out
        assert "nfiles" not in out, out
        recorded = expect.files_by_relpath(out)
        assert set(recorded) == set(files)
        for relpath, data in files.items():
            item = recorded[relpath]
            assert item["md5"] == md5(data)
            assert item["size"] == len(data)
            _version_checks(cloud, f"data_dir/{relpath}", expect.cloud_entry(item, REMOTE), data)
            assert (cloud / "data_dir" / relpath).read_bytes() == data

        clear_cache(tmp_dir)
        remove(tmp_dir / "data_dir")
        dvc.pull()
        assert _under(tmp_dir, "data_dir") == files
        assert (tmp_dir / "data_dir.dvc").read_text() == data_dir_dvc

        result = dvc.push()
        assert moved(result) == (0, 0)
        assert (tmp_dir / "data_dir.dvc").read_text() == data_dir_dvc

        # Overwritten and deleted current files: the recorded versions still pull.
        (cloud / "data_dir" / "data").write_bytes(b"overwritten")
        (cloud / "data_dir" / "data_sub_dir" / "data_sub").unlink()
        clear_cache(tmp_dir)
        remove(tmp_dir / "data_dir")
        dvc.pull()
        assert (tmp_dir / "data_dir" / "data").read_text() == "data"
        assert (tmp_dir / "data_dir" / "data_sub_dir" / "data_sub").read_text() == "data_sub"
        assert (tmp_dir / "data_dir.dvc").read_text() == data_dir_dvc

    def test_run_cache_is_skipped_and_said(
        self, tmp_dir: TmpDir, dvc: Any, remote_version_aware: Cloud
    ) -> None:
        """dvc skips the run cache on version-aware remotes silently; dvcremote says why,
        still pushes the data, and puts no entry (and no object only an entry names)
        at a workspace path."""
        tmp_dir.dvc_gen("foo", "foo")
        item = {"hash": "md5", "md5": md5("result"), "size": 6}
        cache_object(tmp_dir, md5("result")).parent.mkdir(parents=True, exist_ok=True)
        cache_object(tmp_dir, md5("result")).write_bytes(b"result")
        entry = {"cmd": "make bar", "deps": [{"path": "foo", **item}]}
        dvc.run_cache.save({**entry, "outs": [{"path": "bar", **item}]})
        summary = dvc.push(run_cache=True)
        assert summary.ok and summary.transferred == {md5("foo")}
        assert summary.runs == frozenset() and summary.runs_failed == {}
        assert summary.runs_skipped and "version-aware" in summary.runs_skipped
        assert _current_view(remote_version_aware) == {"foo": b"foo"}
        assert dvc.fetch(run_cache=True).runs_skipped == summary.runs_skipped

    def test_status(self, tmp_dir: TmpDir, dvc: Any, remote_version_aware: Cloud) -> None:
        """DVC refuses ``status -c`` here; the result has the same form as on any remote."""
        cloud = remote_version_aware
        tmp_dir.dvc_gen({"foo": "foo", "data_dir": DATA_DIR})
        ids = {md5("foo")} | {md5(d) for d in expect.flatten(DATA_DIR).values()}
        check_status(dvc.status(cloud=True), new=ids)

        dvc.push()
        status = dvc.status(cloud=True)
        check_status(status, ok=ids)
        file_paths = {f"data_dir/{rel}" for rel in expect.flatten(DATA_DIR)} | {"foo"}
        assert {path: status.paths.get(path) for path in file_paths} == dict.fromkeys(
            file_paths, "ok"
        )

        # Someone overwrites the current file: the recorded version is still there.
        (cloud / "foo").write_bytes(b"changed by someone else")
        check_status(dvc.status(cloud=True), ok=ids)

        clear_cache(tmp_dir)
        check_status(dvc.status(cloud=True), deleted=ids)

        dvc.pull()
        check_status(dvc.status(cloud=True), ok=ids)
        assert (tmp_dir / "foo").read_text() == "foo"


def _under(tmp_dir: TmpDir, folder: str) -> dict[str, bytes]:
    """Workspace files under ``folder``, keyed by their path inside it."""
    prefix = folder + "/"
    return {
        k[len(prefix):]: v for k, v in workspace_files(tmp_dir).items() if k.startswith(prefix)
    }


# ----------------------------------------------------------------- worktree
def _current_view(cloud: Cloud) -> dict[str, bytes]:
    """The remote's current files outside the ``.dvc`` folder it keeps for itself."""
    return {
        rel: (cloud / rel).read_bytes()
        for rel in cloud.walk_files()
        if not rel.startswith(".dvc/")
    }


@requires(Capability.VERSIONING)
class TestRemoteWorktree(_SuiteBase):
    """A worktree remote: its current view mirrors the workspace."""

    remote_fixture = "remote_worktree"

    def test_file(self, tmp_dir: TmpDir, dvc: Any, remote_worktree: Cloud) -> None:
        cloud = remote_worktree
        tmp_dir.dvc_gen("foo", "foo")
        dvc.push()
        foo_dvc = (tmp_dir / "foo.dvc").read_text()
        entry = expect.cloud_entry(expect.single_out(tmp_dir / "foo.dvc"), REMOTE)
        _version_checks(cloud, "foo", entry, b"foo")
        assert _current_view(cloud) == {"foo": b"foo"}

        clear_cache(tmp_dir)
        remove(tmp_dir / "foo")
        dvc.pull()
        assert (tmp_dir / "foo").read_text() == "foo"
        assert (tmp_dir / "foo.dvc").read_text() == foo_dvc

    def test_dir(self, tmp_dir: TmpDir, dvc: Any, remote_worktree: Cloud) -> None:
        cloud = remote_worktree
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        files = expect.flatten(DATA_DIR)
        dvc.push()
        data_dir_dvc = (tmp_dir / "data_dir.dvc").read_text()
        recorded = expect.files_by_relpath(expect.single_out(tmp_dir / "data_dir.dvc"))
        assert set(recorded) == set(files)
        for relpath, data in files.items():
            entry = expect.cloud_entry(recorded[relpath], REMOTE)
            _version_checks(cloud, f"data_dir/{relpath}", entry, data)
        assert _current_view(cloud) == {f"data_dir/{rel}": data for rel, data in files.items()}

        clear_cache(tmp_dir)
        remove(tmp_dir / "data_dir")
        dvc.pull()
        assert (tmp_dir / "data_dir" / "data").read_text() == "data"
        assert (tmp_dir / "data_dir" / "data_sub_dir" / "data_sub").read_text() == "data_sub"
        assert (tmp_dir / "data_dir" / "empty").read_text() == ""
        assert (tmp_dir / "data_dir.dvc").read_text() == data_dir_dvc

    def test_deletion(self, tmp_dir: TmpDir, dvc: Any, scm: Any, remote_worktree: Cloud) -> None:
        cloud = remote_worktree
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        dvc.push()
        assert (cloud / "data_dir" / "data").read_bytes() == b"data"
        tmp_dir.scm_add([tmp_dir / "data_dir.dvc"], commit="v1")
        v1 = scm.head
        old = expect.cloud_entry(
            expect.files_by_relpath(expect.single_out(tmp_dir / "data_dir.dvc"))["data"], REMOTE
        )

        remove(tmp_dir / "data_dir" / "data")
        dvc.add(["data_dir"])
        dvc.push()
        tmp_dir.scm_add([tmp_dir / "data_dir.dvc"], commit="v2")
        assert not (cloud / "data_dir" / "data").exists()
        assert "data_dir/data" not in _current_view(cloud)
        assert (cloud / "data_dir" / "data_sub_dir" / "data_sub").read_bytes() == b"data_sub"
        # The old version is hidden, not destroyed: older revisions still need it.
        assert old["version_id"] in (cloud / "data_dir" / "data").version_ids()

        clear_cache(tmp_dir)
        remove(tmp_dir / "data_dir")
        scm.checkout(v1)
        dvc.pull()
        assert (tmp_dir / "data_dir" / "data").read_text() == "data"
        assert (tmp_dir / "data_dir" / "data_sub_dir" / "data_sub").read_text() == "data_sub"

    def test_update(self, tmp_dir: TmpDir, dvc: Any, remote_worktree: Cloud) -> None:
        cloud = remote_worktree
        tmp_dir.dvc_gen("foo", "foo")
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        dvc.push()
        orig_foo = expect.cloud_entry(expect.single_out(tmp_dir / "foo.dvc"), REMOTE)
        orig_files = expect.files_by_relpath(expect.single_out(tmp_dir / "data_dir.dvc"))

        (cloud / "foo").write_text("bar")
        (cloud / "data_dir" / "data").write_text("modified")
        (cloud / "data_dir" / "new_data").write_text("new data")

        dvc.update(["foo.dvc", "data_dir.dvc"])

        foo_out = expect.single_out(tmp_dir / "foo.dvc")
        foo_entry = expect.cloud_entry(foo_out, REMOTE)
        assert foo_out["md5"] == md5("bar")
        assert foo_entry["version_id"]
        assert foo_entry["version_id"] != orig_foo["version_id"]
        assert foo_entry["version_id"] in (cloud / "foo").version_ids()

        files = expect.files_by_relpath(expect.single_out(tmp_dir / "data_dir.dvc"))
        assert set(files) == {"data", "data_sub_dir/data_sub", "empty", "new_data"}
        for unchanged in ("data_sub_dir/data_sub", "empty"):
            assert files[unchanged] == orig_files[unchanged]
        old_data = expect.cloud_entry(orig_files["data"], REMOTE)
        new_data = expect.cloud_entry(files["data"], REMOTE)
        assert files["data"]["md5"] == md5("modified")
        assert new_data["version_id"]
        assert new_data["version_id"] != old_data["version_id"]
        assert files["new_data"]["md5"] == md5("new data")
        assert expect.cloud_entry(files["new_data"], REMOTE)["version_id"]

        assert (tmp_dir / "foo").read_text() == "bar"
        assert (tmp_dir / "data_dir" / "data").read_text() == "modified"
        assert (tmp_dir / "data_dir" / "new_data").read_text() == "new data"

        clear_cache(tmp_dir)
        remove(tmp_dir / "foo")
        remove(tmp_dir / "data_dir")
        dvc.pull()
        assert (tmp_dir / "foo").read_text() == "bar"
        assert (tmp_dir / "data_dir" / "data").read_text() == "modified"
        assert (tmp_dir / "data_dir" / "new_data").read_text() == "new data"
        assert (tmp_dir / "data_dir" / "data_sub_dir" / "data_sub").read_text() == "data_sub"

    def test_update_removes_deleted(
        self, tmp_dir: TmpDir, dvc: Any, remote_worktree: Cloud
    ) -> None:
        """A file deleted on the remote out of band disappears from the workspace on update."""
        cloud = remote_worktree
        tmp_dir.dvc_gen({"data_dir": DATA_DIR})
        dvc.push()
        (cloud / "data_dir" / "data").unlink()

        dvc.update(["data_dir.dvc"])
        files = expect.files_by_relpath(expect.single_out(tmp_dir / "data_dir.dvc"))
        assert set(files) == {"data_sub_dir/data_sub", "empty"}
        assert not (tmp_dir / "data_dir" / "data").exists()
        assert (tmp_dir / "data_dir" / "data_sub_dir" / "data_sub").read_text() == "data_sub"
