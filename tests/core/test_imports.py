"""Repo imports without dvc: where the source's objects come from, and hostile input.

The source is made with dvcremote (git + add + push), the import ``.dvc`` files by
hand in dvc's form (the interop tests have the real ``dvc import`` write them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dvcremote.errors import DvcFileError
from dvcremote.repo import Repo
from dvcremote.scm import Git
from dvcremote_testing.gitconfig import hidden_git_config

DATA = b"imported\n"


def _source(tmp_path: Path, *, push: bool = True) -> tuple[Path, str]:
    """``tmp_path/src`` with ``data.txt`` added (and pushed to ``src-store``), committed."""
    src = tmp_path / "src"
    (tmp_path / "no-git-config").mkdir()
    src.mkdir()
    (src / "data.txt").write_bytes(DATA)
    with hidden_git_config(tmp_path / "no-git-config"), Git.init(src) as git:
        with Repo.init(src) as repo:
            repo.add("data.txt")
            if push:
                repo.remote_add("store", str(tmp_path / "src-store"), default=True)
                repo.push()
        git.add(["."])
        return src, git.commit("source")


def _import(ws: Path, src: str, sha: str, extra: str = "", path: str = "data.txt") -> None:
    from dvcremote.hashing import bytes_md5

    (ws / "data.txt.dvc").write_text(
        f"md5: {'1' * 32}\nfrozen: true\ndeps:\n- path: {path}\n  repo:\n"
        f"    url: {src}\n    rev_lock: {sha}\n{extra}outs:\n"
        f"- md5: {bytes_md5(DATA)}\n  size: {len(DATA)}\n  hash: md5\n  path: data.txt\n"
    )


def test_dep_remote_and_config_choose_the_source_remote(tmp_path: Path, dvcrepo: Repo) -> None:
    """``remote:`` (a whole remote) and ``config:`` (dvc's config form) override the
    source's own config, as in dvc: here its remote moved."""
    src, sha = _source(tmp_path)
    shutil.rmtree(src / ".dvc" / "cache")
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "src-store", moved)
    ws = Path(dvcrepo.root)
    for extra in (
        f"    remote:\n      url: {moved}\n",
        "    config:\n      core:\n        remote: m\n"
        f"      remote:\n        m:\n          url: {moved}\n",
    ):
        _import(ws, str(src), sha, extra)
        result = dvcrepo.pull()
        assert result.ok, result
        assert (ws / "data.txt").read_bytes() == DATA
        (ws / "data.txt").unlink()
        shutil.rmtree(ws / ".dvc" / "cache")


def test_local_source_without_remote_uses_its_cache(tmp_path: Path, dvcrepo: Repo) -> None:
    """dvc's ``auto-generated-upstream``: a local source with no default remote lends
    its cache; a relative URL is relative to the workspace root."""
    _source(tmp_path, push=False)
    sha = Git.open(tmp_path / "src").head
    assert sha is not None
    _import(Path(dvcrepo.root), "../src", sha)
    assert dvcrepo.pull().ok
    assert (Path(dvcrepo.root) / "data.txt").read_bytes() == DATA


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("../outside", ""),
        ("data.txt", "    config: ../elsewhere/config\n"),
    ],
    ids=["path-leaves-source", "config-outside-workspace"],
)
def test_hostile_import_is_refused_naming_the_file(
    tmp_path: Path, dvcrepo: Repo, path: str, extra: str
) -> None:
    src, sha = _source(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "config").write_text("[core]\n    remote = x\n")
    _import(Path(dvcrepo.root), str(src), sha, extra, path=path)
    summary = dvcrepo.fetch()
    (error,) = summary.failed.values()
    assert isinstance(error, DvcFileError)
    assert "data.txt.dvc" in str(error)
    assert not (Path(dvcrepo.root) / ".dvc" / "cache").exists() or not any(
        (Path(dvcrepo.root) / ".dvc" / "cache").rglob("*")
    )


def test_import_commands_refuse_unsafe_targets(tmp_path: Path, dvcrepo: Repo) -> None:
    """A new import never lands in ``.dvc``/``.git`` or over an existing path, and
    ``import-url`` reads only local paths outside the workspace."""
    from dvcremote.errors import PathOutsideRepo, RepoError

    src, _ = _source(tmp_path)
    ws = Path(dvcrepo.root)
    (ws / "taken").write_bytes(b"mine")
    with pytest.raises(PathOutsideRepo):
        dvcrepo.import_repo(str(src), "data.txt", out=ws / ".dvc" / "x")
    with pytest.raises(RepoError, match="already exists"):
        dvcrepo.import_repo(str(src), "data.txt", out=ws / "taken")
    with pytest.raises(RepoError, match="local paths only"):
        dvcrepo.import_url("s3://bucket/key")
    with pytest.raises(RepoError, match="inside the workspace"):
        dvcrepo.import_url(ws / "taken", ws / "copy")
    assert (ws / "taken").read_bytes() == b"mine"
    assert sorted(p.name for p in ws.iterdir()) == [".dvc", ".dvcignore", "taken"]
    result = dvcrepo.import_repo(str(src), "data.txt", out=ws / "sub" / "in.txt")
    assert (ws / "sub" / "in.txt").read_bytes() == DATA
    assert result.outputs[0].dvcfile == "sub/in.txt.dvc"


def test_fetch_of_a_revision_brings_an_import_only_history_holds(
    tmp_path: Path, git_repo: Repo
) -> None:
    """``fetch --rev`` reads the import's ``.dvc`` file from the commit and fetches
    from the source as for the workspace; the error names the file at that revision."""
    src, sha = _source(tmp_path)
    shutil.rmtree(src / ".dvc" / "cache")
    ws = Path(git_repo.root)
    _import(ws, str(src), sha)
    with hidden_git_config(tmp_path / "no-git-config"), Git.open(ws) as git:
        git.add(["data.txt.dvc"])
        first = git.commit("import")
        git.remove(["data.txt.dvc"])
        git.commit("no import")
    fetched = git_repo.fetch(revs=first)
    assert fetched.ok and len(fetched.transferred) == 1
    shutil.rmtree(ws / ".dvc" / "cache")
    shutil.rmtree(tmp_path / "src-store")
    failed = git_repo.fetch(revs=first)
    assert "data.txt.dvc at revision" in str(next(iter(failed.failed.values()), failed))


def test_source_problems_name_the_dvc_file_and_no_credential(tmp_path: Path, dvcrepo: Repo) -> None:
    """A cloned source without a default remote, and a URL carrying a password that
    cannot be reached: each a failure of its ``.dvc`` file, the password never shown."""
    src, sha = _source(tmp_path, push=False)
    ws = Path(dvcrepo.root)
    _import(ws, f"file://{src}", sha)
    (error,) = dvcrepo.fetch().failed.values()
    assert "data.txt.dvc" in str(error) and "no default remote" in str(error)
    _import(ws, "https://someone:s3cr3t-t0ken@127.0.0.1:1/source.git", sha)
    (error,) = dvcrepo.fetch().failed.values()
    assert "data.txt.dvc" in str(error) and "cannot clone" in str(error)
    assert "s3cr3t-t0ken" not in str(error), error
