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
largest cumulative time (``python -m cProfile``; with ``--jobs`` the other processes' share
is not in it), ``--phases CASE`` when each step of one run starts and ends in which process, with
that process's CPU seconds (what runs in parallel, what waits; the totals per process last).

    python benchmarks/bench_cli.py [--repeat 5] [--cases help,validate,asem,demo] [--no-pyc]
    python benchmarks/bench_cli.py --importtime validate [--top 15]
    python benchmarks/bench_cli.py --profile demo [--top 15]
    python benchmarks/bench_cli.py --phases demo

Targets: ASEM ``run --tables-only`` under 0.5 s; the demo ``run --jobs 2`` under 1.2 s.

How ``run --jobs 2`` of the demo (41 cities, 44 pages, results.xlsx, 17 tables) spends its time on
2 cores (``--phases demo``, CPU seconds): the main process imports numpy and pandas, forks a helper
that imports scipy (0.2) while the main process imports the rest (0.25 in all) and reads and scores
the inputs (0.15); the helper then makes the DEA (36 HiGHS solves, 0.16), convergence and spatial
tables while the main process makes the other tables, the pages' arrays and the first CSV files;
then two worker processes render the scorecards (0.14 each), two more write the remaining tables
and results.xlsx (0.15), and the main process the overview, methods annex and regional page.
Measured on the shared 2-core machine (``--repeat 9``): before, median wall 1.59 s and CPU 2.29 s
at load ~1 (2.27-2.30 s wall, 2.27-2.29 s CPU with another process holding one core); after,
median wall 1.04 s and CPU 1.79 s at load ~2 (1.80-1.86 s wall, 1.82-1.84 s CPU with one core
held by another process: the run then gets about one core).  ASEM ``--tables-only``: 0.47 s -> 0.41 s.
The CSV files are pandas' ``to_csv`` (floats written as numpy's shortest repr); a hand-made writer
of the same bytes measured only 20 % faster and was left out.
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


PHASES = (  # (module, function): the steps of a run whose start and end --phases prints
    ("evalkit.load", "load_inputs"), ("evalkit.pipeline", "score"), ("evalkit.analysis.tables", "all_tables"),
    ("evalkit.analysis.tables", "efficiency_tables"), ("evalkit.analysis.tables", "convergence_table"),
    ("evalkit.analysis.tables", "spatial_tables"), ("evalkit.run", "_compile_templates"),
    ("evalkit.report.context", "prepared"), ("evalkit.report.render", "warm_up"),
    ("evalkit.report.render", "render_reports"), ("evalkit.report.render", "_render_chunk"),
    ("evalkit.report.render", "render_overview"), ("evalkit.report.render", "render_methods_annex"),
    ("evalkit.report.region", "render_region_page"), ("evalkit.report.excel", "write_results_xlsx"),
    ("evalkit.run", "render"), ("evalkit.run", "run_project"),
)

_PHASE_DRIVER = r"""
import importlib, os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the command line does, before numpy loads
T0 = float(sys.argv[1])
def mark(what):
    sys.stderr.write(f"@phase {time.time() - T0:.4f} {os.getpid()} {time.process_time():.4f} {what}\n")
mark("start")
for mod, fn in PHASES:
    m = importlib.import_module(mod)
    f = getattr(m, fn)
    def wrapped(*a, __f=f, __n=fn, **k):
        mark("> " + __n)
        try:
            return __f(*a, **k)
        finally:
            mark("< " + __n)
    setattr(m, fn, wrapped)
mark("imported")
from evalkit.cli import main
code = main(sys.argv[2:])
mark("end")
sys.exit(code)
"""


def phases(name: str, pyc: bool) -> None:
    """One run of a case with the start and end of its steps (wall seconds since the start, the process, its
    CPU seconds), e.g. to see what runs in parallel and what waits.  The steps' modules are imported first
    (to wrap their functions), so the start-up's share differs from a plain run; the helper process that
    imports scipy is forked after them."""
    env = environment(pyc)
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        args = cases(Path(tmp))[name]
        driver = f"PHASES = {PHASES!r}\n" + _PHASE_DRIVER
        subprocess.run([sys.executable, "-c", driver, str(time.time()), *args], cwd=ROOT, env=env,
                       capture_output=True)  # warm-up: the file and bytecode caches
        done = subprocess.run([sys.executable, "-c", driver, str(time.time()), *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"evalkit {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    rows = [line.split(" ", 4)[1:] for line in done.stderr.splitlines() if line.startswith("@phase ")]
    names: dict[str, str] = {}
    for _, pid, _, _ in rows:
        names.setdefault(pid, "main" if not names else f"proc{len(names)}")
    print(f"evalkit {' '.join(args)}: wall s since start, process, its CPU s, step (> start, < end); "
          f"load average {load()}")
    for t, pid, cpu, what in sorted(rows, key=lambda r: float(r[0])):
        if "_render_chunk" in what:
            continue  # one line a chunk of scorecards: see the process totals below
        print(f"  {float(t):7.3f}  {names[pid]:6s} {float(cpu):6.3f}  {what}")
    print("processes (first and last mark, CPU at the last):")
    for pid, label in names.items():
        mine = [r for r in rows if r[1] == pid]
        print(f"  {label:6s} {float(mine[0][0]):7.3f} -> {float(mine[-1][0]):7.3f}  CPU {float(mine[-1][2]):6.3f}  "
              f"({sum(1 for r in mine if r[3] == '< _render_chunk')} scorecard chunks)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", default="help,validate,validate-asem,asem,demo")
    ap.add_argument("--no-pyc", action="store_true", help="keep PYTHONDONTWRITEBYTECODE from the environment")
    ap.add_argument("--importtime", metavar="CASE", help="print the largest imports of one case instead")
    ap.add_argument("--profile", metavar="CASE", help="print the main process's profile of one case instead")
    ap.add_argument("--phases", metavar="CASE", help="print when each step of one run starts and ends, per process")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    if a.phases:
        phases(a.phases, not a.no_pyc)
    elif a.profile:
        profile(a.profile, a.top, not a.no_pyc)
    elif a.importtime:
        importtime(a.importtime, a.top, not a.no_pyc)
    else:
        measure([c.strip() for c in a.cases.split(",") if c.strip()], a.repeat, not a.no_pyc)


if __name__ == "__main__":
    main()
