"""Combination weighting 组合赋权: subjective (AHP) s with objective (entropy, ...) o.

Source: docs/methods.md#combined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from .simple import _as_weight_vector

#: Combination rules: YAML words (``rule:``), default first.
COMBINE_RULES: tuple[str, ...] = ("mdi", "multiplicative", "linear", "game_theory")


@dataclass(frozen=True, slots=True, eq=False)
class CombineResult:
    """Combined weights and how they were obtained.

    w : (n,) combined weights, >= 0, sum 1
    details : read-only mapping, always with ``rule`` (the rule asked for) and
        ``used`` (the rule that produced w); ``alpha`` for linear; for
        game_theory ``alpha_raw`` (solution of S α = diag S), ``alpha`` (|α|
        normalised), ``alpha_raw_sum`` and ``residual`` (S α − diag S);
        ``fallback`` ("linear") with ``reason`` when mdi/multiplicative had
        no common support (every s_j·o_j = 0).
    """

    w: np.ndarray
    details: Mapping[str, Any] = field(default_factory=dict)


def combine(
    s: np.ndarray, o: np.ndarray, *, rule: str = "mdi", alpha: float = 0.5
) -> CombineResult:
    """Combine subjective weights ``s`` and objective weights ``o`` of the same children.

    s, o : ndarray of shape (n,), >= 0, each summing to 1
    rule : {"mdi", "multiplicative", "linear", "game_theory"}, default="mdi"
    alpha : float in [0, 1], default=0.5, the weight of s in ``linear``

        mdi (最小鉴别信息):   w_j = √(s_j o_j) / Σ_k √(s_k o_k)
        multiplicative:       w_j = s_j o_j / Σ_k s_k o_k
        linear:               w_j = α s_j + (1 − α) o_j
        game_theory:          S α = diag S with S = W Wᵀ, W = [s; o];
                              α* = |α| / Σ|α| ,  w = α*_1 s + α*_2 o

    Zeros: mdi and multiplicative give w_j = 0 wherever s_j or o_j is 0; if
    that is every j, they fall back to ``linear`` with ``alpha`` (flagged in
    details: a degenerate case the loader reports as a warning).
    game_theory: S is singular when s = o; the minimum-norm solution
    (lstsq) then gives α = (½, ½) and w = s.  Caveat: with a near-uniform o
    the system collapses to α ≈ (1, 0), i.e. w ≈ s (docs/methods.md#combined): use it
    to replicate studies only, and report α.

    Source: docs/methods.md#combined
    (MDI from min Σ w ln(w/s) + Σ w ln(w/o), Σw = 1); tested on
    vectors/combination_weighting.json.
    """
    s = _as_weight_vector(s, "subjective weights s")
    o = _as_weight_vector(o, "objective weights o")
    if s.shape != o.shape:
        raise ValueError(f"s and o must have the same length, got {s.size} and {o.size}")
    if rule not in COMBINE_RULES:
        raise ValueError(f"unknown combination rule {rule!r} (allowed: {', '.join(COMBINE_RULES)})")
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")

    details: dict[str, Any] = {"rule": rule, "used": rule}
    if rule in ("mdi", "multiplicative"):
        prod = s * o
        g = np.sqrt(prod) if rule == "mdi" else prod
        total = g.sum()
        if total > 0:
            w = g / total
        else:
            w = _linear(s, o, alpha)
            details.update(used="linear", fallback="linear", alpha=alpha,
                           reason="s and o have no child with both weights > 0")
    elif rule == "linear":
        w = _linear(s, o, alpha)
        details["alpha"] = alpha
    else:
        alpha_raw, residual = _game_alpha(np.stack([s, o]))
        a_abs = np.abs(alpha_raw)
        a_norm = a_abs / a_abs.sum()
        w = a_norm @ np.stack([s, o])
        w = w / w.sum()
        details.update(alpha_raw=alpha_raw, alpha=a_norm, alpha_raw_sum=float(alpha_raw.sum()),
                       residual=residual)
    return CombineResult(w=w, details=MappingProxyType(details))


def _linear(s: np.ndarray, o: np.ndarray, alpha: float) -> np.ndarray:
    """α s + (1 − α) o, renormalised against rounding."""
    w = alpha * s + (1.0 - alpha) * o
    return w / w.sum()


def _game_alpha(wmat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve Σ_k α_k (w_l · w_k) = w_l · w_l (l = 1..L) for α; returns (α, residual)."""
    gram = wmat @ wmat.T
    rhs = np.diag(gram).copy()
    alpha, *_ = np.linalg.lstsq(gram, rhs, rcond=None)
    return alpha, gram @ alpha - rhs
