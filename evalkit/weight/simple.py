"""Equal and fixed weights, and the small helpers every weighting method shares.

Source: docs/methods.md#equal-fixed.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

EPS = np.finfo(np.float64).eps

#: Tolerance for the sum of `fixed` weights (docs/methods.md#equal-fixed: fixed weights must sum to 1 ± 1e-6).
FIXED_SUM_TOL = 1e-6


def equal(n: int) -> np.ndarray:
    """Equal weights w_j = 1/n for ``n`` children.

    n : int, at least 1
    Returns an ndarray of shape (n,), float64, summing to 1.

    Source: docs/methods.md#equal-fixed (``equal``).
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"equal weights need n >= 1 children, got {n!r}")
    return np.full(int(n), 1.0 / int(n))


def check_fixed(
    weights: Mapping[str, float], children: Sequence[str], *, tol: float = FIXED_SUM_TOL
) -> list[str]:
    """Problems with a ``fixed`` weight mapping, as plain lower-case messages.

    weights : {child id: weight}, as read from ``nodes.<id>.weights``
    children : the node's child ids, in tree order
    Returns an empty list when every child has one finite weight >= 0, no
    unknown id appears, and Σ w = 1 ± ``tol``.  Weights are never rescaled:
    a wrong sum is a problem for the user to fix.

    Source: docs/methods.md#equal-fixed ("fixed weights must sum to 1 ± 1e-6 and
    are never rescaled silently").
    """
    problems: list[str] = []
    known = set(children)
    for key in weights:
        if key not in known:
            problems.append(
                f"weight given for '{key}', which is not a child of this node "
                f"(children: {', '.join(children)})"
            )
    missing = [c for c in children if c not in weights]
    if missing:
        problems.append(f"no weight for child {', '.join(repr(c) for c in missing)}")
    total = 0.0
    finite = True
    for key, value in weights.items():
        v = float(value)
        if not math.isfinite(v):
            problems.append(f"weight of '{key}' is {value!r}, expected a finite number")
            finite = False
        elif v < 0:
            problems.append(f"weight of '{key}' is {v!r}, expected a number >= 0")
        if key in known and math.isfinite(v):
            total += v
    if finite and not missing and abs(total - 1.0) > tol:
        problems.append(
            f"fixed weights sum to {total!r}, expected 1 (± {tol:g}); "
            "they are not rescaled: edit them so that they sum to 1"
        )
    return problems


def fixed(weights: Mapping[str, float], children: Sequence[str]) -> np.ndarray:
    """Fixed weights in the order of ``children``.

    Returns an ndarray of shape (len(children),).  Raises ValueError when
    :func:`check_fixed` finds a problem: the loader reports those first, so
    reaching it here is a bug.

    Source: docs/methods.md#equal-fixed (``fixed``).
    """
    problems = check_fixed(weights, children)
    if problems:
        raise ValueError("; ".join(problems))
    return np.array([float(weights[c]) for c in children], dtype=np.float64)


# ---------------------------------------------------------------- shared helpers


def _as_matrix(a: object, what: str) -> np.ndarray:
    """A float64 2-D view or copy of ``a``; never modified in place by callers."""
    z = np.asarray(a, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (n_obs, n_children), got shape {z.shape}")
    if z.shape[1] == 0:
        raise ValueError(f"{what} has no columns (shape {z.shape}); a node needs >= 1 child")
    return z


def _as_weight_vector(a: object, what: str) -> np.ndarray:
    """A float64 1-D weight vector: finite, >= 0, non-empty."""
    w = np.asarray(a, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{what} must be a non-empty 1-D array, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{what} must be finite and >= 0, got {w!r}")
    return w


def _constant_columns(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Columns whose range is within rounding of their magnitude (10·eps relative).

    A column of equal numbers can come out of arithmetic with a spread of a
    few ulps; judging "constant" relative to the values' own magnitude treats
    it as constant without a magic absolute threshold (sklearn's
    ``_handle_zeros_in_scale`` idea).  An all-NaN column (hi, lo NaN) counts
    as constant.
    """
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(hi), np.abs(lo))
        const = (hi - lo) <= 10.0 * EPS * scale
    return const | np.isnan(hi)


def _normalise_or_equal(d: np.ndarray) -> np.ndarray:
    """d / Σd, or equal weights when Σd = 0 (every child uninformative)."""
    total = float(d.sum())
    if total > 0.0 and math.isfinite(total):
        return d / total
    return equal(d.size)
