"""``stage add``: dvc.yaml written as dvc writes it, .gitignore entries, dvc's refusals.

Expected bytes follow dvc-pipelines.md section 1 (checked against dvc 3.67); the same
command lines run through the real dvc are compared byte for byte in
tests/interop/test_repro_interop.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import snapshot, write_tree

from dvcremote.cli import main
from dvcremote.errors import (
    CyclicPipeline,
    DuplicateStageName,
    InvalidStage,
    OutputDuplication,
    OverlappingOutputs,
    UnsafePath,
)
from dvcremote.repo import Repo
from dvcremote.stage import Stage
from dvcremote.stage_add import parse_cmd, parse_params

COPY_YAML = "stages:\n  copy:\n    cmd: cp foo bar\n    deps:\n    - foo\n    outs:\n    - bar\n"


def test_copy_stage_bytes_and_gitignore(git_repo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"foo": "foo"})
    git_repo.add("foo")
    added = git_repo.stage_add("copy", "cp foo bar", deps=["foo"], outs=["bar"])
    assert (workspace / "dvc.yaml").read_text() == COPY_YAML
    assert (workspace / ".gitignore").read_text() == "/foo\n/bar\n"
    assert added.gitignores == (".gitignore",)
    assert not (workspace / "dvc.lock").exists()


def test_cli_stage_add(git_repo: Repo, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stage", "add", "-n", "copy", "-d", "foo", "-o", "bar", "cp", "foo", "bar"]) == 0
    assert (workspace / "dvc.yaml").read_text() == COPY_YAML
    out = capsys.readouterr().out
    assert "Added stage 'copy' in 'dvc.yaml'" in out
    assert "git add .gitignore dvc.yaml" in out


def test_every_flag_in_dvc_order(dvcrepo: Repo, workspace: Path) -> None:
    dvcrepo.stage_add(
        "train",
        "python train.py",
        deps=["src", "data"],
        params=["lr,epochs", "other.yaml:b,a", "whole.json:", "seed"],
        outs=["model"],
        outs_no_cache=["log.txt"],
        outs_persist=["state"],
        outs_persist_no_cache=["keep.txt"],
        metrics=["m.json"],
        metrics_no_cache=["acc.json"],
        plots=["p"],
        plots_no_cache=["roc.csv"],
        always_changed=True,
        desc="trains",
    )
    assert (workspace / "dvc.yaml").read_text() == (
        "stages:\n"
        "  train:\n"
        "    desc: trains\n"
        "    cmd: python train.py\n"
        "    deps:\n"
        "    - data\n"
        "    - src\n"
        "    params:\n"
        "    - epochs\n"
        "    - lr\n"
        "    - seed\n"
        "    - other.yaml:\n"
        "      - a\n"
        "      - b\n"
        "    - whole.json:\n"
        "    outs:\n"
        "    - keep.txt:\n"
        "        cache: false\n"
        "        persist: true\n"
        "    - log.txt:\n"
        "        cache: false\n"
        "    - model\n"
        "    - state:\n"
        "        persist: true\n"
        "    metrics:\n"
        "    - acc.json:\n"
        "        cache: false\n"
        "    - m.json\n"
        "    plots:\n"
        "    - p\n"
        "    - roc.csv:\n"
        "        cache: false\n"
        "    always_changed: true\n"
    )


def test_wdir_and_list_cmd(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "sub").mkdir()
    dvcrepo.stage_add("s", ["echo a", "echo b"], deps=["in"], outs=["out"], wdir="sub")
    assert (workspace / "dvc.yaml").read_text() == (
        "stages:\n  s:\n    cmd:\n    - echo a\n    - echo b\n    wdir: sub\n"
        "    deps:\n    - in\n    outs:\n    - out\n"
    )


def test_existing_dvc_yaml_keeps_comments(dvcrepo: Repo, workspace: Path) -> None:
    original = (
        "# my pipeline\nstages:\n  first:  # the first one\n    cmd: echo 1 > one\n"
        "    outs:\n    - one\n"
    )
    (workspace / "dvc.yaml").write_text(original)
    dvcrepo.stage_add("second", "cp one two", deps=["one"], outs=["two"])
    assert (workspace / "dvc.yaml").read_text() == original + (
        "  second:\n    cmd: cp one two\n    deps:\n    - one\n    outs:\n    - two\n"
    )


def test_force_replaces_in_place_keeping_desc(dvcrepo: Repo, workspace: Path) -> None:
    (workspace / "dvc.yaml").write_text(
        "stages:\n  a:\n    desc: kept  # note\n    cmd: echo a\n    outs:\n    - x\n"
        "  b:\n    cmd: echo b\n"
    )
    with pytest.raises(DuplicateStageName, match=r"Stage 'a' already exists in 'dvc\.yaml'"):
        dvcrepo.stage_add("a", "echo A", outs=["y"])
    dvcrepo.stage_add("a", "echo A", outs=["y"], force=True)
    assert (workspace / "dvc.yaml").read_text() == (
        "stages:\n  a:\n    desc: kept  # note\n    cmd: echo A\n    outs:\n    - y\n"
        "  b:\n    cmd: echo b\n"
    )


def test_output_of_another_stage_is_refused(dvcrepo: Repo, workspace: Path) -> None:
    dvcrepo.stage_add("one", "echo > x", outs=["x"])
    before = snapshot(workspace)
    with pytest.raises(OutputDuplication, match="output 'x' is already specified in stage: 'one'"):
        dvcrepo.stage_add("two", "echo > x", outs=["x"])
    with pytest.raises(OverlappingOutputs, match="overlap"):
        dvcrepo.stage_add("three", "echo", outs=["x/inner"])
    assert snapshot(workspace) == before


def test_output_of_a_dvc_file_is_refused(dvcrepo: Repo, workspace: Path) -> None:
    write_tree(workspace, {"data": {"a": "a"}})
    dvcrepo.add("data")
    before = snapshot(workspace)
    with pytest.raises(OutputDuplication, match=r"'data\.dvc'"):
        dvcrepo.stage_add("s", "echo", outs=["data"])
    with pytest.raises(OverlappingOutputs):
        dvcrepo.stage_add("s", "echo", outs=["data/b"])
    assert snapshot(workspace) == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"outs": [".git/hooks/post-checkout"]}, r"\.git/"),
        ({"outs": [".dvc/config"]}, r"\.dvc/"),
        ({"outs": ["../outside"]}, "outside the repository"),
        ({"deps": ["../../etc/passwd"], "outs": ["o"]}, "outside the repository"),
        ({"outs": ["o"], "wdir": "../elsewhere"}, "outside the repository"),
        ({"outs": ["/abs/out"]}, "not a relative posix path"),
    ],
)
def test_unsafe_paths_are_refused(
    dvcrepo: Repo, workspace: Path, kwargs: dict[str, object], match: str
) -> None:
    before = snapshot(workspace)
    with pytest.raises(UnsafePath, match=match):
        dvcrepo.stage_add("s", "echo", **kwargs)
    assert snapshot(workspace) == before


def test_cycles_and_bad_arguments(dvcrepo: Repo, workspace: Path) -> None:
    dvcrepo.stage_add("a", "cp x y", deps=["x"], outs=["y"])
    with pytest.raises(CyclicPipeline, match="stages: a, b"):
        dvcrepo.stage_add("b", "cp y x", deps=["y"], outs=["x"])
    with pytest.raises(CyclicPipeline, match="'z' is specified as an output and as a dependency"):
        dvcrepo.stage_add("c", "touch z", deps=["z"], outs=["z"])
    with pytest.raises(InvalidStage, match="specified more than once"):
        dvcrepo.stage_add("d", "echo", deps=["q", "q"])
    with pytest.raises(InvalidStage, match="punctuation"):
        dvcrepo.stage_add("bad.name", "echo")


def test_parse_helpers() -> None:
    assert parse_cmd(["echo", "a b", ""]) == 'echo "a b" ""'
    assert parse_cmd(["python train.py --x 1"]) == "python train.py --x 1"
    assert parse_params(["lr,epochs", "p2.yaml:a", "seed", "p3.json:"]) == [
        {"params.yaml": ["lr", "epochs", "seed"]},
        {"p2.yaml": ["a"]},
        {"p3.json": []},
    ]


def test_stage_round_trips_through_dvc_yaml_form() -> None:
    body = {
        "desc": "d",
        "cmd": ["a", "b"],
        "wdir": "sub",
        "deps": ["x", "w"],
        "params": ["lr", {"p2.yaml": ["k"]}],
        "outs": [{"o": {"desc": "an out", "cache": False, "remote": "r", "push": False}}],
        "metrics": ["m.json"],
        "plots": [{"p.csv": {"x": "step", "template": "linear"}}],
        "frozen": True,
        "meta": {"owner": "me"},
    }
    stage = Stage.from_body("s", body)
    again = stage.to_body()
    assert again == {**body, "deps": ["w", "x"]}
    assert list(again) == list(body)
    assert list(again["outs"][0]["o"]) == ["desc", "cache", "remote", "push"]
    assert list(again["plots"][0]["p.csv"]) == ["x", "template"]


def test_a_dvc_file_may_be_a_dep_but_not_an_output(dvcrepo: Repo, workspace: Path) -> None:
    dvcrepo.stage_add("reads", "wc -l dvc.yaml > n", deps=["dvc.yaml"], outs=["n"])
    with pytest.raises(UnsafePath, match="is a DVC file"):
        dvcrepo.stage_add("writes", "echo > x.dvc", outs=["x.dvc"])


def test_templated_dvc_yaml(dvcrepo: Repo, workspace: Path) -> None:
    original = (
        "vars:\n- n: 2\nstages:\n  fe:\n    foreach: [a, b]\n    do:\n"
        "      cmd: echo ${item} > ${item}.txt\n      outs:\n      - ${item}.txt\n"
    )
    (workspace / "dvc.yaml").write_text(original)
    with pytest.raises(DuplicateStageName):
        dvcrepo.stage_add("fe", "echo", outs=["z"])
    with pytest.raises(OutputDuplication, match=r"stage: 'fe@a'"):
        dvcrepo.stage_add("other", "echo", outs=["a.txt"])
    dvcrepo.stage_add("after", "cat a.txt b.txt > ab", deps=["a.txt", "b.txt"], outs=["ab"])
    assert (workspace / "dvc.yaml").read_text() == original + (
        "  after:\n    cmd: cat a.txt b.txt > ab\n    deps:\n    - a.txt\n    - b.txt\n"
        "    outs:\n    - ab\n"
    )
