"""σ- and β-convergence of scores over years.

Both need scores comparable over time (panel normalisation or goalposts, docs/methods.md#minmax
and #goalpost): year-by-year min–max rescales every year and destroys them.

Source: docs/methods.md#convergence; Barro, R. J. & Sala-i-Martin, X. (1992) Convergence,
Journal of Political Economy 100(2):223–251.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Beta", "Sigma", "SigmaTrend", "beta_conditional", "beta_convergence", "beta_panel", "sigma_convergence",
           "sigma_trend"]


@dataclass(frozen=True, slots=True, eq=False)
class Sigma:
    """Result of :func:`sigma_convergence`; arrays of shape (n_years,).

    ``converging[t]`` says whether CV (ddof=0) fell from year t to t+1, (n_years − 1,).
    """

    n: np.ndarray
    mean: np.ndarray
    sd_pop: np.ndarray
    sd_sample: np.ndarray
    cv_pop: np.ndarray
    cv_sample: np.ndarray
    sd_log_pop: np.ndarray
    sd_log_sample: np.ndarray
    n_nonpositive: np.ndarray  # units left out of the sd of ln y
    converging: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class Beta:
    """Result of :func:`beta_convergence` (one regression)."""

    beta: float
    se: float
    p_value: float
    intercept: float
    r2: float
    n: int
    span: float  # T, years between first and last observation
    speed: float  # λ = −ln(1 + βT)/T
    half_life: float  # ln 2 / λ
    groups: dict[Any, Beta] | None = None


def _stat(y: np.ndarray, fn, min_n: int) -> np.ndarray:
    out = np.full(y.shape[1], np.nan)
    for t in range(y.shape[1]):
        v = y[:, t]
        v = v[~np.isnan(v)]
        if v.size >= min_n:
            out[t] = fn(v)
    return out


def sigma_convergence(Y: np.ndarray) -> Sigma:
    """Dispersion of the scores in each year: σ-convergence if it falls over time.

    Y : ndarray (n_units, n_years), scores (> 0 for the log measure). Per year t::

        mean_t, sd_t (ddof 0 and 1), CV_t = sd_t / mean_t,  sd of ln y_it (ddof 0 and 1)
        σ-convergence from t to t+1:  CV_{t+1} < CV_t   (``converging``)

    NaN units are left out of their year; units with y ≤ 0 are left out of the
    sd of ln y only (counted in ``n_nonpositive``). The absolute sd can rise while
    the CV falls (vectors/cv_sigma_convergence.json): say which σ is used.

    Source: docs/methods.md#convergence; Barro & Sala-i-Martin (1992) JPE 100(2):223–251.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2:
        raise ValueError(f"Y must be (n_units, n_years), got shape {Y.shape}")
    n = (~np.isnan(Y)).sum(axis=0)
    mean = _stat(Y, np.mean, 1)
    sd0 = _stat(Y, lambda v: v.std(ddof=0), 1)
    sd1 = _stat(Y, lambda v: v.std(ddof=1), 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv0 = np.where(mean != 0, sd0 / mean, np.nan)
        cv1 = np.where(mean != 0, sd1 / mean, np.nan)
        pos = np.where(Y > 0, Y, np.nan)
        ln = np.log(pos)
    nonpos = ((Y <= 0) & ~np.isnan(Y)).sum(axis=0)
    sdl0 = _stat(ln, lambda v: v.std(ddof=0), 1)
    sdl1 = _stat(ln, lambda v: v.std(ddof=1), 2)
    return Sigma(
        n=n,
        mean=mean,
        sd_pop=sd0,
        sd_sample=sd1,
        cv_pop=cv0,
        cv_sample=cv1,
        sd_log_pop=sdl0,
        sd_log_sample=sdl1,
        n_nonpositive=nonpos,
        converging=cv0[1:] < cv0[:-1],
    )


@dataclass(frozen=True, slots=True)
class _Fit:
    slope: float
    intercept: float
    rvalue: float
    pvalue: float
    stderr: float


def _ols(x: np.ndarray, y: np.ndarray) -> _Fit:
    """Simple OLS of y on x, as scipy.stats.linregress (slope, its standard error, two-sided p of slope = 0).

    Written out with numpy and scipy.special's Student-t (importing scipy.stats costs about a second per run):

        β = Sxy / Sxx,  se = √(SSR / (n − 2) / Sxx),  t = β / se,  p = 2 · P(T_{n−2} > |t|)
    """
    from scipy.special import stdtr

    n = x.size
    xm, ym = x.mean(), y.mean()
    sxx = float(((x - xm) ** 2).sum())
    sxy = float(((x - xm) * (y - ym)).sum())
    syy = float(((y - ym) ** 2).sum())
    slope = sxy / sxx
    intercept = ym - slope * xm
    r = sxy / np.sqrt(sxx * syy) if syy > 0 else 0.0
    ssr = max(syy - slope * sxy, 0.0)
    se = float(np.sqrt(ssr / (n - 2) / sxx)) if n > 2 else float("nan")
    if se > 0:
        p = float(2 * stdtr(n - 2, -abs(slope / se)))
    else:
        p = 0.0 if slope != 0 else 1.0
    return _Fit(slope=float(slope), intercept=float(intercept), rvalue=float(r), pvalue=p, stderr=se)


def _beta_one(y0: np.ndarray, yT: np.ndarray, span: float) -> Beta:
    ok = np.isfinite(y0) & np.isfinite(yT) & (y0 > 0) & (yT > 0)
    nan = float("nan")
    n = int(ok.sum())
    x = np.log(y0[ok])
    if n < 3 or np.ptp(x) == 0:
        return Beta(nan, nan, nan, nan, nan, n, span, nan, nan)
    g = np.log(yT[ok] / y0[ok]) / span
    r = _ols(x, g)
    beta = float(r.slope)
    speed, half = _speed(beta, span)
    return Beta(
        beta=beta,
        se=float(r.stderr),
        p_value=float(r.pvalue),
        intercept=float(r.intercept),
        r2=float(r.rvalue**2),
        n=n,
        span=span,
        speed=speed,
        half_life=half,
    )


def beta_convergence(
    Y: np.ndarray,
    *,
    years: Sequence[float] | np.ndarray | None = None,
    groups: Sequence[Any] | np.ndarray | None = None,
) -> Beta:
    """Absolute β-convergence: growth regressed on the initial level across units.

    Y : ndarray (n_units, n_years); only the first and last columns are used.
    years : the years of the columns (default 0, 1, …), so T = years[-1] − years[0].
    groups : labels (n_units,) — also run the regression within each group
        (``result.groups[label]``; club convergence).

    ::

        g_i = ln(y_iT / y_i0) / T = α + β ln y_i0 + ε_i        (OLS; the same numbers as scipy.stats.linregress)
        λ   = −ln(1 + βT) / T        (convergence speed; NaN if 1 + βT ≤ 0)
        half-life = ln 2 / λ          (NaN unless λ > 0)

    β < 0 (significant) means units starting lower grow faster. ``se`` and
    ``p_value`` are as linregress's (two-sided, H0: β = 0). Units with NaN or y ≤ 0
    at either end are dropped; fewer than 3 units (or equal starting levels)
    give NaN.

    Source: docs/methods.md#convergence; Barro, R. J. & Sala-i-Martin, X. (1992) Convergence,
    JPE 100(2):223–251 (eq. for the average growth rate; λ from 1 − e^{−λT} = −βT).
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError(f"Y must be (n_units, n_years ≥ 2), got shape {Y.shape}")
    yrs = np.arange(Y.shape[1], dtype=np.float64) if years is None else np.asarray(years, float)
    span = float(yrs[-1] - yrs[0])
    if not span > 0:
        raise ValueError(f"years must increase, got {yrs!r}")
    res = _beta_one(Y[:, 0], Y[:, -1], span)
    if groups is None:
        return res
    labels = list(groups.tolist() if isinstance(groups, np.ndarray) else groups)
    if len(labels) != Y.shape[0]:
        raise ValueError(f"groups has {len(labels)} labels for {Y.shape[0]} units")
    arr = np.array(labels, dtype=object)
    per: dict[Any, Beta] = {}
    for g in dict.fromkeys(labels):
        m = arr == g
        per[g] = _beta_one(Y[m, 0], Y[m, -1], span)
    return Beta(**{f: getattr(res, f) for f in Beta.__dataclass_fields__ if f != "groups"},
                groups=per)


def _ols_fe(x: np.ndarray, g: np.ndarray, D: np.ndarray) -> tuple[float, float, float, float, int]:
    """OLS of g on x and the dummy columns D (which span the constant): β of x, its se, two-sided p,
    R² and the residual degrees of freedom n − rank([x D])."""
    from scipy.special import stdtr

    X = np.column_stack([x, D])
    coef, _, rank, _ = np.linalg.lstsq(X, g, rcond=None)
    resid = g - X @ coef
    n = g.size
    df = n - int(rank)
    nan = float("nan")
    if df <= 0:
        return float(coef[0]), nan, nan, nan, df
    s2 = float(resid @ resid) / df
    # var(β_x) = s² / (residual sum of squares of x on D)  (Frisch–Waugh–Lovell)
    cd, *_ = np.linalg.lstsq(D, x, rcond=None)
    rx = x - D @ cd
    sxx = float(rx @ rx)
    se = float(np.sqrt(s2 / sxx)) if sxx > 0 else nan
    b = float(coef[0])
    p = float(2 * stdtr(df, -abs(b / se))) if se > 0 else (0.0 if b != 0 else 1.0)
    tss = float(((g - g.mean()) ** 2).sum())
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else nan
    return b, se, p, r2, df


def _speed(beta: float, span: float) -> tuple[float, float]:
    nan = float("nan")
    speed = -np.log1p(beta * span) / span if 1.0 + beta * span > 0 else nan
    half = np.log(2.0) / speed if speed > 0 else nan
    return float(speed), float(half)


def beta_conditional(
    Y: np.ndarray,
    groups: Sequence[Any] | np.ndarray,
    *,
    years: Sequence[float] | np.ndarray | None = None,
) -> Beta:
    """Conditional β-convergence across units with group fixed effects (one intercept per group)::

        g_i = ln(y_iT / y_i0) / T = α_{g(i)} + β ln y_i0 + ε_i      (OLS)

    β < 0: within each group, units starting lower grow faster towards their
    group's own steady state. se and p are classical OLS (n − k − 1 degrees of
    freedom, k groups); λ and the half-life as :func:`beta_convergence`. Units
    with NaN or y ≤ 0 at either end are dropped.

    Source: docs/methods.md#convergence; Barro & Sala-i-Martin (1992) JPE 100(2):223–251
    (conditional convergence: a steady state per group); Sala-i-Martin (1996)
    Economic Journal 106:1019–1036 (regional dummies).
    """
    Y = np.asarray(Y, dtype=np.float64)
    yrs = np.arange(Y.shape[1], dtype=np.float64) if years is None else np.asarray(years, float)
    span = float(yrs[-1] - yrs[0])
    y0, yT = Y[:, 0], Y[:, -1]
    ok = np.isfinite(y0) & np.isfinite(yT) & (y0 > 0) & (yT > 0)
    codes = np.unique(np.asarray(list(groups), dtype=object).astype(str), return_inverse=True)[1].ravel()[ok]
    nan = float("nan")
    n = int(ok.sum())
    x = np.log(y0[ok])
    D = (codes[:, None] == np.unique(codes)[None, :]).astype(np.float64)
    if n < D.shape[1] + 2 or np.ptp(x) == 0:
        return Beta(nan, nan, nan, nan, nan, n, span, nan, nan)
    g = np.log(yT[ok] / y0[ok]) / span
    b, se, p, r2, _ = _ols_fe(x, g, D)
    speed, half = _speed(b, span)
    return Beta(beta=b, se=se, p_value=p, intercept=nan, r2=r2, n=n, span=span, speed=speed, half_life=half)


def beta_panel(Y: np.ndarray, *, years: Sequence[float] | np.ndarray | None = None) -> Beta:
    """Panel β-convergence with unit and year fixed effects (two-way within estimator)::

        ln(y_i,t+1 / y_it) / Δt = μ_i + η_t + β ln y_it + ε_it      (OLS with unit and year dummies)

    over every pair of consecutive years; β < 0 is conditional convergence of each
    unit towards its own steady state. se and p are classical OLS (N − rank
    degrees of freedom); λ = −ln(1 + β Δ)/Δ with Δ the mean gap between years
    (per year when the years are consecutive), half-life ln 2 / λ. Pairs with
    NaN or y ≤ 0 are dropped. ``n`` is the number of unit-year pairs.

    Source: docs/methods.md#convergence; Islam, N. (1995) Growth empirics: a panel data
    approach, QJE 110(4):1127–1170.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] < 3:
        raise ValueError(f"Y must be (n_units, n_years ≥ 3), got shape {Y.shape}")
    yrs = np.arange(Y.shape[1], dtype=np.float64) if years is None else np.asarray(years, float)
    gap = np.diff(yrs)
    a, b = Y[:, :-1], Y[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
        growth = np.log(np.where(ok, b / np.where(ok, a, 1.0), 1.0)) / gap[None, :]
    ui, ti = np.nonzero(ok)
    x = np.log(a[ok])
    g = growth[ok]
    nan = float("nan")
    span = float(gap.mean())
    n = int(ok.sum())
    uc = np.unique(ui, return_inverse=True)[1].ravel()
    tc = np.unique(ti, return_inverse=True)[1].ravel()
    n_fe = int(uc.max()) + int(tc.max()) + 1 if n else 0  # units + years − 1 (a connected panel)
    if n < n_fe + 2:
        return Beta(nan, nan, nan, nan, nan, n, span, nan, nan)
    xt, gt = _two_way_demean(x, uc, tc), _two_way_demean(g, uc, tc)
    sxx = float(xt @ xt)
    if not sxx > 1e-12 * max(float(x @ x), 1.0):
        return Beta(nan, nan, nan, nan, nan, n, span, nan, nan)
    from scipy.special import stdtr

    beta = float(xt @ gt) / sxx
    resid = gt - beta * xt  # = the residuals of the regression with both sets of dummies (Frisch–Waugh–Lovell)
    df = n - n_fe - 1
    ssr = float(resid @ resid)
    se = float(np.sqrt(ssr / df / sxx)) if df > 0 else nan
    p = float(2 * stdtr(df, -abs(beta / se))) if se > 0 else (0.0 if beta != 0 else 1.0)
    tss = float(((g - g.mean()) ** 2).sum())
    r2 = 1.0 - ssr / tss if tss > 0 else nan
    speed, half = _speed(beta, span)
    return Beta(beta=beta, se=se, p_value=p, intercept=nan, r2=r2, n=n, span=span, speed=speed, half_life=half)


def _two_way_demean(v: np.ndarray, u: np.ndarray, t: np.ndarray, *, tol: float = 1e-14,
                    max_iter: int = 10_000) -> np.ndarray:
    """v minus its projection on unit and year dummies, by alternating projections.

    One sweep is exact for a balanced panel; an unbalanced one converges geometrically
    (Guimarães & Portugal 2010, Stata Journal 10(4):628–649). O(n) memory: no dummy matrix.
    """
    nu, nt = int(u.max()) + 1, int(t.max()) + 1
    cu, ct = np.bincount(u, minlength=nu), np.bincount(t, minlength=nt)
    r = v - v.mean()
    scale = max(float(np.abs(r).max()), 1e-300)
    for _ in range(max_iter):
        r = r - (np.bincount(u, weights=r, minlength=nu) / cu)[u]
        step = (np.bincount(t, weights=r, minlength=nt) / ct)[t]
        r = r - step
        if float(np.abs(step).max()) <= tol * scale:
            break
    return r


@dataclass(frozen=True, slots=True)
class SigmaTrend:
    """Result of :func:`sigma_trend`."""

    slope: float  # change of CV per year
    se: float
    p_value: float
    n: int


def sigma_trend(cv: np.ndarray, years: Sequence[float] | np.ndarray) -> SigmaTrend:
    """σ-convergence test: OLS trend of the yearly CV on the year, CV_t = a + b·t + e_t.

    b < 0 with p < 0.05 (two-sided t-test, n − 2 degrees of freedom) is a
    significant fall of the dispersion. The yearly CVs are serially correlated,
    so with few years the p-value is indicative only. Fewer than 3 finite CVs: NaN.

    Source: docs/methods.md#convergence; Barro & Sala-i-Martin (1992) (σ: dispersion falls over
    time); the test is a plain linear-trend t-test of that dispersion.
    """
    cv = np.asarray(cv, dtype=np.float64)
    t = np.asarray(years, dtype=np.float64)
    ok = np.isfinite(cv)
    nan = float("nan")
    if ok.sum() < 3:
        return SigmaTrend(nan, nan, nan, int(ok.sum()))
    f = _ols(t[ok], cv[ok])
    return SigmaTrend(f.slope, f.stderr, f.pvalue, int(ok.sum()))
