"""One big file: add against md5sum, push and pull to a local remote against cp.

A single file of seeded random bytes (1 GiB unless ``--size-mb`` says otherwise) is
added, pushed to a local-directory remote, removed with the cache and pulled back, by
``dvcremote`` (and, for context, the real ``dvc``) through their CLIs. ``md5sum`` of the
file is the reference for add (which must hash it), ``cp`` of the file the reference for
push and pull. ``sync`` runs (unmeasured) before each step, so one step's dirty pages
are not written back on the next one's clock. Needs about 8x the size free on disk.

    .venv/bin/python bench/bench_big_file.py [--size-mb 1024] [--repeat 3] [--quick] [--no-dvc]

Targets (issue 3): add within 1.2x of md5sum; push and pull within 1.5x of cp.
"""

from __future__ import annotations

import sys
from pathlib import Path

import harness
from harness import Report, Scratch, rmtree


def main() -> int:
    p = harness.parser(__doc__, files=1, quick_files=1)
    p.add_argument("--size-mb", type=int, default=None, help="file size in MiB (default 1024)")
    p.add_argument("--no-dvc", action="store_true", help="skip the real dvc")
    args = harness.resolve(p.parse_args())
    if args.size_mb is None:
        args.size_mb = 64 if args.quick else 1024
    size = args.size_mb * 2**20
    report = Report("big_file", args)
    contenders = harness.tools(with_dvc=not args.no_dvc)

    with Scratch("big-file", args) as work:
        need = size * (2 + 3 * len(contenders)) + 2**30
        free = harness.disk_free(work)
        report.say("# " + harness.df(work).replace("\n", "\n# "))
        if free < need:
            raise SystemExit(f"bench: {need / 2**30:.1f} GiB needed, {free / 2**30:.1f} GiB free")
        src = work / "big.bin"
        harness.make_big_file(src, size, args.seed)
        expected = harness.file_md5(src)
        report.say(f"# one file of {args.size_mb} MiB, md5 {expected}")

        for i in range(args.repeat):
            report.say(f"# round {i + 1}/{args.repeat}, load {harness.loadavg()}")
            _sync()
            report.measure("md5sum", ["md5sum", str(src)])
            repos: dict[str, Path] = {}
            for t in contenders:
                repo = work / f"{t.name}-{i}"
                t.init(repo, str(work / f"{t.name}-{i}-remote"), report.log)
                harness.call(["cp", str(src), str(repo / "big.bin")], log=report.log)
                repos[t.name] = repo
            for t in contenders:
                _sync()
                report.measure(f"{t.name} add", t.argv("add", "big.bin"), cwd=repos[t.name])
            _cp_reference(report, src, work / f"cp-{i}.bin")
            for t in contenders:
                _sync()
                report.measure(f"{t.name} push", t.argv("push"), cwd=repos[t.name])
            _cp_reference(report, src, work / f"cp-{i}.bin")
            for t in contenders:
                repo = repos[t.name]
                rmtree(repo / ".dvc" / "cache")
                rmtree(repo / "big.bin")
                _sync()
                report.measure(f"{t.name} pull", t.argv("pull"), cwd=repo)
                got = harness.file_md5(repo / "big.bin")
                if got != expected:
                    raise SystemExit(f"{t.name} pull restored md5 {got}, not {expected}")
            for t in contenders:
                rmtree(repos[t.name])
                rmtree(work / f"{t.name}-{i}-remote")
                rmtree(work / f".{t.name}-{i}-site-cache")
        report.say("# " + harness.df(work).replace("\n", "\n# "))

    report.say("# series (wall: best and median of the runs; cpu: least of the runs)")
    report.show_series()
    report.ratio_at_most("big_file.add.vs_md5sum", "dvcremote add", "md5sum", 1.2)
    report.ratio_at_most("big_file.push.vs_cp", "dvcremote push", "cp", 1.5)
    report.ratio_at_most("big_file.pull.vs_cp", "dvcremote pull", "cp", 1.5)
    # Every download is md5-verified, so a pull cannot beat md5sum: shown for context.
    pull, md5 = report.series["dvcremote pull"].best.wall, report.series["md5sum"].best.wall
    report.info_ratio(
        "big_file.pull.vs_md5sum", pull, md5,
        f"dvcremote pull {pull:.3f} s / md5sum {md5:.3f} s (a verified download hashes it all)",
    )
    if not args.no_dvc:
        for step in ("add", "push", "pull"):
            ours, theirs = report.series[f"dvcremote {step}"], report.series[f"dvc {step}"]
            report.info_ratio(
                f"big_file.{step}.speedup_vs_dvc",
                theirs.best.wall,
                ours.best.wall,
                f"dvc {theirs.best.wall:.3f} s / dvcremote {ours.best.wall:.3f} s",
            )
    report.finish()
    return 0


def _cp_reference(report: Report, src: Path, dst: Path) -> None:
    _sync()
    report.measure("cp", ["cp", str(src), str(dst)])
    rmtree(dst)


def _sync() -> None:
    harness.call(["sync"])


if __name__ == "__main__":
    sys.exit(main())
