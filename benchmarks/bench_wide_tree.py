"""results.xlsx of a very wide tree: 10,000 leaves under one node (a level of 20,008 columns, more
than Excel's 16,384, so the level sheet is split in two) for 3 units × 2 years.

Prints the time to score and to write the workbook, and each sheet's width.  The project is
generated here (random values) in a temporary folder.  Run: python benchmarks/bench_wide_tree.py [LEAVES]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def write_project(folder: Path, n: int) -> Path:
    tree = {"id": "idx", "name": {"zh": "指数", "en": "Index"},
            "children": [{"id": f"i{k}", "name": {"zh": f"指标{k}", "en": f"Indicator {k}"}, "direction": "benefit"}
                         for k in range(n)]}
    (folder / "tree.yaml").write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    (folder / "scheme.yaml").write_text("default: {method: equal}\n", encoding="utf-8")
    x = np.random.default_rng(0).uniform(1, 2, (3, 2, n))
    units, years = ["u1", "u2", "u3"], [2020, 2021]
    rows = [{"unit": u, "year": y, **{f"i{k}": x[a, b, k] for k in range(n)}}
            for a, u in enumerate(units) for b, y in enumerate(years)]
    pd.DataFrame(rows).to_csv(folder / "values.csv", index=False)
    pd.DataFrame({"id": units, "name_zh": units, "name_en": units, "group": ["g"] * 3}).to_csv(
        folder / "units.csv", index=False)
    doc = {"title": {"zh": "宽树", "en": "Wide tree"}, "framework": "tree.yaml", "weights": "scheme.yaml",
           "data": {"values": "values.csv", "units": "units.csv"}, "years": [2020, 2021], "output": "out"}
    (folder / "evalkit.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return folder / "evalkit.yaml"


def main(n: int) -> int:
    from openpyxl import load_workbook

    from evalkit.load import load_inputs
    from evalkit.pipeline import score
    from evalkit.report.excel import write_results_xlsx
    from evalkit.run import report_input

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        result = score(load_inputs(write_project(Path(d), n)))
        t1 = time.perf_counter()
        path = write_results_xlsx(report_input(result, {}), Path(d) / "results.xlsx", lang="en")
        t2 = time.perf_counter()
        wb = load_workbook(path, read_only=True)
        widths = {ws.title: max(len(r) for r in ws.iter_rows(values_only=True)) for ws in wb.worksheets}
        size = path.stat().st_size
    print(f"{n} leaves: score {t1 - t0:.2f} s, results.xlsx {t2 - t1:.2f} s ({size / 1e6:.1f} MB)")
    for title, w in widths.items():
        print(f"  {title:<14} {w:>6} columns")
    return 0 if max(widths.values()) <= 16_384 else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
