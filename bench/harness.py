"""What every benchmark shares: run a CLI as a child process, measure it, print ratios.

Speed is only ever reported as a RATIO against a reference run in the same process
tree and the same time window (``cp -r``, ``md5sum``, the real ``dvc``), because the
machine is shared and its absolute speed changes from minute to minute. Each child is
reaped with ``os.wait4``, so its own CPU seconds are known (not the sum over every child
this process ever had), and runs under GNU time, which reports its own peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
#: The venv's bin folder, where ``dvcremote``, ``dvc`` and ``moto_server`` live. Not resolved:
#: ``.venv/bin/python`` is usually a symlink to an interpreter outside the venv.
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Absolute path of a console script of this venv (or of ``PATH``)."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench: {name} is not installed (looked in {BIN} and PATH)")
    return found


#: Compiled bytecode for every child, kept out of the work tree and the venv. Installers
#: such as pip leave ``.pyc`` files beside the sources; a child that had to compile every
#: module on each start (``PYTHONDONTWRITEBYTECODE`` and no ``.pyc``) would measure the
#: compiler, and dvc, which imports far more, would pay most.
PYCACHE = OUT / "pycache"


def quiet_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for every child: no analytics, no update checks, no colour, warm bytecode."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "DVC_NO_ANALYTICS": "1",
            "DVC_NO_UPDATER": "1",
            "NO_COLOR": "1",
            "PYTHONPYCACHEPREFIX": str(PYCACHE),
        }
    )
    if extra:
        env.update(extra)
    return env


def warm_bytecode() -> float:
    """Compile the venv and the repository's packages into ``PYCACHE``; returns seconds.

    Costs about a minute the first time on a 2-core machine, a few seconds after that.
    """
    import sysconfig

    start = time.perf_counter()
    folders = [sysconfig.get_paths()["purelib"], str(ROOT / "dvcremote")]
    folders += [str(p) for p in sorted(ROOT.glob("plugins/*/src"))]
    folders += [str(ROOT / "testing" / "src")]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *folders],
        env=quiet_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


# ------------------------------------------------------------------ one measured child
@dataclass
class Run:
    """One child process, measured: wall seconds, its CPU seconds, its peak RSS."""

    wall: float
    user: float
    sys: float
    maxrss_mb: float
    load: float

    @property
    def cpu(self) -> float:
        return self.user + self.sys


class CommandFailed(RuntimeError):
    pass


#: GNU time reports the child's own peak RSS. ``ru_maxrss`` from ``wait4`` cannot: Linux
#: carries the high-water mark across fork and exec, so it would include this process's.
TIME = "/usr/bin/time"


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Run:
    """Run ``argv`` to completion; raise with its output's tail if it fails."""
    rss_file = None
    command = list(map(str, argv))
    if os.path.exists(TIME):
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        command = [TIME, "-q", "-f", "%M", "-o", rss_file, *command]
    log_file = open(log, "ab") if log else None  # noqa: SIM115 - closed in finally
    try:
        if log_file is not None:
            log_file.write(f"$ {' '.join(map(str, argv))}   (cwd={cwd})\n".encode())
            log_file.flush()
        sink = log_file if log_file is not None else subprocess.DEVNULL
        load = os.getloadavg()[0]
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=dict(env or quiet_env()), stdout=sink, stderr=sink
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        maxrss_kib = float(usage.ru_maxrss)  # a fallback only: includes our own size
        if rss_file:
            text = Path(rss_file).read_text().split()
            maxrss_kib = float(text[-1]) if text else maxrss_kib
    finally:
        if log_file is not None:
            log_file.close()
        if rss_file:
            os.unlink(rss_file)
    if process.returncode != 0:
        tail = ""
        if log:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise CommandFailed(f"exit {process.returncode}: {' '.join(map(str, argv))}\n{tail}")
    return Run(wall, usage.ru_utime, usage.ru_stime, maxrss_kib / 1024, load)


def call(argv: Sequence[str], **kwargs: Any) -> None:
    """Run a set-up step (not measured)."""
    run(argv, **kwargs)


# --------------------------------------------------------------------------- series
@dataclass
class Series:
    """Repeated runs of one command; the best (least disturbed) run is the figure."""

    label: str
    runs: list[Run] = field(default_factory=list)

    def add(self, measured: Run) -> Run:
        self.runs.append(measured)
        return measured

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda r: r.wall)

    @property
    def median_wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def min_cpu(self) -> float:
        return min(r.cpu for r in self.runs)

    @property
    def max_rss(self) -> float:
        return max(r.maxrss_mb for r in self.runs)

    def summary(self) -> str:
        best = self.best
        return (
            f"{self.label:<34} best {best.wall:8.3f} s  median {self.median_wall:8.3f} s  "
            f"cpu {self.min_cpu:8.3f} s  peak rss {self.max_rss:7.1f} MB  "
            f"(n={len(self.runs)}, load {min(r.load for r in self.runs):.1f}"
            f"-{max(r.load for r in self.runs):.1f})"
        )


# --------------------------------------------------------------------------- report
@dataclass
class Figure:
    """One line of the results: a ratio or an absolute value, with its target."""

    key: str
    value: float
    unit: str
    target: str
    met: bool | None
    detail: str
    #: the same ratio on CPU seconds (steadier than wall on a busy machine), when known
    cpu_value: float | None = None


class Report:
    """Prints the lines a reader (and the smoke test) looks for, and keeps them as JSON."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self.name = name
        self.args = args
        self.figures: list[Figure] = []
        self.series: dict[str, Series] = {}
        self.started = dt.datetime.now(dt.timezone.utc)
        self.out = Path(getattr(args, "out", OUT))
        self.out.mkdir(parents=True, exist_ok=True)
        suffix = "-quick" if getattr(args, "quick", False) else ""
        self.log = self.out / f"{name}{suffix}.commands.log"
        self.log.write_text("")
        self.lines: list[str] = []
        self.say(f"# {name}  {self.started:%Y-%m-%d %H:%M} UTC  {machine()}")
        self.say(f"# args: {vars(args)}")
        self.say(f"# load average at start: {loadavg()}")
        # a clean exit (and the scratch folder's removal) on SIGTERM too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        if not getattr(args, "quick", False):
            self.say(f"# bytecode warmed in {warm_bytecode():.0f} s (not measured)")

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def series_for(self, label: str) -> Series:
        return self.series.setdefault(label, Series(label))

    def measure(self, label: str, argv: Sequence[str], **kwargs: Any) -> Run:
        kwargs.setdefault("log", self.log)
        measured = self.series_for(label).add(run(argv, **kwargs))
        self.say(
            f"  {label}: {measured.wall:.3f} s wall, {measured.cpu:.3f} s cpu, "
            f"{measured.maxrss_mb:.0f} MB (load {measured.load:.1f})"
        )
        return measured

    def add_run(self, label: str, measured: Run) -> Run:
        return self.series_for(label).add(measured)

    def show_series(self) -> None:
        for s in self.series.values():
            self.say("  " + s.summary())

    # ------------------------------------------------------------------ figures
    def ratio_at_most(self, key: str, ours: str, ref: str, limit: float) -> Figure:
        """``ours`` takes at most ``limit`` times as long as ``ref`` (wall, best runs)."""
        a, b = self.series[ours].best, self.series[ref].best
        value = a.wall / b.wall
        detail = (
            f"{ours} {a.wall:.3f} s / {ref} {b.wall:.3f} s; "
            f"cpu {self.series[ours].min_cpu:.2f} s vs {self.series[ref].min_cpu:.2f} s"
        )
        cpu = self.series[ours].min_cpu / max(self.series[ref].min_cpu, 1e-3)
        return self.ratio(key, value, f"<= {limit:g}x", value <= limit, detail, cpu)

    def speedup_at_least(self, key: str, ours: str, other: str, limit: float) -> Figure:
        """``other`` takes at least ``limit`` times as long as ``ours`` (wall, best runs)."""
        a, b = self.series[ours].best, self.series[other].best
        value = b.wall / a.wall
        detail = (
            f"{other} {b.wall:.3f} s / {ours} {a.wall:.3f} s; "
            f"cpu {self.series[other].min_cpu:.2f} s vs {self.series[ours].min_cpu:.2f} s"
        )
        cpu = self.series[other].min_cpu / max(self.series[ours].min_cpu, 1e-3)
        return self.ratio(key, value, f">= {limit:g}x", value >= limit, detail, cpu)

    def info_ratio(self, key: str, num: float, den: float, detail: str) -> Figure:
        """A ratio with no target (shown for context)."""
        return self.ratio(key, num / den if den else float("inf"), "", None, detail)

    def ratio(
        self,
        key: str,
        value: float,
        target: str,
        met: bool | None,
        detail: str,
        cpu: float | None = None,
    ) -> Figure:
        figure = Figure(key, value, "x", target, met, detail, cpu)
        verdict = _verdict(target, met)
        on_cpu = f" [cpu ratio {cpu:.2f}x]" if cpu is not None else ""
        self.say(f"RATIO {key}: {value:.2f}x{on_cpu}  ({detail}){verdict}")
        self.figures.append(figure)
        return figure

    def absolute(
        self, key: str, value: float, unit: str, target: str, met: bool | None, detail: str = ""
    ) -> Figure:
        figure = Figure(key, value, unit, target, met, detail)
        extra = f"  ({detail})" if detail else ""
        self.say(f"VALUE {key}: {value:.3f} {unit}{extra}{_verdict(target, met)}")
        self.figures.append(figure)
        return figure

    # ------------------------------------------------------------------ output
    def finish(self) -> None:
        self.say(f"# load average at end: {loadavg()}")
        took = (dt.datetime.now(dt.timezone.utc) - self.started).total_seconds()
        self.say(f"# took {took:.0f} s")
        result = {
            "name": self.name,
            "date": self.started.strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "quick": bool(getattr(self.args, "quick", False)),
            "args": {k: v for k, v in vars(self.args).items() if _jsonable(v)},
            "figures": [asdict(f) for f in self.figures],
            "series": {
                k: {
                    "best_wall": s.best.wall,
                    "median_wall": s.median_wall,
                    "min_cpu": s.min_cpu,
                    "max_rss_mb": s.max_rss,
                    "runs": [asdict(r) for r in s.runs],
                }
                for k, s in self.series.items()
            },
        }
        suffix = "-quick" if result["quick"] else ""
        (self.out / f"{self.name}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
        (self.out / f"{self.name}{suffix}.txt").write_text("\n".join(self.lines) + "\n")


def _verdict(target: str, met: bool | None) -> str:
    if not target:
        return ""
    return f"  target {target}: {'MET' if met else 'MISSED'}"


def _jsonable(value: object) -> bool:
    return isinstance(value, (str, int, float, bool, type(None)))


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cpus)"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.node()}: {os.cpu_count()} cpus ({model}){mem}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


# ------------------------------------------------------------------------ arguments
def parser(doc: str | None, files: int, quick_files: int) -> argparse.ArgumentParser:
    """The options every benchmark takes."""
    p = argparse.ArgumentParser(
        description=(doc or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--files", type=int, default=None, help=f"how many files (default {files})")
    p.add_argument(
        "--quick", action="store_true", help=f"smoke run: {quick_files} files, one repetition"
    )
    p.add_argument("--repeat", type=int, default=None, help="runs per measurement (default 3)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    p.add_argument("--out", default=str(OUT), help="where results go (default bench/out)")
    p.set_defaults(_default_files=files, _quick_files=quick_files)
    return p


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    if args.files is None:
        args.files = args._quick_files if args.quick else args._default_files
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    del args._default_files, args._quick_files
    return args


class Scratch:
    """A scratch folder under /work's disk (not tmpfs), removed at the end unless kept."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        if args.workdir:
            self.path = Path(args.workdir).resolve()
            self.path.mkdir(parents=True, exist_ok=True)
        else:
            base = Path(os.environ.get("BENCH_TMP", "/tmp"))
            self.path = base / f"dvcremote-{name}-{os.getpid()}"
            self.path.mkdir(parents=True)
        self.keep = args.keep

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        if not self.keep:
            rmtree(self.path)


def set_aside(path: Path, work: Path) -> None:
    """Move ``path`` into ``work/.trash`` instead of deleting it now.

    The disk here is ext4 without a journal, where creating a file skips (and reads the
    inode of) every inode freed in the last minute or more: a step measured right after
    deleting 10,000 files pays for that deletion. The trash goes with the scratch folder.
    """
    if not path.exists() and not path.is_symlink():
        return
    trash = work / ".trash"
    trash.mkdir(exist_ok=True)
    path.rename(trash / f"{len(list(trash.iterdir()))}-{path.name}")


def rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        # rm is several times faster than shutil.rmtree on a million small files
        subprocess.run(["rm", "-rf", "--", str(path)], check=False)
        if path.exists():
            shutil.rmtree(path)


# ------------------------------------------------------------------------ workloads
def make_small_files(
    root: Path, count: int, *, min_size: int, max_size: int, seed: int, per_dir: int = 1000
) -> int:
    """``count`` files of random (seeded) bytes, ``per_dir`` to a folder; returns total bytes."""
    rng = random.Random(seed)
    total = 0
    for i in range(count):
        folder = root / f"d{i // per_dir:04}"
        if i % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(min_size, max_size)
        (folder / f"f{i:06}.bin").write_bytes(rng.randbytes(size))
        total += size
    return total


def make_big_file(path: Path, size: int, seed: int, chunk: int = 1 << 24) -> None:
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(chunk, left)
            f.write(rng.randbytes(n))
            left -= n


def tree_digest(root: Path) -> tuple[int, str]:
    """(file count, digest of every relative path and its bytes): checks a restore is whole."""
    digest = hashlib.md5()
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            digest.update(str(full.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.md5(full.read_bytes()).digest())
            count += 1
    return count, digest.hexdigest()


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def disk_free(path: Path) -> int:
    return shutil.disk_usage(path).free


def df(path: Path) -> str:
    return subprocess.run(
        ["df", "-h", str(path)], capture_output=True, text=True, check=False
    ).stdout.strip()


# ------------------------------------------------------------------------ the tools
@dataclass(frozen=True)
class Tool:
    """A DVC-style CLI (ours or the real dvc) and how to set a repository up for it."""

    name: str
    exe: str

    def argv(self, *args: str) -> list[str]:
        return [self.exe, *args]

    def init(self, repo: Path, remote_url: str, log: Path, **remote_options: str) -> None:
        """A repo (no git) with a default remote named ``store``; state kept inside it."""
        repo.mkdir(parents=True, exist_ok=True)
        env = quiet_env()
        if self.name == "dvc":
            call(self.argv("init", "--no-scm", "-q"), cwd=repo, env=env, log=log)
            # dvc keeps its state db and hash cache in a site cache outside the repo by
            # default; keep it per repo so runs do not share (or pollute) it.
            site = repo.parent / f".{repo.name}-site-cache"
            call(self.argv("config", "core.site_cache_dir", str(site)), cwd=repo, env=env, log=log)
        else:
            call(self.argv("init", "-q"), cwd=repo, env=env, log=log)
        call(self.argv("remote", "add", "-d", "store", remote_url), cwd=repo, env=env, log=log)
        for key, value in remote_options.items():
            call(self.argv("remote", "modify", "store", key, value), cwd=repo, env=env, log=log)


def tools(with_dvc: bool = True) -> list[Tool]:
    found = [Tool("dvcremote", tool("dvcremote"))]
    if with_dvc:
        found.append(Tool("dvc", tool("dvc")))
    return found


def each_round(repeat: int, steps: Iterable[Callable[[int], None]]) -> None:
    """Interleave the contenders round by round, so each sees the same machine load."""
    ordered = list(steps)
    for i in range(repeat):
        for step in ordered:
            step(i)
