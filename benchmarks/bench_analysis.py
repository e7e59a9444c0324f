"""Benchmark: the collaborative-governance analyses (evalkit.analysis).

Large: 3000 units x 10 years x 5 domains (+ 200 indicators for obstacles);
demo: 41 units x 6 years x 5 domains (+ 40 indicators). Times coordination,
obstacles, disparity (Theil + Dagum Gini + CV per year and node), convergence
and DEA (CCR + BCC per year and domain) and prints the figures.

    python benchmarks/bench_analysis.py [--seed 0] [--lp-units 300]

DEA: one input and one output per domain (input stage, outcome stage; shifted +1)
use the exact closed forms; the LP path (`method="lp"`) is timed on the demo size
for every set and on --lp-units units for one set (the LP grows ~K² per set).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evalkit.analysis.convergence import beta_convergence, sigma_convergence
from evalkit.analysis.coordination import coupling_coordination
from evalkit.analysis.disparity import disparity_table
from evalkit.analysis.efficiency import dea, ratio
from evalkit.analysis.obstacle import group_obstacle, obstacle_degree, top_factors


def timed(label: str, fn, *args, repeat: int = 1, **kwargs):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<58s} {best * 1000:10.1f} ms")
    return out


def run(n_units: int, n_years: int, n_dom: int, n_ind: int, n_groups: int, seed: int,
        lp_units: int | None) -> None:
    rng = np.random.default_rng(seed)
    print(f"{n_units} units x {n_years} years x {n_dom} domains, {n_ind} indicators, "
          f"{n_groups} groups")
    U = np.clip(rng.beta(4, 3, size=(n_units, n_years, n_dom)), 0, 1)
    U[rng.random(U.shape) < 0.01] = np.nan
    z = rng.random((n_units, n_years, n_ind))
    z[rng.random(z.shape) < 0.02] = np.nan
    F = rng.random(n_ind)
    F /= F.sum()
    domain_of = np.arange(n_ind) % n_dom
    stage_of = np.arange(n_ind) % 3
    groups = rng.integers(0, n_groups, size=n_units)
    scores = 100 * np.concatenate([U, np.nanmean(U, axis=2, keepdims=True)], axis=2)  # + root

    timed("coordination, corrected C", coupling_coordination, U, repeat=3)
    timed("coordination, traditional C", coupling_coordination, U, variant="traditional", repeat=3)

    def obstacles():
        o = obstacle_degree(z, F)
        return (group_obstacle(o.O, domain_of), group_obstacle(o.O, stage_of),
                top_factors(o.O, k=3))

    timed("obstacles: O, deficit, domain + stage sums, top-3", obstacles, repeat=3)

    n_series = n_years * scores.shape[2]
    timed(f"disparity table ({n_series} cross-sections: Theil, Dagum, CV)",
          disparity_table, scores, groups, repeat=1)

    def convergence():
        for d in range(scores.shape[2]):
            sigma_convergence(scores[:, :, d])
            beta_convergence(scores[:, :, d], groups=groups)

    timed(f"sigma + beta convergence ({scores.shape[2]} nodes, group-wise beta)", convergence)

    x = 1 + 100 * rng.random((n_units, n_years, n_dom))  # input stage, shifted +1
    y = 1 + 100 * rng.random((n_units, n_years, n_dom))  # outcome stage, shifted +1

    def dea_all(method: str):
        for t in range(n_years):
            for d in range(n_dom):
                for model in ("ccr", "bcc"):
                    dea(x[:, t, d], y[:, t, d], model=model, method=method)
        ratio(y, x)

    sets = n_years * n_dom * 2
    timed(f"DEA closed form, {sets} sets (CCR+BCC) of {n_units} units", dea_all, "auto")
    if lp_units is None:
        timed(f"DEA LP (stacked HiGHS), {sets} sets of {n_units} units = {sets * n_units} LPs",
              dea_all, "lp")
    else:
        k = min(lp_units, n_units)
        for model in ("ccr", "bcc"):
            timed(f"DEA LP one set, {model}, {k} units", dea, x[:k, 0, 0], y[:k, 0, 0],
                  model=model, method="lp")
        X2 = np.stack([x[:k, 0, 0], x[:k, 0, 1]], axis=1)
        Y2 = np.stack([y[:k, 0, 0], y[:k, 0, 1]], axis=1)
        timed(f"DEA LP one set, ccr, {k} units, 2 inputs x 2 outputs", dea, X2, Y2, method="lp")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lp-units", type=int, default=300)
    a = ap.parse_args()
    run(41, 6, 5, 40, 3, a.seed, None)
    run(3000, 10, 5, 200, 4, a.seed, a.lp_units)
    run(3000, 10, 5, 200, 41, a.seed, a.lp_units)


if __name__ == "__main__":
    main()
