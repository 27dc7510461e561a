"""Each benchmark runs end to end at a tiny size and prints its ratio lines.

Nothing here looks at a timing: speed is reported by ``bench/``, never asserted. These
tests only make sure the scripts still work against the current CLI (a benchmark that
breaks silently is found out the day its figures are needed), that every figure the
docs table expects is printed, and that the table is rewritten between its markers only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
_LINE = re.compile(r"^(RATIO|VALUE) (\S+): ([\d.]+|inf)", re.M)


def _has(tool: str) -> bool:
    return (BIN / tool).exists() or shutil.which(tool) is not None


needs_dvc = pytest.mark.skipif(not _has("dvc"), reason="needs the real dvc command")
needs_moto = pytest.mark.skipif(
    not _has("moto_server") or importlib.util.find_spec("dvcremote_s3") is None,
    reason="needs moto_server and the s3 plugin (dvcremote_s3)",
)


def _smoke(script: str, tmp_path: Path, *extra: str) -> tuple[str, dict[str, object]]:
    """Run ``script --quick`` with results in ``tmp_path``; return its stdout and JSON."""
    out = tmp_path / "out"
    argv = [sys.executable, str(BENCH / script), "--quick", "--out", str(out)]
    argv += ["--workdir", str(tmp_path / "work"), *extra]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    results = list(out.glob("*-quick.json"))
    assert len(results) == 1, results
    data = json.loads(results[0].read_text())
    assert data["quick"] is True
    assert not (tmp_path / "work").exists(), "the scratch folder was not cleaned up"
    return done.stdout, data


def _keys(stdout: str) -> set[str]:
    return {m.group(2) for m in _LINE.finditer(stdout)}


def _check_json_matches_output(stdout: str, data: dict[str, object]) -> None:
    figures = data["figures"]
    assert isinstance(figures, list)
    assert {f["key"] for f in figures} == _keys(stdout)
    for figure in figures:
        assert figure["value"] > 0, figure
        assert figure["met"] in (True, False, None), figure


@needs_dvc
def test_small_files(tmp_path: Path) -> None:
    stdout, data = _smoke("bench_small_files.py", tmp_path, "--files", "60")
    expected = {
        *(f"small_files.{s}.vs_cp" for s in ("add", "push", "pull")),
        *(f"small_files.{s}.speedup_vs_dvc" for s in ("add", "push", "pull", "status_c")),
        "small_files.status_c.wall",
        "small_files.readd.vs_add",
        "small_files.readd.speedup_vs_dvc",
    }
    assert _keys(stdout) == expected
    _check_json_matches_output(stdout, data)
    assert "load average at start" in stdout


def test_big_file(tmp_path: Path) -> None:
    stdout, data = _smoke("bench_big_file.py", tmp_path, "--size-mb", "4", "--no-dvc")
    assert _keys(stdout) == {
        "big_file.add.vs_md5sum",
        "big_file.push.vs_cp",
        "big_file.pull.vs_cp",
        "big_file.pull.vs_md5sum",
    }
    _check_json_matches_output(stdout, data)


def test_scale(tmp_path: Path) -> None:
    stdout, data = _smoke("bench_scale.py", tmp_path, "--files", "200")
    assert _keys(stdout) == {
        "scale.dvcremote.add.peak_rss",
        "scale.dvcremote.push.peak_rss",
        "scale.dvcremote.add.per_file_growth",
        "scale.dvcremote.push.per_file_growth",
        "scale.dvcremote.add_push.per_file_growth",
        "scale.cp_r.per_file_growth",
    }
    _check_json_matches_output(stdout, data)
    # GNU time's figure is the child's own: a CLI run is tens of MB, not the parent's size
    series = data["series"]
    assert isinstance(series, dict)
    assert 1 < series["dvcremote add 200"]["max_rss_mb"] < 1000


@needs_dvc
def test_startup(tmp_path: Path) -> None:
    stdout, data = _smoke("bench_startup.py", tmp_path, "--repeat", "1")
    assert _keys(stdout) == {
        "startup.help.wall",
        "startup.help.vs_python",
        "startup.help.speedup_vs_dvc",
        "startup.status_empty.wall",
    }
    _check_json_matches_output(stdout, data)


@needs_dvc
@needs_moto
def test_s3_push(tmp_path: Path) -> None:
    stdout, data = _smoke("bench_s3_push.py", tmp_path, "--files", "40")
    assert _keys(stdout) == {
        "s3_push.speedup_vs_dvc",
        "s3_push.dvcremote.server_cpu_per_object",
        "s3_push.dvc.server_cpu_per_object",
        "s3_push.client_cpu.dvc_over_dvcremote",
        "s3_push.server_cpu.dvc_over_dvcremote",
    }
    _check_json_matches_output(stdout, data)
    # each push's line names what landed in the bucket: 40 files and one manifest
    landed = re.findall(r"^  (dvcremote|dvc) push: .*, (\d+) objects$", stdout, re.M)
    assert sorted(landed) == [("dvc", "41"), ("dvcremote", "41")]


# -------------------------------------------------------------------- the docs table
def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_is_rewritten_between_the_markers_only(tmp_path: Path) -> None:
    run_all = _run_all()
    out = tmp_path / "out"
    out.mkdir()
    figure = {
        "key": "small_files.add.vs_cp",
        "value": 3.25,
        "unit": "x",
        "target": "<= 2.5x",
        "met": False,
        "detail": "d",
        "cpu_value": 4.0,
    }
    run = {"wall": 1.0, "user": 0.5, "sys": 0.1, "maxrss_mb": 20.0, "load": 1.5}
    result = {
        "name": "small_files",
        "date": "2026-01-01 00:00 UTC",
        "machine": "m",
        "quick": False,
        "args": {"files": 10000, "workdir": None},
        "figures": [figure],
        "series": {"dvcremote add": {"runs": [run]}},
    }
    (out / "small_files.json").write_text(json.dumps(result))
    (out / "scm_history.txt").write_text("slowest collect + parse: 0.512 s wall, 0.400 s cpu\n")
    doc = tmp_path / "performance.md"
    doc.write_text(f"intro\n{run_all.BEGIN}\nold figures\n{run_all.END}\noutro\n")

    run_all.rewrite(doc, run_all.table(out))

    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{run_all.END}\noutro\n")
    assert "old figures" not in text
    assert "| `small_files.add.vs_cp` | 3.25x (cpu 4.00x) | <= 2.5x | **missed** | d |" in text
    assert "load average 1.5-1.5" in text
    assert "| slowest collect + parse | 0.512 s | < 2 s | met |" in text
    assert "**one big file, local remote**: not run yet." in text


def test_table_refuses_a_document_without_markers(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("no markers here\n")
    with pytest.raises(SystemExit, match="markers"):
        _run_all().rewrite(doc, "table\n")
    assert doc.read_text() == "no markers here\n"
