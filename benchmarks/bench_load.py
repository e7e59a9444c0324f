"""Benchmark: loading a large long-form values file.

3000 units x 10 years x 200 indicators = 6,000,000 rows of ``unit, year,
indicator, value`` (about 3 % empty cells, a few ``NA`` and ``-``), with a
matching tree (20 domains x 10 indicators) and units file, written to a
temporary folder (not timed).  Times ``load_inputs`` on the project (project,
tree, scheme, units and values: the values file is nearly all of it) and
prints wall time and peak memory.

    python benchmarks/bench_load.py [--units 3000] [--years 10] [--ind 200] [--seed 0] [--keep DIR]

Targets: under 10 s and under 2 GB peak RSS.  CPU time is printed beside the wall
time: on a shared machine the wall time mostly measures the other processes.  The peak RSS is the process's
(``ru_maxrss``) measured in a fresh child process that only loads, so the
generation of the file does not count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_project(folder: Path, n_units: int, n_years: int, n_ind: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    n_dom = max(1, n_ind // 10)
    ind = [f"ind_{j:03d}" for j in range(n_ind)]
    lines = ["id: root", "name: {zh: 总指数, en: Index}", "children:"]
    for d in range(n_dom):
        lines += [f"  - id: dom_{d:02d}", f"    name: {{zh: 领域{d}, en: Domain {d}}}", "    children:"]
        for j in range(d * n_ind // n_dom, (d + 1) * n_ind // n_dom):
            lines += [f"      - id: {ind[j]}", f"        name: {{zh: 指标{j}, en: Indicator {j}}}",
                      f"        direction: {'cost' if j % 7 == 0 else 'benefit'}"]
    (folder / "tree.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "scheme.yaml").write_text("default: {method: entropy}\n", encoding="utf-8")
    units = [f"{110000 + 100 * u:06d}" for u in range(n_units)]
    with open(folder / "units.csv", "w", encoding="utf-8") as f:
        f.write("id,name_zh,name_en,group\n")
        for u, uid in enumerate(units):
            f.write(f"{uid},城市{u},City {u},G{u % 30}\n")
    first = 2015
    years = list(range(first, first + n_years))
    (folder / "evalkit.yaml").write_text(
        "framework: tree.yaml\nweights: scheme.yaml\ndata: {values: values.csv, units: units.csv}\n"
        f"years: [{years[0]}, {years[-1]}]\n", encoding="utf-8")

    # values: unit-major, then year, then indicator; written in chunks of units
    y_col = np.repeat(np.array(years), n_ind)
    i_col = np.tile(np.array(ind, dtype=object), n_years)
    with open(folder / "values.csv", "w", encoding="utf-8") as f:
        f.write("unit,year,indicator,value\n")
        for u0 in range(0, n_units, 100):
            block = []
            for u in range(u0, min(n_units, u0 + 100)):
                x = rng.normal(50, 10, size=n_years * n_ind)
                text = np.char.mod("%.6g", x).astype(object)
                r = rng.random(x.size)
                text[r < 0.03] = ""
                text[(r >= 0.03) & (r < 0.031)] = "NA"
                text[(r >= 0.031) & (r < 0.032)] = "-"
                uid = units[u]
                block.extend(f"{uid},{y},{i},{v}" for y, i, v in zip(y_col, i_col, text))
            f.write("\n".join(block) + "\n")
    return folder / "evalkit.yaml"


CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from evalkit.load import load_inputs
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF)
inputs = load_inputs(Path(sys.argv[1]))
t2 = time.perf_counter()
r2 = resource.getrusage(resource.RUSAGE_SELF)
v = inputs.panel.values
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1,
                  "cpu_s": (r2.ru_utime + r2.ru_stime) - (r1.ru_utime + r1.ru_stime), "shape": list(v.shape),
                  "present": int((v == v).sum()),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--ind", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="write the project here and keep it (default: a temporary folder); "
                    "an existing project there is reused")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the load (in this process)")
    a = ap.parse_args()

    tmp = None
    if a.keep:
        folder = Path(a.keep)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        folder = Path(tmp.name)
    t = time.perf_counter()
    if a.keep and (folder / "values.csv").is_file() and (folder / "evalkit.yaml").is_file():
        project = folder / "evalkit.yaml"  # reused: its sizes are whatever wrote it
    else:
        project = write_project(folder, a.units, a.years, a.ind, a.seed)
    size = (folder / "values.csv").stat().st_size
    n_rows = a.units * a.years * a.ind
    print(f"generated {n_rows:,} rows ({size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s (not timed)")

    if a.profile:
        import cProfile
        import pstats

        from evalkit.load import load_inputs

        prof = cProfile.Profile()
        prof.enable()
        load_inputs(project)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        out = subprocess.run([sys.executable, "-c", CHILD, str(project)], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr)
        r = json.loads(out.stdout)
        ok_t = r["load_s"] < 10
        ok_m = r["maxrss_mb"] < 2048
        print(f"load_inputs: {r['load_s']:.2f} s wall (target < 10 s: {'ok' if ok_t else 'MISSED'}); "
              f"import {r['import_s']:.2f} s")
        print(f"  CPU time of the load (all threads): {r['cpu_s']:.2f} s; on a busy machine wall time can be a "
              f"multiple of it (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print(f"peak RSS: {r['maxrss_mb']:.0f} MiB (target < 2048 MiB: {'ok' if ok_m else 'MISSED'})")
        print(f"panel {tuple(r['shape'])}, {r['present']:,} values present")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
