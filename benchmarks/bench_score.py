"""Benchmark: the scoring core (pipeline.score / rescore), with an independent cross-check.

(a) the bundled demo (41 units x 6 years x 49 indicators) scored end to end in
    process after loading: median of 20 runs (target < 50 ms);
(b) 3,000 units x 10 years x 200 indicators, a 4-level tree (root, 5 domains,
    4 stages each, 10 indicators per stage), entropy weights at every node,
    arithmetic aggregation, ~3 % missing cells: time and peak memory of score()
    alone, the Inputs built in memory (targets < 2 s and < 2 GB);
(c) a what-if on that data, one node's weights changed through rescore()
    (target < 0.3 s);
(d) the same kind of computation by an independent implementation, pymcdm:
    flat entropy weights over the 200 indicators + weighted sum, and TOPSIS, on
    the same (complete) data, timed; evalkit's flat entropy weights and scores
    are compared with pymcdm's (pymcdm's entropy needs x > 0, so both use
    evalkit's ``shift: 0.0001``, docs/methods.md#entropy).

    python benchmarks/bench_score.py [--units 3000] [--years 10] [--per-stage 10] [--runs 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

from _projects import inputs_in_memory

import evalkit
from evalkit.project import Settings
from evalkit.scheme import Scheme, Weighting
from evalkit.tree import Names, Node

DOMAINS = ("gov", "transport", "health", "education", "environment")
STAGES = ("input", "process", "output", "outcome")


def big_tree(per_stage: int) -> Node:
    """root -> 5 domains -> 4 stages -> per_stage indicators (every 4th a cost)."""
    domains = []
    j = 0
    for d in DOMAINS:
        stages = []
        for s in STAGES:
            leaves = []
            for _ in range(per_stage):
                leaves.append(Node(id=f"x{j:03d}", name=Names(f"x{j}", f"x{j}"),
                                   direction="cost" if j % 4 == 3 else "benefit", stage=s))
                j += 1
            sid = f"{d}.{s}"
            stages.append(Node(id=sid, name=Names(sid, sid), children=tuple(leaves), stage=s))
        domains.append(Node(id=d, name=Names(d, d), children=tuple(stages)))
    return Node(id="idx", name=Names("idx", "idx"), children=tuple(domains))


def big_panel(n_units: int, n_years: int, n_ind: int, seed: int, missing: float = 0.03) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3.0, 0.6, size=(n_units, 1, n_ind)) * rng.uniform(0.9, 1.3, size=(n_units, n_years, n_ind))
    x *= np.linspace(1.0, 1.2, n_years)[None, :, None]  # growth over the years
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return x


CPU: list[float] = []  # process CPU seconds of the last timed() call, one per run


def timed(fn, runs: int = 1):
    """(result of the last run, wall seconds per run); CPU seconds per run left in CPU."""
    out, times = None, []
    CPU.clear()
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        CPU.append(time.process_time() - c0)
    return out, times


def cpu_note() -> str:
    return f"; CPU {statistics.median(CPU) * 1e3:.0f} ms" if CPU else ""


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--per-stage", type=int, default=10)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (wall times below include any "
          "contention; CPU = process CPU time, median)")
    # ------------------------------------------------------------------ (a) the demo
    t0 = time.perf_counter()
    demo = evalkit.load_project()
    load_s = time.perf_counter() - t0
    evalkit.score(demo)  # warm-up (imports, first-call costs)
    r_demo, times = timed(lambda: evalkit.score(demo), a.runs)
    shape = r_demo.scores.shape
    print(f"(a) demo {shape[0]} units x {shape[1]} years x {len(r_demo.tree.leaves)} indicators "
          f"({shape[2]} nodes): load {load_s * 1e3:.0f} ms (not timed below)")
    print(f"    score(): median {statistics.median(times) * 1e3:.1f} ms, min {min(times) * 1e3:.1f} ms, "
          f"max {max(times) * 1e3:.1f} ms over {a.runs} runs{cpu_note()}   [target < 50 ms]")
    _, t_frame = timed(lambda: (r_demo.to_frame(), r_demo.weights_frame()), 5)
    print(f"    to_frame() + weights_frame(): median {statistics.median(t_frame) * 1e3:.1f} ms (not in the target)")

    # ------------------------------------------------------------------ (b) the large panel
    root = big_tree(a.per_stage)
    n_ind = len(DOMAINS) * len(STAGES) * a.per_stage
    x = big_panel(a.units, a.years, n_ind, a.seed)
    inputs = inputs_in_memory(root, x, scheme=Scheme(default=Weighting("entropy")),
                              settings=Settings(normalize="minmax", scope="panel", aggregate="arithmetic"))
    print(f"(b) {a.units} units x {a.years} years x {n_ind} indicators, 4-level tree "
          f"({len(inputs.tree.nodes)} nodes), entropy at every node, arithmetic, "
          f"{np.isnan(x).mean():.1%} missing; input {mb(x.nbytes)}")
    evalkit.score(inputs_in_memory(root, x[:50], scheme=inputs.scheme))  # warm-up on a slice
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    big = evalkit.score(inputs)
    t_big = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    _, t_again = timed(lambda: evalkit.score(inputs), 3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"    score(): {t_big:.2f} s traced; untraced {', '.join(f'{t:.2f}' for t in t_again)} s, median "
          f"{statistics.median(t_again):.2f} s{cpu_note()}   [target < 2 s]")
    print(f"    peak memory allocated during score(): {mb(peak)} (tracemalloc); process max RSS so far {mb(rss)}"
          f"   [target < 2 GB]")
    finite = np.isfinite(big.scores[:, :, big.tree.index["idx"]]).mean()
    print(f"    root scored for {finite:.1%} of unit-years; score array {mb(big.scores.nbytes)}")

    # ------------------------------------------------------------------ (c) what-if
    node = "health.output"
    kids = [c.id for c in big.tree.by_id[node].children]
    w = np.arange(1, len(kids) + 1, dtype=float)
    w /= w.sum()
    w[-1] = 1 - w[:-1].sum()
    change = {f"weights.nodes.{node}.method": "fixed",
              f"weights.nodes.{node}.weights": {k: float(v) for k, v in zip(kids, w)}}
    alt, t_what = timed(lambda: evalkit.rescore(big, change), 5)
    print(f"(c) rescore() with {node}'s weights fixed: median {statistics.median(t_what):.3f} s over 5 runs; "
          f"{cpu_note()[2:]}, recomputed {len(alt.computed)} node(s): {', '.join(alt.computed)}   [target < 0.3 s]")
    fresh = evalkit.score(inputs, scheme=inputs.scheme.with_node(node, Weighting(
        "fixed", weights={k: float(v) for k, v in zip(kids, w)})))
    print(f"    equals a fresh score(): max |diff| {np.nanmax(np.abs(alt.scores - fresh.scores)):.1e}, "
          f"NaN pattern equal {np.array_equal(np.isnan(alt.scores), np.isnan(fresh.scores))}")

    # ------------------------------------------------------------------ (d) pymcdm
    try:
        from pymcdm.methods import TOPSIS
        from pymcdm.weights import entropy_weights
    except ImportError:  # pragma: no cover - pymcdm is a test extra
        print("(d) pymcdm is not installed: pip install pymcdm")
        return
    xc = big_panel(a.units, a.years, n_ind, a.seed, missing=0.0)
    flat = Node(id="idx", name=Names("idx", "idx"), children=tuple(
        Node(id=f"x{j:03d}", name=Names("x", "x"), direction="cost" if j % 4 == 3 else "benefit")
        for j in range(n_ind)))
    # pymcdm's entropy_weights needs x > 0 (p = x / sum x): both sides use the shift 1e-4 (docs/methods.md#entropy `shift:`)
    flat_inputs = inputs_in_memory(flat, xc, scheme=Scheme(default=Weighting("entropy", shift=1e-4)))
    ev, t_ev = timed(lambda: evalkit.score(flat_inputs), 3)
    types = np.array([-1 if j % 4 == 3 else 1 for j in range(n_ind)])
    m = xc.reshape(-1, n_ind)

    def pymcdm_flat():
        lo, hi = m.min(axis=0), m.max(axis=0)
        z = np.where(types > 0, (m - lo) / (hi - lo), (hi - m) / (hi - lo))  # direction-adjusted min-max (docs/methods.md#minmax)
        w = entropy_weights(z + 1e-4)
        return w, 100 * z @ w

    (w_pm, s_pm), t_pm = timed(pymcdm_flat, 3)
    topsis = TOPSIS()
    (_, t_top) = timed(lambda: topsis(m, w_pm, types), 3)
    w_ev = ev.weighting["idx"].w
    s_ev = ev.scores[:, :, ev.tree.index["idx"]].reshape(-1)
    print(f"(d) flat entropy + weighted sum on {m.shape[0]:,} unit-years x {n_ind} indicators (complete data):")
    print(f"    evalkit score(): median {statistics.median(t_ev):.2f} s;  pymcdm entropy_weights + sum: "
          f"median {statistics.median(t_pm):.2f} s;  pymcdm TOPSIS: median {statistics.median(t_top):.2f} s")
    print(f"    weights agree to {np.abs(w_ev - w_pm).max():.1e}, scores to {np.abs(s_ev - s_pm).max():.1e} "
          "(shift 1e-4 on both sides; scores from the unshifted z)")


if __name__ == "__main__":
    main()
