"""Weighting core: pure numpy/scipy functions, one per YAML method word.

``DATA_WEIGHTINGS`` is the one registry of the weightings computed from the
children's values alone: an entry names the function, how the pipeline calls
it (``weigh``), what it reads and its YAML keys.  The scheme loader, the
pipeline and ``METHODS`` / ``DESCRIPTIONS`` / ``DATA_METHODS`` all derive from
it, so a new data-driven weighting is one module plus one entry here.
AHP, fixed and combined weights read the scheme rather than data and are
handled by the loader and the pipeline themselves.

Source: docs/methods.md (entropy, critic, cv, ahp, combined, equal-fixed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

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
from .bod import BodResult, bod
from .critic import CriticResult, CvResult, critic, cv
from .entropy import EntropyResult, entropy, entropy_ratio
from .pca import PcaResult, pca
from .simple import FIXED_SUM_TOL, check_fixed, equal, fixed


@dataclass(frozen=True, slots=True)
class Weighed:
    """What a data-driven weighting hands back to the pipeline for one set of values."""

    w: np.ndarray                                    # (k,) local weights, summing to 1
    details: Mapping[str, Any] = field(default_factory=dict)   # JSON-able settings and figures, kept in
                                                     # result.weighting (per-child arrays as lists)
    warnings: tuple[tuple[str, str], ...] = ()       # (code, message) for the user, located at the scheme entry


@dataclass(frozen=True, slots=True)
class DataWeighting:
    """One data-driven ``method:`` word of a weight scheme.

    The pipeline hands ``weigh`` the children's values as ``reads`` says —
    once for the whole panel, or once per year when the scheme says ``by:
    year`` (then the weights and each detail are stacked by year).
    """

    function: Callable                               # the public function (``evalkit.weight.<name>``)
    weigh: Callable[..., Weighed] | None             # weigh(values, *, node, children, settings) -> Weighed;
                                                     # None: the weighting scores the node itself (bod)
    description: str                                 # one line, for "allowed: ..." messages and docs
    reads: str | Callable[[Any], str] = "z"          # "z": the children's direction-adjusted min–max z,
                                                     # (n_obs, k); "z_undirected": the same without turning
                                                     # cost columns round; "raw": their raw values; "none";
                                                     # or a function of the scheme entry returning one of them
    options: tuple[str, ...] = ()                    # YAML keys besides ``method`` (read by the scheme loader)
    objective: bool = True                           # allowed under ``default:`` and as ``combined``'s objective

    def reads_for(self, settings: Any) -> str:
        return self.reads(settings) if callable(self.reads) else self.reads


def _weigh_equal(values, *, node, children, settings) -> Weighed:
    return Weighed(np.full(len(children), 1.0 / len(children)))


def _weigh_entropy(values, *, node, children, settings) -> Weighed:
    if settings.variant == "ratio":
        r = entropy_ratio(values)
    else:
        kw = {} if settings.rescale is None else {"rescale": settings.rescale}
        r = entropy(values, shift=settings.shift, **kw)
    details: dict[str, Any] = {"e": r.e.tolist(), "d": r.d.tolist(), "shift": settings.shift}
    if settings.variant != "minmax":
        details["variant"] = settings.variant
    if settings.rescale is not None:
        details["rescale"] = list(settings.rescale)
    return Weighed(r.w, details)


def _weigh_critic(z, *, node, children, settings) -> Weighed:
    r = critic(z)
    warnings = ((("critic-fallback", f"CRITIC at '{node}': the children's conflict measure is 0 everywhere; "
                  f"weights follow {r.fallback} instead"),) if r.fallback else ())
    return Weighed(r.w, {"c": r.c.tolist(), "fallback": r.fallback}, warnings)


def _weigh_cv(x, *, node, children, settings) -> Weighed:
    r = cv(x)
    bad = [c for c, flag in zip(children, r.nonpositive_mean) if flag]
    warnings = ((("cv-nonpositive-mean", f"cv weights at '{node}': {', '.join(bad)} have a mean <= 0, so σ/μ is "
                  "not a meaningful dispersion (|μ| used); prefer entropy or critic here"),) if bad else ())
    return Weighed(r.w, {"v": r.v.tolist()}, warnings)


def _weigh_pca(z, *, node, children, settings) -> Weighed:
    r = pca(z)
    warnings = []
    bad = [c for c, flag in zip(children, r.negative) if flag]
    if bad:
        warnings.append(("pca-negative-loading", f"PCA weights at '{node}': {', '.join(bad)} load negatively on "
                         "the first principal component (they run against the others); their weight is set to 0 "
                         "(COINr would keep a negative weight)"))
    if r.fallback:
        warnings.append(("pca-fallback", f"PCA weights at '{node}': fewer than 2 complete rows or no varying "
                         "child; equal weights used"))
    return Weighed(r.w, {"loadings": np.asarray(r.loadings).tolist(), "explained": float(r.explained)},
                   tuple(warnings))


#: The data-driven weightings: the one registry the scheme loader, the scheme model and the pipeline read.
DATA_WEIGHTINGS: dict[str, DataWeighting] = {
    "equal": DataWeighting(equal, _weigh_equal, "equal weights 1/n", reads="none"),
    "entropy": DataWeighting(entropy, _weigh_entropy, "entropy weights on min–max z (0·ln0 = 0)",
                             reads=lambda s: "raw" if s.variant == "ratio" else "z",
                             options=("shift", "by", "variant", "rescale")),
    "critic": DataWeighting(critic, _weigh_critic, "CRITIC: contrast σ times conflict Σ(1 − r) on min–max z",
                            reads=lambda s: "z" if s.directional else "z_undirected",
                            options=("by", "directional")),
    "cv": DataWeighting(cv, _weigh_cv, "coefficient of variation σ/|μ| on raw values", reads="raw",
                        options=("by",)),
    "pca": DataWeighting(pca, _weigh_pca,
                         "loadings of the first principal component of the correlation matrix (COINr)",
                         options=("by",)),
    "bod": DataWeighting(bod, None, "benefit of the doubt: each unit's most favourable weights by an LP",
                         reads="none", options=("by", "share"), objective=False),
}

#: YAML method word -> function computing it.
METHODS: dict[str, Callable] = {
    **{name: d.function for name, d in DATA_WEIGHTINGS.items()},
    "ahp": ahp,            # ahp(A) -> AhpResult
    "fixed": fixed,        # fixed(weights, children) -> w
    "combined": combine,   # combine(s, o, rule=...) -> CombineResult
}

#: One-line descriptions of the method words (for "allowed: ..." messages and docs).
DESCRIPTIONS: dict[str, str] = {
    **{name: d.description for name, d in DATA_WEIGHTINGS.items()},
    "ahp": "AHP pairwise judgments (eigenvector or geometric mean), with CR",
    "fixed": "weights given in the scheme, summing to 1 ± 1e-6",
    "combined": "subjective (AHP) combined with objective weights by a rule",
}

#: Methods that need only data (allowed under ``default:`` and as ``combined``'s objective part).
DATA_METHODS: tuple[str, ...] = tuple(name for name, d in DATA_WEIGHTINGS.items() if d.objective)

#: RI table names, default first.
RI_TABLE_NAMES: tuple[str, ...] = tuple(RI_TABLES)

__all__ = [
    "AHP_METHODS", "COMBINE_RULES", "DATA_METHODS", "DATA_WEIGHTINGS", "DESCRIPTIONS", "FIXED_SUM_TOL",
    "GCI_THRESHOLDS", "METHODS", "RI_TABLES", "RI_TABLE_NAMES",
    "AhpResult", "BodResult", "CombineResult", "CriticResult", "CvResult", "EntropyResult", "PcaResult",
    "ahp", "bod", "check_fixed", "check_matrix", "combine", "complete_harker", "critic", "cv",
    "entropy", "entropy_ratio", "equal", "fixed", "gci", "group_aij", "group_aip",
    "hierarchy_cr", "lambda_estimate", "matrix_from_judgments", "most_inconsistent", "pca",
    "ri_value",
]
