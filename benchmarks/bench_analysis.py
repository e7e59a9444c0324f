"""Benchmark: the collaborative-governance analyses (evalkit.analysis).

Part 1, the pure functions on random arrays. Large: 3000 units x 10 years x 5
domains (+ 200 indicators for obstacles); demo: 41 units x 6 years x 5 domains
(+ 40 indicators). Times coordination, obstacles, disparity (Theil + Dagum Gini +
CV per year and node), convergence and DEA (CCR + BCC per year and domain).

DEA: one input and one output per domain use the exact closed forms; one input
and two outputs (what efficiency.csv uses: input stage; output and outcome
stages) go through the pre-filtered paths — vertex enumeration with a primal
certificate for CCR with peers, θ-only enumeration for BCC, the filtered LPs
(``method="lp"``) — timed against the plain LP over all K columns
(``prefilter=False``) on --lp-units units (the plain LP grows ~K² per set:
~30-50 s for one set of 3000 units on a 2-core machine; --full-lp times it at K).

Part 2, ``evalkit.analysis.tables.all_tables(result)`` (every analysis table of
a run: coordination, obstacles, efficiency, disparity, convergence,
region_groups) on (a) the bundled demo's scored Result (target: < 1 s added to
the demo run) and (b) a Result of 3000 units x 10 years x 5 domains x 4 stages
(2 indicators per stage, entropy weights, 8 groups) scored in memory (target: < 10 s).

    python benchmarks/bench_analysis.py [--seed 0] [--lp-units 300] [--full-lp] [--tables-only]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

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
    timed(f"DEA 1x1 closed form, {sets} sets (CCR+BCC) of {n_units} units", dea_all, "auto")
    # one input, two outputs, correlated like stage scores (what efficiency.csv solves)
    base = rng.beta(4, 3, size=(n_units, n_years, n_dom))
    x1 = 1 + 100 * np.clip(base + 0.1 * rng.standard_normal(base.shape), 0, 1)
    y2 = 1 + 100 * np.clip(base[..., None] + 0.1 * rng.standard_normal(base.shape + (2,)), 0, 1)

    def dea_1x2(**kw):
        for t in range(n_years):
            for d in range(n_dom):
                dea(x1[:, t, d], y2[:, t, d], model="ccr", **kw)
                dea(x1[:, t, d], y2[:, t, d], model="bcc", peers=False, **kw)

    half = sets // 2
    timed(f"DEA 1x2 as efficiency.csv: {half} x (CCR with peers + BCC theta), {n_units} units",
          dea_1x2)
    timed(f"DEA 1x2 filtered LPs (method='lp'), {half} x (CCR + BCC), {n_units} units", dea_1x2, method="lp")
    k = n_units if lp_units is None else min(lp_units, n_units)
    for model in ("ccr", "bcc"):
        timed(f"DEA 1x2 one set, {model}, {k} units: pre-filtered LP", dea, x1[:k, 0, 0], y2[:k, 0, 0],
              model=model, method="lp")
        timed(f"DEA 1x2 one set, {model}, {k} units: plain LP, all columns", dea, x1[:k, 0, 0], y2[:k, 0, 0],
              model=model, method="lp", prefilter=False)
    X2 = np.stack([x1[:k, 0, 0], x1[:k, 0, 1]], axis=1)
    Y2 = y2[:k, 0, 0]
    timed(f"DEA 2x2 one set, ccr, {k} units: default (vertex + certificate)", dea, X2, Y2)
    timed(f"DEA 2x2 one set, ccr, {k} units: plain LP, all columns", dea, X2, Y2, method="lp", prefilter=False)
    print()


def tables_bench(seed: int) -> None:
    """all_tables() on the demo Result and on a 3000 x 10 x 5 x 4 Result built in memory."""
    from evalkit.analysis.tables import all_tables
    from evalkit.load import load_inputs
    from evalkit.pipeline import score

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    from bench_score import big_panel, big_tree  # the same 4-level tree as the scoring benchmark

    from _projects import inputs_in_memory  # tests/unit, put on sys.path by bench_score

    def per_table(result, repeat: int) -> float:
        from evalkit.analysis import tables as T

        for name in ("coordination_table", "obstacles_table", "efficiency_table", "disparity_frame",
                     "dagum_pairs_table", "convergence_table", "region_groups_table", "density_table",
                     "spatial_tables"):
            timed(f"  {name}", getattr(T, name), result, repeat=repeat)
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            all_tables(result)
            best = min(best, time.perf_counter() - t0)
        return best

    demo = score(load_inputs(None))
    print(f"all_tables() on the demo Result ({len(demo.units)} units x {len(demo.years)} years)")
    t = per_table(demo, 3)
    print(f"  {'all_tables(demo), best of 3':<58s} {t * 1000:10.1f} ms   target < 1000 ms: "
          f"{'ok' if t < 1 else 'MISSED'}")
    print()
    U, Y = 3000, 10
    t0 = time.perf_counter()
    tree = big_tree(2)
    inp = inputs_in_memory(tree, big_panel(U, Y, 40, seed), groups=[f"P{i % 8}" for i in range(U)])
    big = score(inp)
    print(f"all_tables() on {U} units x {Y} years x 5 domains x 4 stages (40 indicators, 8 groups); "
          f"scored in {time.perf_counter() - t0:.1f} s")
    t = per_table(big, 1)
    print(f"  {'all_tables(3000 x 10)':<58s} {t * 1000:10.1f} ms   target < 10000 ms: "
          f"{'ok' if t < 10 else 'MISSED'}")
    print(f"  load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lp-units", type=int, default=300)
    ap.add_argument("--full-lp", action="store_true", help="time the plain LP on all 3000 units (slow)")
    ap.add_argument("--tables-only", action="store_true")
    a = ap.parse_args()
    tables_bench(a.seed)
    if a.tables_only:
        return
    run(41, 6, 5, 40, 3, a.seed, None)
    run(3000, 10, 5, 200, 4, a.seed, None if a.full_lp else a.lp_units)
    run(3000, 10, 5, 200, 41, a.seed, None if a.full_lp else a.lp_units)


if __name__ == "__main__":
    main()
