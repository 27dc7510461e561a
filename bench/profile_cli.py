"""Profile one ``dvcremote`` CLI command with py-spy and print where its time goes.

Runs ``python -m dvcremote ARGS`` in the current folder under ``py-spy record`` (all
threads), keeps the folded stacks in ``bench/out/profile-<name>.txt`` (flamegraph.pl and
speedscope read them) and prints the functions with the most samples: by own time
(leaf) and including callees. ``--gil`` keeps only samples of the thread holding the
GIL (Python CPU); ``--idle`` keeps waiting threads too (wall time). Under heavy machine
load py-spy's samples follow wall time (a runnable thread the scheduler has not run yet
looks busy), so there prefer ``--cprofile`` with ``-j 1`` in the command: cProfile on
the main thread, timed by that thread's CPU clock, deterministic whatever the load.

    cd REPO && /work/main/.venv/bin/python /work/main/bench/profile_cli.py [--gil] -- pull
    cd REPO && /work/main/.venv/bin/python /work/main/bench/profile_cli.py --cprofile -- pull -j 1
    (py-spy: uv pip install --python .venv/bin/python py-spy)
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

import harness

_SITE = re.compile(r"^.*/site-packages/")


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--gil", action="store_true", help="only the thread holding the GIL")
    p.add_argument("--idle", action="store_true", help="include idle (waiting) threads")
    p.add_argument("--cprofile", action="store_true", help="cProfile, main thread CPU time")
    p.add_argument("--rate", type=int, default=250, help="samples per second")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--name", default=None, help="output name (default: from the command)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- then the dvcremote arguments")
    args = p.parse_args()
    command = [c for c in args.command if c != "--"] or ["--help"]
    name = args.name or "-".join(re.sub(r"\W", "", c) for c in command)[:40]
    harness.OUT.mkdir(parents=True, exist_ok=True)
    if args.cprofile:
        return _cprofile(command, name, args.top)
    raw = harness.OUT / f"profile-{name}.txt"
    base = [harness.tool("py-spy"), "record", "--threads", "-r", str(args.rate)]
    if args.gil:
        base.append("--gil")
    if args.idle:
        base.append("--idle")
    target = ["--", sys.executable, "-m", "dvcremote", *command]
    env = harness.quiet_env()
    done = subprocess.run(
        [*base, "-f", "raw", "-o", str(raw), *target], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        return done.returncode
    print(f"# {' '.join(command)}  (load {harness.loadavg()}); stacks: {raw}")
    summarise(raw, args.top)
    return 0


_CPROFILE = """
import cProfile, pstats, runpy, sys, time
out, top = sys.argv[1], int(sys.argv[2])
sys.argv = ["dvcremote", *sys.argv[3:]]
profile = cProfile.Profile(time.thread_time)
try:
    profile.runcall(runpy.run_module, "dvcremote", run_name="__main__")
except SystemExit:
    pass
finally:
    profile.dump_stats(out)
    stats = pstats.Stats(out, stream=sys.stderr).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
"""


def _cprofile(command: list[str], name: str, top: int) -> int:
    out = harness.OUT / f"profile-{name}.prof"
    argv = [sys.executable, "-c", _CPROFILE, str(out), str(top), *command]
    done = subprocess.run(argv, env=harness.quiet_env(), capture_output=True, text=True)
    print(f"# {' '.join(command)}  (load {harness.loadavg()}); pstats file: {out}")
    print(done.stdout[-2000:])
    print(done.stderr)
    return done.returncode


def summarise(raw: Path, top: int) -> None:
    """Own and inclusive sample counts per frame, from py-spy's folded stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = [_SITE.sub("", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            if not frame.startswith(("thread ", "process ")):
                inclusive[frame] += n
    print(f"# {total} samples")
    print("# own time")
    for frame, n in own.most_common(top):
        print(f"{n:7} {100 * n / total:5.1f}%  {frame}")
    print("# including callees")
    for frame, n in inclusive.most_common(top):
        print(f"{n:7} {100 * n / total:5.1f}%  {frame}")


if __name__ == "__main__":
    sys.exit(main())
