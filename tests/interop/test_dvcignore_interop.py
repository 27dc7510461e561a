"""``.dvcignore`` against the real dvc: the same directory hashes, the same check-ignore
answers, and checkouts that leave the same files alone."""

from __future__ import annotations

from pathlib import Path

from interop_helpers import write_tree

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
