"""Benchmark: the statistical audit (evalkit.analysis.audit, docs/methods.md#audit).

Part 1, the pure functions on random (n, k) arrays with 5 % gaps: pairwise Pearson and Spearman,
Cronbach's alpha, PCA and the importance (P-spline correlation ratio) at n = 41, 246, 3000, 30000.
Part 2, ``evalkit.audit(result)`` on the bundled demo (41 cities × 6 years, 49 indicators; every
year and the pooled panel) and on the ASEM example (51 units, one year).

    python benchmarks/bench_audit.py [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import evalkit
from evalkit.analysis import audit as A

ROOT = Path(__file__).resolve().parents[1]


def timed(label: str, fn, *args, repeat: int = 3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<40s} {best * 1000:10.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    for n in (41, 246, 3000, 30000):
        k = 6
        x = rng.normal(size=(n, k)) + rng.normal(size=(n, 1))
        x[rng.random(x.shape) < 0.05] = np.nan
        y = np.nanmean(x, axis=1)
        print(f"n = {n}, k = {k}")
        timed("pearson", A.pearson, x)
        timed("spearman (pairs re-ranked)", A.spearman, x)
        timed("cronbach_alpha", A.cronbach_alpha, x)
        timed("pca", A.pca, x)
        timed("first_order (P-spline, GCV)", A.first_order, x, y)
    for name, path in (("demo", None), ("asem", ROOT / "examples" / "asem" / "evalkit.yaml")):
        result = evalkit.score(evalkit.load_project(path))
        timed(f"evalkit.audit({name})", evalkit.audit, result, repeat=2)


if __name__ == "__main__":
    main()
