"""dvc.lock outputs are tracked data: status, push, fetch, pull, checkout, gc, targets, add.

The pipeline is written by hand in DVC 3's form (dvc-pipelines.md sections 1, 2): the
outputs' objects are put in the cache by ``add``, then their ``.dvc`` files are swapped
for a ``dvc.yaml`` + ``dvc.lock``. The same shapes made by the real dvc are in
tests/interop/test_pipeline_interop.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from core_helpers import cache_file, md5, remote_file, snapshot, write_tree

from dvcremote.errors import DvcFileError, RepoError, TargetNotFound
from dvcremote.repo import Repo

TREE = {
    "data.xml": "raw",
    "prepared": {"a.tsv": "a", "b.tsv": "b"},
    "model.pkl": "model",
    "eval": {"notes.txt": "notes", "metrics.json": "m"},
    "results": {"r.txt": "r"},
    "gone.bin": "gone",
}
PIPELINE = {
    "stages": {
        "prepare": {"cmd": "prepare", "deps": ["data.xml"], "outs": ["prepared"]},
        "train": {"cmd": "train", "deps": ["prepared"], "outs": ["model.pkl"]},
        "evaluate": {
            "cmd": "evaluate",
            "deps": ["model.pkl"],
            "outs": [{"eval/notes.txt": {"push": False}}],
            "metrics": [{"eval/metrics.json": {"cache": False}}],
        },
    }
}
#: A second pipeline below the root whose stage runs in the root (``wdir: ..``).
SUB_PIPELINE = {"stages": {"report": {"cmd": "report", "wdir": "..", "outs": ["results/r.txt"]}}}


def _entry(added: dict[str, tuple[str, int, int | None]], path: str) -> dict[str, object]:
    oid, size, nfiles = added[path]
    item: dict[str, object] = {"path": path, "hash": "md5", "md5": oid, "size": size}
    if nfiles is not None:
        item["nfiles"] = nfiles
    return item


def _lock(
    stages: dict[str, list[dict[str, object]]],
    deps: dict[str, list[dict[str, object]]] | None = None,
) -> str:
    """A ``dvc.lock``: each stage's outs and, as dvc records them, its deps' hashes."""
    body: dict[str, dict[str, object]] = {}
    for name, outs in stages.items():
        body[name] = {"cmd": name}
        if deps and name in deps:
            body[name]["deps"] = deps[name]
        body[name]["outs"] = outs
    return yaml.safe_dump({"schema": "2.0", "stages": body}, sort_keys=False)


def make_pipeline(repo: Repo, ws: Path) -> dict[str, str]:
    """The workspace of ``TREE`` with its outputs recorded by two pipelines, the raw
    data by ``data.xml.dvc``; ``gone.bin`` is only in a lock entry of a stage that
    ``dvc.yaml`` no longer declares. Returns path -> object id."""
    write_tree(ws, TREE)
    paths = ["data.xml", "prepared", "model.pkl", "eval/notes.txt", "results/r.txt", "gone.bin"]
    added = {a.path: (a.oid, a.size, a.nfiles) for a in repo.add(paths).outputs}
    for path in paths[1:]:
        (ws / f"{path}.dvc").unlink()
    metrics = {"path": "eval/metrics.json", "hash": "md5", "md5": md5("m"), "size": 1}
    (ws / "dvc.yaml").write_text(yaml.safe_dump(PIPELINE, sort_keys=False))
    (ws / "dvc.lock").write_text(
        _lock(
            {
                "prepare": [_entry(added, "prepared")],
                "train": [_entry(added, "model.pkl")],
                "evaluate": [metrics, _entry(added, "eval/notes.txt")],
                "deleted-stage": [_entry(added, "gone.bin")],
            },
            {
                "prepare": [_entry(added, "data.xml")],
                "train": [_entry(added, "prepared")],
                "evaluate": [_entry(added, "model.pkl")],
            },
        )
    )
    (ws / "pipe").mkdir()
    (ws / "pipe" / "dvc.yaml").write_text(yaml.safe_dump(SUB_PIPELINE, sort_keys=False))
    (ws / "pipe" / "dvc.lock").write_text(_lock({"report": [_entry(added, "results/r.txt")]}))
    return {path: oid for path, (oid, _, _) in added.items()}


@pytest.fixture
def piped(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> dict[str, str]:
    oids = make_pipeline(dvcrepo, workspace)
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    return oids


def _objects(root: Path) -> set[str]:
    base = root / "files" / "md5"
    return {f"{p.parent.name}{p.name}" for p in base.rglob("*") if p.is_file()}


#: Objects of the outputs a push sends: every cached, pushable one (not notes, push: false).
def _pushed(oids: dict[str, str]) -> set[str]:
    return {
        oids["data.xml"], oids["prepared"], md5("a"), md5("b"),
        oids["model.pkl"], oids["results/r.txt"],
    }


def test_push_and_status_cloud_cover_lock_outputs(
    dvcrepo: Repo, piped: dict[str, str], remote_dir: Path
) -> None:
    before = dvcrepo.status(cloud=True)
    assert set(before.paths) == {
        "data.xml", "prepared", "prepared/a.tsv", "prepared/b.tsv", "model.pkl", "results/r.txt",
    }, "push: false (eval/notes.txt) and cache: false (eval/metrics.json) are never compared"
    assert set(before.paths.values()) == {"new"}
    summary = dvcrepo.push()
    assert summary.ok
    assert _objects(remote_dir) == _pushed(piped)
    assert dvcrepo.status(cloud=True).in_sync


def test_fetch_and_pull_lock_outputs_by_path_and_stage_name(
    dvcrepo: Repo, piped: dict[str, str], workspace: Path
) -> None:
    assert dvcrepo.push().ok
    shutil.rmtree(workspace / ".dvc" / "cache")
    for path in ("model.pkl", "results/r.txt"):
        (workspace / path).unlink()
    shutil.rmtree(workspace / "prepared")

    fetched = dvcrepo.fetch(["model.pkl"])
    assert fetched.transferred == {piped["model.pkl"]}
    assert cache_file(workspace, piped["model.pkl"]).is_file()

    pulled = dvcrepo.pull(["train"])  # a stage name, in the current folder (the root)
    assert pulled.ok and (workspace / "model.pkl").read_text() == "model"
    assert not (workspace / "prepared").exists()

    assert dvcrepo.pull(["dvc.yaml:prepare"]).ok
    assert (workspace / "prepared" / "b.tsv").read_text() == "b"
    assert dvcrepo.pull(["pipe/dvc.yaml:report"]).ok
    assert (workspace / "results" / "r.txt").read_text() == "r"
    with pytest.raises(TargetNotFound):
        dvcrepo.pull(["no-such-stage"])
    with pytest.raises(TargetNotFound):
        dvcrepo.pull(["dvc.yaml:no-such-stage"])


def test_workspace_status_and_checkout_of_lock_outputs(
    dvcrepo: Repo, piped: dict[str, str], workspace: Path
) -> None:
    assert dvcrepo.status().clean
    (workspace / "model.pkl").unlink()
    (workspace / "prepared" / "a.tsv").chmod(0o644)
    (workspace / "prepared" / "a.tsv").write_text("changed")
    assert dvcrepo.status().changes == {"model.pkl": "deleted", "prepared": "modified"}
    result = dvcrepo.checkout(force=True)
    assert result.ok
    assert (workspace / "model.pkl").read_text() == "model"
    assert (workspace / "prepared" / "a.tsv").read_text() == "a"
    assert dvcrepo.status().clean


def test_gc_keeps_every_lock_output(
    dvcrepo: Repo, piped: dict[str, str], workspace: Path, remote_dir: Path
) -> None:
    """Only the object of the stage dvc.yaml no longer declares goes, as with dvc."""
    assert dvcrepo.push().ok
    (result,) = dvcrepo.gc(workspace=True, force=True)
    assert result.removed == {piped["gone.bin"]}
    kept = _pushed(piped) | {piped["eval/notes.txt"]}
    assert all(cache_file(workspace, oid).is_file() for oid in kept)
    results = dvcrepo.gc(workspace=True, cloud=True, force=True)
    assert results[1].removed == frozenset()
    assert _objects(remote_dir) == _pushed(piped)


def test_add_refuses_a_stage_output(dvcrepo: Repo, piped: dict[str, str], workspace: Path) -> None:
    before = snapshot(workspace)
    with pytest.raises(
        RepoError,
        match=re.escape(
            "cannot update 'model.pkl': overlaps with an output of stage: 'train' in"
            " 'dvc.yaml'. Run the pipeline or use 'dvc commit' to force update it."
        ),
    ):
        dvcrepo.add("model.pkl")
    with pytest.raises(RepoError, match="stage: 'prepare'"):
        dvcrepo.add("prepared/a.tsv")
    with pytest.raises(RepoError, match=re.escape("stage: 'report' in 'pipe/dvc.yaml'")):
        dvcrepo.add("results/r.txt")
    assert snapshot(workspace) == before


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("lock", ("model.pkl", "../outside.pkl")),
        ("lock", ("model.pkl", "/etc/passwd")),
        ("lock", ("model.pkl", "a/../../outside")),
        ("yaml", ("    outs:\n    - model.pkl", "    wdir: ../..\n    outs:\n    - model.pkl")),
    ],
)
def test_hostile_lock_paths_are_refused_before_any_work(
    dvcrepo: Repo,
    piped: dict[str, str],
    workspace: Path,
    where: str,
    change: tuple[str, str],
) -> None:
    name = "dvc.lock" if where == "lock" else "dvc.yaml"
    text = (workspace / name).read_text()
    assert change[0] in text
    (workspace / name).write_text(text.replace(change[0], change[1], 1))
    before = snapshot(workspace)
    for run in (
        dvcrepo.status,
        lambda: dvcrepo.status(cloud=True),
        dvcrepo.push,
        dvcrepo.pull,
        lambda: dvcrepo.gc(workspace=True, force=True),
        lambda: dvcrepo.checkout(force=True),
    ):
        with pytest.raises(DvcFileError, match=r"dvc\.lock"):
            run()
    assert snapshot(workspace) == before
    assert not (workspace.parent / "outside.pkl").exists()
    assert not remote_file(workspace.parent / "remote", piped["model.pkl"]).exists()


def test_gc_with_history_keeps_a_lock_only_a_commit_holds(
    git_repo: Repo, workspace: Path
) -> None:
    oids = make_pipeline(git_repo, workspace)
    git = git_repo.git
    assert git is not None
    git.add(["dvc.yaml", "dvc.lock", "pipe/dvc.yaml", "pipe/dvc.lock"])
    git.commit("pipeline")
    git.remove(["dvc.lock"])
    git.commit("lock deleted")
    (result,) = git_repo.gc(revs="HEAD~1", force=True)
    assert oids["model.pkl"] not in result.removed
    assert cache_file(workspace, oids["model.pkl"]).is_file()
    assert cache_file(workspace, md5("a")).is_file()
    (result,) = git_repo.gc(workspace=True, force=True)
    assert oids["model.pkl"] in result.removed  # the workspace alone no longer records it
    assert oids["results/r.txt"] not in result.removed


def test_cli_stage_targets_and_add_refusal(
    dvcrepo: Repo, piped: dict[str, str], workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dvcremote.cli import EXIT_FAILED, EXIT_OK, main

    assert main(["push", "train"]) == EXIT_OK
    assert main(["add", "model.pkl"]) == EXIT_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "ERROR: cannot update 'model.pkl': overlaps with an output of stage: 'train' in"
        " 'dvc.yaml'. Run the pipeline or use 'dvc commit' to force update it."
    ]
    (workspace / "model.pkl").unlink()
    shutil.rmtree(workspace / ".dvc" / "cache")
    assert main(["pull", "train"]) == EXIT_OK
    assert (workspace / "model.pkl").read_text() == "model"


def test_version_aware_push_records_versions_in_the_lock(
    dvcrepo: Repo, workspace: Path, tmp_path: Path
) -> None:
    """As dvc does: the lock entry gains ``cloud:`` (a file) or ``files:`` (a directory);
    the other stages' entries and dvc.yaml stay as they were, and a pull gets it back."""
    make_pipeline(dvcrepo, workspace)
    store = tmp_path / "store"
    store.mkdir()
    dvcrepo.remote_add("store", str(store), default=True, versioning=True, version_aware=True)
    pipeline_before = (workspace / "dvc.yaml").read_bytes()
    assert dvcrepo.push(["train", "dvc.yaml:prepare"]).ok
    lock = yaml.safe_load((workspace / "dvc.lock").read_text())
    (model,) = lock["stages"]["train"]["outs"]
    assert model["path"] == "model.pkl" and "version_id" in model["cloud"]["store"]
    (prepared,) = lock["stages"]["prepare"]["outs"]
    assert sorted(f["relpath"] for f in prepared["files"]) == ["a.tsv", "b.tsv"]
    assert "cloud" not in lock["stages"]["evaluate"]["outs"][1]  # not pushed, not touched
    assert (workspace / "dvc.yaml").read_bytes() == pipeline_before
    shutil.rmtree(workspace / ".dvc" / "cache")
    (workspace / "model.pkl").unlink()
    with Repo(workspace) as fresh:
        assert fresh.pull(["train"]).ok
    assert (workspace / "model.pkl").read_text() == "model"
