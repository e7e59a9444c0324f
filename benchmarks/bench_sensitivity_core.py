"""Benchmark of the Monte Carlo machinery in evalkit.analysis.sensitivity_core.

Score = z @ w with z fixed; per draw: weight noise, scores, min-ranks, rank histogram
and mean absolute rank shift, streamed in chunks.

    python benchmarks/bench_sensitivity_core.py [--jobs 2] [--chunk 500]

Targets (issue "Uncertainty analysis"): 10,000 draws on 41 × 40 in < 5 s;
1,000 draws on 3,000 × 200 in < 60 s with 2 cores, memory bounded.
Also checks that chunk size and the number of worker processes do not change the numbers.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from evalkit.analysis import sensitivity_core as sc  # noqa: E402

SEED = 20261126


def problem(n_units: int, n_ind: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    z = rng.random((n_units, n_ind))
    w = rng.random(n_ind)
    return z, w / w.sum()


def chunk_ranks(args: tuple) -> tuple[int, np.ndarray, np.ndarray]:
    """One chunk: weight draws start:stop → ranks (n_chunk, n_units) and rank shifts (n_chunk,)."""
    z, w, share, start, stop, nominal = args
    w_draw = sc.draw_range(sc.perturb_weights_uniform, w, share, seed=SEED, start=start, stop=stop)
    ranks = sc.ranks_min(w_draw @ z.T)
    return start, ranks, sc.mean_abs_rank_shift(ranks, nominal)


def run(n_units: int, n_ind: int, n_draws: int, chunk: int, jobs: int, share: float = 0.2) -> dict:
    z, w = problem(n_units, n_ind)
    nominal = sc.ranks_min(z @ w)
    acc = sc.RankAccumulator(n_units)
    shift = np.empty(n_draws)
    tasks = [(z, w, share, s, min(s + chunk, n_draws), nominal) for s in range(0, n_draws, chunk)]
    t0 = time.perf_counter()
    if jobs == 1:
        results = map(chunk_ranks, tasks)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=jobs)
        results = pool.map(chunk_ranks, tasks)
    for start, ranks, sh in results:  # in task order; integer counts make the order irrelevant anyway
        acc.update(ranks)
        shift[start : start + ranks.shape[0]] = sh
    if pool is not None:
        pool.shutdown()
    summary = acc.summary(nominal)
    elapsed = time.perf_counter() - t0
    return {"time": elapsed, "summary": summary, "shift": shift, "counts": acc.counts}


def same(a: dict, b: dict) -> bool:
    return (
        np.array_equal(a["counts"], b["counts"])
        and np.array_equal(a["shift"], b["shift"])
        and all(np.array_equal(a["summary"][k], b["summary"][k], equal_nan=True) for k in a["summary"])
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=500)
    args = ap.parse_args()
    print(f"numpy {np.__version__}, cpus {os.cpu_count()}, jobs {args.jobs}")

    # -- demo size: 10,000 draws, 41 units × 40 indicators, in memory and streamed
    small = run(41, 40, 10_000, chunk=2_000, jobs=1)
    small_other_chunk = run(41, 40, 10_000, chunk=777, jobs=1)
    z, w = problem(41, 40)
    t0 = time.perf_counter()
    w_draw = sc.draw_range(sc.perturb_weights_uniform, w, 0.2, seed=SEED, start=0, stop=10_000)
    ranks = sc.ranks_min(w_draw @ z.T)
    in_memory = sc.rank_summary(ranks, sc.ranks_min(z @ w))
    t_mem = time.perf_counter() - t0
    equal_mem = all(np.array_equal(in_memory[k], small["summary"][k]) for k in in_memory)
    print(
        f"41 x 40, 10,000 draws: streamed {small['time']:.3f} s (chunk 2,000), "
        f"{small_other_chunk['time']:.3f} s (chunk 777); in memory {t_mem:.3f} s; "
        f"chunk-independent {same(small, small_other_chunk)}; accumulator == in memory {equal_mem}"
    )
    print(f"  mean |rank shift| over draws {small['shift'].mean():.3f}; "
          f"median rank range {small['summary']['median_rank'].min():.0f}-{small['summary']['median_rank'].max():.0f}")

    # -- large: 1,000 draws, 3,000 units × 200 indicators, chunked; jobs 1 and jobs N
    tracemalloc.start()
    big1 = run(3_000, 200, 1_000, chunk=args.chunk, jobs=1)
    _, peak1 = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"3,000 x 200, 1,000 draws, chunk {args.chunk}, jobs 1: {big1['time']:.2f} s, "
          f"peak traced memory {peak1 / 2**20:.0f} MiB")
    tracemalloc.start()
    bigN = run(3_000, 200, 1_000, chunk=args.chunk, jobs=args.jobs)
    _, peakN = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"3,000 x 200, 1,000 draws, chunk {args.chunk}, jobs {args.jobs}: {bigN['time']:.2f} s, "
          f"peak traced memory (parent) {peakN / 2**20:.0f} MiB; same numbers as jobs 1: {same(big1, bigN)}")
    big_c = run(3_000, 200, 1_000, chunk=128, jobs=1)
    print(f"  chunk 128 vs chunk {args.chunk}: same numbers {same(big1, big_c)}")
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"max RSS: parent {self_rss:.0f} MiB, largest worker {child_rss:.0f} MiB")


if __name__ == "__main__":
    main()
