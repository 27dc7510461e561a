"""The run cache's names and files (issue 13): dvc's key and value, dvc's bytes and
layout, newest-first lookup, and entries that are hostile input refused by name.

The key/value of entries the real dvc wrote are recomputed in
tests/interop/test_run_cache_interop.py (where the ``real_dvc`` fixture lives)."""

from __future__ import annotations

import copy
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from core_helpers import md5

from dvcremote import yamlio
from dvcremote.backend.base import Backend
from dvcremote.errors import InvalidRunCacheEntry
from dvcremote.objects import Obj
from dvcremote.repo import Repo
from dvcremote.runcache import (
    RunCache,
    entry_relpath,
    run_key,
    run_value,
    split_relpath,
)
from dvcremote_testing.dvc import run_dvcremote

FOO = "acbd18db4cc2f85cedef654fccc4a4d8"
#: The copy stage of dvc-pipelines.md (§2, §4): ``cp foo bar`` after ``dvc repro``.
COPY: dict[str, Any] = {
    "cmd": "cp foo bar",
    "deps": [{"path": "foo", "hash": "md5", "md5": FOO, "size": 3}],
    "outs": [{"path": "bar", "hash": "md5", "md5": FOO, "size": 3}],
}
COPY_KEY = "01ed51fe6b14d516fc62728295078575ca21f34fc9997278e59c20adf906d93f"
COPY_VALUE = "6e64d552a9859b3fe8205a9b27bb60d5ce21eea3a7efa2ecae0f4ec3139ec41a"
#: dvc.lock's bytes for the stage (reference §2), whose entry is the run-cache file.
COPY_LOCK = (
    "schema: '2.0'\nstages:\n  copy:\n    cmd: cp foo bar\n    deps:\n    - path: foo\n"
    "      hash: md5\n      md5: acbd18db4cc2f85cedef654fccc4a4d8\n      size: 3\n"
    "    outs:\n    - path: bar\n      hash: md5\n      md5: acbd18db4cc2f85cedef654fccc4a4d8\n"
    "      size: 3\n"
)


def _entry_bytes_from_lock(lock: str) -> bytes:
    """The lock entry of its one stage, 4 fewer spaces of indent (reference §4)."""
    body = lock.split("  copy:\n", 1)[1]
    return "".join(line[4:] + "\n" for line in body.splitlines()).encode()


def _variant(**changes: Any) -> dict[str, Any]:
    entry = copy.deepcopy(COPY)
    entry.update(changes)
    return entry


def test_copy_stage_key_and_value_are_dvcs() -> None:
    assert run_key(COPY) == COPY_KEY
    assert run_value(COPY) == COPY_VALUE


def test_size_and_nfiles_leave_both_names_at_any_depth_isexec_does_not() -> None:
    bigger = copy.deepcopy(COPY)
    bigger["outs"][0]["size"] = 99
    bigger["outs"][0]["nfiles"] = 7
    bigger["params"] = {"params.yaml": {"train": {"size": 1, "lr": 2}}}
    same_params = copy.deepcopy(bigger)
    same_params["params"]["params.yaml"]["train"]["size"] = 12345
    assert run_value(bigger) == run_value(same_params)
    assert run_key(bigger) == run_key(same_params)
    assert run_value({**COPY, "outs": bigger["outs"]}) == COPY_VALUE

    executable = copy.deepcopy(COPY)
    executable["outs"][0]["isexec"] = True
    assert run_value(executable) != COPY_VALUE
    assert run_key(executable) == COPY_KEY


def test_key_names_out_paths_only_value_names_their_hashes() -> None:
    other_result = copy.deepcopy(COPY)
    other_result["outs"][0]["md5"] = "0" * 32
    assert run_key(other_result) == COPY_KEY
    assert run_value(other_result) != COPY_VALUE
    assert run_key(_variant(outs=[{"path": "baz"}])) != COPY_KEY
    assert run_key(_variant(cmd=["cp foo bar"])) != COPY_KEY  # str vs list counts


def test_save_writes_dvcs_bytes_at_dvcs_path_mode_0644(tmp_path: Path) -> None:
    runs = RunCache(tmp_path / "cache")
    path = runs.save(COPY)
    assert path == str(tmp_path / "cache" / "runs" / COPY_KEY[:2] / COPY_KEY / COPY_VALUE)
    assert Path(path).read_bytes() == _entry_bytes_from_lock(COPY_LOCK)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(tmp_path / "cache" / ".dvcremote-tmp") == []  # the temp was renamed


def test_save_leaves_an_existing_entry_alone_and_replaces_a_corrupt_one(tmp_path: Path) -> None:
    runs = RunCache(tmp_path)
    path = runs.save(COPY)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert runs.save(copy.deepcopy(COPY)) == path
    assert os.stat(path).st_mtime_ns == 1_000_000_000, "dvc does not touch an existing entry"

    Path(path).write_text("cmd: [unclosed\n")
    runs.save(COPY)
    assert Path(path).read_bytes() == _entry_bytes_from_lock(COPY_LOCK)


def test_lookup_takes_the_newest_entry_under_the_stage_key(tmp_path: Path) -> None:
    runs = RunCache(tmp_path)
    assert runs.lookup(COPY) is None
    old = runs.save(COPY)
    second = _variant(outs=[{"path": "bar", "hash": "md5", "md5": "1" * 32, "size": 5}])
    new = runs.save(second)
    os.utime(old, ns=(2_000_000_000, 2_000_000_000))
    os.utime(new, ns=(3_000_000_000, 3_000_000_000))
    # The stage asking needs its cmd, deps and out paths only.
    asking = _variant(outs=[{"path": "bar"}])
    assert runs.lookup(asking) == second
    os.utime(old, ns=(4_000_000_000, 4_000_000_000))
    assert runs.lookup(asking) == COPY
    assert runs.lookup(_variant(outs=[{"path": "other"}])) is None


def test_entries_lists_the_layout_only(tmp_path: Path) -> None:
    runs = RunCache(tmp_path)
    runs.save(COPY)
    key_dir = tmp_path / "runs" / COPY_KEY[:2] / COPY_KEY
    (key_dir / "notes.txt").write_text("stray")
    (tmp_path / "runs" / "zz").mkdir()
    (tmp_path / "runs" / "stray").write_text("x")
    assert list(runs.entries()) == [(entry_relpath(COPY_KEY, COPY_VALUE), COPY)]


@pytest.mark.parametrize(
    "relpath",
    [
        f"runs/{COPY_KEY[:2]}/{COPY_KEY}/{COPY_VALUE}/x",
        f"runs/{COPY_KEY[:2]}/{COPY_KEY}/..",
        f"runs/ff/{COPY_KEY}/{COPY_VALUE}",
        f"files/{COPY_KEY[:2]}/{COPY_KEY}/{COPY_VALUE}",
        f"runs/../{COPY_KEY}/{COPY_VALUE}",
        f"runs/{COPY_KEY[:2].upper()}/{COPY_KEY.upper()}/{COPY_VALUE}",
    ],
)
def test_split_relpath_refuses_anything_but_the_layout(relpath: str) -> None:
    assert split_relpath(relpath) is None


def _store(root: Path, text: str | bytes, key: str = COPY_KEY, value: str = COPY_VALUE) -> Path:
    path = root / "runs" / key[:2] / key / value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _dump(entry: dict[str, Any]) -> str:
    return yamlio.dumps(entry)


def _alias_bomb() -> str:
    lines = ["params:", "  p.yaml:", "    l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return _dump(COPY) + "\n".join(lines) + "\n"


#: name -> (file text, words the error must contain)
MALFORMED: dict[str, tuple[str, str]] = {
    "not yaml": ("cmd: [unclosed\n", "not valid YAML"),
    "not a mapping": ("- a\n- b\n", "expected a mapping"),
    "extra key": (_dump(_variant(frozen=True)), "unexpected keys"),
    "no cmd": (_dump({k: v for k, v in COPY.items() if k != "cmd"}), "'cmd'"),
    "no outs": (_dump({k: v for k, v in COPY.items() if k != "outs"}), "'outs'"),
    "out without md5": (_dump(_variant(outs=[{"path": "bar", "hash": "md5"}])), "no md5"),
    "bad md5": (_dump(_variant(outs=[{"path": "bar", "md5": "../../x"}])), "not an md5"),
    "absolute out": (_dump(_variant(outs=[{"path": "/etc/passwd", "md5": FOO}])), "posix"),
    "out in .git": (
        _dump(_variant(outs=[{"path": "../.git/hooks/post-checkout", "md5": FOO}])),
        "inside .git/",
    ),
    "out in .dvc": (_dump(_variant(outs=[{"path": ".DVC/config", "md5": FOO}])), "inside .DVC/"),
    "out is a dvc file": (
        _dump(_variant(outs=[{"path": "dvc.lock", "md5": FOO}])),
        "is a DVC file",
    ),
    "unsafe relpath in files": (
        _dump(
            _variant(
                outs=[
                    {
                        "path": "d",
                        "md5": FOO + ".dir",
                        "files": [{"relpath": "../../x", "md5": FOO}],
                    }
                ]
            )
        ),
        "escapes",
    ),
    "deep nesting": (
        _dump(COPY) + "params:\n" + "".join(" " * (2 + i) + f"k{i}:\n" for i in range(150)),
        "nested deeper",
    ),
    "alias bomb": (_alias_bomb(), "alias bomb"),
    "date": (_dump(COPY) + "params:\n  p.yaml:\n    when: 2024-01-01\n", "cannot be hashed"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_entry_is_an_error_naming_it_and_never_returned(
    tmp_path: Path, case: str
) -> None:
    text, words = MALFORMED[case]
    path = _store(tmp_path, text)
    runs = RunCache(tmp_path)
    with pytest.raises(InvalidRunCacheEntry) as info:
        runs.lookup(COPY)
    assert info.value.path == str(path)
    assert str(path) in str(info.value) and words in str(info.value)
    with pytest.raises(InvalidRunCacheEntry):
        list(runs.entries())
    bad: list[InvalidRunCacheEntry] = []
    assert runs.lookup(COPY, bad) is None
    assert list(runs.entries(bad)) == []
    assert [e.path for e in bad] == [str(path), str(path)]
    assert path.read_text() == text, "nothing is deleted or rewritten"


def test_an_entry_stored_under_another_stages_key_is_refused(tmp_path: Path) -> None:
    """A remote could file an entry writing ``.bashrc`` under the key of a stage that
    writes ``bar``: the key is recomputed, so it is never restored for that stage."""
    hostile = _variant(outs=[{"path": "../.bashrc", "hash": "md5", "md5": FOO}])
    path = _store(tmp_path, _dump(hostile), COPY_KEY, run_value(hostile))
    with pytest.raises(InvalidRunCacheEntry, match=f"stored under key {COPY_KEY}"):
        RunCache(tmp_path).lookup(COPY)
    assert path.exists()


def test_an_entry_whose_content_is_not_its_name_is_refused(tmp_path: Path) -> None:
    other = _variant(outs=[{"path": "bar", "hash": "md5", "md5": "2" * 32, "size": 3}])
    _store(tmp_path, _dump(other), COPY_KEY, COPY_VALUE)
    with pytest.raises(InvalidRunCacheEntry, match="not to its name"):
        RunCache(tmp_path).lookup(COPY)


def test_lookup_with_a_bad_list_falls_back_to_the_next_newest_valid_entry(
    tmp_path: Path,
) -> None:
    runs = RunCache(tmp_path)
    good = Path(runs.save(COPY))
    broken = _store(tmp_path, "cmd: [\n", COPY_KEY, "f" * 64)
    os.utime(good, ns=(1_000_000_000, 1_000_000_000))
    os.utime(broken, ns=(2_000_000_000, 2_000_000_000))
    bad: list[InvalidRunCacheEntry] = []
    assert runs.lookup(COPY, bad) == COPY
    assert [e.path for e in bad] == [str(broken)]


def test_save_refuses_an_entry_it_could_never_restore(tmp_path: Path) -> None:
    runs = RunCache(tmp_path)
    with pytest.raises(InvalidRunCacheEntry, match="no md5"):
        runs.save(_variant(outs=[{"path": "bar", "hash": "md5"}]))
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------- push / fetch / gc
def _entry_only_object(repo: Repo, ws: Path) -> tuple[dict[str, Any], str]:
    """A run-cache entry whose output object is in the cache but named by no ``.dvc``
    file or lock (as after ``repro`` ran the stage on other inputs since)."""
    (ws / "result").write_text("result")
    repo.add("result")
    (ws / "result.dvc").unlink()
    oid = md5("result")
    entry = _variant(outs=[{"path": "bar", "hash": "md5", "md5": oid, "size": 6}])
    repo.run_cache.save(entry)
    return entry, oid


def _pushed_entry(repo: Repo, ws: Path, remote_dir: Path) -> tuple[dict[str, Any], str]:
    """:func:`_entry_only_object`, pushed with its object to a new default remote."""
    repo.remote_add("store", str(remote_dir), default=True)
    entry, oid = _entry_only_object(repo, ws)
    repo.push(run_cache=True)
    return entry, oid


def _backend(repo: Repo, name: str | None = None) -> Backend:
    return repo.open_remote_backend(repo.config.remote(name))


def _remote_files(repo: Repo, name: str | None = None) -> dict[str, bytes]:
    with _backend(repo, name) as backend:
        return {
            info.path: backend.read_bytes(info.path)
            for info in backend.list_files("", recursive=True)
        }


def _local_runs(repo: Repo) -> dict[str, bytes]:
    runs = repo.run_cache
    return {rel: Path(runs.root, rel).read_bytes() for rel in runs.relpaths()}


def test_push_run_cache_sends_the_entries_and_the_objects_they_name(
    dvcrepo: Repo, workspace: Path, any_remote: str
) -> None:
    dvcrepo.remote_add("store", any_remote, default=True)
    entry, oid = _entry_only_object(dvcrepo, workspace)
    relpath = entry_relpath(run_key(entry), run_value(entry))
    object_path = f"files/md5/{oid[:2]}/{oid[2:]}"

    plain = dvcrepo.push()
    assert plain.runs == frozenset() and plain.runs_skipped is None
    assert object_path not in _remote_files(dvcrepo), "dvc's push sends no run-cache object"

    summary = dvcrepo.push(run_cache=True)
    assert summary.ok and summary.runs == {relpath}
    assert summary.transferred == {oid}
    remote = _remote_files(dvcrepo)
    assert remote[relpath] == _local_runs(dvcrepo)[relpath]
    assert remote[object_path] == b"result"

    again = dvcrepo.push(run_cache=True)
    assert again.runs == {relpath}, "entries are copied on every push, as dvc"
    assert again.transferred == frozenset() and again.up_to_date == 1


def test_fetch_run_cache_brings_the_remote_entries_back(
    dvcrepo: Repo, workspace: Path, any_remote: str
) -> None:
    dvcrepo.remote_add("store", any_remote, default=True)
    entry, _ = _entry_only_object(dvcrepo, workspace)
    dvcrepo.run_cache.save(COPY)
    dvcrepo.push(run_cache=True)
    pushed = _local_runs(dvcrepo)
    shutil.rmtree(workspace / ".dvc" / "cache" / "runs")

    summary = dvcrepo.fetch(run_cache=True)
    assert summary.ok and summary.runs == set(pushed)
    assert _local_runs(dvcrepo) == pushed
    assert dvcrepo.run_cache.lookup(entry) in (entry, COPY)  # both results of one stage
    mode = stat.S_IMODE(os.stat(Path(dvcrepo.run_cache.root, sorted(pushed)[0])).st_mode)
    assert mode == 0o644

    assert dvcrepo.fetch(run_cache=True).runs == frozenset(), "valid entries stay as they are"
    assert dvcrepo.pull(run_cache=True).fetch.runs == frozenset()


def test_fetch_run_cache_never_takes_an_invalid_remote_entry(
    dvcrepo: Repo, workspace: Path, any_remote: str
) -> None:
    dvcrepo.remote_add("store", any_remote, default=True)
    hostile = _variant(outs=[{"path": "../.bashrc", "hash": "md5", "md5": FOO}])
    swapped = entry_relpath(COPY_KEY, run_value(hostile))  # under the copy stage's key
    broken = entry_relpath(COPY_KEY, "e" * 64)
    good = entry_relpath(COPY_KEY, COPY_VALUE)
    with _backend(dvcrepo) as backend:
        backend.write(swapped, _dump(hostile).encode())
        backend.write(broken, b"cmd: [\n")
        backend.write(good, _dump(COPY).encode())
        backend.write("runs/zz/stray", b"not an entry")

    summary = dvcrepo.fetch(run_cache=True)
    assert summary.runs == {good}
    assert set(summary.runs_failed) == {swapped, broken} and not summary.ok
    assert all(isinstance(e, InvalidRunCacheEntry) for e in summary.runs_failed.values())
    assert "stored under key" in str(summary.runs_failed[swapped])
    assert f"{swapped} on remote store" in str(summary.runs_failed[swapped])
    assert list(_local_runs(dvcrepo)) == [good]
    assert os.listdir(workspace / ".dvc" / "cache" / ".dvcremote-tmp") == []

    proc = run_dvcremote("fetch", "--run-cache", cwd=workspace, check=False)
    assert proc.returncode == 3
    assert f"ERROR: {broken}: cannot use '{broken} on remote store'" in proc.stderr
    assert "0 run-cache entries fetched" in proc.stdout


def test_push_run_cache_reports_an_invalid_local_entry_and_sends_the_rest(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    dvcrepo.run_cache.save(COPY)
    broken = _store(workspace / ".dvc" / "cache", "cmd: [\n", COPY_KEY, "e" * 64)
    summary = dvcrepo.push(run_cache=True)
    good = entry_relpath(COPY_KEY, COPY_VALUE)
    assert summary.runs == {good}
    assert list(summary.runs_failed) == [entry_relpath(COPY_KEY, "e" * 64)]
    assert not (remote_dir / "runs" / COPY_KEY[:2] / COPY_KEY / broken.name).exists()
    proc = run_dvcremote("push", "--run-cache", cwd=workspace, check=False)
    assert proc.returncode == 3 and "not valid YAML" in proc.stderr
    assert "1 file pushed" in proc.stdout, "dvc counts run-cache files among files pushed"


@pytest.mark.parametrize("kind", ["version_aware", "worktree"])
def test_a_version_aware_remote_keeps_no_run_cache_and_says_so(
    dvcrepo: Repo, workspace: Path, tmp_path: Path, kind: str
) -> None:
    store = tmp_path / "versioned"
    store.mkdir()
    dvcrepo.remote_add("va", str(store), default=True, versioning=True, **{kind: True})
    _entry_only_object(dvcrepo, workspace)
    said = f"remote 'va' is {kind.replace('_', '-')}"

    summary = dvcrepo.push(run_cache=True)
    assert summary.runs == frozenset() and summary.ok
    assert summary.runs_skipped is not None and said in summary.runs_skipped
    assert _remote_files(dvcrepo) == {}, "no runs/, and no entry object at a workspace path"
    fetched = dvcrepo.fetch(run_cache=True)
    assert fetched.runs_skipped == summary.runs_skipped

    proc = run_dvcremote("push", "--run-cache", cwd=workspace)
    assert f"WARNING: run cache not pushed: {said}" in proc.stderr
    proc = run_dvcremote("pull", "--run-cache", cwd=workspace)
    assert f"WARNING: run cache not fetched: {said}" in proc.stderr


def test_gc_run_cache_keeps_the_objects_entries_name(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    _, oid = _pushed_entry(dvcrepo, workspace, remote_dir)
    runs_before = _local_runs(dvcrepo)
    remote_runs = sorted(
        p.relative_to(remote_dir).as_posix()
        for p in (remote_dir / "runs").rglob("*")
        if p.is_file()
    )
    obj = Obj(oid)

    kept = dvcrepo.gc(workspace=True, cloud=True, force=True, run_cache=True)
    assert [r.removed for r in kept] == [frozenset(), frozenset()]
    assert dvcrepo.cache.exists(obj) and (remote_dir / obj.relpath()).exists()
    proc = run_dvcremote("gc", "-w", "-c", "-f", "--run-cache", cwd=workspace)
    assert "Removed 0 objects from the cache" in proc.stdout
    assert dvcrepo.cache.exists(obj) and (remote_dir / obj.relpath()).exists()

    proc = run_dvcremote("gc", "-w", "-c", "-f", cwd=workspace)
    assert "Removed 1 object from the cache" in proc.stdout
    assert not dvcrepo.cache.exists(obj) and not (remote_dir / obj.relpath()).exists()
    assert _local_runs(dvcrepo) == runs_before, "gc never touches runs/"
    assert (
        sorted(
            p.relative_to(remote_dir).as_posix()
            for p in (remote_dir / "runs").rglob("*")
            if p.is_file()
        )
        == remote_runs
    )


def test_fetch_run_outputs_brings_the_objects_a_found_entry_names(
    dvcrepo: Repo, workspace: Path, remote_dir: Path
) -> None:
    """What ``repro --pull`` needs: the entries first, then a found entry's data."""
    entry, oid = _pushed_entry(dvcrepo, workspace, remote_dir)
    shutil.rmtree(workspace / ".dvc" / "cache")

    assert dvcrepo.fetch_run_cache().runs == {entry_relpath(run_key(entry), run_value(entry))}
    found = dvcrepo.run_cache.lookup(entry)
    assert found == entry and not dvcrepo.cache.exists(Obj(oid))
    summary = dvcrepo.fetch_run_outputs(found)
    assert summary.ok and summary.transferred == {oid}
    assert Path(dvcrepo.cache.path(Obj(oid))).read_text() == "result"
