"""CLI start-up: ``dvcremote --help`` against the bare interpreter and ``dvc --help``.

Every command pays start-up once, and for small jobs (``status -c`` on a synced repo)
it is most of the bill. ``python -c pass`` with the same interpreter is the floor; the
real ``dvc --help`` is the context. ``dvcremote status`` in an empty repository shows
what importing the working machinery costs on top of ``--help``.

    .venv/bin/python bench/bench_startup.py [--repeat 10] [--quick]

Target (issue 3): ``dvcremote --help`` under 0.2 s wall.
"""

from __future__ import annotations

import sys

import harness
from harness import Report, Scratch


def main() -> int:
    p = harness.parser(__doc__, files=0, quick_files=0)
    args = p.parse_args()
    if args.repeat is None:
        args.repeat = 3 if args.quick else 10
    args = harness.resolve(args)
    report = Report("startup", args)
    ours, dvc = harness.tools(with_dvc=True)
    with Scratch("startup", args) as work:
        repo = work / "repo"
        ours.init(repo, str(work / "remote"), report.log)
        for _ in range(args.repeat):
            report.measure("python -c pass", [sys.executable, "-c", "pass"])
            report.measure("dvcremote --help", ours.argv("--help"))
            report.measure("dvcremote status", ours.argv("status"), cwd=repo)
            report.measure("dvc --help", dvc.argv("--help"))
    report.say("# series (wall: best and median of the runs; cpu: least of the runs)")
    report.show_series()
    help_wall = report.series["dvcremote --help"].best.wall
    report.absolute("startup.help.wall", help_wall, "s", "< 0.2 s", help_wall < 0.2)
    floor = report.series["python -c pass"].best.wall
    report.info_ratio(
        "startup.help.vs_python",
        help_wall,
        floor,
        f"dvcremote --help {help_wall:.3f} s / python -c pass {floor:.3f} s",
    )
    report.speedup_at_least("startup.help.speedup_vs_dvc", "dvcremote --help", "dvc --help", 1.0)
    status = report.series["dvcremote status"].best.wall
    report.absolute("startup.status_empty.wall", status, "s", "", None, "an empty repository")
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
