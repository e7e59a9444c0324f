"""Benchmark: `evalkit collect` at scale — merging 10 department workbooks of 3,000 units × 200 indicators.

Builds a synthetic project on disk (a tree of 200 indicators reported by 10
departments, 3,000 units, last year's values for every cell: 600,000 rows),
writes the 10 templates (timed), builds the 10 returned workbooks already
filled (the template writer with ``current=``; not timed), then times
``merge_workbooks`` (read, check every cell incl. bounds and the jump against
last year, cross-file check, write the values file atomically) and ``coverage``.

    python benchmarks/bench_collect.py [--units 3000] [--ind 200] [--depts 10] [--seed 0] [--keep DIR]

Target: the merge under 30 s.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def make_project(folder: Path, n_units: int, n_ind: int, n_depts: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_domain = n_ind // 5
    lines = ["id: root", "name: {zh: 指数, en: Index}", "children:"]
    k = 0
    for d in range(5):
        lines += [f"  - id: d{d}", f"    name: {{zh: 领域{d}, en: Domain {d}}}", "    children:"]
        for _ in range(per_domain):
            dept = k % n_depts
            unit, gp = (("%", "[0, 100]") if k % 3 == 0 else ("个", "[0, 1000]") if k % 3 == 1 else ("万次", None))
            lines += [f"      - id: x{k:03d}", f"        name: {{zh: 指标{k}, en: Indicator {k}}}",
                      f'        unit: "{unit}"', "        direction: benefit",
                      f"        source: {{zh: 部门{dept}, en: Department {dept}}}",
                      f"        description: {{zh: 指标{k}的定义。, en: Definition of indicator {k}.}}"]
            if gp:
                lines.append(f"        goalposts: {gp}")
            k += 1
    (folder / "tree.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "weights.yaml").write_text("default: {method: equal}\n", encoding="utf-8")
    ids = [f"{100000 + i}" for i in range(n_units)]
    with open(folder / "units.csv", "w", encoding="utf-8") as f:
        f.write("id,name_zh,name_en,group\n")
        for i, u in enumerate(ids):
            f.write(f"{u},城市{i},City {i},G{i % 4}\n")
    prev = rng.uniform(10, 90, size=(n_units, k)).round(2)
    with open(folder / "values.csv", "w", encoding="utf-8") as f:
        f.write("unit,year,indicator,value\n")
        for i, u in enumerate(ids):
            f.write("".join(f"{u},2023,x{j:03d},{prev[i, j]!r}\n" for j in range(k)))
    (folder / "evalkit.yaml").write_text(
        "title: {zh: 基准, en: Benchmark}\nframework: tree.yaml\nweights: weights.yaml\n"
        "data: {values: values.csv, units: units.csv}\nyears: [2023, 2024]\n", encoding="utf-8")
    np.save(folder / "prev.npy", prev)
    return folder / "evalkit.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--ind", type=int, default=200)
    ap.add_argument("--depts", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="build in this folder and keep it (default: a temporary folder)")
    args = ap.parse_args()

    from evalkit.collect import departments, load_collect_inputs
    from evalkit.collect.merge import merge_workbooks
    from evalkit.collect.status import coverage
    from evalkit.collect.templates import build_workbook, write_templates
    from evalkit.errors import Problems

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-collect-"))
    try:
        t0 = time.perf_counter()
        proj = make_project(root / "proj", args.units, args.ind, args.depts, args.seed)
        print(f"project: {args.units} units x {args.ind} indicators, {args.depts} departments "
              f"({time.perf_counter() - t0:.1f} s)")

        t0 = time.perf_counter()
        s = write_templates(proj, year=2024, out=root / "templates")
        print(f"templates: {len(s.templates)} workbooks in {time.perf_counter() - t0:.1f} s")

        inputs = load_collect_inputs(proj, Problems())
        prev = np.load(root / "proj" / "prev.npy")
        rng = np.random.default_rng(args.seed + 1)
        cur = (prev * rng.uniform(0.9, 1.1, size=prev.shape)).round(3)
        cur[rng.random(cur.shape) < 0.02] = np.nan  # a few cells left empty
        col = {f"x{j:03d}": j for j in range(prev.shape[1])}
        files = []
        t0 = time.perf_counter()
        for dept in departments(inputs.tree):
            idx = [col[i.id] for i in dept.items]
            wb = build_workbook(dept, units=inputs.units, year=2024, title=inputs.project.title,
                                previous=prev[:, idx], current=cur[:, idx])
            path = root / "returned" / f"2024_{dept.key}.xlsx"
            path.parent.mkdir(exist_ok=True)
            wb.save(path)
            files.append(path)
        print(f"returned workbooks built: {len(files)} in {time.perf_counter() - t0:.1f} s "
              f"({sum(p.stat().st_size for p in files) / 1e6:.1f} MB)")

        t0 = time.perf_counter()
        m = merge_workbooks(proj, files)
        t_merge = time.perf_counter() - t0
        print(f"merge: {m.files} workbooks, {m.added} values added, {len(m.warnings)} warnings "
              f"in {t_merge:.1f} s (target < 30 s)")
        expected = int(np.isfinite(cur).sum())
        assert m.added == expected, (m.added, expected)

        t0 = time.perf_counter()
        cov = coverage(proj, year=2024)
        print(f"status: {int(cov.table['owed'].sum())} values owed, in {time.perf_counter() - t0:.1f} s")
        print(f"MERGE_SECONDS {t_merge:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
