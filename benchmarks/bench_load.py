"""Benchmark: loading a large long-form values file, against a bare ``pandas.read_csv``.

At 0.6 M and 6 M rows (300 and 3000 units x 10 years x 200 indicators) of ``unit,
year, indicator, value`` (about 3 % empty cells, a few ``NA`` and ``-``), with a matching
tree (20 domains x 10 indicators) and units file, written to a temporary folder (not
timed), each in a fresh child process:

* ``load_inputs`` on the project (project, tree, scheme, units and values: the values
  file is nearly all of it), with every check;
* a bare ``pandas.read_csv(values.csv)`` (pandas' defaults: the ``-`` cells make the
  value column text), and a typed one (``na_values`` = evalkit's missing tokens, so the
  values parse as floats);

and prints the wall time, CPU time and peak RSS (``ru_maxrss`` of the child: imports
included, generation excluded) of each, the ratios load / bare read, and the machine's
load average (on a shared machine the wall time mostly measures the other processes).

    python benchmarks/bench_load.py [--rows 0.6M,6M] [--units N --years 10 --ind 200] [--seed 0] [--keep DIR]

Targets: load within 2x the bare read's wall time and 1.5x its peak RSS.
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

BARE = """
import json, resource, sys, time
t0 = time.perf_counter()
import pandas as pd
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF)
kw = {} if sys.argv[2] == "bare" else {"na_values": ["", "NA", "N/A", "na", "-", "\u2014", "NaN", "nan"],
                                       "keep_default_na": False}
df = pd.read_csv(sys.argv[1], **kw)
t2 = time.perf_counter()
r2 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1,
                  "cpu_s": (r2.ru_utime + r2.ru_stime) - (r1.ru_utime + r1.ru_stime), "rows": len(df),
                  "value_dtype": str(df["value"].dtype),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout)


def measure(folder: Path, n_units: int, n_years: int, n_ind: int, seed: int, reuse: bool) -> None:
    t = time.perf_counter()
    if reuse and (folder / "values.csv").is_file() and (folder / "evalkit.yaml").is_file():
        project = folder / "evalkit.yaml"  # reused: its sizes are whatever wrote it
    else:
        project = write_project(folder, n_units, n_years, n_ind, seed)
    size = (folder / "values.csv").stat().st_size
    n_rows = n_units * n_years * n_ind
    print(f"\n{n_rows:,} rows ({n_units} units x {n_years} years x {n_ind} indicators, {size / 2**20:.0f} MiB), "
          f"generated in {time.perf_counter() - t:.1f} s (not timed)")
    load = child(CHILD, str(project))
    bare = child(BARE, str(folder / "values.csv"), "bare")
    typed = child(BARE, str(folder / "values.csv"), "typed")
    print(f"  {'':34s} {'wall s':>7s} {'CPU s':>7s} {'peak RSS MiB':>13s}")
    for name, r in (("load_inputs (every check)", load), (f"bare pandas.read_csv (value {bare['value_dtype']})", bare),
                    ("typed pandas.read_csv (na_values)", typed)):
        print(f"  {name:34s} {r['load_s']:7.2f} {r['cpu_s']:7.2f} {r['maxrss_mb']:13.0f}")
    for name, r in (("bare", bare), ("typed", typed)):
        rt, rc = load["load_s"] / r["load_s"], load["cpu_s"] / r["cpu_s"]
        rm = load["maxrss_mb"] / r["maxrss_mb"]
        print(f"  load / {name} read: wall {rt:.2f}x{'' if rt <= 2 else ' (over 2x)'}, CPU {rc:.2f}x, "
              f"peak RSS {rm:.2f}x{'' if rm <= 1.5 else ' (over 1.5x)'}")
    print(f"  panel {tuple(load['shape'])}, {load['present']:,} values present; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="0.6M,6M", help="scales: 0.6M (300 units) and/or 6M (3000 units)")
    ap.add_argument("--units", type=int, help="one scale of this many units instead of --rows")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--ind", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="write the project here and keep it (default: a temporary folder); "
                    "an existing project there is reused (one scale only)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the load (in this process)")
    a = ap.parse_args()
    scales = {"0.6M": 300, "6M": 3000}
    units = [a.units] if a.units else [scales[r.strip()] for r in a.rows.split(",")]
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs at the start")
    for n_units in units:
        if a.keep:
            folder = Path(a.keep)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = None
        else:
            tmp = tempfile.TemporaryDirectory()
            folder = Path(tmp.name)
        if a.profile:
            import cProfile
            import pstats

            from evalkit.load import load_inputs

            project = folder / "evalkit.yaml"
            if not (a.keep and project.is_file()):
                project = write_project(folder, n_units, a.years, a.ind, a.seed)
            prof = cProfile.Profile()
            prof.enable()
            load_inputs(project)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        else:
            measure(folder, n_units, a.years, a.ind, a.seed, reuse=bool(a.keep))
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
