"""Benchmark: the weight explorer (explore.html) on a synthetic project of 3000 units.

3000 units × 2 years, 6 domains × 4 sub-dimensions × 5 indicators (120 leaves), 5 % missing,
entropy weights.  Prints the time to build the page, its size, and the time per update in
headless Chromium (one slider moved: rebalance, re-score every node, rank, redraw the
league table, its first 100 rows or all 3000, and lay it out; median and worst of 30 moves, measured in the page with
``performance.now()``), and the largest difference between the page's scores and
``evalkit.rescore`` with the same weights fixed.

    python benchmarks/bench_explore.py [--units 3000] [--moves 30] [--seed 0]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd

import evalkit
from evalkit.report.explore import write_explore


def project(n_units: int, seed: int):
    rng = np.random.default_rng(seed)
    doms = []
    for d in range(6):
        subs = []
        for s in range(4):
            leaves = [{"id": f"d{d}s{s}i{i}", "name": {"zh": f"指标{d}{s}{i}", "en": f"ind {d}.{s}.{i}"},
                       "direction": "benefit" if i % 3 else "cost"} for i in range(5)]
            subs.append({"id": f"d{d}s{s}", "name": {"zh": f"分项{d}{s}", "en": f"sub {d}.{s}"}, "children": leaves})
        doms.append({"id": f"d{d}", "name": {"zh": f"领域{d}", "en": f"domain {d}"}, "children": subs})
    tree = {"id": "idx", "name": {"zh": "指数", "en": "Index"}, "children": doms}
    ids = [f"u{u:05d}" for u in range(n_units)]
    years = [2023, 2024]
    leaf_ids = [f"d{d}s{s}i{i}" for d in range(6) for s in range(4) for i in range(5)]
    level = rng.normal(size=(n_units, 1))
    rows = []
    for y in years:
        x = level + rng.normal(size=(n_units, len(leaf_ids)))
        x = np.exp(x / 2)
        x[rng.random(x.shape) < 0.05] = np.nan
        rows.append(pd.DataFrame({"unit": ids, "year": y, **dict(zip(leaf_ids, x.T))}))
    values = pd.concat(rows, ignore_index=True)
    units = pd.DataFrame({"id": ids, "name_zh": [f"城市{u}" for u in range(n_units)],
                          "name_en": [f"City {u}" for u in range(n_units)],
                          "group": [f"g{u % 8}" for u in range(n_units)]})
    return evalkit.from_frames(values, tree, {"default": {"method": "entropy"}}, units, years=years)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    result = evalkit.score(project(a.units, a.seed))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        page = write_explore(result, Path(tmp), [2024], "en")
        build = time.perf_counter() - t0
        print(f"{a.units} units x 120 indicators: page built in {build * 1000:.0f} ms, "
              f"{page.stat().st_size / 1e6:.1f} MB")
        if exe is None:
            print("no chromium on PATH: the time per update is not measured")
            return
        for label, state in ((f"first {min(100, a.units)} rows drawn (default)", {"t": {"bench": a.moves}}),
                             (f"all {a.units} rows drawn", {"a": True, "t": {"bench": a.moves}})):
            url = page.as_uri() + "#" + urllib.parse.quote(json.dumps(state), safe="")
            t0 = time.perf_counter()
            dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp}/p",
                                  "--dump-dom", url], capture_output=True, text=True, timeout=600).stdout
            wall = time.perf_counter() - t0
            med = float(re.search(r'data-ms-median="([^"]+)"', dom).group(1))
            worst = float(re.search(r'data-ms-max="([^"]+)"', dom).group(1))
            print(f"  {label}: load + {a.moves} moves {wall:.1f} s wall; time per update (move a slider, "
                  f"re-score, rank, redraw): median {med:.1f} ms, worst {worst:.1f} ms")
        # the page's final numbers against the engine
        tbody = re.search(r'<tbody id="ex-rows">(.*?)</tbody>', dom, re.S).group(1)
        rows = re.findall(r'<tr data-unit="([^"]+)" data-score="([^"]*)"', tbody)
        out = re.search(r'<output id="ex-weights-out"[^>]*>', dom).group(0)
        weights = json.loads(html.unescape(re.search(r'data-weights="([^"]*)"', out).group(1)))
        tree = result.tree
        ch = {f"weights.nodes.{nid}": {"method": "fixed", "weights": dict(zip([c.id for c in tree.by_id[nid].children],
                                                                               w))} for nid, w in weights.items()}
        alt = evalkit.rescore(result, ch)
        exp = dict(zip(alt.units, alt.node_scores("idx")[:, -1]))
        diff = max(abs(float(s) - exp[u]) for u, s in rows if s)
        print(f"  largest |page - rescore| over {len(rows)} units: {diff:.2e}")


if __name__ == "__main__":
    main()
