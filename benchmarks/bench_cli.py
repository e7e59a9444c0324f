"""Benchmark: the command line as whole processes, the way a user meets it.

Each case is run ``--repeat`` times (default 5) as a fresh ``python -m evalkit ...`` process
after one warm-up run (not timed), and printed as the median wall time, the median CPU time
of the process and its children (user + system: what the run costs, whatever the other
processes of the machine do) and ``os.getloadavg()`` before and after the case (on a shared
machine the wall time mostly measures the others):

* ``evalkit --help``;
* ``evalkit validate`` of the bundled demo and of examples/asem;
* ``evalkit run examples/asem --tables-only`` (CSV, XLSX and JSON, no pages);
* ``evalkit run --jobs 2`` of the bundled demo (every page, results.xlsx and the tables).

Outputs go to a temporary folder.  By default the children may write and use Python's
bytecode cache (``__pycache__``), as an installed package does (pip compiles it); with
``--no-pyc`` they inherit ``PYTHONDONTWRITEBYTECODE`` and recompile evalkit's modules each
time.  ``--importtime CASE`` prints the largest cumulative imports of one case instead
(``python -X importtime``), ``--profile CASE`` the functions of the main process with the
largest cumulative time (``python -m cProfile``; with ``--jobs`` the worker processes' share
is not in it).

    python benchmarks/bench_cli.py [--repeat 5] [--cases help,validate,asem,demo] [--no-pyc]
    python benchmarks/bench_cli.py --importtime validate [--top 15]
    python benchmarks/bench_cli.py --profile demo [--top 15]

Targets: ASEM ``run --tables-only`` under 0.5 s; the demo ``run --jobs 2`` under 1.2 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASEM = ROOT / "examples" / "asem" / "evalkit.yaml"


def cases(out: Path) -> dict[str, list[str]]:
    return {
        "help": ["--help"],
        "validate": ["validate"],
        "validate-asem": ["validate", str(ASEM)],
        "asem": ["run", str(ASEM), "--tables-only", "--out", str(out / "asem")],
        "demo": ["run", "--jobs", "2", "--out", str(out / "demo")],
    }


def environment(pyc: bool) -> dict[str, str]:
    env = dict(os.environ)
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and its children) of one ``python -m evalkit``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"evalkit {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(names: list[str], repeat: int, pyc: bool) -> None:
    env = environment(pyc)
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        table = cases(Path(tmp))
        print(f"{'case':16s} {'median wall s':>13s} {'median CPU s':>12s}   load average before -> after "
              f"(1, 5, 15 min; {os.cpu_count()} CPUs){'' if pyc else '  [no bytecode cache]'}")
        for name in names:
            args = table[name]
            run_once(args, env)  # warm-up: the file cache, the bytecode cache
            before = load()
            walls, cpus = zip(*(run_once(args, env) for _ in range(repeat)))
            print(f"{name:16s} {statistics.median(walls):13.3f} {statistics.median(cpus):12.3f}   {before} -> {load()}"
                  f"   (wall min {min(walls):.3f}, max {max(walls):.3f})")


def importtime(name: str, top: int, pyc: bool) -> None:
    """The ``top`` largest cumulative imports of one case, and the total."""
    env = environment(pyc)
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        args = cases(Path(tmp))[name]
        subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=ROOT, env=env, capture_output=True)
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "evalkit", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, cum_us, module = line.split("|")
        rows.append((int(cum_us), (len(module) - len(module.lstrip()) - 1) // 2, module.strip()))
    top_level = [r for r in rows if r[1] == 0]  # each import counted once, with everything it imported
    print(f"evalkit {' '.join(args)}: imports {sum(r[0] for r in top_level) / 1e6:.3f} s (cumulative, top level); "
          f"largest:")
    for cum, _, module in sorted(rows, reverse=True)[:top]:
        print(f"  {cum / 1e6:7.3f} s  {module}")


def profile(name: str, top: int, pyc: bool) -> None:
    """The ``top`` functions of the main process with the largest cumulative time, as cProfile prints them."""
    env = environment(pyc)
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        args = cases(Path(tmp))[name]
        stats = Path(tmp) / "profile.out"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "evalkit", *args], cwd=ROOT,
                       env=env, capture_output=True, check=True)
        import pstats

        pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", default="help,validate,validate-asem,asem,demo")
    ap.add_argument("--no-pyc", action="store_true", help="keep PYTHONDONTWRITEBYTECODE from the environment")
    ap.add_argument("--importtime", metavar="CASE", help="print the largest imports of one case instead")
    ap.add_argument("--profile", metavar="CASE", help="print the main process's profile of one case instead")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    if a.profile:
        profile(a.profile, a.top, not a.no_pyc)
    elif a.importtime:
        importtime(a.importtime, a.top, not a.no_pyc)
    else:
        measure([c.strip() for c in a.cases.split(",") if c.strip()], a.repeat, not a.no_pyc)


if __name__ == "__main__":
    main()
