"""Benchmark: the whole preparation stage on a large synthetic panel.

3000 units x 10 years x 200 indicators, ~5 % missing cells (scattered, plus
whole unit-years, leading years and a few never-reported unit-indicator
series), 10 heavily skewed indicators, one derived indicator from a formula
over 3 raw variables.  Times derived +
screen + impute (full chain) + treat and prints the figures.

    python benchmarks/bench_prepare.py [--units 3000] [--years 10] [--ind 200] [--seed 0]

Target: the whole preparation under 5 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evalkit.prepare import derive, impute, parse_formula, screen, treat


def make_panel(n_units: int, n_years: int, n_ind: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, size=(n_units, n_years, n_ind))
    x += rng.normal(0, 5, size=(n_units, 1, n_ind))  # unit effects, so years correlate
    skewed = rng.choice(n_ind, size=max(1, n_ind // 20), replace=False)
    x[:, :, skewed] = np.exp(rng.normal(0, 1.5, size=(n_units, n_years, skewed.size)))
    x[rng.random(x.shape) < 0.04] = np.nan
    x[rng.random((n_units, n_years)) < 0.01] = np.nan  # whole unit-years missing
    x[: n_units // 20, :2, : n_ind // 10] = np.nan  # late reporters
    x[np.broadcast_to(rng.random((n_units, 1, n_ind)) < 0.005, x.shape)] = np.nan  # never reported
    raw = np.stack([
        rng.uniform(100, 5000, size=(n_units, n_years)),        # beds
        rng.uniform(1e5, 1e7, size=(n_units, n_years)),         # population
        rng.uniform(0, 1, size=(n_units, n_years)),             # share
    ], axis=2)
    raw[rng.random(raw.shape) < 0.03] = np.nan
    raw[0, 0, 1] = 0.0  # one division by zero
    groups = rng.integers(0, 30, size=n_units)
    return x, raw, groups, skewed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--ind", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    x, raw, groups, skewed = make_panel(a.units, a.years, a.ind, a.seed)
    times: dict[str, float] = {}

    t0 = time.perf_counter()
    f = parse_formula("beds / population * 10000 + 5 * max(share, 0.1) - log(population)")
    d, drec = derive(raw, ["beds", "population", "share"], [f])
    x = np.concatenate([x, d], axis=2)
    times["derived (parse + evaluate)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    xs, srec = screen(x, min_coverage_unit=0.5, min_coverage_indicator=0.6, by="year")
    times["screen (by year)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    xi, fl, irec = impute(
        xs,
        chain=("interpolate", "carry", "group_median", "panel_median"),
        per_indicator={0: ("group_mean", "panel_mean")},
        groups=groups,
        where=srec.unit_years_kept,
    )
    times["impute (full chain)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    xt, fl, trec = treat(xi, flags=fl)
    times["treat (panel scope)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _, _, trec_y = treat(xi, flags=fl, scope="year")
    t_year = time.perf_counter() - t0

    total = sum(times.values())
    print(f"panel {a.units} units x {a.years} years x {x.shape[2]} indicators = {x.size:,} cells "
          f"({np.isnan(x).mean():.1%} missing before imputation)")
    for k, v in times.items():
        print(f"  {k:<28s} {v:7.3f} s")
    print(f"  {'total':<28s} {total:7.3f} s   (target < 5 s: {'ok' if total < 5 else 'MISSED'})")
    print(f"  {'(treat, year scope)':<28s} {t_year:7.3f} s   (not in the total)")
    print(f"derived: {drec[0].n_missing_input} cells missing inputs, {drec[0].n_invalid} undefined")
    print(f"screen: dropped {len(srec.dropped_units)} units, {len(srec.dropped_indicators)} indicators, "
          f"blanked {len(srec.blanked_unit_years)} unit-years")
    print(f"impute: filled {irec.n_filled:,} cells: "
          + ", ".join(f"{k} {sum(v):,}" for k, v in irec.filled.items())
          + f"; {sum(irec.missing_after):,} still missing (blanked unit-years)")
    tr = trec.treated
    print(f"treat: {len(tr)} of {len(trec.columns)} indicators treated "
          f"({sum(c.method == 'winsorise' for c in tr)} winsorised, "
          f"{sum(c.method == 'log_ct' for c in tr)} log); skewed by construction: {len(skewed)}; "
          f"{int(((fl & 2) > 0).sum()):,} cells flagged")
    print(f"treat (year scope): {len(trec_y.treated)} of {len(trec_y.columns)} columns treated")


if __name__ == "__main__":
    main()
