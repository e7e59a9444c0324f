"""Numerical machinery for uncertainty and sensitivity analysis of a composite index.

Pure functions (and one streaming accumulator) on numpy arrays; no I/O, nothing
prints.  The pipeline (``evalkit/analysis/sensitivity.py``) binds them to a
project: it draws construction choices, rescores, ranks, and summarises.

The setup follows the JRC/OECD *Handbook on Constructing Composite Indicators*
(2008), Step 7 "Robustness and sensitivity": uncertainty analysis propagates the
construction choices (weights, normalisation, aggregation, imputation, ...) by
Monte Carlo and reports the distribution of each unit's rank; sensitivity
analysis apportions the variance of a rank-shift statistic to the choices with
first-order and total-order Sobol' indices.

Reproducibility.  Every random quantity is drawn from a stream fixed by
``(seed, stream, block)`` (see :func:`block_rng`): draw number ``k`` of a run
lives in block ``k // block_size`` and is the same array whichever chunk or
worker process computes it.  :func:`draw_range` returns draws ``start:stop``
through that scheme, so results do not depend on chunk size or ``--jobs``.
Counts are integers, so :meth:`RankAccumulator.merge` is exact in any order.

Layout.  Draw arrays are ``(n_draws, n_units)``, i.e. axis 0 = draw, axis 1 =
unit; weight draws are ``(n_draws, n_children)``.

Source: docs/methods.md#sensitivity (robustness.csv, evalkit sensitivity); issue "Uncertainty
analysis"; Saltelli et al. (2010) Comput. Phys. Commun. 181:259–270; Jansen
(1999) Comput. Phys. Commun. 117:35–43; Ishigami & Homma (1990); OECD/JRC
Handbook on Constructing Composite Indicators (2008), Step 7.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ..ranking import ranks_min  # noqa: F401  (re-exported: part of this module's API)

__all__ = [
    "DRAW_BLOCK",
    "SAATY_SCALE",
    "block_rng",
    "draw_range",
    "perturb_weights_uniform",
    "perturb_weights_dirichlet",
    "perturb_judgments",
    "sample_choices",
    "index_from_uniform",
    "saltelli_matrices",
    "saltelli_rows",
    "saltelli_split",
    "sobol_first_total",
    "bootstrap_ci",
    "ranks_min",
    "rank_summary",
    "RankAccumulator",
    "mean_abs_rank_shift",
    "spearman",
    "kendall",
]

#: Draws per random block.  Part of the reproducibility contract: changing it
#: changes the numbers of every seeded run (chunk size and jobs do not).
DRAW_BLOCK = 256

#: Saaty's fundamental scale as 17 ordinal positions: 1/9, 1/8, ..., 1/2, 1, 2, ..., 9.
SAATY_SCALE = np.array([1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])
_SCALE_TOP = len(SAATY_SCALE) - 1  # position of 9; position 8 is 1

RngLike = np.random.Generator | np.random.SeedSequence | int | None


# --------------------------------------------------------------------------- streams


def block_rng(seed: int | np.random.SeedSequence, block: int, *, stream: int = 0) -> np.random.Generator:
    """Generator for draws ``block·B .. block·B + B − 1`` of random stream ``stream``.

    The child seed is ``SeedSequence(seed)`` extended by the spawn key
    ``(stream, block)``; it equals ``SeedSequence(seed).spawn(stream + 1)[stream]
    .spawn(block + 1)[block]`` without spawning the siblings.  Use one ``stream``
    per uncertain factor (each weight node, each AHP matrix, the discrete
    choices) so that adding a factor leaves the others' draws unchanged.

    Source: numpy ``SeedSequence`` spawning (independent, reproducible streams).
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    if block < 0 or stream < 0:
        raise ValueError(f"block and stream must be >= 0, got block={block}, stream={stream}")
    child = np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (int(stream), int(block)), pool_size=root.pool_size
    )
    return np.random.default_rng(child)


def draw_range(
    sampler: Callable[..., np.ndarray],
    /,
    *args: Any,
    seed: int | np.random.SeedSequence,
    start: int,
    stop: int,
    stream: int = 0,
    block_size: int = DRAW_BLOCK,
    **kwargs: Any,
) -> np.ndarray:
    """Draws ``start:stop`` of a seeded run of ``sampler``, independent of chunking.

    ``sampler(*args, rng=..., size=block_size, **kwargs)`` is called once per
    block of ``block_size`` draws overlapping ``[start, stop)`` with the block's
    own generator (:func:`block_rng`), and the rows are sliced out.  Hence
    ``draw_range(..., start=a, stop=c)`` equals the concatenation of the ranges
    ``a:b`` and ``b:c`` for every ``b``, and draw ``k`` is the same in a full run,
    in any chunk and in any worker, provided every call passes the same
    ``seed``, ``stream``, ``block_size`` and sampler arguments.  Edge blocks are
    drawn in full and cut (at most ``2·block_size`` wasted rows per call).

    >>> a = draw_range(sample_choices, [3, 2], seed=1, start=0, stop=600)
    >>> b = draw_range(sample_choices, [3, 2], seed=1, start=250, stop=600)
    >>> bool((a[250:] == b).all())
    True

    Returns an array of shape ``(stop − start, ...)``.
    """
    if not 0 <= start <= stop:
        raise ValueError(f"need 0 <= start <= stop, got start={start}, stop={stop}")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    parts = []
    for b in range(start // block_size, -(-stop // block_size)):
        x = np.asarray(sampler(*args, rng=block_rng(seed, b, stream=stream), size=block_size, **kwargs))
        lo = max(start - b * block_size, 0)
        hi = min(stop - b * block_size, block_size)
        parts.append(x[lo:hi])
    if not parts:
        probe = np.asarray(sampler(*args, rng=block_rng(seed, 0, stream=stream), size=1, **kwargs))
        return probe[:0]
    return np.concatenate(parts, axis=0)


# --------------------------------------------------------------------------- samplers


def _check_weights(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"weights must be a non-empty 1-D array, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"weights must be finite, >= 0 and not all zero, got {w!r}")
    return w


def perturb_weights_uniform(w: np.ndarray, share: float, rng: RngLike, size: int) -> np.ndarray:
    """Sibling weights each multiplied by U(1 − share, 1 + share), renormalised.

    w : ndarray of shape (n_children,)
        Nominal local weights (≥ 0, not all zero; need not sum exactly to 1).
    Returns ``w_draw`` of shape (size, n_children), rows ≥ 0 summing to 1:

        m_kj ~ U(1 − share, 1 + share) independently,   m = (1 − share) + 2·share·u
        w_kj = w_j·m_kj / Σ_l w_l·m_kl

    ``share`` in [0, 1]; ``share = 0`` gives ``w / Σw`` in every row.  A zero
    weight stays zero.  Consumes ``size·n_children`` uniforms from ``rng``
    (row-major), so the rows of a larger ``size`` extend those of a smaller one.

    Source: issue "Uncertainty analysis" (weight noise ± a share); OECD/JRC
    Handbook (2008) Step 7, weights as an uncertain input.
    """
    w = _check_weights(w)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share}")
    rng = np.random.default_rng(rng)
    u = rng.random((int(size), w.size))
    m = (1.0 - share) + (2.0 * share) * u
    out = w * m
    total = out.sum(axis=1, keepdims=True)
    # share = 1 can draw m = 0 exactly; a row of all zeros has probability ~0, fall back to nominal.
    bad = ~(total[:, 0] > 0)
    if bad.any():
        out[bad] = w
        total[bad] = w.sum()
    return out / total


def perturb_weights_dirichlet(w: np.ndarray, concentration: float, rng: RngLike, size: int) -> np.ndarray:
    """Sibling weights drawn from a Dirichlet centred on the nominal weights.

    w : ndarray of shape (n_children,)
        Nominal local weights (≥ 0, not all zero), normalised to ŵ = w / Σw.
    Returns ``w_draw`` of shape (size, n_children), rows ≥ 0 summing to 1:

        w_k ~ Dirichlet(c·ŵ)    E[w_kj] = ŵ_j,   Var[w_kj] = ŵ_j (1 − ŵ_j) / (c + 1)

    Children with zero weight are left out of the Dirichlet and stay 0; a single
    positive child gets weight 1.  ``concentration = inf`` means no noise (every
    row is ŵ).  Larger ``c`` = less noise; c = 100 gives a standard deviation of
    about 10 % of a weight of 0.5.

    Source: issue "Uncertainty analysis"; the Dirichlet moments are standard
    (e.g. Kotz, Balakrishnan & Johnson 2000, ch. 49).
    """
    w = _check_weights(w)
    if not concentration > 0:
        raise ValueError(f"concentration must be > 0, got {concentration}")
    rng = np.random.default_rng(rng)
    size = int(size)
    w_hat = w / w.sum()
    out = np.zeros((size, w.size))
    pos = np.flatnonzero(w_hat > 0)
    if np.isinf(concentration) or pos.size == 1:
        out[:, pos] = w_hat[pos]
        if pos.size == 1:
            out[:, pos] = 1.0
        return out
    out[:, pos] = rng.dirichlet(concentration * w_hat[pos], size=size)
    return out


def _scale_position(values: np.ndarray) -> np.ndarray:
    """Continuous position of judgments on the 17-point scale (0 ↔ 1/9, 8 ↔ 1, 16 ↔ 9)."""
    v = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"judgments must be finite and > 0, got {v!r}")
    p = np.where(v >= 1.0, 8.0 + (v - 1.0), 8.0 - (1.0 / v - 1.0))
    near = np.round(p)
    # 1/(1/k) may be off by an ulp: snap positions that are integers up to rounding.
    p = np.where(np.abs(p - near) <= 1e-9 * np.maximum(1.0, np.abs(p)), near, p)
    if np.any(p < 0) or np.any(p > _SCALE_TOP):
        raise ValueError(f"judgments must lie in [1/9, 9], got {v!r}")
    return p


def _scale_value(p: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_scale_position`: 8 + (v − 1) above 1, 1 / (1 + 8 − p) below."""
    # |8 − p| keeps the unused branch finite at p = 9; it equals 8 − p where it is used
    return np.where(p >= 8.0, 1.0 + (p - 8.0), 1.0 / (1.0 + np.abs(8.0 - p)))


def perturb_judgments(values: np.ndarray, rng: RngLike, size: int, steps: int = 1) -> np.ndarray:
    """AHP judgments moved by up to ± ``steps`` positions on Saaty's ordinal scale.

    values : ndarray of shape (n_judgments,)
        Judgment values a_ij in [1/9, 9] (typically the upper triangle).
    Returns an array of shape (size, n_judgments).

    The 17 scale values 1/9, 1/8, …, 1/2, 1, 2, …, 9 are positions 0 … 16:

        pos(a) = 8 + (a − 1)          for a ≥ 1
        pos(a) = 8 − (1/a − 1)        for a < 1
        a'     = value(pos(a) + k),   k uniform on {k : |k| ≤ steps, 0 ≤ pos(a) + k ≤ 16}

    The offset is drawn uniformly among the moves that stay on the scale
    (truncation, not clipping: a 9 with steps = 1 becomes 8 or 9 with
    probability ½ each, so the end values are not over-weighted).  On-scale
    inputs give on-scale outputs (reciprocals as ``1/k``); an off-scale input
    (e.g. a geometric mean of experts' judgments, 2.5) moves by whole positions
    from its fractional position (2.5 → 1.5, 2.5 or 3.5).  ``steps = 0``
    returns the input in every row.  The reciprocal a_ji = 1/a'_ij is the
    caller's to set.

    Source: issue "Uncertainty analysis" (AHP judgments perturbed on the 1–9
    scale); Saaty (1980), Table 1 (the fundamental scale).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"judgments must be 1-D, got shape {v.shape}")
    if steps < 0 or int(steps) != steps:
        raise ValueError(f"steps must be a non-negative integer, got {steps}")
    p = _scale_position(v)
    rng = np.random.default_rng(rng)
    u = rng.random((int(size), v.size))
    k_lo = np.maximum(-steps, np.ceil(-p))
    k_hi = np.minimum(steps, np.floor(_SCALE_TOP - p))
    k = k_lo + np.minimum(np.floor(u * (k_hi - k_lo + 1.0)), k_hi - k_lo)
    out = _scale_value(p + k)
    return np.where(k == 0, v, out)


def index_from_uniform(u: np.ndarray, n_options: int | Sequence[int] | np.ndarray) -> np.ndarray:
    """Option indices from uniforms: ``floor(u·k)`` clipped to ``k − 1``.

    u : ndarray with last axis = factor, values in [0, 1); n_options broadcasts
    against that axis.  Each of the k options gets the interval [i/k, (i+1)/k),
    so a uniform (or Sobol') coordinate becomes a uniform discrete choice; this
    is how discrete factors (normalisation method, aggregation, imputation
    on/off) enter the Saltelli design.  Returns an ``intp`` array.
    """
    k = np.asarray(n_options, dtype=np.int64)
    if np.any(k < 1):
        raise ValueError(f"every factor needs at least one option, got {k!r}")
    idx = np.floor(np.asarray(u, dtype=np.float64) * k).astype(np.intp)
    return np.clip(idx, 0, k - 1)


def sample_choices(n_options_per_factor: Sequence[int], rng: RngLike, size: int) -> np.ndarray:
    """Discrete construction choices drawn uniformly and independently.

    n_options_per_factor : sequence of int, length n_factors (e.g. 4 normalisation
        methods, 2 aggregations, 2 for imputation on/off).
    Returns ``intp`` array of shape (size, n_factors), column f in 0 … k_f − 1:
    ``floor(u·k_f)`` with u ~ U[0, 1) (the same map as :func:`index_from_uniform`).

    Source: issue "Uncertainty analysis"; OECD/JRC Handbook (2008) Step 7.
    """
    k = np.asarray(n_options_per_factor, dtype=np.int64)
    if k.ndim != 1:
        raise ValueError(f"n_options_per_factor must be 1-D, got shape {k.shape}")
    rng = np.random.default_rng(rng)
    return index_from_uniform(rng.random((int(size), k.size)), k)


# --------------------------------------------------------------------------- Sobol'


def saltelli_matrices(
    d: int, n: int, rng: RngLike, *, sequence: str = "sobol"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saltelli (2010) design: base matrices A, B and the d radial matrices A_B^(i).

    Returns ``(A, B, AB)`` with A, B of shape (n, d) in [0, 1) and AB of shape
    (d, n, d), where ``AB[i]`` is A with its column i taken from B (Saltelli et
    al. 2010, §4, the matrix A_B^(i)).  The model is evaluated n·(d + 2) times.

    sequence : "sobol" (default) takes A and B as the two halves of one scrambled
        Sobol' sequence in 2d dimensions (Saltelli et al. 2010, §5; what
        ``scipy.stats.sobol_indices`` does); ``n`` a power of 2 keeps its balance
        properties (other ``n`` work, with slower convergence).  "random" draws
        A and B as independent uniforms.
    Factors are uniform on [0, 1): a continuous factor is mapped by its inverse
    CDF, a discrete one with k options by ``floor(u·k)`` (:func:`index_from_uniform`).
    A noise factor (e.g. "the weights of node X") can be made discrete the same
    way: pre-draw K weight sets with :func:`draw_range` and let u pick one.

    Source: Saltelli et al. (2010) Comput. Phys. Commun. 181:259–270, §4–5.
    """
    if d < 1 or n < 2:
        raise ValueError(f"need d >= 1 and n >= 2, got d={d}, n={n}")
    rng = np.random.default_rng(rng)
    if sequence == "sobol":
        try:
            engine = qmc.Sobol(d=2 * d, scramble=True, rng=rng)
        except TypeError:  # scipy < 1.15 names it seed
            engine = qmc.Sobol(d=2 * d, scramble=True, seed=rng)
        with warnings.catch_warnings():
            # n not a power of 2 only weakens balance; the core stays silent.
            warnings.simplefilter("ignore", UserWarning)
            ab = engine.random(n)
    elif sequence == "random":
        ab = rng.random((n, 2 * d))
    else:
        raise ValueError(f"sequence must be 'sobol' or 'random', got {sequence!r}")
    A = np.ascontiguousarray(ab[:, :d])
    B = np.ascontiguousarray(ab[:, d:])
    AB = np.repeat(A[np.newaxis], d, axis=0)
    i = np.arange(d)
    AB[i, :, i] = B[:, i].T
    return A, B, AB


def saltelli_rows(A: np.ndarray, B: np.ndarray, AB: np.ndarray) -> np.ndarray:
    """All design points stacked for chunked evaluation: rows A, B, AB[0], …, AB[d−1].

    Returns shape (n·(d + 2), d); :func:`saltelli_split` undoes it on the outputs.
    """
    d = A.shape[1]
    return np.concatenate([A, B, AB.reshape(d * A.shape[0], d)], axis=0)


def saltelli_split(f: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split outputs on :func:`saltelli_rows` into ``(fA (n,), fB (n,), fAB (d, n))``."""
    f = np.asarray(f, dtype=np.float64)
    if f.ndim != 1 or f.size % (d + 2):
        raise ValueError(f"expected n·(d+2) = n·{d + 2} outputs, got shape {f.shape}")
    n = f.size // (d + 2)
    return f[:n], f[n : 2 * n], f[2 * n :].reshape(d, n)


def _check_sobol_inputs(fA, fB, fAB) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fA = np.asarray(fA, dtype=np.float64)
    fB = np.asarray(fB, dtype=np.float64)
    fAB = np.asarray(fAB, dtype=np.float64)
    if fA.ndim != 1 or fB.shape != fA.shape or fAB.ndim != 2 or fAB.shape[1] != fA.size:
        raise ValueError(f"need fA (n,), fB (n,), fAB (d, n); got {fA.shape}, {fB.shape}, {fAB.shape}")
    if not (np.all(np.isfinite(fA)) and np.all(np.isfinite(fB)) and np.all(np.isfinite(fAB))):
        raise ValueError("model outputs must be finite")
    return fA, fB, fAB


def _sobol(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimators on the last axis (draws); leading axes broadcast (bootstrap replicates)."""
    mean = 0.5 * (fA.mean(axis=-1, keepdims=True) + fB.mean(axis=-1, keepdims=True))
    a, b = fA - mean, fB - mean
    ab = fAB - mean[..., np.newaxis, :]
    var = np.var(np.concatenate([a, b], axis=-1), axis=-1)[..., np.newaxis]
    a, b = a[..., np.newaxis, :], b[..., np.newaxis, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.mean(b * (ab - a), axis=-1) / var
        st = 0.5 * np.mean((a - ab) ** 2, axis=-1) / var
    zero = ~(var > 0)
    s1 = np.where(zero, 0.0, s1)
    st = np.where(zero, 0.0, st)
    return s1, st


def sobol_first_total(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total-order (Jansen 1999) Sobol' indices.

    fA, fB : ndarray of shape (n,)   model output on the rows of A and B
    fAB    : ndarray of shape (d, n) model output on the rows of A_B^(i)
    Returns ``(S1, ST)``, each of shape (d,):

        V     = Var([f(A), f(B)])                                 (2n values, ddof 0)
        S_i   = (1/n) Σ_j f(B)_j · (f(A_B^(i))_j − f(A)_j) / V     Table 2 (b)
        ST_i  = (1/2n) Σ_j (f(A)_j − f(A_B^(i))_j)² / V            Table 2 (f), Jansen

    Outputs are centred on the mean of f(A) and f(B) first (Sobol' & Levitan
    1999), which removes a bias of the S_i estimator for outputs far from zero.
    A constant output (V = 0) gives indices 0 ("no variance to explain"), as in
    ``scipy.stats.sobol_indices``, which computes the same numbers.  Estimates
    are noisy: S_i can be slightly negative and ST_i < S_i for small n; report
    :func:`bootstrap_ci` beside them.

    Source: Saltelli et al. (2010) Comput. Phys. Commun. 181:259–270, Table 2;
    Jansen (1999) Comput. Phys. Commun. 117:35–43.
    """
    fA, fB, fAB = _check_sobol_inputs(fA, fB, fAB)
    s1, st = _sobol(fA, fB, fAB)
    return s1, st


def bootstrap_ci(
    fA: np.ndarray,
    fB: np.ndarray,
    fAB: np.ndarray,
    n_boot: int,
    rng: RngLike,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap confidence intervals of :func:`sobol_first_total`.

    Rows j = 1 … n of the design are resampled with replacement (the same j for
    fA, fB and every fAB[i], so each replicate is a valid Saltelli design), the
    indices recomputed, and the (1 − level)/2 and (1 + level)/2 quantiles of the
    ``n_boot`` replicates taken (np.quantile, method "linear").
    Returns ``(S1_ci, ST_ci)``, each of shape (2, d): row 0 low, row 1 high.
    Replicates are drawn one at a time from ``rng``, so the result depends only
    on ``rng``'s state and ``n_boot``; memory is O(d·n) whatever ``n_boot``.

    Source: Archer, Saltelli & Sobol' (1997) J. Stat. Comput. Simul. 58:99–120
    (bootstrap for Sobol' indices); Efron & Tibshirani (1993), percentile method.
    """
    fA, fB, fAB = _check_sobol_inputs(fA, fB, fAB)
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(rng)
    n, d = fA.size, fAB.shape[0]
    s1_reps = np.empty((n_boot, d))
    st_reps = np.empty((n_boot, d))
    for r in range(n_boot):
        idx = rng.integers(0, n, size=n)
        s1_reps[r], st_reps[r] = _sobol(fA[idx], fB[idx], fAB[:, idx])
    q = np.array([(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return np.quantile(s1_reps, q, axis=0), np.quantile(st_reps, q, axis=0)


# --------------------------------------------------------------------------- ranks


_Q = (0.05, 0.5, 0.95)


def _summary_dict(nominal, median, p05, p95, p_top, p_bottom, top, bottom) -> dict[str, np.ndarray]:
    return {
        "nominal_rank": np.asarray(nominal, dtype=np.float64).copy(),
        "median_rank": median,
        "rank_p05": p05,
        "rank_p95": p95,
        f"p_top{top}": p_top,
        f"p_bottom{bottom}": p_bottom,
    }


def _bottom_mask(r: np.ndarray, bottom: int) -> np.ndarray:
    """Bottom-``bottom`` membership per draw: rank > n_ranked − bottom (n_ranked = non-NaN units)."""
    n_ranked = np.sum(~np.isnan(r), axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        return r > (n_ranked - bottom)


def rank_summary(
    ranks_draws: np.ndarray, nominal_rank: np.ndarray, *, top: int = 5, bottom: int = 5
) -> dict[str, np.ndarray]:
    """Per-unit rank distribution over Monte Carlo draws (in memory).

    ranks_draws : ndarray of shape (n_draws, n_units), from :func:`ranks_min`
    nominal_rank : ndarray of shape (n_units,), the rank under the nominal choices
    Returns a dict of (n_units,) arrays, keyed as the columns of ``robustness.csv``:

        nominal_rank, median_rank, rank_p05, rank_p95   quantiles 0.5, 0.05, 0.95
        p_top{top}     = #{draws: rank ≤ top} / n_u
        p_bottom{bottom} = #{draws: rank > n_ranked − bottom} / n_u

    Quantiles are ``np.quantile(..., method="linear")`` (numpy's default,
    Hyndman & Fan 1996 type 7: h = (n − 1)·q, linear between order statistics),
    median included, so they can be half-integers.  A draw where a unit has no
    rank (NaN score) is left out for that unit: n_u = number of draws where it
    is ranked, n_ranked = number of units ranked in that draw.  A unit never
    ranked gets NaN.  :class:`RankAccumulator` gives the same numbers streaming.

    Source: docs/methods.md#sensitivity (robustness.csv); OECD/JRC Handbook (2008) Step 7 (median
    rank and 5–95 % interval per unit).
    """
    r = np.asarray(ranks_draws, dtype=np.float64)
    if r.ndim != 2:
        raise ValueError(f"ranks_draws must be (n_draws, n_units), got shape {r.shape}")
    valid = ~np.isnan(r)
    n_u = valid.sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN units → NaN, on purpose
        if valid.all():
            q = np.quantile(r, _Q, axis=0, method="linear")
        else:
            q = np.nanquantile(r, _Q, axis=0, method="linear")
    with np.errstate(invalid="ignore", divide="ignore"):
        p_top = np.where(n_u > 0, np.sum(r <= top, axis=0) / n_u, np.nan)
        p_bottom = np.where(n_u > 0, np.sum(_bottom_mask(r, bottom), axis=0) / n_u, np.nan)
    return _summary_dict(nominal_rank, q[1], q[0], q[2], p_top, p_bottom, top, bottom)


_UNIT_BLOCK = 256


def _quantiles_from_cumcounts(cum: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """np.quantile(method="linear") per row from cumulative rank counts (rows = units)."""
    n = cum[:, -1]
    last = np.maximum(n - 1, 0)
    out = np.full((qs.size, cum.shape[0]), np.nan)

    def order_stat(k: np.ndarray) -> np.ndarray:
        # k-th smallest (0-based) = smallest r with cumcount(r) > k
        return (np.sum(cum <= k[:, np.newaxis], axis=1) + 1).astype(np.float64)

    for j, qq in enumerate(qs):
        # numpy's virtual index for "linear": (n − 1)·q, the same float operations
        virtual = (n - 1) * qq
        prev = np.floor(virtual)
        gamma = virtual - prev
        k_prev = np.clip(prev, 0, last).astype(np.int64)
        k_next = np.clip(prev + 1, 0, last).astype(np.int64)
        a, b = order_stat(k_prev), order_stat(k_next)
        # numpy's _lerp: a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ 0.5
        diff = b - a
        val = np.where(gamma >= 0.5, b - diff * (1.0 - gamma), a + diff * gamma)
        out[j] = np.where(n > 0, val, np.nan)
    return out


class RankAccumulator:
    """Streaming rank histogram: exact medians, quantiles and top/bottom shares in bounded memory.

    ``counts[u, r − 1]`` is the number of draws where unit u had rank r
    (int64, shape (n_units, n_ranks); memory 8·n_units·n_ranks bytes whatever
    the number of draws, 72 MB for 3,000 units).  Feed chunks of
    :func:`ranks_min` output with :meth:`update`; combine per-worker
    accumulators with :meth:`merge` (integer sums: exact, order-free); read
    :meth:`summary`, equal to :func:`rank_summary` on all the draws at once.

    Quantiles from the histogram: the k-th order statistic (0-based) of unit u
    is the smallest r with cumcount_u(r) > k; type-7 quantiles interpolate
    between order statistics with numpy's own arithmetic, so the numbers are
    identical to ``np.quantile(..., method="linear")``.

    Mutable by design (an accumulator); everything else in this module is pure.
    """

    __slots__ = ("n_units", "n_ranks", "top", "bottom", "counts", "bottom_counts", "n_draws")

    def __init__(self, n_units: int, n_ranks: int | None = None, *, top: int = 5, bottom: int = 5) -> None:
        self.n_units = int(n_units)
        self.n_ranks = int(n_units if n_ranks is None else n_ranks)
        if self.n_units < 1 or self.n_ranks < 1:
            raise ValueError(f"need n_units >= 1 and n_ranks >= 1, got {n_units}, {n_ranks}")
        self.top = int(top)
        self.bottom = int(bottom)
        self.counts = np.zeros((self.n_units, self.n_ranks), dtype=np.int64)
        self.bottom_counts = np.zeros(self.n_units, dtype=np.int64)
        self.n_draws = 0

    def update(self, ranks: np.ndarray) -> "RankAccumulator":
        """Add a chunk of ranks, shape (n_chunk, n_units), integer-valued in 1 … n_ranks or NaN."""
        r = np.asarray(ranks, dtype=np.float64)
        if r.ndim != 2 or r.shape[1] != self.n_units:
            raise ValueError(f"ranks must be (n_draws, {self.n_units}), got shape {r.shape}")
        valid = ~np.isnan(r)
        rv = r[valid]
        if rv.size and (rv.min() < 1 or rv.max() > self.n_ranks or np.any(rv != np.floor(rv))):
            raise ValueError(f"ranks must be integers in 1..{self.n_ranks} or NaN")
        unit = np.broadcast_to(np.arange(self.n_units), r.shape)[valid]
        flat = unit * self.n_ranks + (rv.astype(np.int64) - 1)
        np.add.at(self.counts.reshape(-1), flat, 1)
        self.bottom_counts += np.sum(_bottom_mask(r, self.bottom), axis=0)
        self.n_draws += r.shape[0]
        return self

    def merge(self, other: "RankAccumulator") -> "RankAccumulator":
        """Add another accumulator's counts (e.g. from a worker process) into this one."""
        if (other.n_units, other.n_ranks, other.top, other.bottom) != (
            self.n_units,
            self.n_ranks,
            self.top,
            self.bottom,
        ):
            raise ValueError("accumulators differ in n_units, n_ranks, top or bottom")
        self.counts += other.counts
        self.bottom_counts += other.bottom_counts
        self.n_draws += other.n_draws
        return self

    def quantile(self, q: float | Sequence[float]) -> np.ndarray:
        """Type-7 quantiles of each unit's ranks; shape (n_units,) or (len(q), n_units)."""
        qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
        out = np.full((qs.size, self.n_units), np.nan)
        # blocks of units keep the cumulative counts small beside the histogram itself
        for lo in range(0, self.n_units, _UNIT_BLOCK):
            cum = np.cumsum(self.counts[lo : lo + _UNIT_BLOCK], axis=1)
            out[:, lo : lo + _UNIT_BLOCK] = _quantiles_from_cumcounts(cum, qs)
        return out[0] if np.ndim(q) == 0 else out

    def summary(self, nominal_rank: np.ndarray) -> dict[str, np.ndarray]:
        """The dict of :func:`rank_summary`, from the histogram."""
        q = self.quantile(_Q)
        n_u = self.counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_top = np.where(n_u > 0, self.counts[:, : self.top].sum(axis=1) / n_u, np.nan)
            p_bottom = np.where(n_u > 0, self.bottom_counts / n_u, np.nan)
        return _summary_dict(nominal_rank, q[1], q[0], q[2], p_top, p_bottom, self.top, self.bottom)


def mean_abs_rank_shift(ranks_draws: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Mean absolute rank shift per draw: the scalar output for the Sobol' analysis.

    ranks_draws : (n_draws, n_units); nominal : (n_units,).  Returns (n_draws,):

        R̄_s = (1/M) Σ_u |rank_u,s − rank_u,nominal|,   M = units ranked in both

    Units with a NaN rank in the draw or the nominal are left out; a draw with
    none left gives NaN.

    Source: Saisana, Saltelli & Tarantola (2005) J. R. Stat. Soc. A 168:307–323,
    eq. (9) (average shift in ranks); OECD/JRC Handbook (2008) Step 7.
    """
    r = np.asarray(ranks_draws, dtype=np.float64)
    nom = np.asarray(nominal, dtype=np.float64)
    if r.ndim != 2 or nom.shape != (r.shape[1],):
        raise ValueError(f"need ranks (n_draws, n_units) and nominal (n_units,), got {r.shape}, {nom.shape}")
    dev = np.abs(r - nom)
    ok = ~np.isnan(dev)
    m = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m > 0, np.where(ok, dev, 0.0).sum(axis=1) / m, np.nan)


# --------------------------------------------------------------------------- correlations


def _pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same size, got {a.size} and {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]


def _degenerate(a: np.ndarray, b: np.ndarray) -> bool:
    return a.size < 2 or np.all(a == a[0]) or np.all(b == b[0])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ between two score or rank vectors, dropping pairs with a NaN.

    ρ = Pearson correlation of the (average-tie) ranks.  Fewer than 2 pairs,
    or a constant side, gives NaN (undefined), silently.

    Source: scipy.stats.spearmanr; Spearman (1904).
    """
    x, y = _pairs(a, b)
    if _degenerate(x, y):
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def kendall(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's τ-b between two score or rank vectors, dropping pairs with a NaN.

    τ_b = (P − Q) / √((P + Q + T_x)(P + Q + T_y)), ties corrected.  Fewer than 2
    pairs, or a constant side, gives NaN, silently.

    Source: scipy.stats.kendalltau (variant "b"); Kendall (1945).
    """
    x, y = _pairs(a, b)
    if _degenerate(x, y):
        return float("nan")
    return float(stats.kendalltau(x, y).statistic)
