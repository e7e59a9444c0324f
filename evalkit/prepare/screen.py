"""Screening: drop units and indicators with too little data.

Semantics (all thresholds are shares in [0, 1]; a share equal to its
threshold passes, as COINr's ``Dat_Avail >= dat_thresh``):

1. indicators first: an indicator whose coverage over all unit-years is below
   ``min_coverage_indicator`` is dropped (a rarely reported indicator should
   not cost units their place);
2. then units, over the kept indicators:
   - ``by="panel"``: a unit whose coverage over all its unit-years is below
     ``min_coverage_unit`` is dropped;
   - ``by="year"``: a unit-year whose coverage is below ``min_coverage_unit``
     is blanked (set missing, and left out of ``unit_years_kept`` so that
     imputation does not refill it); a unit with no unit-year left is dropped;
3. ``min_nonzero_unit`` (COINr's ``nonzero_thresh``, off by default): a unit
   (or unit-year) whose share of non-zero values among its cells is below it
   is treated as in 2 (COINr "byNZ"; with both thresholds, "byBoth").

COINr's "byNA" rule with ``dat_thresh = t`` is ``screen(x, min_coverage_unit=t)``
on one year: ``Dat_Avail = 1 − N_missing / n_ind``, kept iff ``>= t``.

Dropped units and indicators are not removed from the arrays (shapes stay
those of the tree and the units file); the record holds the masks, and the
pipeline subsets.

Source: docs/methods.md#screening; COINr 1.1.14 ``Screen()``
(``unit_screen = "byNA"``, ``dat_thresh``, ``nonzero_thresh``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True, eq=False)
class ScreenRecord:
    """What screening did.

    unit_coverage: (n_units,) share of observed cells over kept indicators
    (and all years); indicator_coverage: (n_ind,) over all unit-years;
    unit_nonzero: (n_units,) 1 − share of cells observed as zero (COINr's
    Non_Zero: a missing cell does not count as a zero); unit_year_coverage: (n_units, n_years).
    units_kept, indicators_kept, unit_years_kept: bool masks.
    dropped_units / dropped_indicators: (index, coverage) pairs;
    blanked_unit_years: (unit, year, coverage) triples (by="year").
    """

    by: str
    min_coverage_unit: float
    min_coverage_indicator: float
    min_nonzero_unit: float | None
    unit_coverage: np.ndarray = field(repr=False)
    indicator_coverage: np.ndarray = field(repr=False)
    unit_nonzero: np.ndarray = field(repr=False)
    unit_year_coverage: np.ndarray = field(repr=False)
    units_kept: np.ndarray = field(repr=False)
    indicators_kept: np.ndarray = field(repr=False)
    unit_years_kept: np.ndarray = field(repr=False)
    dropped_units: tuple[tuple[int, float], ...] = ()
    dropped_indicators: tuple[tuple[int, float], ...] = ()
    blanked_unit_years: tuple[tuple[int, int, float], ...] = ()


def _share(count: np.ndarray, total) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(np.asarray(total) > 0, count / np.maximum(total, 1), 0.0)


def screen(
    x: np.ndarray,
    *,
    min_coverage_unit: float = 0.0,
    min_coverage_indicator: float = 0.0,
    min_nonzero_unit: float | None = None,
    by: str = "panel",
) -> tuple[np.ndarray, ScreenRecord]:
    """Screen units and indicators by data coverage.

    x : (n_units, n_years, n_ind) float64, NaN = missing.
    Returns ``(x_screened, record)``: x with blanked unit-years set missing
    (by="year"; otherwise an unchanged copy) and the masks in the record.

        coverage = observed cells / cells      (over the scope judged)
        nonzero  = 1 − cells observed equal to 0 / cells   (COINr Non_Zero)

    NaN-only inputs give coverage 0; an indicator with no cells at all
    (n_units·n_years = 0) has coverage 0.

    Source: docs/methods.md#screening; COINr 1.1.14 Screen()
    "byNA" (Dat_Avail >= dat_thresh), "byNZ", "byBoth".
    """
    if by not in ("panel", "year"):
        raise ValueError(f"screen: by must be 'panel' or 'year' (got {by!r})")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError("screen: x must be (n_units, n_years, n_ind)")
    for name, v in (("min_coverage_unit", min_coverage_unit),
                    ("min_coverage_indicator", min_coverage_indicator),
                    ("min_nonzero_unit", 0.0 if min_nonzero_unit is None else min_nonzero_unit)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"screen: {name} must be in [0, 1]")
    n_units, n_years, n_ind = x.shape
    obs = ~np.isnan(x)
    zero = obs & (x == 0)

    ind_cov = _share(obs.sum(axis=(0, 1)), n_units * n_years)
    ind_kept = ind_cov >= min_coverage_indicator
    k = int(ind_kept.sum())

    uy_obs = obs[:, :, ind_kept].sum(axis=2)  # (n_units, n_years)
    uy_zero = zero[:, :, ind_kept].sum(axis=2)
    uy_cov = _share(uy_obs, k)
    uy_nzs = 1.0 - _share(uy_zero, k)
    u_cov = _share(uy_obs.sum(axis=1), k * n_years)
    u_nzs = 1.0 - _share(uy_zero.sum(axis=1), k * n_years)

    out = x.copy()
    blanked: tuple[tuple[int, int, float], ...] = ()
    if by == "panel":
        units_kept = u_cov >= min_coverage_unit
        if min_nonzero_unit is not None:
            units_kept &= u_nzs >= min_nonzero_unit
        uy_kept = np.broadcast_to(units_kept[:, None], (n_units, n_years)).copy()
    else:
        uy_kept = uy_cov >= min_coverage_unit
        if min_nonzero_unit is not None:
            uy_kept &= uy_nzs >= min_nonzero_unit
        units_kept = uy_kept.any(axis=1) if n_years else np.zeros(n_units, bool)
        gone = ~uy_kept & units_kept[:, None]
        out[gone] = np.nan
        blanked = tuple((int(u), int(t), float(uy_cov[u, t])) for u, t in np.argwhere(gone))
        uy_kept &= units_kept[:, None]

    for a in (ind_cov, uy_cov, u_cov, u_nzs, units_kept, ind_kept, uy_kept):
        a.flags.writeable = False
    rec = ScreenRecord(
        by=by,
        min_coverage_unit=float(min_coverage_unit),
        min_coverage_indicator=float(min_coverage_indicator),
        min_nonzero_unit=None if min_nonzero_unit is None else float(min_nonzero_unit),
        unit_coverage=u_cov,
        indicator_coverage=ind_cov,
        unit_nonzero=u_nzs,
        unit_year_coverage=uy_cov,
        units_kept=units_kept,
        indicators_kept=ind_kept,
        unit_years_kept=uy_kept,
        dropped_units=tuple((int(u), float(u_cov[u])) for u in np.flatnonzero(~units_kept)),
        dropped_indicators=tuple((int(j), float(ind_cov[j])) for j in np.flatnonzero(~ind_kept)),
        blanked_unit_years=blanked,
    )
    return out, rec
