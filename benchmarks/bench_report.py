"""Report rendering at scale: 41 units × 6 years (jobs 2) and 3000 units × 1 year.

Targets: < 10 s and < 60 s.  Fixture data are generated here (evalkit.report.sample,
synthetic); the output goes to a temporary folder.  Run: python benchmarks/bench_report.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from evalkit.report import render_reports
from evalkit.report.sample import sample_input


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the render workers):
    a figure that a busy shared machine does not inflate the way wall time is."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def bench(label: str, n_units: int, years: list[int], jobs: int, target: float, tables: bool = True) -> bool:
    t0 = time.perf_counter()
    inp = sample_input(n_units, years, seed=1, tables=tables)
    t1 = time.perf_counter()
    c1 = _cpu()
    with tempfile.TemporaryDirectory() as d:
        s = render_reports(inp, Path(d), years=years, lang="zh", jobs=jobs)
        t2 = time.perf_counter()
        cpu = _cpu() - c1
        size = sum(f.stat().st_size for f in Path(d).rglob("*.html"))
    ok = not s.failures and (t2 - t1) < target
    print(f"{label:<34} pages {s.pages:>5}  fixture {t1 - t0:6.2f} s  render {t2 - t1:6.2f} s "
          f"(target < {target:.0f} s, {1000 * (t2 - t1) / max(s.pages, 1):.1f} ms/page, "
          f"{size / 1e6:.1f} MB, CPU {cpu:.1f} s)  failures {len(s.failures)}  {'OK' if ok else 'SLOW/FAILED'}")
    return ok


def main() -> int:
    ok = bench("41 units x 6 years, jobs 2", 41, list(range(2019, 2025)), 2, 10.0)
    ok &= bench("3000 units x 1 year, jobs 1", 3000, [2024], 1, 60.0)
    ok &= bench("3000 units x 1 year, jobs 2", 3000, [2024], 2, 60.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
