"""Benchmark of `evalkit sensitivity` (evalkit.analysis.sensitivity.run_sensitivity) end to end.

(a) the bundled demo (41 cities, 49 indicators, 26 groups), weight noise ±20 % only:
    --draws counts base samples N; with one factor the Saltelli design has N·(1 + 2) = 3N
    evaluations.  Target: < 5 s for 10,000 evaluations (we run N = 10,000: 30,000 evaluations).
(b) a generated project of 3,000 units × 200 indicators (5 domains × 4 stages × 10 leaves,
    2 years, entropy weights below an AHP root), 1,000 base samples of weight noise and AHP
    judgment noise, jobs 2.  Target: < 60 s; peak memory reported (this process and its workers).

Also checks that jobs 1 / 2 and chunk sizes give identical tables on (a).

    python benchmarks/bench_sensitivity.py [--draws 10000] [--big-draws 1000] [--jobs 2] [--skip-big]

Wall times depend on the machine's load; process CPU times are printed beside them.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from evalkit.analysis.sensitivity import Spec, run_sensitivity  # noqa: E402
from evalkit.load import load_inputs  # noqa: E402
from evalkit.load.project import demo_project_path  # noqa: E402
from evalkit.pipeline import score  # noqa: E402

DOMAINS = ("gov", "transport", "health", "education", "environment")
STAGES = ("input", "process", "output", "outcome")


def _peak_mb() -> tuple[float, float]:
    """Peak resident set size of this process and of its (waited-for) children, MB (Linux: ru_maxrss in kB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def timed(fn, *args, **kwargs):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0, time.process_time() - c0


def same(a, b) -> bool:
    return a.robustness.equals(b.robustness) and a.sobol.equals(b.sobol)


# ---------------------------------------------------------------- (b) a generated project

def write_project(folder: Path, n_units: int, per_stage: int, years: tuple[int, ...], seed: int) -> Path:
    """A project of n_units × (5 · 4 · per_stage) indicators, written as YAML + CSV files."""
    rng = np.random.default_rng(seed)
    lines = ["id: idx", "name: {zh: 综合指数, en: Index}", "children:"]
    leaves = []
    for d in DOMAINS:
        lines += [f"  - id: {d}", f"    name: {{zh: {d}, en: {d}}}", "    children:"]
        for s in STAGES:
            lines += [f"      - id: {d}.{s}", f"        name: {{zh: {d} {s}, en: {d} {s}}}", f"        stage: {s}",
                      "        children:"]
            for k in range(per_stage):
                leaf = f"{d}_{s}_{k}"
                leaves.append(leaf)
                direction = "cost" if k % 7 == 3 else "benefit"
                lines += [f"          - id: {leaf}", f"            name: {{zh: {leaf}, en: {leaf}}}",
                          f"            direction: {direction}"]
    (folder / "tree.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # AHP at the root (consistent judgments from weights 5:4:3:2:1), entropy below
    prio = dict(zip(DOMAINS, (5, 4, 3, 2, 1)))
    judg = [f"      - [{a}, {b}, \"{prio[a]}/{prio[b]}\"]" for i, a in enumerate(DOMAINS) for b in DOMAINS[i + 1:]]
    (folder / "weights.yaml").write_text("default: {method: entropy}\nnodes:\n  idx:\n    method: ahp\n"
                                         "    judgments:\n" + "\n".join(judg) + "\n", encoding="utf-8")
    ids = [f"u{i:05d}" for i in range(n_units)]
    pd.DataFrame({"id": ids, "name_zh": [f"单位{i}" for i in range(n_units)],
                  "name_en": [f"Unit {i}" for i in range(n_units)],
                  "group": [f"g{i % 8}" for i in range(n_units)]}).to_csv(folder / "units.csv", index=False)
    # values: a latent level per unit plus indicator noise, growing over the years, ~2 % missing
    level = rng.normal(size=(n_units, 1, 1))
    L = len(leaves)
    x = 50 + 10 * level + 5 * rng.normal(size=(n_units, len(years), L)) + np.arange(len(years))[None, :, None]
    x[rng.random(x.shape) < 0.02] = np.nan
    rows = pd.DataFrame(x.reshape(-1, L), columns=leaves)
    rows.insert(0, "year", np.tile(years, n_units))
    rows.insert(0, "unit", np.repeat(ids, len(years)))
    rows.to_csv(folder / "values.csv", index=False, float_format="%.6g")
    (folder / "evalkit.yaml").write_text(
        "title: {zh: 基准, en: Benchmark}\nframework: tree.yaml\nweights: weights.yaml\n"
        "data: {values: values.csv, units: units.csv, synthetic: true}\n"
        f"years: [{years[0]}, {years[-1]}]\n"
        "prepare:\n  impute: {chain: [interpolate, carry, group_median, panel_median]}\n"
        "normalize: {method: minmax, scope: panel}\naggregate: {method: arithmetic}\noutput: out\n",
        encoding="utf-8")
    return folder / "evalkit.yaml"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000, help="(a) base samples N (3N evaluations)")
    ap.add_argument("--big-draws", type=int, default=1_000, help="(b) base samples N")
    ap.add_argument("--units", type=int, default=3_000)
    ap.add_argument("--per-stage", type=int, default=10, help="(b) leaves per stage: 5 × 4 × this indicators")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--skip-big", action="store_true")
    a = ap.parse_args()
    ok = True

    # ---- (a) the demo
    print(f"(a) demo: 41 units x 49 indicators, weight noise 0.2, N = {a.draws} base samples")
    result = score(load_inputs(demo_project_path()))
    spec = Spec(draws=a.draws, seed=a.seed, noise=0.2)
    out, wall, cpu = timed(run_sensitivity, result, spec)
    n_eval = out.n_evaluations
    print(f"    {n_eval:,} evaluations: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({n_eval / wall:,.0f} evaluations/s wall); per 10,000 evaluations {10_000 * wall / n_eval:.2f} s "
          f"(target < 5 s)")
    ok &= 10_000 * wall / n_eval < 5.0
    small = Spec(draws=256, seed=a.seed, noise=0.2, judgment_steps=1, normalize=("minmax", "zscore"))
    ref = run_sensitivity(result, small, jobs=1)
    for jobs, chunk in ((2, 512), (1, 37), (2, 100)):
        same_ = same(ref, run_sensitivity(result, small, jobs=jobs, chunk=chunk))
        print(f"    jobs {jobs}, chunk {chunk}: identical to jobs 1, chunk 512: {same_}")
        ok &= same_

    if a.skip_big:
        return 0 if ok else 1
    # ---- (b) 3000 x 200
    n_ind = 5 * 4 * a.per_stage
    print(f"(b) generated: {a.units:,} units x {n_ind} indicators x 2 years, weight noise 0.2 + AHP judgments "
          f"±1, N = {a.big_draws} base samples, jobs {a.jobs}")
    with tempfile.TemporaryDirectory() as tmp:
        project, wall, _ = timed(write_project, Path(tmp), a.units, a.per_stage, (2023, 2024), a.seed)
        inputs, wall_l, _ = timed(load_inputs, project)
        big, wall_s, _ = timed(score, inputs)
        print(f"    files written {wall:.1f} s, loaded {wall_l:.1f} s, scored {wall_s:.1f} s (not in the target)")
        spec = Spec(draws=a.big_draws, seed=a.seed, noise=0.2, judgment_steps=1)
        before = _peak_mb()[0]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out, wall, cpu = timed(run_sensitivity, big, spec, jobs=a.jobs)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        own, kids = _peak_mb()
        kids_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        print(f"    {out.n_evaluations:,} evaluations: {wall:.2f} s wall, target < 60 s; CPU {cpu:.2f} s in the "
              f"parent + {kids_cpu:.2f} s in {a.jobs} workers")
        print(f"    peak RSS: parent {own:,.0f} MB (before the run {before:,.0f} MB), largest worker {kids:,.0f} MB")
        print(f"    mean absolute rank shift {out.sobol.attrs['mean_abs_rank_shift']:.2f}; "
              + ", ".join(f"{r.factor} ST {r.ST:.3f}" for r in out.sobol.itertuples()))
        ok &= wall < 60
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
