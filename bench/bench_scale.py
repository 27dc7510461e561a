"""Scale: add + push of 100,000 tiny files against 10,000; peak memory and per-file time.

Two trees of tiny files (8-64 seeded random bytes each, 1,000 to a folder), N and N/10
files, are each added and pushed to a local-directory remote by ``dvcremote`` through its
CLI. Peak RSS comes from GNU time (the child's own high-water mark). The per-file time
ratio (seconds per file at N over seconds per file at N/10) says how time grows: 1.0 is
linear, above is worse. ``cp -r`` of both trees shows how the file system itself scales
on this machine, for context. ``--dvc`` adds the real dvc at both sizes (slow).

    .venv/bin/python bench/bench_scale.py [--files 100000] [--repeat 3] [--quick] [--dvc]

Targets (issue 3): peak memory of add and of push under 300 MB at 100,000 files; time
growing no worse than linearly (per-file ratio at most 1.1, the 0.1 being run-to-run noise).
"""

from __future__ import annotations

import sys

import harness
from harness import Report, Scratch, set_aside

MEMORY_LIMIT_MB = 300.0
LINEAR_LIMIT = 1.1


def main() -> int:
    p = harness.parser(__doc__, files=100_000, quick_files=1_000)
    p.add_argument("--dvc", action="store_true", help="also run the real dvc (slow)")
    args = harness.resolve(p.parse_args())
    report = Report("scale", args)
    contenders = harness.tools(with_dvc=args.dvc)
    big, small = args.files, max(args.files // 10, 1)

    with Scratch("scale", args) as work:
        trees = {}
        for n in (small, big):
            trees[n] = work / f"src-{n}"
            total = harness.make_small_files(
                trees[n], n, min_size=8, max_size=64, seed=args.seed + n
            )
            report.say(f"# {n} files, {total / 2**20:.2f} MiB")
        for i in range(args.repeat):
            report.say(f"# round {i + 1}/{args.repeat}, load {harness.loadavg()}")
            for n in (small, big):
                dst = work / "cp"
                report.measure(f"cp -r {n}", ["cp", "-r", str(trees[n]), str(dst)])
                set_aside(dst, work)
                for t in contenders:
                    repo = work / f"{t.name}-{n}-{i}"
                    remote = work / f"{t.name}-{n}-{i}-remote"
                    t.init(repo, str(remote), report.log)
                    harness.call(["cp", "-r", str(trees[n]), str(repo / "data")])
                    report.measure(f"{t.name} add {n}", t.argv("add", "data"), cwd=repo)
                    report.measure(f"{t.name} push {n}", t.argv("push"), cwd=repo)
                    set_aside(repo, work)
                    set_aside(remote, work)

    report.say("# series (wall: best and median of the runs; cpu: least of the runs)")
    report.show_series()
    for t in contenders:
        _figures(report, t.name, small, big, targets=t.name == "dvcremote")
    cp_growth = _per_file(report, "cp -r", small, big)
    report.info_ratio(
        "scale.cp_r.per_file_growth", cp_growth, 1.0, f"cp -r per-file time at {big} / at {small}"
    )
    report.finish()
    return 0


def _per_file(report: Report, prefix: str, small: int, big: int) -> float:
    at_big = report.series[f"{prefix} {big}"].best.wall / big
    at_small = report.series[f"{prefix} {small}"].best.wall / small
    return at_big / at_small


def _figures(report: Report, name: str, small: int, big: int, *, targets: bool) -> None:
    key = f"scale.{name}"
    for step in ("add", "push"):
        series = report.series[f"{name} {step} {big}"]
        rss = series.max_rss
        if targets:
            report.absolute(
                f"{key}.{step}.peak_rss",
                rss,
                "MB",
                f"< {MEMORY_LIMIT_MB:g} MB",
                rss < MEMORY_LIMIT_MB,
                f"{step} of {big} files",
            )
        else:
            report.absolute(f"{key}.{step}.peak_rss", rss, "MB", "", None, f"{step} of {big} files")
    both = {
        n: sum(report.series[f"{name} {step} {n}"].best.wall for step in ("add", "push"))
        for n in (small, big)
    }
    for step in ("add", "push"):
        growth = _per_file(report, f"{name} {step}", small, big)
        report.info_ratio(
            f"{key}.{step}.per_file_growth",
            growth,
            1.0,
            f"{name} {step}: per-file time at {big} / at {small}",
        )
    growth = (both[big] / big) / (both[small] / small)
    detail = (
        f"add+push {both[big]:.2f} s for {big} files / {both[small]:.2f} s for {small} files, "
        "per file"
    )
    if targets:
        report.ratio(
            f"{key}.add_push.per_file_growth",
            growth,
            f"<= {LINEAR_LIMIT:g}x",
            growth <= LINEAR_LIMIT,
            detail,
        )
    else:
        report.info_ratio(f"{key}.add_push.per_file_growth", growth, 1.0, detail)


if __name__ == "__main__":
    sys.exit(main())
