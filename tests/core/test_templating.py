"""dvc.yaml templating expanded as dvc 3.67 does (dvcremote/templating.py).

Each expected expansion below is what dvc's own resolver (``dvc.parsing.DataResolver``)
gives for the same input; the real dvc's ``stage list`` / ``repro`` on templated
pipelines is compared in tests/interop/test_templating_interop.py. Then the commands:
flags of templated outputs are honoured by push and ``status -c``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from core_helpers import md5, remote_file, snapshot, write_tree

from dvcremote import yamlio
from dvcremote.errors import DvcFileError, InvalidHistoricDvcfile
from dvcremote.pipeline import declared_in, load_workspace_stages, pipeline_stages
from dvcremote.repo import Repo
from dvcremote.templating import MAX_STAGES, ParsingOptions, expand_stages


def expand(
    text: str, files: dict[str, str] | None = None, path: str = "dvc.yaml", **kw: Any
) -> dict[str, dict[str, Any]]:
    """Expand the dvc.yaml ``text``; ``files`` are the vars files by repo path."""
    store = {k: v.encode() for k, v in (files or {}).items()}
    return expand_stages(yamlio.loads(text), path=path, read_file=store.get, **kw)


def test_vars_interpolation_keeps_whole_values_and_formats_strings_as_dvc() -> None:
    stages = expand(
        """
vars:
  - a: 1
    b: true
    f: 0.5
    s: x y
    l: [[1, 2], {k: v}]
    m: {"1": one}
stages:
  s:
    cmd: run ${a} ${b} ${f} ${s} ${l[0][1]} ${l[1].k} ${l.-1.k} ${m.1} \\${a}
    outs:
    - o-${a}
    - ${s}/${b}:
        cache: false
    frozen: ${b}
    meta: {n: "${a}", f: "${f}", t: "a${b}"}
"""
    )
    assert stages == {
        "s": {
            "cmd": "run 1 true 0.5 x y 2 v v one ${a}",
            "outs": ["o-1", {"x y/true": {"cache": False}}],
            "frozen": True,
            "meta": {"n": 1, "f": 0.5, "t": "atrue"},
        }
    }


def test_params_yaml_is_read_by_default_and_vars_files_by_name_and_keys() -> None:
    files = {
        "params.yaml": "lr: 0.1\nnested:\n  x: [1, 2]\n",
        "other.yaml": "a: 1\nb: 2\nc: 3\n",
        "cfg.json": '{"j": 5}',
        "t.toml": "[t]\nk = 'v'\n",
        "sub/p.yaml": "p: 3\n",
    }
    stages = expand(
        """
vars: [params.yaml, "other.yaml:a,b", cfg.json, t.toml]
stages:
  s:
    cmd: echo ${lr} ${nested.x[1]} ${a} ${b} ${j} ${t.k}
  w:
    wdir: sub
    vars: [p.yaml, {local: 4}]
    cmd: echo ${p} ${local}
""",
        files,
    )
    assert stages == {
        "s": {"cmd": "echo 0.1 2 1 2 5 v"},
        "w": {"wdir": "sub", "cmd": "echo 3 4"},
    }
    with pytest.raises(DvcFileError, match=re.escape("Could not find 'c'")):
        expand("vars: ['other.yaml:a']\nstages: {s: {cmd: '${c}'}}", files)


def test_vars_from_a_python_file_are_its_literals_read_without_running_it() -> None:
    code = """
import os
LR = 0.1
NAMES: list = ["a", "b"]
OPENED = open("pwned", "w")
class Train:
    batch = 32
    def __init__(self):
        self.seed = 42
        self.bad = os.getcwd()
"""
    text = "vars: [hyper.py]\nstages: {s: {cmd: '${LR} ${NAMES[1]} ${Train.batch} ${Train.seed}'}}"
    assert expand(text, {"hyper.py": code}) == {"s": {"cmd": "0.1 b 32 42"}}
    for skipped in ("OPENED", "Train.bad"):
        with pytest.raises(DvcFileError, match=f"Could not find '{skipped}'"):
            expand(text.replace("${LR}", "${" + skipped + "}"), {"hyper.py": code})


def test_foreach_names_and_items_as_dvc() -> None:
    stages = expand(
        """
vars:
  - key: global
    flags: [true, 1.0, 2]
stages:
  fe:
    foreach: [1, a, true, null, 1.5, "1"]
    do:
      cmd: echo ${item} ${key}
      outs: ["out-${item}"]
  coll:
    foreach: [{p: 1}, {p: 2}]
    do: {cmd: "echo ${item.p}"}
  fd:
    foreach: {x: {p: 1}, y: {p: 2}}
    do: {cmd: "echo ${key} ${item.p}"}
  fv:
    foreach: ${flags}
    do: {cmd: "echo ${item}"}
"""
    )
    assert stages == {
        "fe@1": {"cmd": "echo 1 global", "outs": ["out-1"]},  # "1" later: same name, kept last
        "fe@a": {"cmd": "echo a global", "outs": ["out-a"]},
        "fe@true": {"cmd": "echo true global", "outs": ["out-true"]},
        "fe@None": {"cmd": "echo None global", "outs": ["out-None"]},
        "fe@1.5": {"cmd": "echo 1.5 global", "outs": ["out-1.5"]},
        "coll@0": {"cmd": "echo 1"},
        "coll@1": {"cmd": "echo 2"},
        "fd@x": {"cmd": "echo x 1"},
        "fd@y": {"cmd": "echo y 2"},
        # scalars taken from vars are named by Python's str, as dvc does
        "fv@True": {"cmd": "echo true"},
        "fv@1.0": {"cmd": "echo 1.0"},
        "fv@2": {"cmd": "echo 2"},
    }


def test_matrix_names_and_items_as_dvc() -> None:
    stages = expand(
        """
vars: [{models: [a, b], one: true}]
stages:
  mx:
    matrix:
      m: ${models}
      v: [1, {q: 1}]
      b: [true, "${one}"]
    cmd: echo ${item.m} ${key} ${item.b}
    outs:
    - ${item.m}/${item.b}:
        push: false
"""
    )
    assert list(stages) == [
        "mx@a-1-true", "mx@a-1-True", "mx@a-v1-true", "mx@a-v1-True",
        "mx@b-1-true", "mx@b-1-True", "mx@b-v1-true", "mx@b-v1-True",
    ]  # fmt: skip
    assert stages["mx@b-v1-True"] == {
        "cmd": "echo b b-v1-True true",
        "outs": [{"b/true": {"push": False}}],
    }


def test_a_dict_in_cmd_becomes_arguments_as_dvc() -> None:
    text = """
vars: [{d: {lr: 0.1, on: true, off: false, s: a b, n: {m: 3}, l: [1, x y]}}]
stages: {s: {cmd: "train ${d}"}}
"""
    assert expand(text)["s"]["cmd"] == "train --lr 0.1 --on --s 'a b' --n.m 3 --l 1 'x y'"
    options = ParsingOptions(bool="boolean_optional", list="append")
    assert expand(text, options=options)["s"]["cmd"] == (
        "train --lr 0.1 --on --no-off --s 'a b' --n.m 3 --l 1 --l 'x y'"
    )


def test_stage_vars_stay_in_their_stage_and_item_stays_reserved() -> None:
    stages = expand(
        """
stages:
  fe:
    foreach: [1, 2]
    do:
      vars: [{v: 9}]
      cmd: echo ${item} ${v}
"""
    )
    assert stages == {"fe@1": {"cmd": "echo 1 9"}, "fe@2": {"cmd": "echo 2 9"}}
    nested = """
vars: [{a: {x: 1}}]
stages:
  fe: {foreach: [1, 2], do: {vars: [{a: {y: 2}}], cmd: "${a.x} ${a.y} ${item}"}}
  t: {cmd: "${a.x}"}
"""
    # a stage's vars merge into a nested mapping for that stage only
    assert expand(nested) == {"fe@1": {"cmd": "1 2 1"}, "fe@2": {"cmd": "1 2 2"}, "t": {"cmd": 1}}
    with pytest.raises(DvcFileError, match=re.escape("'stages.t.cmd': Could not find 'a.y'")):
        expand(nested.replace('"${a.x}"', '"${a.y}"'))
    with pytest.raises(DvcFileError, match="Could not find 'l'"):
        expand("stages: {s: {vars: [{l: 2}], cmd: '${l}'}, t: {cmd: '${l}'}}")
    with pytest.raises(DvcFileError, match="attempted to modify reserved key item"):
        expand("stages: {fe: {foreach: [1], do: {vars: [{item: 2}], cmd: x}}}")


@pytest.mark.parametrize(
    ("text", "files", "message"),
    [
        ("stages: {s: {cmd: 'echo ${nope}'}}", {}, "'stages.s.cmd': Could not find 'nope'"),
        (
            "stages: {fe: {foreach: [1], do: {cmd: 'echo ${nope}'}}}",
            {},
            "'stages.fe@1.cmd': Could not find 'nope'",
        ),
        ("stages: {s: {cmd: 'echo ${a..b}'}}", {}, "'${a..b}' is not a valid expression"),
        (
            "vars: [{l: [1]}]\nstages: {s: {cmd: x, outs: ['${l}']}}",
            {},
            "'stages.s.outs': Cannot interpolate data of type 'list'",
        ),
        (
            "vars: [{lr: 1}]\nstages: {}",
            {"params.yaml": "lr: 0.1"},
            "cannot redefine 'lr' from 'vars[0]' as it already exists in 'sub/params.yaml'",
        ),
        (
            "vars: ['params.yaml:lr']\nstages: {}",
            {"params.yaml": "lr: 0.1"},
            "cannot partially load 'params.yaml:lr' as it's already loaded.",
        ),
        ("vars: [nope.yaml]\nstages: {}", {}, "'sub/nope.yaml' does not exist"),
        ("vars: [{a: '${b}'}]\nstages: {}", {}, "'vars': interpolating is not allowed"),
        (
            "vars: [{s: abc}]\nstages: {fe: {foreach: '${s}', do: {cmd: x}}}",
            {},
            "expected list/dictionary, got str",
        ),
        ("stages: {'a@b': {cmd: x}}", {}, "stage 'a@b': '@' is kept for the names"),
        ("stages: {fe: {foreach: ['', x], do: {cmd: x}}}", {}, "generates 'fe@'"),
        ("stages: {fe: {foreach: ['a@b'], do: {cmd: x}}}", {}, "generates 'fe@a@b'"),
        ("stages: {mx: {matrix: {}, cmd: x}}", {}, "generates 'mx@'"),
        ("stages: {fe: {foreach: [1]}}", {}, "'foreach' takes 'do'"),
        ("vars: [../../outside.yaml]\nstages: {}", {}, "is outside the repository"),
        ("stages: {s: {wdir: /etc, vars: [passwd], cmd: x}}", {}, "is outside the repository"),
        ("vars: [../.git/config]\nstages: {}", {}, "is inside .git/"),
        ("vars: [../.dvc/config.local]\nstages: {}", {}, "is inside .dvc/"),
        ("vars: [p.py]\nstages: {}", {"p.py": "x = (1"}, "'sub/p.py': cannot be parsed"),
        ("vars: [p.yaml]\nstages: {}", {"p.yaml": "[1, 2]"}, "expected a dictionary, got 'list'"),
        ("vars: [d.yaml]\nstages: {}", {"d.yaml": "d: 2024-01-01"}, "type 'date'"),
    ],
)
def test_bad_templates_are_typed_errors_naming_dvc_yaml(
    text: str, files: dict[str, str], message: str
) -> None:
    with pytest.raises(DvcFileError, match=re.escape(message)) as caught:
        expand(text, {f"sub/{k}": v for k, v in files.items()}, path="sub/dvc.yaml")
    assert caught.value.path == "sub/dvc.yaml"


def test_vars_files_are_read_relative_to_the_dvc_yaml_and_stage_wdir() -> None:
    files = {"sub/params.yaml": "p: 1", "sub/w/q.yaml": "q: 2", "params.yaml": "p: 0"}
    stages = expand(
        "stages: {s: {wdir: '${w}', vars: [{}, q.yaml], cmd: '${p} ${q}'}}\nvars: [{w: w}]",
        files,
        path="sub/dvc.yaml",
    )
    assert stages == {"s": {"wdir": "w", "cmd": "1 2"}}


def test_hostile_expansion_is_refused_not_run() -> None:
    axis = list(range(100))
    huge = {"stages": {"mx": {"matrix": dict.fromkeys("abcde", axis), "cmd": "x"}}}
    with pytest.raises(DvcFileError, match=f"expands past {MAX_STAGES} stages"):
        expand_stages(huge, path="dvc.yaml", read_file=lambda _: None)
    many = {"stages": {"fe": {"foreach": list(range(MAX_STAGES + 1)), "do": {"cmd": "x"}}}}
    with pytest.raises(DvcFileError, match="expands past"):
        expand_stages(many, path="dvc.yaml", read_file=lambda _: None)
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(DvcFileError, match="deep"):
        expand("vars: [d.json]\nstages: {}", {"d.json": json.dumps({"d": 0})[:-1] + ", "
               + '"x": ' + deep + "}"})  # fmt: skip
    big = "x" * 1_000_000
    cmd = " ".join(["${big}"] * 20)  # 20 MB of text from a 1 MB vars file
    bomb = {"vars": [{"big": big}], "stages": {"s": {"cmd": cmd}}}
    with pytest.raises(DvcFileError, match="expands to more than"):
        expand_stages(bomb, path="dvc.yaml", read_file=lambda _: None)
    wide = {f"k{i}": i for i in range(100_000)}  # each stage with vars copies the context
    clones = {
        "vars": [wide],
        "stages": {"fe": {"foreach": list(range(500)), "do": {"vars": [{"x": 1}], "cmd": "x"}}},
    }
    with pytest.raises(DvcFileError, match="expands to more than"):
        expand_stages(clones, path="dvc.yaml", read_file=lambda _: None)


# -- the commands: flags and paths of templated stages ----------------------------------

TEMPLATED = """\
vars:
  - models: [small, big]
stages:
  train:
    foreach: ${models}
    do:
      cmd: train ${item}
      outs:
      - models/${item}.pkl
      - logs/${item}.txt:
          push: false
  report:
    matrix:
      model: ${models}
      split: [test]
    wdir: ${dirs.reports}
    cmd: report
    metrics:
    - ${item.model}-${item.split}.json:
        cache: false
"""
PARAMS = "dirs:\n  reports: reports\n"


def _lock_entry(path: str, data: str) -> dict[str, object]:
    return {"path": path, "hash": "md5", "md5": md5(data), "size": len(data)}


def make_templated(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> Repo:
    """A foreach + matrix pipeline whose lock records its expanded stages; outputs in the
    cache (put there by ``add``, then the .dvc files swapped for the lock)."""
    tree = {
        "models": {"small.pkl": "s", "big.pkl": "b"},
        "logs": {"small.txt": "ls", "big.txt": "lb"},
        "reports": {"small-test.json": "rs", "big-test.json": "rb"},
    }
    write_tree(workspace, tree)
    outs = ["models/small.pkl", "models/big.pkl", "logs/small.txt", "logs/big.txt"]
    dvcrepo.add(outs)
    for out in outs:
        (workspace / f"{out}.dvc").unlink()
    (workspace / ".gitignore").unlink(missing_ok=True)
    stages: dict[str, object] = {}
    for model in ("small", "big"):
        stages[f"train@{model}"] = {
            "cmd": f"train {model}",
            "outs": [
                _lock_entry(f"logs/{model}.txt", f"l{model[0]}"),
                _lock_entry(f"models/{model}.pkl", model[0]),
            ],
        }
        stages[f"report@{model}-test"] = {
            "cmd": "report",
            "outs": [_lock_entry(f"{model}-test.json", f"r{model[0]}")],
        }
    lock = {"schema": "2.0", "stages": stages}
    (workspace / "dvc.yaml").write_text(TEMPLATED)
    (workspace / "params.yaml").write_text(PARAMS)
    (workspace / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False))
    dvcrepo.remote_add("store", str(remote_dir), default=True)
    return dvcrepo


@pytest.fixture
def templated(dvcrepo: Repo, workspace: Path, remote_dir: Path) -> Repo:
    return make_templated(dvcrepo, workspace, remote_dir)


def test_lock_outputs_of_templated_stages_get_their_flags_and_wdir(
    templated: Repo, workspace: Path
) -> None:
    stages = {s.stage: s for s in load_workspace_stages(str(workspace), "dvc.lock")}
    assert set(stages) == {"train@small", "train@big", "report@small-test", "report@big-test"}
    flags = {
        out.repo_path: (out.can_push, out.use_cache)
        for stage in stages.values()
        for out in stage.outs
    }
    assert flags == {
        "models/small.pkl": (True, True),
        "models/big.pkl": (True, True),
        "logs/small.txt": (False, True),
        "logs/big.txt": (False, True),
        "reports/small-test.json": (True, False),
        "reports/big-test.json": (True, False),
    }
    declared = {(d.repo_path, d.stage) for d in declared_in(str(workspace), "dvc.yaml")}
    assert ("logs/big.txt", "train@big") in declared
    assert ("reports/small-test.json", "report@small-test") in declared


def test_push_and_status_cloud_honour_templated_flags(
    templated: Repo, workspace: Path, remote_dir: Path
) -> None:
    status = templated.status(cloud=True)
    assert status.changed() == {"models/small.pkl": "new", "models/big.pkl": "new"}
    assert set(status.paths) == {"models/small.pkl", "models/big.pkl"}
    templated.push()
    assert remote_file(remote_dir, md5("s")).is_file()
    assert not remote_file(remote_dir, md5("ls")).exists()  # push: false via ${item}
    assert templated.status(cloud=True).changed() == {}


def test_stage_targets_name_generated_stages_and_groups(
    templated: Repo, workspace: Path, remote_dir: Path
) -> None:
    templated.push(["train@big"])
    assert remote_file(remote_dir, md5("b")).is_file()
    assert not remote_file(remote_dir, md5("s")).exists()
    templated.push(["train"])  # the group: every train@...
    assert remote_file(remote_dir, md5("s")).is_file()


def test_a_broken_template_stops_commands_naming_the_stage(
    templated: Repo, workspace: Path
) -> None:
    (workspace / "params.yaml").write_text("other: 1\n")
    before = snapshot(workspace)
    for run in (templated.status, lambda: templated.status(cloud=True), templated.push):
        with pytest.raises(DvcFileError, match=re.escape("'stages.report@small-test.wdir'")):
            run()
    assert snapshot(workspace) == before


def test_an_interpolated_wdir_leaving_the_workspace_is_refused(
    templated: Repo, workspace: Path
) -> None:
    (workspace / "params.yaml").write_text("dirs:\n  reports: ../..\n")
    with pytest.raises(DvcFileError, match=r"dvc\.lock"):
        templated.push()


def test_a_vars_file_symlinked_out_of_the_workspace_is_not_read(
    templated: Repo, workspace: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.yaml").write_text(PARAMS)
    (workspace / "params.yaml").unlink()
    (workspace / "params.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(DvcFileError, match="leads outside the workspace") as caught:
        templated.status(cloud=True)
    assert caught.value.path == "params.yaml"


def test_history_expands_a_pipeline_with_the_vars_files_of_its_commit(
    git_repo: Repo, workspace: Path, remote_dir: Path
) -> None:
    make_templated(git_repo, workspace, remote_dir)
    git = git_repo.git
    assert git is not None
    git.add(["dvc.yaml", "dvc.lock", "params.yaml"])
    git.commit("templated pipeline")
    for name in ("dvc.yaml", "dvc.lock", "params.yaml"):
        (workspace / name).unlink()  # only the commit knows the pipeline and its vars
    git_repo.push(revs="HEAD")
    assert remote_file(remote_dir, md5("b")).is_file()
    assert not remote_file(remote_dir, md5("lb")).exists()  # push: false, via ${item}
    git.remove(["params.yaml"])
    git.commit("params gone")
    with pytest.raises(InvalidHistoricDvcfile, match=re.escape("'dvc.yaml' at revision HEAD")):
        git_repo.push(revs="HEAD")


def test_pipeline_stages_is_the_one_reader_of_stage_bodies(workspace: Path) -> None:
    data = yaml.safe_load(TEMPLATED)
    stages = pipeline_stages(
        data, "", lambda rel: PARAMS.encode() if rel == "params.yaml" else None
    )
    assert stages["report@big-test"] == {
        "wdir": "reports",
        "cmd": "report",
        "metrics": [{"big-test.json": {"cache": False}}],
    }
    sub = pipeline_stages(
        data, "sub", lambda rel: PARAMS.encode() if rel == "sub/params.yaml" else None
    )
    assert list(sub) == list(stages)
