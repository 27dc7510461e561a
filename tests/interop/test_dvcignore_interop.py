"""``.dvcignore`` against the real dvc: the same directory hashes, the same check-ignore
answers, and checkouts that leave the same files alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_helpers import read_files, write_tree

from dvcremote_testing.dvc import DvcRunner, run_dvcremote

TREE = {
    ".dvcignore": "  *.log  \nb.*\n# comment\n\n/data/raw/tmp\nbuild/\n",
    "data": {
        "a.txt": "a",
        "b.log": "b",
        "raw": {"tmp": {"x": "x"}, "keep.txt": "k"},
        "sub": {"c.txt": "c", "d.log": "d", "build": {"o": "o"}},
    },
    "nest": {".dvcignore": "!keep.log\n*.csv\n", "keep.log": "kl", "drop.log": "dl", "t.csv": "1"},
    "model.bin": "m",
}
PATHS = [
    "data/a.txt", "data/b.log", "data/raw/tmp", "data/raw/tmp/x", "data/raw/keep.txt",
    "data/sub/build", "data/sub/d.log", "nest/keep.log", "nest/drop.log", "nest/t.csv",
    "model.bin", "other.log",
]  # fmt: skip


def _both(tmp_path: Path, real_dvc: DvcRunner) -> tuple[Path, Path]:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for ws in (ours, theirs):
        write_tree(ws, TREE)
    run_dvcremote("init", "--no-scm", "-f", cwd=ours)
    real_dvc("init", "--no-scm", "-f", cwd=theirs)
    return ours, theirs


def test_same_hashes_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ours, theirs = _both(tmp_path, real_dvc)
    run_dvcremote("add", "data", "model.bin", cwd=ours)
    real_dvc("add", "data", "model.bin", cwd=theirs)
    for name in ("data.dvc", "model.bin.dvc"):
        assert (ours / name).read_text() == (theirs / name).read_text(), name
    # and each tool reads the other's as up to date
    assert real_dvc.json("status", cwd=ours) == {}
    assert "modified" not in run_dvcremote("status", cwd=theirs).stdout


def test_check_ignore_answers_as_dvc(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ours, theirs = _both(tmp_path, real_dvc)
    for flags in ([], ["-d"], ["-d", "-n"], ["-d", "-a"]):
        mine = run_dvcremote("check-ignore", *flags, *PATHS, cwd=ours, check=False)
        dvc = real_dvc("check-ignore", *flags, *PATHS, cwd=theirs, check=False)
        assert mine.stdout.splitlines() == dvc.stdout.splitlines(), flags
        assert mine.returncode == dvc.returncode, flags


def test_checkout_force_leaves_the_same_files(tmp_path: Path, real_dvc: DvcRunner) -> None:
    ours, theirs = _both(tmp_path, real_dvc)
    run_dvcremote("add", "data", cwd=ours)
    real_dvc("add", "data", cwd=theirs)
    for ws in (ours, theirs):
        (ws / "data" / "a.txt").write_text("changed")
        (ws / "data" / "extra.txt").write_text("untracked")
        (ws / "data" / "new.log").write_text("ignored")
    run_dvcremote("checkout", "-f", cwd=ours)
    real_dvc("checkout", "-f", cwd=theirs)

    def files(ws: Path) -> dict[str, bytes]:
        return {
            p.relative_to(ws / "data").as_posix(): p.read_bytes()
            for p in (ws / "data").rglob("*")
            if p.is_file()
        }

    assert files(ours) == files(theirs)
    assert files(ours)["new.log"] == b"ignored" and "extra.txt" not in files(ours)


@pytest.mark.parametrize(
    ("pattern", "output"),
    [("foo", "foo"), ("d/", "d/x"), ("model.*", "model.bin")],
    ids=["dvc-file", "folder-above", "stage-output"],
)
def test_an_ignored_output_is_refused_as_dvc(
    tmp_path: Path, real_dvc: DvcRunner, pattern: str, output: str
) -> None:
    """dvc refuses to load an output whose own path (or a folder above it) .dvcignore
    matches: "Path '<abs path>' is ignored by .dvcignore:LINE:PATTERN", for every
    command, before any work. So does dvcremote (exit 3), and nothing is changed."""
    ws = tmp_path / "ws"
    write_tree(ws, {"foo": "foo", "d": {"x": "x"}})
    real_dvc("init", "--no-scm", cwd=ws)
    real_dvc("add", "foo", "d/x", cwd=ws)
    # a root .dvc file for d/x, so that ignoring d/ does not hide the file itself
    (ws / "dx.dvc").write_text((ws / "d" / "x.dvc").read_text().replace("path: x", "path: d/x"))
    (ws / "d" / "x.dvc").unlink()
    (ws / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: echo m > model.bin\n    outs:\n    - model.bin\n"
    )
    real_dvc("repro", cwd=ws)
    real_dvc("remote", "add", "-d", "store", "../remote", cwd=ws)
    with (ws / ".dvcignore").open("a") as f:
        f.write(f"{pattern}\n")
    expected = f"Path {str(ws / output)!r} is ignored by .dvcignore:4:{pattern}"
    def files() -> tuple[dict[str, bytes], dict[str, bytes]]:
        return read_files(ws), read_files(ws / ".dvc" / "cache", skip=())

    before = files()
    for command in (
        ("status",),
        ("status", "-c"),
        ("push",),
        ("checkout", "-f"),
        ("gc", "-w", "-f"),
    ):
        theirs = real_dvc(*command, cwd=ws, check=False)
        assert theirs.returncode != 0 and expected in theirs.stderr, theirs.describe()
        ours = run_dvcremote(*command, cwd=ws, check=False)
        assert ours.returncode == 3 and expected in ours.stderr, ours.describe()
        assert files() == before, command
    assert not (tmp_path / "remote").exists()
