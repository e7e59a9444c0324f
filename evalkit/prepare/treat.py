"""Outlier treatment as COINr does it: skew/kurtosis check, winsorisation, log.

Per indicator column (by default the pooled unit-years of the panel; with
``scope="year"`` each year separately):

1. check: the column *fails* when |G1| >= skew_thresh AND G2 >= kurt_thresh
   (COINr ``check_SkewKurt``: pass = |skew| < 2 | kurt < 3.5);
2. if it fails, winsorise: while it fails and fewer than ``winmax`` points are
   winsorised, every point equal to the maximum (if the current skew >= 0) or
   the minimum (skew < 0) takes the next value inward; recheck;
3. if it still fails, ``log_CT`` of the ORIGINAL values (COINr's default
   ``combine_treat = FALSE``): log(x − min + 0.01·(max − min)); checked again
   and kept whatever the result.

Flags: bit 2 on each winsorised cell; on every observed cell of a
log-transformed column (all its values changed).

COINr's count of winsorised points, reproduced exactly: ``nwin`` is the size
of the last high set plus the last low set (R's ``imax``/``imin`` are
overwritten on each pass).  Points winsorised earlier are tied with the new
extreme, so while the direction holds the last set contains all of them; if
the skew changes sign, the high set and the low set are both counted and
flagged (``winhi`` / ``winlo``), which is what treat_points.csv lists.

Source: COINr 1.1.14 ``Treat()``, ``winsorise()``, ``log_CT()``,
``check_SkewKurt()``, ``skew()``, ``kurt()`` (e1071 type 2 = Excel SKEW/KURT);
COINr's treat_details.csv and treat_points.csv of the ASEM index (examples/asem).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TREATED = np.uint8(2)


@dataclass(frozen=True, slots=True)
class ColumnTreatment:
    """What happened to one column.

    indicator: index on axis 2; year: index on axis 1, or None (panel scope).
    method: "none" (passed, or too few points), "winsorise" or "log_ct".
    skew/kurt: before (0), after winsorising (1, NaN if not tried), after the
    log (2, NaN if not applied).  nwin: COINr's count of winsorised points.
    winhi / winlo: (unit, year) cells winsorised at the top / bottom.
    """

    indicator: int
    year: int | None
    n_obs: int
    skew0: float
    kurt0: float
    passed0: bool
    method: str
    nwin: int = 0
    skew1: float = float("nan")
    kurt1: float = float("nan")
    passed1: bool | None = None
    skew2: float = float("nan")
    kurt2: float = float("nan")
    passed2: bool | None = None
    winhi: tuple[tuple[int, int], ...] = ()
    winlo: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class TreatRecord:
    """Parameters resolved and one :class:`ColumnTreatment` per column checked."""

    scope: str
    winmax: int | None
    skew_thresh: float
    kurt_thresh: float
    log_fallback: bool
    combine: bool
    columns: tuple[ColumnTreatment, ...] = field(repr=False)

    @property
    def treated(self) -> tuple[ColumnTreatment, ...]:
        return tuple(c for c in self.columns if c.method != "none")


# --------------------------------------------------------------------------- statistics


def skew_kurt(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bias-adjusted sample skewness G1 and excess kurtosis G2 of each column.

    x : (n_obs, n_cols); NaN ignored (COINr ``na.rm = TRUE``).
    With d = x − mean, m_k = Σ d^k over the n non-missing values:

        G1 = √n · m3 / m2^{3/2} · √(n(n−1)) / (n−2)
        G2 = ((n+1)(n·m4/m2² − 3) + 6)(n−1) / ((n−2)(n−3))

    (Excel SKEW / KURT; e1071 type 2; COINr skew()/kurt()).  NaN where n < 3
    (skew), n < 4 (kurtosis) or the column is constant.
    Source: Joanes & Gill 1998, The Statistician 47(1), G1 and G2.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    ok = ~np.isnan(x)
    n = ok.sum(axis=0).astype(np.float64)
    with np.errstate(all="ignore"):
        mu = np.where(ok, x, 0.0).sum(axis=0) / n
        d = np.where(ok, x - mu, 0.0)
        d2 = d * d
        m2 = d2.sum(axis=0)
        m3 = (d2 * d).sum(axis=0)
        m4 = (d2 * d2).sum(axis=0)
        g1 = np.sqrt(n) * m3 / m2 ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * m4 / (m2 * m2)
        g2 = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    # a constant column: m2 is 0 or rounding dust relative to the values
    scale = np.nanmax(np.abs(np.where(ok, x, np.nan)), axis=0, initial=0.0) if x.size else n
    flat = ~(m2 > (1e-13 * scale) ** 2 * n)
    g1 = np.where((n < 3) | flat, np.nan, g1)
    g2 = np.where((n < 4) | flat, np.nan, g2)
    return g1, g2


def _fails(sk, ku, skew_thresh: float, kurt_thresh: float):
    """COINr check_SkewKurt negated: fail iff |skew| >= t_s and kurt >= t_k (NaN passes)."""
    return (np.abs(sk) >= skew_thresh) & (ku >= kurt_thresh)


def _sk1(v: np.ndarray) -> tuple[float, float]:
    s, k = skew_kurt(v[:, None])
    return float(s[0]), float(k[0])


def winsorise(v: np.ndarray, *, winmax: int | None = 5, skew_thresh: float = 2.0,
              kurt_thresh: float = 3.5, force: bool = False):
    """COINr ``winsorise()`` on one vector (NaN ignored).

    Returns ``(v_new, nwin, imax, imin)``: the treated copy, COINr's count and
    the index arrays of the last high and low sets.
    """
    v = np.array(v, dtype=np.float64)
    ok = ~np.isnan(v)
    imax = np.zeros(0, dtype=np.intp)
    imin = np.zeros(0, dtype=np.intp)
    nwin = 0
    sk, ku = _sk1(v)
    passing = not _fails(sk, ku, skew_thresh, kurt_thresh)
    while (not passing or force) and (winmax is None or nwin < winmax):
        if np.isnan(sk):  # constant or too few points: nothing left to pull in
            break
        vals = v[ok]
        if sk >= 0:
            top = vals.max()
            idx = np.flatnonzero(ok & (v == top))
            rest = vals[vals != top]
            if rest.size == 0:
                break
            v[idx] = rest.max()
            imax = idx
        else:
            bot = vals.min()
            idx = np.flatnonzero(ok & (v == bot))
            rest = vals[vals != bot]
            if rest.size == 0:
                break
            v[idx] = rest.min()
            imin = idx
        nwin = imax.size + imin.size
        sk, ku = _sk1(v)
        passing = not _fails(sk, ku, skew_thresh, kurt_thresh)
    return v, nwin, imax, imin


def log_ct(v: np.ndarray) -> np.ndarray:
    """COINr ``log_CT``: log(x − min + 0.01·(max − min)), min/max over non-missing values."""
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(v), np.nanmax(v)
        return np.log(v - lo + 0.01 * (hi - lo))


# --------------------------------------------------------------------------- the stage


def treat(
    x: np.ndarray,
    *,
    scope: str = "panel",
    winmax: int | None = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
    log_fallback: bool = True,
    combine: bool = False,
    force_win: bool = False,
    indicators: np.ndarray | None = None,
    flags: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, TreatRecord]:
    """Treat outliers column by column, as COINr ``Treat()`` with its defaults.

    x : (n_units, n_years, n_ind) float64, NaN = missing (left missing).
    scope : "panel" pools the unit-years of each indicator (one column per
        indicator, so scores stay comparable across years); "year" treats
        each (year, indicator) column on its own.
    winmax : the most points winsorised per column (None: no limit).
    skew_thresh, kurt_thresh : fail iff |G1| >= skew_thresh and G2 >= kurt_thresh.
    log_fallback : apply log_CT when winsorising does not pass (COINr f2).
    combine : log the winsorised values instead of the original (COINr
        ``combine_treat``).
    force_win : a failing column is winsorised up to ``winmax`` points even
        once it passes (COINr ``force_win``; a passing column is never touched).
    indicators : (n_ind,) bool, the indicators to treat (default all).
    flags : uint8 like x (or None); bit 2 set on treated cells.
    Returns ``(x_treated, flags, record)``; inputs are not modified.

    A column with fewer than 4 observed values or a constant one passes (COINr
    would stop with an error).  See the module docstring for COINr's exact
    count of winsorised points.

    Source: docs/methods.md#outlier-treatment; COINr 1.1.14 Treat.numeric(), winsorise(), log_CT();
    reproduced on the ASEM index (examples/asem).
    """
    if scope not in ("panel", "year"):
        raise ValueError(f"treat: scope must be 'panel' or 'year' (got {scope!r})")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError("treat: x must be (n_units, n_years, n_ind)")
    n_units, n_years, n_ind = x.shape
    fl = np.zeros(x.shape, np.uint8) if flags is None else np.array(flags, dtype=np.uint8)
    if fl.shape != x.shape:
        raise ValueError("treat: flags must have the shape of x")
    sel = np.ones(n_ind, bool) if indicators is None else np.asarray(indicators, bool)
    out = x.copy()
    cols: list[ColumnTreatment] = []

    # columns as (n_obs, n_cols) matrices; obs index -> (unit, year)
    if scope == "panel":
        blocks = [(None, x.reshape(n_units * n_years, n_ind))]
    else:
        blocks = [(t, x[:, t, :]) for t in range(n_years)]

    for t, mat in blocks:
        s0, k0 = skew_kurt(mat)
        n_obs = (~np.isnan(mat)).sum(axis=0)
        fail0 = _fails(s0, k0, skew_thresh, kurt_thresh)
        for j in range(n_ind):
            if not sel[j]:
                continue
            base = dict(indicator=j, year=t, n_obs=int(n_obs[j]), skew0=float(s0[j]),
                        kurt0=float(k0[j]), passed0=not bool(fail0[j]))
            if not fail0[j]:  # COINr runs f1 only on a failing column, force_win or not
                cols.append(ColumnTreatment(method="none", **base))
                continue
            v = mat[:, j]
            vw, nwin, imax, imin = winsorise(v, winmax=winmax, skew_thresh=skew_thresh,
                                             kurt_thresh=kurt_thresh, force=force_win)
            s1, k1 = _sk1(vw)
            pass1 = not _fails(s1, k1, skew_thresh, kurt_thresh)
            cell = _cells(n_years, t)
            if pass1 or not log_fallback:
                changed = np.union1d(imax, imin)
                _put(out, fl, t, j, n_years, vw, changed)
                cols.append(ColumnTreatment(
                    method="winsorise" if changed.size else "none", nwin=int(nwin),
                    skew1=s1, kurt1=k1, passed1=pass1,
                    winhi=tuple(cell(i) for i in imax), winlo=tuple(cell(i) for i in imin),
                    **base))
                continue
            vl = log_ct(vw if combine else v)
            s2, k2 = _sk1(vl)
            changed = np.flatnonzero(~np.isnan(v))
            _put(out, fl, t, j, n_years, vl, changed)
            cols.append(ColumnTreatment(
                method="log_ct", nwin=int(nwin), skew1=s1, kurt1=k1, passed1=pass1,
                skew2=s2, kurt2=k2, passed2=not bool(_fails(s2, k2, skew_thresh, kurt_thresh)),
                winhi=tuple(cell(i) for i in imax) if combine else (),
                winlo=tuple(cell(i) for i in imin) if combine else (),
                **base))

    rec = TreatRecord(scope=scope, winmax=winmax, skew_thresh=float(skew_thresh),
                      kurt_thresh=float(kurt_thresh), log_fallback=log_fallback,
                      combine=combine, columns=tuple(cols))
    return out, fl, rec


def _cells(n_years: int, t: int | None):
    """Map an observation index of a column to its (unit, year) cell."""
    if t is None:
        return lambda i: (int(i) // n_years, int(i) % n_years)
    return lambda i: (int(i), t)


def _put(out, fl, t, j, n_years, col, changed) -> None:
    """Write a treated column back and flag the changed observations."""
    if t is None:
        n_units = out.shape[0]
        out[:, :, j] = col.reshape(n_units, n_years)
        u, y = np.divmod(changed, n_years)
    else:
        out[:, t, j] = col
        u, y = changed, np.full(changed.shape, t)
    fl[u, y, j] |= TREATED
