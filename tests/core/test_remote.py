"""push / fetch / pull / status -c against real local-folder and memory remotes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from core_helpers import cache_file, md5, read_tree, remote_file, write_tree

from dvcremote.backend import open_backend
from dvcremote.errors import IntegrityError
from dvcremote.manifest import Manifest
from dvcremote.repo import Repo

DATA = {"a.txt": "alpha", "sub": {"b.bin": b"\x00\x01beta", "c": "gamma"}, "empty": ""}


def _wipe(workspace: Path, *paths: str) -> None:
    shutil.rmtree(workspace / ".dvc" / "cache", ignore_errors=True)
    for p in paths:
        full = workspace / p
        if full.is_dir():
            shutil.rmtree(full)
        elif full.exists():
            full.unlink()


def _ids(tree: dict[str, bytes]) -> set[str]:
    manifest = Manifest.build((rel, md5(data)) for rel, data in tree.items())
    return {manifest.oid} | {md5(d) for d in tree.values()}


def test_the_scenario(dvcrepo: Repo, workspace: Path, any_remote: str) -> None:
    write_tree(workspace, {"data": DATA, "model.bin": b"\x89model"})
    before = read_tree(workspace)
    dvcrepo.add(["data", "model.bin"])
    dvcrepo.remote_add("store", any_remote, default=True)
    ids = _ids(read_tree(workspace / "data")) | {md5(b"\x89model")}

    status = dvcrepo.status(cloud=True)
    assert status.new == ids and not (status.ok | status.deleted | status.missing)
    assert status.paths["data/sub/b.bin"] == "new" and status.paths["data"] == "new"
    assert not status.in_sync

    pushed = dvcrepo.push()
    assert pushed.transferred == ids and pushed.ok and pushed.up_to_date == 0
    assert dvcrepo.status(cloud=True).ok == ids and dvcrepo.status(cloud=True).in_sync

    _wipe(workspace, "data", "model.bin")
    status = Repo(workspace).status(cloud=True)
    assert status.deleted == ids and status.changed()["model.bin"] == "deleted"

    pulled = Repo(workspace).pull()
    assert pulled.ok and pulled.transferred == ids
    assert set(pulled.added) == {
        "data/a.txt",
        "data/sub/b.bin",
        "data/sub/c",
        "data/empty",
        "model.bin",
    }
    assert read_tree(workspace) == before | {
        "data.dvc": (workspace / "data.dvc").read_bytes(),
        "model.bin.dvc": (workspace / "model.bin.dvc").read_bytes(),
    }
    assert Repo(workspace).status(cloud=True).ok == ids


def test_only_missing_objects_move(dvcrepo: Repo, workspace: Path, any_remote: str) -> None:
    write_tree(workspace, {"data": {"x": "1", "y": "2"}})
    dvcrepo.add("data")
    dvcrepo.remote_add("store", any_remote, default=True)
    assert len(dvcrepo.push().transferred) == 3
    again = dvcrepo.push()
    assert again.transferred == frozenset() and again.up_to_date == 3
    (workspace / "data" / "z").write_text("3")
    dvcrepo.add("data")
    third = dvcrepo.push(jobs=1)
    assert len(third.transferred) == 2 and md5("3") in third.transferred
    fetched = dvcrepo.fetch()
    assert fetched.transferred == frozenset() and fetched.ok


def test_targets_limit_the_work(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> None:
    write_tree(workspace, {"foo": "foo", "bar": "bar", "data": {"x": "x"}})
    dvcrepo.add(["foo", "bar", "data"])
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    assert dvcrepo.push(["foo.dvc"]).transferred == {md5("foo")}
    assert dvcrepo.push([workspace / "bar"]).transferred == {md5("bar")}
    status = dvcrepo.status(["data"], cloud=True)
    assert set(status.paths) == {"data", "data/x"} and status.new
    # A path inside a tracked directory selects that directory's .dvc file.
    assert len(dvcrepo.push(["data/x"]).transferred) == 2
    _wipe(workspace, "foo", "bar")
    assert Repo(workspace).pull(["foo"]).added == ("foo",)
    assert not (workspace / "bar").exists()


def test_manifest_is_uploaded_only_after_all_its_files(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    write_tree(workspace, {"data": {"x": "xx", "y": "yy"}})
    added = dvcrepo.add("data")
    dir_oid = added.outputs[0].oid
    lost = cache_file(workspace, md5("yy"))
    lost.chmod(0o644)
    lost.unlink()
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    result = dvcrepo.push()
    assert result.transferred == {md5("xx")}
    assert result.missing == {md5("yy")}
    assert "not uploaded" in str(result.failed[dir_oid]) and not result.ok
    assert not remote_file(remote_dir, dir_oid).exists()
    # Restore the file: the next push finishes the job, manifest last.
    (workspace / "data" / "y").write_text("yy")
    Repo(workspace).add("data")
    done = Repo(workspace).push()
    assert done.transferred == {md5("yy"), dir_oid} and done.ok
    assert remote_file(remote_dir, dir_oid).read_bytes() == (
        Manifest.build([("x", md5("xx")), ("y", md5("yy"))]).to_bytes()
    )


def test_corrupt_download_is_refused_and_named(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    write_tree(workspace, {"data": {"good": "good", "bad": "bad"}, "foo": "foo"})
    dvcrepo.add(["data", "foo"])
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    dvcrepo.push()
    bad = md5("bad")
    target = remote_file(remote_dir, bad)
    target.chmod(0o644)
    target.write_bytes(b"evil bytes")
    _wipe(workspace, "data", "foo")

    result = Repo(workspace).pull()
    error = result.fetch.failed[bad]
    assert isinstance(error, IntegrityError)
    assert bad in str(error) and "files/md5/" + bad[:2] in str(error)
    assert not result.ok and bad in result.failed
    assert not cache_file(workspace, bad).exists()
    assert b"evil bytes" not in read_tree(workspace).values()
    assert (workspace / "data" / "good").read_text() == "good"
    assert "not in the cache" in result.checkout.failed["data/bad"]
    assert not list(Repo(workspace).cache.stray_tmp_files())

    target.write_bytes(b"bad")
    fixed = Repo(workspace).pull()
    assert fixed.ok and (workspace / "data" / "bad").read_text() == "bad"


def test_interrupted_fetch_leaves_nothing_half_done_and_resumes(
    dvcrepo: Repo, workspace: Path, any_remote: str
) -> None:
    files = {f"f{i}": f"content {i}" * 100 for i in range(12)}
    write_tree(workspace, {"data": files})
    dvcrepo.add("data")
    dvcrepo.remote_add("store", any_remote, default=True)
    dvcrepo.push()
    _wipe(workspace, "data")

    class Interrupt:
        """Progress that raises Ctrl-C after three objects, from inside the transfer."""

        count = 0

        def start(self, desc: str, total: int | None = None) -> None:
            pass

        def update(self, n: int = 1) -> None:
            self.count += n
            if self.count == 3:
                raise KeyboardInterrupt

        def close(self) -> None:
            pass

    repo = Repo(workspace)
    with pytest.raises(KeyboardInterrupt):
        repo.fetch(jobs=1, progress=Interrupt())
    cache = workspace / ".dvc" / "cache"
    for path in (cache / "files" / "md5").rglob("*"):
        if path.is_file():  # whatever landed is whole and verified
            assert md5(path.read_bytes()) == (path.parent.name + path.name).removesuffix(".dir")
    assert not list(Repo(workspace).cache.stray_tmp_files())

    resumed = Repo(workspace).pull()
    assert resumed.ok and read_tree(workspace / "data") == {k: v.encode() for k, v in files.items()}


def test_fetch_reports_objects_missing_on_remote(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    write_tree(workspace, {"foo": "foo", "bar": "bar"})
    dvcrepo.add(["foo", "bar"])
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    dvcrepo.push(["foo"])
    _wipe(workspace)
    result = Repo(workspace).fetch()
    assert result.transferred == {md5("foo")} and result.missing == {md5("bar")}
    assert not result.ok and not result.failed


def test_status_missing_directory_manifest(dvcrepo: Repo, workspace: Path, memory_url: str) -> None:
    write_tree(workspace, {"data": {"x": "x"}})
    dir_oid = dvcrepo.add("data").outputs[0].oid
    dvcrepo.remote_add("store", memory_url, default=True)
    _wipe(workspace)
    status = Repo(workspace).status(cloud=True)
    assert status.missing == {dir_oid} and status.paths == {"data": "missing"}


def test_status_reads_manifest_from_remote_without_caching_it(
    dvcrepo: Repo, workspace: Path, memory_url: str
) -> None:
    write_tree(workspace, {"data": {"x": "x", "y": "y"}})
    dir_oid = dvcrepo.add("data").outputs[0].oid
    dvcrepo.remote_add("store", memory_url, default=True)
    dvcrepo.push()
    _wipe(workspace)
    status = Repo(workspace).status(cloud=True)
    assert status.deleted == {dir_oid, md5("x"), md5("y")}
    assert not cache_file(workspace, dir_oid).exists()


def test_outputs_pinned_to_a_remote_go_there(
    dvcrepo: Repo, workspace: Path, memory_url: str, remote_dir: Path
) -> None:
    write_tree(workspace, {"foo": "foo", "bar": "bar"})
    dvcrepo.add(["foo", "bar"])
    text = (
        (workspace / "bar.dvc").read_text().replace("path: bar\n", "path: bar\n  remote: other\n")
    )
    (workspace / "bar.dvc").write_text(text)
    dvcrepo.remote_add("main", memory_url, default=True)
    dvcrepo.remote_add("other", str(remote_dir))
    result = dvcrepo.push()
    assert result.transferred == {md5("foo"), md5("bar")}
    assert remote_file(remote_dir, md5("bar")).exists()
    assert not remote_file(remote_dir, md5("foo")).exists()
    assert open_backend(memory_url).exists(f"files/md5/{md5('foo')[:2]}/{md5('foo')[2:]}")
    assert dvcrepo.status(cloud=True).in_sync
    # dvc's -r rules: an output pinned elsewhere is skipped; unpinned ones go to -r.
    assert dvcrepo.push(remote="main").transferred == frozenset()
    assert not open_backend(memory_url).exists(f"files/md5/{md5('bar')[:2]}/{md5('bar')[2:]}")
    assert dvcrepo.push(remote="other").transferred == {md5("foo")}


@pytest.mark.parametrize(
    "contents", [{"foo": "363", "bar": "jk8ssl"}, {"foo": "dvc", "bar": "cml"}]
)
@pytest.mark.parametrize("traverse", ["always", "never", ""])
def test_00_prefix_objects_are_never_lost(
    dvcrepo: Repo,
    workspace: Path,
    any_remote: str,
    contents: dict[str, str],
    traverse: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DVCREMOTE_TRAVERSE", traverse)
    assert md5("363").startswith("00") and md5("jk8ssl").startswith("0000")
    write_tree(workspace, contents)
    dvcrepo.add(list(contents))
    dvcrepo.remote_add("store", any_remote, default=True)
    ids = {md5(v) for v in contents.values()}
    assert dvcrepo.push().transferred == ids
    assert dvcrepo.status(cloud=True).ok == ids
    assert dvcrepo.push().transferred == frozenset()
    _wipe(workspace, *contents)
    assert Repo(workspace).status(cloud=True).deleted == ids
    pulled = Repo(workspace).pull()
    assert pulled.transferred == ids and set(pulled.added) == set(contents)
    for name, text in contents.items():
        assert (workspace / name).read_text() == text


def test_remote_jobs_config_is_used(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> None:
    write_tree(workspace, {"data": {f"f{i}": str(i) for i in range(20)}})
    dvcrepo.add("data")
    dvcrepo.remote_add("store", str(remote_dir), default=True, jobs=2)
    with dvcrepo.open_remote() as remote:
        assert remote.jobs(None) == 2 and remote.jobs(7) == 7
    assert len(dvcrepo.push().transferred) == 21


def test_push_counts_objects_only_on_the_remote_as_up_to_date(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    write_tree(workspace, {"foo": "foo", "bar": "bar"})
    dvcrepo.add(["foo", "bar"])
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    assert dvcrepo.push().ok
    # The cache loses one object that the remote still has (a partial pull, a gc'd
    # clone): that is not "missing", and the push has nothing to do.
    lost = cache_file(workspace, md5("bar"))
    lost.chmod(0o644)
    lost.unlink()
    again = Repo(workspace).push()
    assert again.missing == frozenset() and again.transferred == frozenset()
    assert again.up_to_date == 2 and again.ok
