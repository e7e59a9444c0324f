"""Benchmark: network measures of city-pair ties (evalkit.analysis.network) and loading a relations file.

Times ``network_measures`` (every unit and whole-network measure, betweenness included) on random
weighted networks of 41 (the YRD demo), 100 and 200 units × 6 years, directed and undirected,
density ≈ 0.3, and ``load_inputs`` of the demo (three relations, 41 cities, ≈ 9,000 ties).
Betweenness dominates: it builds (years × n³) arrays, processed in chunks of years.

    python benchmarks/bench_network.py [--seed 0] [--units 41 100 200]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from evalkit.analysis.network import network_measures
from evalkit.load import load_inputs

ROOT = Path(__file__).resolve().parents[1]


def random_network(rng, n: int, years: int, directed: bool) -> np.ndarray:
    w = rng.poisson(3.0, (years, n, n)) * (rng.random((years, n, n)) < 0.3)
    w = w.astype(np.float64)
    w[:, np.arange(n), np.arange(n)] = 0.0
    if not directed:
        w = np.triu(w, 1)
        w = w + np.swapaxes(w, 1, 2)
    return w


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--units", type=int, nargs="+", default=[41, 100, 200])
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    for n in args.units:
        for directed in (True, False):
            w = random_network(rng, n, 6, directed)
            t = time.perf_counter()
            network_measures(w, directed=directed, groups=np.arange(n) % 4)
            print(f"network_measures  {n:4d} units x 6 years  {'directed  ' if directed else 'undirected'}  "
                  f"{time.perf_counter() - t:7.3f} s")
    t = time.perf_counter()
    load_inputs(ROOT / "examples" / "demo" / "evalkit.yaml")
    print(f"load_inputs demo (values + 3 relations, measures included)  {time.perf_counter() - t:7.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
