"""Many small files: add, re-add, push, status -c, pull, against cp -r and the real dvc.

10,000 files of 1-4 KB (seeded random bytes, 1,000 to a folder) are tracked as one
directory and moved to a local-directory remote, by ``dvcremote`` and by ``dvc``, each
through its CLI as a child process (so start-up counts), round by round so both see the
same machine load. ``cp -r`` of the same directory is the reference for add, push and pull.

    .venv/bin/python bench/bench_small_files.py [--files 10000] [--repeat 3] [--quick] [--no-dvc]

Targets (issue 3): add, push, pull each within 2.5x of cp -r and at least 5x faster than
dvc; status -c with everything in sync under 0.5 s and at least 3x faster than dvc's;
re-adding unchanged data near-free.
"""

from __future__ import annotations

import sys
from pathlib import Path

import harness
from harness import Report, Scratch, Tool, set_aside

STEPS = ("add", "re-add", "push", "status -c", "pull")


def main() -> int:
    p = harness.parser(__doc__, files=10_000, quick_files=1_000)
    p.add_argument("--no-dvc", action="store_true", help="skip the real dvc")
    p.add_argument("--min-size", type=int, default=1024)
    p.add_argument("--max-size", type=int, default=4096)
    args = harness.resolve(p.parse_args())
    report = Report("small_files", args)
    contenders = harness.tools(with_dvc=not args.no_dvc)

    with Scratch("small-files", args) as work:
        src = work / "src"
        total = harness.make_small_files(
            src, args.files, min_size=args.min_size, max_size=args.max_size, seed=args.seed
        )
        expected = harness.tree_digest(src)
        report.say(f"# {args.files} files, {total / 2**20:.1f} MiB in {src}")

        def cp_reference(i: int) -> None:
            dst = work / f"cp-{i}"
            report.measure("cp -r", ["cp", "-r", str(src), str(dst)])
            set_aside(dst, work)

        for i in range(args.repeat):
            repos: dict[str, Path] = {}
            for t in contenders:
                repo = work / f"{t.name}-{i}"
                t.init(repo, str(work / f"{t.name}-{i}-remote"), report.log)
                harness.call(["cp", "-r", str(src), str(repo / "data")], log=report.log)
                repos[t.name] = repo
            report.say(f"# round {i + 1}/{args.repeat}, load {harness.loadavg()}")
            cp_reference(i)
            for step in STEPS:
                if step in ("push", "pull"):
                    cp_reference(i)
                for t in contenders:
                    _step(report, t, repos[t.name], step, expected, work)

    report.say("# series (wall: best and median of the runs; cpu: least of the runs)")
    report.show_series()
    _figures(report, with_dvc=not args.no_dvc)
    report.finish()
    return 0


def _step(
    report: Report, t: Tool, repo: Path, step: str, expected: tuple[int, str], work: Path
) -> None:
    label = f"{t.name} {step}"
    if step in ("add", "re-add"):
        report.measure(label, t.argv("add", "data"), cwd=repo)
    elif step == "push":
        report.measure(label, t.argv("push"), cwd=repo)
    elif step == "status -c":
        report.measure(label, t.argv("status", "-c"), cwd=repo)
    elif step == "pull":
        set_aside(repo / ".dvc" / "cache", work)
        set_aside(repo / "data", work)
        report.measure(label, t.argv("pull"), cwd=repo)
        got = harness.tree_digest(repo / "data")
        if got != expected:
            raise SystemExit(f"{t.name} pull restored {got[0]} files, not the {expected[0]} added")


def _figures(report: Report, with_dvc: bool) -> None:
    for step in ("add", "push", "pull"):
        report.ratio_at_most(f"small_files.{step}.vs_cp", f"dvcremote {step}", "cp -r", 2.5)
        if with_dvc:
            report.speedup_at_least(
                f"small_files.{step}.speedup_vs_dvc", f"dvcremote {step}", f"dvc {step}", 5.0
            )
    status = report.series["dvcremote status -c"].best.wall
    report.absolute("small_files.status_c.wall", status, "s", "< 0.5 s", status < 0.5)
    if with_dvc:
        report.speedup_at_least(
            "small_files.status_c.speedup_vs_dvc", "dvcremote status -c", "dvc status -c", 3.0
        )
    readd = report.series["dvcremote re-add"].best
    first = report.series["dvcremote add"].best
    report.info_ratio(
        "small_files.readd.vs_add",
        readd.wall,
        first.wall,
        f"re-add {readd.wall:.3f} s / first add {first.wall:.3f} s; near-free wanted",
    )
    if with_dvc:
        dvc_readd = report.series["dvc re-add"].best
        report.info_ratio(
            "small_files.readd.speedup_vs_dvc",
            dvc_readd.wall,
            readd.wall,
            f"dvc re-add {dvc_readd.wall:.3f} s / dvcremote re-add {readd.wall:.3f} s",
        )


if __name__ == "__main__":
    sys.exit(main())
