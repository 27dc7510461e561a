"""How long collecting ``.dvc`` files over a 1,000-commit history takes (issue 7: under 2 s).

Builds a history with pygit2 where every commit touches exactly one ``.dvc`` file
(trees written directly with TreeBuilder, no work tree), then times
``select_revisions(all_commits=True)`` + ``DvcfileReader.collect`` (and a YAML
parse of each distinct blob), against a naive reader that walks every commit's
full tree and re-reads every blob, and ``git log -p`` when git is installed.

    .venv/bin/python bench/bench_scm_history.py [--commits 1000] [--mode add|modify|both]

``add``: each commit adds a new file (1,000 files at the end, ~500,000 places).
``modify``: each commit edits one of 100 files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping

import pygit2
import yaml
from pygit2.enums import FileMode

from dvcremote.scm import DvcfileReader, Git, select_revisions

FOLDERS = 20
FILES_PER_FOLDER_MODIFY = 5
STATIC_FILES = 200

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dvcfile(name: str, version: int) -> bytes:
    md5 = hashlib.md5(f"{name}:{version}".encode()).hexdigest()
    out = name.rsplit("/", 1)[-1].removesuffix(".dvc")
    return f"outs:\n- md5: {md5}\n  size: {version + 1}\n  hash: md5\n  path: {out}\n".encode()


def _tree(repo: pygit2.Repository, entries: Mapping[str, tuple[pygit2.Oid, int]]) -> pygit2.Oid:
    builder = repo.TreeBuilder()
    for name, (oid, mode) in entries.items():
        builder.insert(name, oid, mode)
    return builder.write()


def build_history(path: str, commits: int, mode: str) -> pygit2.Repository:
    """A ``main`` branch of ``commits`` commits, each changing one ``.dvc`` file."""
    repo = pygit2.init_repository(path, initial_head="main")
    blob = FileMode.BLOB
    src = {f"m{i:03}.py": (repo.create_blob(f"x = {i}\n"), blob) for i in range(STATIC_FILES)}
    dvc_dir = {"config": (repo.create_blob(b"[core]\n    remote = r\n"), blob)}
    root: dict[str, tuple[pygit2.Oid, int]] = {
        ".dvc": (_tree(repo, dvc_dir), FileMode.TREE),
        "src": (_tree(repo, src), FileMode.TREE),
        "README.md": (repo.create_blob(b"bench\n"), blob),
    }
    folders: list[dict[str, tuple[pygit2.Oid, int]]] = [{} for _ in range(FOLDERS)]
    data: dict[str, tuple[pygit2.Oid, int]] = {}
    versions: dict[str, int] = {}
    parents: list[pygit2.Oid] = []
    for k in range(commits):
        folder = 0 if mode == "flat" else k % FOLDERS
        if mode in ("add", "flat"):
            name = f"f{k:05}.dvc"
        else:
            name = f"f{(k // FOLDERS) % FILES_PER_FOLDER_MODIFY}.dvc"
        key = f"{folder}/{name}"
        versions[key] = versions.get(key, -1) + 1
        folders[folder][name] = (repo.create_blob(_dvcfile(key, versions[key])), blob)
        data[f"d{folder:02}"] = (_tree(repo, folders[folder]), FileMode.TREE)
        root["data"] = (_tree(repo, data), FileMode.TREE)
        signature = pygit2.Signature("bench", "bench@localhost", 1_700_000_000 + k, 0)
        commit = repo.create_commit(
            "refs/heads/main", signature, signature, f"c{k}", _tree(repo, root), parents
        )
        parents = [commit]
    return repo


def pack(path: str) -> None:
    """Move every object into one pack file, as a clone or ``git gc`` leaves a repository."""
    repo = pygit2.Repository(path)
    repo.pack()
    objects = os.path.join(repo.path, "objects")
    for name in os.listdir(objects):
        if len(name) == 2:
            shutil.rmtree(os.path.join(objects, name))


def _ours(path: str, parse: bool) -> tuple[int, int]:
    git = Git(pygit2.Repository(path))
    reader = DvcfileReader(git)
    revisions = select_revisions(git, all_commits=True)
    if parse:
        parsed = reader.parse(revisions, lambda data: yaml.load(data, Loader=_Loader))
        return len(parsed), sum(len(p.blob.places) for p in parsed.values())
    blobs = reader.collect(revisions)
    return len(blobs), sum(len(b.places) for b in blobs.values())


def _naive(path: str) -> tuple[int, int]:
    """Walk every commit's whole tree and read every ``.dvc`` blob again."""
    repo = pygit2.Repository(path)
    distinct: set[pygit2.Oid] = set()
    places = 0

    def walk(tree: pygit2.Tree) -> None:
        nonlocal places
        for entry in tree:
            if isinstance(entry, pygit2.Tree):
                if entry.name != ".dvc":
                    walk(entry)
            elif entry.name and entry.name.endswith(".dvc"):
                assert isinstance(entry, pygit2.Blob)
                _ = entry.data
                distinct.add(entry.id)
                places += 1

    for commit in repo.walk(repo.head.target):
        walk(commit.tree)
    return len(distinct), places


def _git_log(path: str) -> tuple[int, int]:
    out = subprocess.run(
        ["git", "-C", path, "log", "--all", "-p", "--format=%H", "--", "*.dvc"],
        check=True,
        capture_output=True,
    ).stdout
    return out.count(b"\ndiff --git"), len(out)


def _time(label: str, func: Callable[[], tuple[int, int]], repeat: int) -> tuple[float, float]:
    """Best wall time of ``repeat`` runs (and its CPU time: the machine may be shared)."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        first, second = func()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    print(f"  {label:<44} {best[0]:7.3f} s wall {best[1]:7.3f} s cpu   ({first} / {second})")
    return best


def run(commits: int, mode: str, packed: bool, repeat: int) -> tuple[float, float]:
    tmp = tempfile.mkdtemp(prefix="bench-scm-")
    try:
        start = time.perf_counter()
        build_history(tmp, commits, mode)
        if packed:
            pack(tmp)
        storage = "packed" if packed else "loose objects"
        took = time.perf_counter() - start
        print(f"mode={mode}: built {commits} commits ({storage}) in {took:.2f} s")
        ours = _time("ours: collect (blobs / paths)", lambda: _ours(tmp, parse=False), repeat)
        ours_parsed = _time(
            "ours: collect + YAML parse (blobs / paths)", lambda: _ours(tmp, parse=True), repeat
        )
        naive = _time("naive: re-read (blobs / occurrences)", lambda: _naive(tmp), 1)
        print(
            f"  naive / ours ratio: {naive[0] / ours[0]:.1f}x wall, {naive[1] / ours[1]:.1f}x cpu"
        )
        if shutil.which("git"):
            _time("reference: git log -p (diffs / bytes)", lambda: _git_log(tmp), repeat)
        return ours_parsed
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--mode", choices=("add", "modify", "flat", "all"), default="all")
    parser.add_argument("--loose", action="store_true", help="do not pack the objects first")
    parser.add_argument("--repeat", type=int, default=3, help="keep the best of this many runs")
    args = parser.parse_args()
    modes = ("add", "modify", "flat") if args.mode == "all" else (args.mode,)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    results = [run(args.commits, mode, not args.loose, args.repeat) for mode in modes]
    wall = max(r[0] for r in results)
    cpu = max(r[1] for r in results)
    print(
        f"slowest collect + parse: {wall:.3f} s wall, {cpu:.3f} s cpu"
        " (target: under 2 s for 1,000 commits; on a busy machine trust the cpu time)"
    )


if __name__ == "__main__":
    main()
