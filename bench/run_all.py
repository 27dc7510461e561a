"""Run every benchmark, then rewrite the figures table in docs/performance.md.

Each benchmark runs as its own process, one after another (never two at once: they
would measure each other), and leaves ``bench/out/<name>.json``. The table between the
``figures:begin``/``figures:end`` markers of ``docs/performance.md`` is then rebuilt from
those files; nothing else in the document changes. Smoke runs (``--quick``) never
touch the document unless ``--doc`` names one.

    .venv/bin/python bench/run_all.py                  # everything, full size (about an hour)
    .venv/bin/python bench/run_all.py --only small_files scale
    .venv/bin/python bench/run_all.py --table-only     # rebuild the table from bench/out
    .venv/bin/python bench/run_all.py --quick          # smoke run, results in bench/out/*-quick.*
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"

#: name -> script; each writes ``<out>/<name>.json`` (``-quick`` before the suffix on smoke runs)
BENCHMARKS = {
    "startup": "bench_startup.py",
    "small_files": "bench_small_files.py",
    "big_file": "bench_big_file.py",
    "scale": "bench_scale.py",
    "s3_push": "bench_s3_push.py",
}
#: written by another hand; it prints text only, so its summary line is parsed
SCM_HISTORY = "bench_scm_history.py"
_SCM_LINE = re.compile(r"slowest collect \+ parse: ([\d.]+) s wall, ([\d.]+) s cpu")

TITLES = {
    "startup": "CLI start-up",
    "small_files": "10,000 small files, local remote",
    "big_file": "one big file, local remote",
    "scale": "100,000 tiny files",
    "s3_push": "10,000 small files pushed to moto (S3)",
    "scm_history": "history of 1,000 commits (`bench/bench_scm_history.py`)",
}


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=[*BENCHMARKS, "scm_history"], default=None)
    p.add_argument("--quick", action="store_true", help="smoke-run every benchmark")
    p.add_argument("--table-only", action="store_true", help="do not run, rebuild the table")
    p.add_argument(
        "--settle",
        type=float,
        default=None,
        help="seconds to wait between benchmarks (default 60, 0 with --quick): on ext4 "
        "without a journal, files deleted by one benchmark's clean-up slow the next "
        "one's file creation for about a minute",
    )
    p.add_argument("--out", default=str(OUT))
    p.add_argument("--doc", default=None, help="document to rewrite (default docs/performance.md)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = args.only or [*BENCHMARKS, "scm_history"]
    failed: list[str] = []
    settle = args.settle if args.settle is not None else (0.0 if args.quick else 60.0)
    if not args.table_only:
        for i, name in enumerate(chosen):
            if i and settle:
                print(f"=== waiting {settle:.0f} s for the file system to settle", flush=True)
                time.sleep(settle)
            print(f"=== {name}", flush=True)
            if not _run(name, out, args.quick):
                failed.append(name)
    doc = Path(args.doc) if args.doc else (None if args.quick else DOC)
    if doc is not None:
        rewrite(doc, table(out, quick=args.quick))
        print(f"rewrote the figures table in {doc}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _run(name: str, out: Path, quick: bool) -> bool:
    if name == "scm_history":
        argv = [sys.executable, str(HERE / SCM_HISTORY)]
        if quick:
            argv += ["--commits", "200", "--repeat", "1"]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        suffix = "-quick" if quick else ""
        (out / f"scm_history{suffix}.txt").write_text(result.stdout + result.stderr)
        return result.returncode == 0
    argv = [sys.executable, str(HERE / BENCHMARKS[name]), "--out", str(out)]
    if quick:
        argv.append("--quick")
    return subprocess.run(argv, check=False).returncode == 0


# ------------------------------------------------------------------------- the table
def _load(out: Path, name: str, quick: bool) -> dict[str, Any] | None:
    path = out / f"{name}{'-quick' if quick else ''}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _cell(figure: dict[str, Any]) -> str:
    unit = figure["unit"]
    value = figure["value"]
    text = f"{value:.2f}x" if unit == "x" else f"{value:.3g} {unit}"
    if figure.get("cpu_value") is not None:
        text += f" (cpu {figure['cpu_value']:.2f}x)"
    return text


def _verdict(figure: dict[str, Any]) -> str:
    if not figure["target"]:
        return ""
    return "met" if figure["met"] else "**missed**"


def table(out: Path, quick: bool = False) -> str:
    """The markdown between the markers: one section per benchmark that has results."""
    parts: list[str] = []
    for name in BENCHMARKS:
        data = _load(out, name, quick)
        if data is None:
            parts.append(f"**{TITLES[name]}**: not run yet.\n")
            continue
        load = _load_range(data)
        parts.append(
            f"**{TITLES[name]}** ({data['date']}; {data['machine']}; "
            f"load average {load}; args {_args(name, data['args'])})\n"
        )
        parts.append("| Measure | Figure (wall) | Target | Verdict | Detail |")
        parts.append("|---|---|---|---|---|")
        for f in data["figures"]:
            parts.append(
                f"| `{f['key']}` | {_cell(f)} | {f['target']} | {_verdict(f)} | {f['detail']} |"
            )
        parts.append("")
    parts.append(_scm_section(out, quick))
    return "\n".join(parts).rstrip() + "\n"


def _scm_section(out: Path, quick: bool) -> str:
    path = out / f"scm_history{'-quick' if quick else ''}.txt"
    title = TITLES["scm_history"]
    if not path.exists():
        return f"**{title}**: not run yet.\n"
    text = path.read_text()
    match = _SCM_LINE.search(text)
    if not match:
        return f"**{title}**: its last run printed no summary line (see bench/out).\n"
    wall, cpu = float(match.group(1)), float(match.group(2))
    load = re.search(r"load average before: ([\d.]+)", text)
    loaded = f"; load average {load.group(1)}" if load else ""
    verdict = "met" if wall < 2.0 else "**missed**"
    return (
        f"**{title}**{loaded}\n\n"
        "| Measure | Figure (wall) | Target | Verdict | Detail |\n|---|---|---|---|---|\n"
        f"| slowest collect + parse | {wall:.3f} s | < 2 s | {verdict} | cpu {cpu:.3f} s |\n"
    )


def _load_range(data: dict[str, Any]) -> str:
    loads = [r["load"] for s in data["series"].values() for r in s["runs"]]
    if not loads:
        return "n/a"
    return f"{min(loads):.1f}-{max(loads):.1f}"


def _args(name: str, args: dict[str, Any]) -> str:
    hidden = {"workdir", "keep", "out"} | ({"files"} if name == "big_file" else set())
    shown = {k: v for k, v in args.items() if k not in hidden and v}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "defaults"


def rewrite(doc: Path, body: str) -> None:
    """Replace what lies between the markers; refuse if they are missing."""
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{body}{END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
