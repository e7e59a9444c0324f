"""Comparing two results of the same project: score and rank shifts, rank correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sensitivity_core import kendall, spearman


def compare(a, b) -> pd.DataFrame:
    """compare.csv: unit, year, node, score_a, score_b, score_shift, rank_a, rank_b, rank_shift.

    ``a`` and ``b`` are :class:`evalkit.pipeline.Result` of the same tree and units.
    Shifts are b − a; a rank shift > 0 means the unit fell (a larger rank number) under b.
    """
    if a.tree.leaf_ids != b.tree.leaf_ids or a.units != b.units or a.years != b.years:
        raise ValueError("compare needs two results over the same tree, units and years")
    fa, fb = a.to_frame(), b.to_frame()
    out = pd.DataFrame({
        "unit": fa["unit"], "year": fa["year"], "node": fa["node"],
        "score_a": fa["score"], "score_b": fb["score"],
        "score_shift": fb["score"] - fa["score"],
        "rank_a": fa["rank"], "rank_b": fb["rank"],
        "rank_shift": fb["rank"] - fa["rank"],
    })
    return out


def rank_correlations(a, b, *, nodes: list[str] | None = None) -> pd.DataFrame:
    """Spearman ρ and Kendall τ-b between the two results' scores, per year and node."""
    tree = a.tree
    nodes = nodes or [n.id for n in tree.inner]
    ra, rb = a.ranks(), b.ranks()  # once: ranking is the costly part
    rows = []
    for t, year in enumerate(a.years):
        for nid in nodes:
            k = tree.index[nid]
            sa, sb = a.scores[:, t, k], b.scores[:, t, k]
            rows.append({"year": year, "node": nid, "spearman": spearman(sa, sb), "kendall": kendall(sa, sb),
                         "max_abs_rank_shift": _max_abs_shift(ra[:, t, k], rb[:, t, k])})
    return pd.DataFrame(rows)


def _max_abs_shift(ra: np.ndarray, rb: np.ndarray) -> float:
    d = np.abs(rb - ra)
    return float(np.nanmax(d)) if np.isfinite(d).any() else float("nan")
