"""`evalkit plan` timings: the demo (target < 1 s) and 3,000 units × 200 indicators (target < 10 s).

Scoring is timed separately (the plan needs a scored project); "plan" is
evalkit.plan.plan alone, min of 3 runs after a first (cold) call that also
pays for importing scipy.optimize.  The large case is built in memory: a tree
of 10 domains × 4 stages × 5 indicators (200 leaves, a quarter of them cost
indicators), equal weights, 5 % missing cells.

Run: python benchmarks/bench_plan.py
"""
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))
import evalkit  # noqa: E402
from evalkit.load import load_inputs  # noqa: E402

from _projects import inputs_in_memory, leaf, node  # noqa: E402


def timed(f, repeat=3):
    t0 = time.perf_counter()
    out = f()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        warm.append(time.perf_counter() - t0)
    return out, cold, min(warm)


def show(label, p, cold, warm):
    print(f"  {label:44s} cold {cold:6.3f} s  warm {warm:6.3f} s  {p.status:11s} {len(p.items):3d} changes  "
          f"objective {p.objective:8.4f}  {'exact' if p.exact else 'approx'}  "
          f"score {p.current_score:.2f} -> {p.achieved_score:.2f} (goal {p.goal_score:.2f}), "
          f"rank {p.current_rank} -> {p.achieved_rank}")


def demo():
    print("demo (41 units × 6 years × 60 indicators)")
    t0 = time.perf_counter()
    r = evalkit.score(load_inputs(None))
    print(f"  load + score                                 {time.perf_counter() - t0:6.3f} s")
    from evalkit.plan import plan

    for unit, goal in (("341300", {"rank": 20}), ("341300", {"rank": 5}), ("320500", {"rank": 1}),
                       ("341300", {"score": 65.0})):
        p, cold, warm = timed(lambda unit=unit, goal=goal: plan(r, unit=unit, year=2024, **goal))
        show(f"{unit} 2024 {goal}", p, cold, warm)
    for kw in ({"aggregate": "geometric"}, {"normalize": "rank"}):
        r2 = evalkit.score(r.inputs, settings=dataclasses.replace(r.settings, **kw))
        p, cold, warm = timed(lambda r2=r2: plan(r2, unit="341300", year=2024, rank=20), repeat=1)
        show(f"341300 2024 rank 20, {kw}", p, cold, warm)


def large(n_units=3000, n_years=1):
    print(f"large ({n_units} units × {n_years} year(s) × 200 indicators, 5 % missing)")
    rng = np.random.default_rng(0)
    domains = []
    for d in range(10):
        stages = []
        for s in range(4):
            stages.append(node(f"d{d}s{s}", *[leaf(f"i{d}_{s}_{k}", "cost" if k == 4 else "benefit")
                                               for k in range(5)]))
        domains.append(node(f"d{d}", *stages))
    tree = node("root", *domains)
    ability = rng.normal(size=(n_units, 1, 1))
    x = 50 + 10 * ability + rng.normal(scale=8, size=(n_units, n_years, 200))
    cost = np.array([k % 5 == 4 for k in range(200)])
    x[:, :, cost] = 150 - x[:, :, cost]
    x[rng.random(x.shape) < 0.05] = np.nan
    inputs = inputs_in_memory(tree, x)
    t0 = time.perf_counter()
    r = evalkit.score(inputs)
    print(f"  score                                        {time.perf_counter() - t0:6.3f} s")
    from evalkit.plan import plan

    k = r.tree.index["root"]
    order = np.argsort(r.scores[:, -1, k])
    low, mid = r.units[order[10]], r.units[order[n_units // 2]]
    year = r.years[-1]
    for unit, goal in ((low, {"rank": 100}), (mid, {"rank": 1}), (low, {"rank": n_units // 2}),
                       (mid, {"score": 60.0})):
        p, cold, warm = timed(lambda unit=unit, goal=goal: plan(r, unit=unit, year=year, **goal))
        show(f"{unit} {goal}", p, cold, warm)
    r2 = evalkit.score(inputs, settings=dataclasses.replace(r.settings, aggregate="geometric"))
    p, cold, warm = timed(lambda: plan(r2, unit=low, year=year, rank=n_units // 2), repeat=1)
    show(f"{low} rank {n_units // 2}, geometric (approximate)", p, cold, warm)


if __name__ == "__main__":
    demo()
    large(3000, 1)
    large(3000, 3)
