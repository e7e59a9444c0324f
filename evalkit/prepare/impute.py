"""Imputation: a chain of steps, each filling only what is still missing.

Every step computes its candidate values from the data *as given* (the input
``x``), never from values an earlier step imputed, so an imputed value never
feeds another one; the chain only decides the priority between steps.

Steps (the registry :data:`STEPS`, keyed by the YAML word):

- ``interpolate``: within-unit linear interpolation across years, interior
  gaps only (both neighbours observed), weighted by the year distance;
- ``carry``: nearest observed year of the same unit: the last observation
  carried forward, and backward before the first one;
- ``group_mean`` / ``group_median``: the mean / median of the unit's group
  (province, peer group) in the same year; units with group -1 are neither
  filled nor used (COINr ``i_mean_grp`` with ``skip_f_na = TRUE``);
- ``mean`` / ``median``: over all units in the same year;
- ``panel_mean`` / ``panel_median``: over all unit-years of the indicator.

Source: docs/methods.md#imputation; COINr 1.1.14 ``Impute()``,
``i_mean_grp()``, ``impute_panel(imp_type = "linear")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

IMPUTED = np.uint8(1)

DEFAULT_CHAIN: tuple[str, ...] = ("interpolate", "carry", "group_median", "panel_median")


@dataclass(frozen=True, slots=True, eq=False)
class ImputeRecord:
    """What imputation did.

    chain: the default chain; per_indicator: indicator index -> its own chain;
    filled: step -> cells filled per indicator (length n_ind);
    missing_before / missing_after: missing cells per indicator;
    step_of: int8 (n_units, n_years, n_ind), the index in :data:`STEP_NAMES`
    of the step that filled the cell, -1 where nothing was imputed (read-only).
    """

    chain: tuple[str, ...]
    per_indicator: Mapping[int, tuple[str, ...]]
    filled: Mapping[str, tuple[int, ...]]
    missing_before: tuple[int, ...]
    missing_after: tuple[int, ...]
    step_of: np.ndarray = field(repr=False)

    @property
    def n_filled(self) -> int:
        return int(sum(sum(v) for v in self.filled.values()))


# --------------------------------------------------------------------------- steps
# each step: (x, groups, years) -> candidate values, same shape as x (NaN = no candidate)


def _neighbours(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the previous / next observed year for every cell (-1 / n_years if none)."""
    n_years = valid.shape[1]
    dt = np.int16 if n_years < 32000 else np.int64  # small indexes: less memory to sweep
    t = np.arange(n_years, dtype=dt).reshape(1, n_years, 1)
    prev = np.where(valid, t, dt(-1))
    np.maximum.accumulate(prev, axis=1, out=prev)
    nxt = np.where(valid, t, dt(n_years))
    nxt = np.minimum.accumulate(nxt[:, ::-1], axis=1)[:, ::-1]
    return prev, nxt


def interpolate(x: np.ndarray, groups: np.ndarray | None = None,
                years: np.ndarray | None = None) -> np.ndarray:
    """Linear interpolation between the nearest observed years of the same unit.

        x_t = x_a + (x_b − x_a)·(y_t − y_a)/(y_b − y_a)     a < t < b observed

    Interior gaps only; ends stay missing.  ``years`` (default 0..n_years−1)
    gives the year values, so uneven spacing interpolates by distance.
    """
    n_years = x.shape[1]
    yv = np.arange(n_years, dtype=np.float64) if years is None else np.asarray(years, np.float64)
    valid = ~np.isnan(x)
    prev, nxt = _neighbours(valid)
    u, t, k = np.nonzero(~valid & (prev >= 0) & (nxt < n_years))  # only the gaps are computed
    a, b = prev[u, t, k], nxt[u, t, k]
    xa, xb = x[u, a, k], x[u, b, k]
    out = np.full_like(x, np.nan)
    out[u, t, k] = xa + (xb - xa) * (yv[t] - yv[a]) / (yv[b] - yv[a])
    return out


def carry(x: np.ndarray, groups: np.ndarray | None = None,
          years: np.ndarray | None = None) -> np.ndarray:
    """The unit's last observed value (forward); before its first one, the first (backward)."""
    n_years = x.shape[1]
    valid = ~np.isnan(x)
    prev, nxt = _neighbours(valid)
    out = np.full_like(x, np.nan)
    u, t, k = np.nonzero(~valid & (prev >= 0))
    out[u, t, k] = x[u, prev[u, t, k], k]
    u, t, k = np.nonzero(~valid & (prev < 0) & (nxt < n_years))
    out[u, t, k] = x[u, nxt[u, t, k], k]
    return out


def _nanmean(a: np.ndarray, axis) -> np.ndarray:
    """Mean of the non-missing values (NaN where none), without warnings."""
    ok = ~np.isnan(a)
    n = ok.sum(axis=axis)
    s = np.where(ok, a, 0.0).sum(axis=axis)
    with np.errstate(all="ignore"):
        return np.where(n > 0, s / n, np.nan)


def _nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """Median of the non-missing values along ``axis`` (NaN where none), by one sort.

    np.sort puts NaN last, so the n observed values lead each lane; much faster
    than np.nanmedian on panels with scattered gaps.
    """
    s = np.sort(a, axis=axis)
    n = (~np.isnan(a)).sum(axis=axis, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((n - 1) // 2, 0), axis=axis)
    hi = np.take_along_axis(s, np.maximum(n // 2, 0).clip(max=a.shape[axis] - 1), axis=axis)
    med = np.where(n > 0, (lo + hi) / 2.0, np.nan)
    return np.squeeze(med, axis=axis)


def _group_step(stat: Callable[[np.ndarray, int], np.ndarray]):
    def step(x: np.ndarray, groups: np.ndarray | None = None,
             years: np.ndarray | None = None) -> np.ndarray:
        if groups is None:
            raise ValueError("group imputation needs a groups array")
        g = np.asarray(groups)
        out = np.full_like(x, np.nan)
        for code in np.unique(g[g >= 0]):
            sel = g == code
            out[sel] = stat(x[sel], 0)[None, :, :]  # (n_years, n_ind) per group
        return out
    return step


group_mean = _group_step(_nanmean)
group_mean.__name__ = "group_mean"
group_mean.__doc__ = "Mean of the unit's group in the same year (observed values only)."
group_median = _group_step(_nanmedian)
group_median.__name__ = "group_median"
group_median.__doc__ = "Median of the unit's group in the same year (observed values only)."


def mean(x: np.ndarray, groups=None, years=None) -> np.ndarray:
    """Mean over all units in the same year."""
    return np.broadcast_to(_nanmean(x, 0)[None], x.shape).copy()


def median(x: np.ndarray, groups=None, years=None) -> np.ndarray:
    """Median over all units in the same year."""
    return np.broadcast_to(_nanmedian(x, 0)[None], x.shape).copy()


def panel_mean(x: np.ndarray, groups=None, years=None) -> np.ndarray:
    """Mean over all unit-years of the indicator."""
    return np.broadcast_to(_nanmean(x, (0, 1))[None, None], x.shape).copy()


def panel_median(x: np.ndarray, groups=None, years=None) -> np.ndarray:
    """Median over all unit-years of the indicator."""
    flat = x.reshape(-1, x.shape[2])
    return np.broadcast_to(_nanmedian(flat, 0)[None, None], x.shape).copy()


STEPS: dict[str, Callable[..., np.ndarray]] = {
    "interpolate": interpolate,
    "carry": carry,
    "group_mean": group_mean,
    "group_median": group_median,
    "mean": mean,
    "median": median,
    "panel_mean": panel_mean,
    "panel_median": panel_median,
}
STEP_NAMES: tuple[str, ...] = tuple(STEPS)
_NEEDS_GROUPS = {"group_mean", "group_median"}


# --------------------------------------------------------------------------- the chain


def impute(
    x: np.ndarray,
    *,
    chain: Sequence[str] = DEFAULT_CHAIN,
    per_indicator: Mapping[int, Sequence[str]] | None = None,
    groups: np.ndarray | None = None,
    years: Sequence[float] | None = None,
    flags: np.ndarray | None = None,
    where: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, ImputeRecord]:
    """Fill missing cells of ``x`` by a chain of steps, in order.

    x : (n_units, n_years, n_ind) float64, NaN = missing.
    chain : step names (keys of :data:`STEPS`) for every indicator not in
        ``per_indicator`` (indicator index -> its own chain; an empty chain
        leaves the indicator as it is).
    groups : (n_units,) int, group index per unit, -1 = no group; needed by
        ``group_*`` steps.
    years : (n_years,) year values for ``interpolate`` (default evenly spaced).
    flags : (n_units, n_years, n_ind) uint8, or None for zeros; bit 1 is set
        on every filled cell.
    where : (n_units, n_years) bool, or None: only these unit-years may be
        filled (e.g. screening's kept unit-years); all observed values still
        inform the statistics.
    Returns ``(x_filled, flags, record)``; the inputs are not modified.

    Each step draws on the values as given, never on earlier imputations, and
    fills only cells still missing; what no step can fill stays NaN.

    Source: docs/methods.md#imputation; COINr 1.1.14 Impute()
    (column-wise, group mean ``i_mean_grp``), impute_panel().
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError("impute: x must be (n_units, n_years, n_ind)")
    n_units, n_years, n_ind = x.shape
    per = {int(k): tuple(v) for k, v in (per_indicator or {}).items()}
    chain = tuple(chain)
    for c in (chain, *per.values()):
        for s in c:
            if s not in STEPS:
                raise ValueError(f"impute: unknown step {s!r}")
            if s in _NEEDS_GROUPS and groups is None:
                raise ValueError(f"impute: step {s!r} needs groups")
    if any(not 0 <= k < n_ind for k in per):
        raise ValueError("impute: per_indicator index out of range")
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (n_units,):
            raise ValueError("impute: groups must be (n_units,)")
    if years is not None and len(years) != n_years:
        raise ValueError("impute: years must have n_years entries")
    fl = np.zeros(x.shape, np.uint8) if flags is None else np.array(flags, dtype=np.uint8)
    if fl.shape != x.shape:
        raise ValueError("impute: flags must have the shape of x")

    out = x.copy()
    step_of = np.full(x.shape, -1, dtype=np.int8)
    missing = np.isnan(x)
    fillable = missing if where is None else missing & np.asarray(where, bool)[:, :, None]
    filled = {s: np.zeros(n_ind, dtype=np.int64) for s in STEPS}

    # indicators sharing a chain are imputed together
    by_chain: dict[tuple[str, ...], list[int]] = {}
    for k in range(n_ind):
        by_chain.setdefault(per.get(k, chain), []).append(k)
    yv = None if years is None else np.asarray(years, dtype=np.float64)
    for ch, cols in by_chain.items():
        if not ch:
            continue
        # a contiguous run of columns is taken as a view (no copies of the panel)
        cols_a = slice(cols[0], cols[-1] + 1) if cols[-1] - cols[0] + 1 == len(cols) else np.asarray(cols)
        todo = fillable[:, :, cols_a].copy()
        if not todo.any():
            continue
        sub = x[:, :, cols_a]
        vals = out[:, :, cols_a]
        src = step_of[:, :, cols_a]
        for s in ch:
            cand = STEPS[s](sub, groups, yv)
            put = todo & ~np.isnan(cand)
            vals[put] = cand[put]
            src[put] = STEP_NAMES.index(s)
            filled[s][cols_a] += put.sum(axis=(0, 1))
            todo &= ~put
            if not todo.any():
                break
        out[:, :, cols_a] = vals
        step_of[:, :, cols_a] = src

    fl[step_of >= 0] |= IMPUTED
    step_of.flags.writeable = False
    used = {s for c in (chain, *per.values()) for s in c}
    rec = ImputeRecord(
        chain=chain,
        per_indicator=per,
        filled={s: tuple(int(v) for v in filled[s]) for s in STEP_NAMES if s in used},
        missing_before=tuple(int(v) for v in missing.sum(axis=(0, 1))),
        missing_after=tuple(int(v) for v in np.isnan(out).sum(axis=(0, 1))),
        step_of=step_of,
    )
    return out, fl, rec
