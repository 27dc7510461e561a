"""Many small files pushed to S3 (a moto server): dvcremote against the real dvc + dvc-s3.

10,000 files of 1-4 KB (seeded random bytes) are added (unmeasured) in one repository per
tool, then pushed to a bucket on ``moto_server``, a separate process started fresh for
every push (moto keeps everything in memory and slows down as it grows) and stopped with
SIGKILL after a grace period. Each push prints its wall time, the client's CPU seconds
(the CLI and its children) and the server's CPU seconds over the push, so a client that
is fast because it makes the server do more work shows up. After each push the bucket
is listed with boto3 to check every object landed.

    .venv/bin/python bench/bench_s3_push.py [--files 10000] [--repeat 3] [--quick]

Target (issue 6): dvcremote's push faster than dvc's push to the same server in the same
run (speedup above 1.0x).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import harness
from harness import Report, Scratch, Tool

try:
    from dvcremote_s3.testing import S3Server, free_port  # type: ignore[import-untyped, unused-ignore]
except ImportError as exc:  # the plugin is a separate distribution
    raise SystemExit(f"bench: the s3 plugin (plugins/s3, dvcremote_s3) is needed: {exc}") from exc

BUCKET = "bench"


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, with reaped children) a live process has used so far."""
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)
    except ImportError:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        return ticks / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def moto(grace_s: float = 3.0, ready_s: float = 60.0) -> Iterator[tuple[S3Server, int]]:
    """``moto_server`` in its own process (its CPU is then measurable apart from ours)."""
    port = free_port()
    process = subprocess.Popen(
        [harness.tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + ready_s
        while True:
            if process.poll() is not None:
                raise SystemExit(f"bench: moto_server exited with {process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: moto_server did not start") from None
                time.sleep(0.05)
        yield S3Server(endpoint_url=f"http://127.0.0.1:{port}"), process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()


def count_objects(server: S3Server, prefix: str) -> int:
    paginator = server.client().get_paginator("list_objects_v2")
    return sum(p.get("KeyCount", 0) for p in paginator.paginate(Bucket=BUCKET, Prefix=prefix))


def main() -> int:
    p = harness.parser(__doc__, files=10_000, quick_files=1_000)
    args = harness.resolve(p.parse_args())
    report = Report("s3_push", args)
    contenders = harness.tools(with_dvc=True)

    with Scratch("s3-push", args) as work:
        src = work / "src"
        total = harness.make_small_files(
            src, args.files, min_size=1024, max_size=4096, seed=args.seed
        )
        report.say(f"# {args.files} files, {total / 2**20:.1f} MiB")
        # The endpoint changes per server; the rest of the remote is set up once.
        placeholder = S3Server(endpoint_url="http://127.0.0.1:1")
        # empty AWS files, so nothing in ~/.aws leaks in (botocore refuses /dev/null)
        aws = work / "aws"
        aws.write_text("")
        env = harness.quiet_env(
            {
                **placeholder.env(),
                "AWS_CONFIG_FILE": str(aws),
                "AWS_SHARED_CREDENTIALS_FILE": str(aws),
            }
        )
        repos: dict[str, Path] = {}
        for t in contenders:
            repo = work / t.name
            options = placeholder.remote_options()
            t.init(repo, f"s3://{BUCKET}/{t.name}", report.log, **options)
            harness.call(["cp", "-r", str(src), str(repo / "data")], log=report.log)
            harness.call(t.argv("add", "data"), cwd=repo, env=env, log=report.log)
            repos[t.name] = repo
        expected = args.files + 1  # the files and the directory manifest

        for i in range(args.repeat):
            report.say(f"# round {i + 1}/{args.repeat}, load {harness.loadavg()}")
            for t in contenders:
                _push(report, t, repos[t.name], env, expected)

    report.say("# series (wall: best and median of the runs; cpu: least of the runs)")
    report.show_series()
    ours, theirs = report.series["dvcremote push"], report.series["dvc push"]
    report.speedup_at_least("s3_push.speedup_vs_dvc", "dvcremote push", "dvc push", 1.0)
    for t in contenders:
        server = report.series[f"{t.name} server"]
        report.absolute(
            f"s3_push.{t.name}.server_cpu_per_object",
            server.min_cpu / expected * 1000,
            "ms",
            "",
            None,
            f"server cpu {server.min_cpu:.2f} s for {expected} objects",
        )
    report.info_ratio(
        "s3_push.client_cpu.dvc_over_dvcremote",
        theirs.min_cpu,
        ours.min_cpu,
        f"client cpu: dvc {theirs.min_cpu:.2f} s, dvcremote {ours.min_cpu:.2f} s",
    )
    report.info_ratio(
        "s3_push.server_cpu.dvc_over_dvcremote",
        report.series["dvc server"].min_cpu,
        report.series["dvcremote server"].min_cpu,
        "server cpu over the push, dvc's over dvcremote's",
    )
    report.finish()
    return 0


def _push(report: Report, t: Tool, repo: Path, env: dict[str, str], expected: int) -> None:
    with moto() as (server, pid):
        server.create_bucket(BUCKET)
        harness.call(
            t.argv("remote", "modify", "store", "endpointurl", server.endpoint_url),
            cwd=repo,
            env=env,
            log=report.log,
        )
        push_env = {**env, **server.env()}
        before = process_cpu(pid)
        measured = report.measure(f"{t.name} push", t.argv("push"), cwd=repo, env=push_env)
        server_cpu = process_cpu(pid) - before
        rss = process_rss_mb(pid)
        # the server as a Run: its wall is the push's, its cpu what it spent meanwhile
        report.add_run(
            f"{t.name} server",
            harness.Run(measured.wall, server_cpu, 0.0, rss, measured.load),
        )
        landed = count_objects(server, t.name)
        report.say(
            f"  {t.name} push: {measured.wall:.2f} s wall, client cpu {measured.cpu:.2f} s, "
            f"server cpu {server_cpu:.2f} s, server rss {rss:.0f} MB, {landed} objects"
        )
        if landed != expected:
            raise SystemExit(f"{t.name} push left {landed} objects, not {expected}")


if __name__ == "__main__":
    sys.exit(main())
