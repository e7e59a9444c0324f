"""Weighting core: pure numpy/scipy functions, one per YAML method word.

``METHODS`` maps each ``method:`` word of a weight scheme to the function
that computes it; the loader validates YAML words against the registry keys
and the tuples below, and the property tests read them too.

Source: SPEC.md "Weight scheme" and "Reference definitions"; METHODS.md §1–4.
"""

from __future__ import annotations

from typing import Callable

from .ahp import (
    AHP_METHODS,
    GCI_THRESHOLDS,
    RI_TABLES,
    AhpResult,
    ahp,
    check_matrix,
    complete_harker,
    gci,
    group_aij,
    group_aip,
    hierarchy_cr,
    lambda_estimate,
    matrix_from_judgments,
    most_inconsistent,
    ri_value,
)
from .combine import COMBINE_RULES, CombineResult, combine
from .critic import CriticResult, CvResult, critic, cv
from .bod import BodResult, bod
from .entropy import EntropyResult, entropy, entropy_ratio
from .pca import PcaResult, pca
from .simple import FIXED_SUM_TOL, check_fixed, equal, fixed

#: YAML method word -> function computing it.
METHODS: dict[str, Callable] = {
    "equal": equal,        # equal(n) -> w
    "entropy": entropy,    # entropy(z) -> EntropyResult (panel entropy on min–max z)
    "critic": critic,      # critic(z) -> CriticResult
    "cv": cv,              # cv(x raw) -> CvResult
    "pca": pca,            # pca(z) -> PcaResult (COINr's first-component loadings)
    "bod": bod,            # bod(y) -> BodResult (each unit's own weights and score)
    "ahp": ahp,            # ahp(A) -> AhpResult
    "fixed": fixed,        # fixed(weights, children) -> w
    "combined": combine,   # combine(s, o, rule=...) -> CombineResult
}

#: One-line descriptions of the method words (for "allowed: ..." messages and docs).
DESCRIPTIONS: dict[str, str] = {
    "equal": "equal weights 1/n",
    "entropy": "panel entropy weights on min–max z (0·ln0 = 0)",
    "critic": "CRITIC: contrast σ times conflict Σ(1 − r) on min–max z",
    "cv": "coefficient of variation σ/|μ| on raw values",
    "pca": "loadings of the first principal component of the correlation matrix (COINr)",
    "bod": "benefit of the doubt: each unit's most favourable weights by an LP",
    "ahp": "AHP pairwise judgments (eigenvector or geometric mean), with CR",
    "fixed": "weights given in the scheme, summing to 1 ± 1e-6",
    "combined": "subjective (AHP) combined with objective weights by a rule",
}

#: Methods that need only data (allowed under ``default:``).
DATA_METHODS: tuple[str, ...] = ("equal", "entropy", "critic", "cv")

#: RI table names, default first.
RI_TABLE_NAMES: tuple[str, ...] = tuple(RI_TABLES)

__all__ = [
    "AHP_METHODS", "COMBINE_RULES", "DATA_METHODS", "DESCRIPTIONS", "FIXED_SUM_TOL",
    "GCI_THRESHOLDS", "METHODS", "RI_TABLES", "RI_TABLE_NAMES",
    "AhpResult", "BodResult", "CombineResult", "CriticResult", "CvResult", "EntropyResult", "PcaResult",
    "ahp", "bod", "check_fixed", "check_matrix", "combine", "complete_harker", "critic", "cv",
    "entropy", "entropy_ratio", "equal", "fixed", "gci", "group_aij", "group_aip",
    "hierarchy_cr", "lambda_estimate", "matrix_from_judgments", "most_inconsistent", "pca",
    "ri_value",
]
