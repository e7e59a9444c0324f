"""Normalisation: raw indicator values to scores in [0, 1], "larger is better".

Every method has one signature::

    z, info = METHOD(x, *, direction, target_lo=None, target_hi=None,
                     goalpost_lo=None, goalpost_hi=None, scope="panel")

x : ndarray of shape (n_units, n_years, n_ind)
    Raw values, float64, NaN = missing.  Never modified.
direction : array of shape (n_ind,)
    ``"benefit"``, ``"cost"`` or ``"target"`` per indicator, or the integer codes
    ``BENEFIT = 1``, ``COST = -1``, ``TARGET = 0`` (COINr's +1/−1 for benefit/cost).
target_lo, target_hi : arrays of shape (n_ind,), default all NaN
    The optimal interval [a, b] of a ``target`` indicator (a point target has
    a == b); NaN for the other directions.
goalpost_lo, goalpost_hi : arrays of shape (n_ind,), default all NaN
    Fixed reference bounds [L, U] from the tree (``goalposts:``); NaN where absent.
scope : "panel" | "year"
    Where bounds are learned: ``"panel"`` over all unit-years together
    (``axis=(0, 1)``, the default: scores comparable across years), ``"year"``
    over the units of each year (``axis=0``).

Returns ``z`` (same shape, in [0, 1], NaN exactly where x is NaN) and a
:class:`NormInfo` stating what was learned (bounds per indicator and scope,
constant indicators, goalpost fallbacks) so that reports can say it.

Shared rules (all methods):

* target indicators use the distance to the optimal interval,
  d = max(a − x, 0) + max(x − b, 0) (0 inside).  If every present value is
  inside (M = max d = 0), z = 1 (docs/methods.md#target).
* constant indicator: when the quantity being scaled (x for benefit/cost, d for
  target) has a range ≤ 10·eps·(largest magnitude involved) in a scope, every
  present value gets z = 0.5, the middle of the scale, and ``info.constant`` is
  set (the pipeline turns it into a warning).  The tolerance is relative
  because the rounding error of a difference of floats is relative to their
  magnitude; it is never an absolute 1e-12.  Fixed goalposts never divide by a
  data range, so ``goalpost`` (with goalposts) has no constant case.
* a scope with no present value (all-missing column or year) stays NaN and is
  listed in ``info.empty``.

Source: docs/methods.md#minmax, #target, #goalpost (direction, target, goalposts, the constant
indicator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BENEFIT = 1
COST = -1
TARGET = 0
_DIRECTION_CODES = {"benefit": BENEFIT, "cost": COST, "target": TARGET}
SCOPES = ("panel", "year")
_AXES = {"panel": (0, 1), "year": (0,)}

#: z-scores are clipped to ±ZSCORE_CLIP before being mapped onto [0, 1].
ZSCORE_CLIP = 3.0
_EPS = np.finfo(np.float64).eps
_TOL_FACTOR = 10.0  # constant if range <= 10·eps·magnitude (sklearn's 10·eps)


@dataclass(frozen=True, slots=True, eq=False)
class NormInfo:
    """What a normalisation learned, per scope and indicator.

    Arrays of shape (n_scope, n_ind): n_scope = 1 for ``scope="panel"`` and
    n_years for ``scope="year"`` (row k = year k); ``arr[None]`` broadcasts
    against (n_units, n_years, n_ind).

    lo, hi : raw reference range — the observed min/max of x in the scope, or the
        goalposts [L, U] where ``goalpost`` used them.
    m : target indicators: M, the largest distance to the optimal interval
        (sample M, or the fixed-bound M = max(a − L, U − b)); NaN otherwise.
    centre, spread : ``zscore`` only: mean and standard deviation (ddof=0) of the
        direction-oriented values (x, −x or −d); NaN otherwise.
    constant : bool, z set to 0.5 because nothing varied (see module doc).
    empty : bool, no value present in the scope.
    fallback : bool of shape (n_ind,), ``goalpost`` asked but the indicator has
        no goalposts, so it was min–max normalised instead.
    """

    method: str
    scope: str
    lo: np.ndarray
    hi: np.ndarray
    m: np.ndarray
    centre: np.ndarray
    spread: np.ndarray
    constant: np.ndarray
    empty: np.ndarray
    fallback: np.ndarray

    @property
    def constant_indicators(self) -> np.ndarray:
        """Indices of indicators that were constant in at least one scope."""
        return np.flatnonzero(self.constant.any(axis=0))

    @property
    def fallback_indicators(self) -> np.ndarray:
        """Indices of indicators normalised by min–max instead of goalposts."""
        return np.flatnonzero(self.fallback)


# --------------------------------------------------------------------------- helpers


def to_scale(z: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map z in [0, 1] onto the scale [lo, hi]: s = lo + z·(hi − lo); NaN stays NaN."""
    if not hi > lo:
        raise ValueError(f"scale needs lo < hi, got [{lo}, {hi}]")
    return lo + np.asarray(z, dtype=np.float64) * (hi - lo)


def from_scale(s: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Inverse of :func:`to_scale`: z = (s − lo)/(hi − lo); NaN stays NaN."""
    if not hi > lo:
        raise ValueError(f"scale needs lo < hi, got [{lo}, {hi}]")
    return (np.asarray(s, dtype=np.float64) - lo) / (hi - lo)


def direction_codes(direction) -> np.ndarray:
    """Integer codes (BENEFIT 1, COST −1, TARGET 0) from words or codes."""
    d = np.asarray(direction)
    if d.ndim != 1:
        raise ValueError(f"direction must be 1-D, got shape {d.shape}")
    if d.dtype.kind in "iu":
        codes = d.astype(np.int64)
    elif d.dtype.kind in "UO":
        try:
            codes = np.array([_DIRECTION_CODES[str(v)] for v in d], dtype=np.int64)
        except KeyError as e:
            raise ValueError(f"direction {e.args[0]!r} is not one of benefit, cost, target") from None
    else:
        raise ValueError(f"direction must hold str or int codes, got dtype {d.dtype}")
    if not np.isin(codes, (BENEFIT, COST, TARGET)).all():
        raise ValueError(f"direction codes must be 1, -1 or 0, got {np.unique(codes)}")
    return codes


@dataclass(frozen=True, slots=True, eq=False)
class _Meta:
    code: np.ndarray  # (n_ind,) int
    a: np.ndarray  # target_lo
    b: np.ndarray  # target_hi
    gl: np.ndarray  # goalpost_lo
    gu: np.ndarray  # goalpost_hi


def _vec(v, n: int, name: str) -> np.ndarray:
    if v is None:
        return np.full(n, np.nan)
    a = np.asarray(v, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    return a


def _check(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi, scope):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x must be (n_units, n_years, n_ind), got shape {x.shape}")
    if scope not in _AXES:
        raise ValueError(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    n = x.shape[2]
    code = direction_codes(direction)
    if code.shape != (n,):
        raise ValueError(f"direction must have shape ({n},), got {code.shape}")
    a, b = _vec(target_lo, n, "target_lo"), _vec(target_hi, n, "target_hi")
    gl, gu = _vec(goalpost_lo, n, "goalpost_lo"), _vec(goalpost_hi, n, "goalpost_hi")
    t = code == TARGET
    if np.isnan(a[t]).any() or np.isnan(b[t]).any() or (a[t] > b[t]).any():
        raise ValueError("every target indicator needs target_lo <= target_hi")
    if (np.isnan(gl) != np.isnan(gu)).any() or (gl >= gu).any():
        raise ValueError("goalposts must be both NaN or both set with goalpost_lo < goalpost_hi")
    return x, _Meta(code, a, b, gl, gu)


def _distance(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance to the interval [a, b] (0 inside), NaN where x is NaN."""
    d = a - x
    np.maximum(d, 0.0, out=d)
    e = x - b
    np.maximum(e, 0.0, out=e)
    d += e
    return d


def _reduce_min(v, axis):
    return np.fmin.reduce(v, axis=axis, keepdims=True)  # NaN-ignoring, no all-NaN warning


def _reduce_max(v, axis):
    return np.fmax.reduce(v, axis=axis, keepdims=True)


class _Record:
    """Mutable accumulator for NormInfo, filled column block by column block."""

    def __init__(self, x: np.ndarray, scope: str):
        n_scope = 1 if scope == "panel" else x.shape[1]
        shape = (1, n_scope, x.shape[2])
        self.arrays = {k: np.full(shape, np.nan) for k in ("lo", "hi", "m", "centre", "spread")}
        self.flags = {k: np.zeros(shape, dtype=bool) for k in ("constant", "empty")}
        self.fallback = np.zeros(x.shape[2], dtype=bool)
        axis = _AXES[scope]
        self.arrays["lo"] = _reduce_min(x, axis)
        self.arrays["hi"] = _reduce_max(x, axis)
        if np.isinf(self.arrays["lo"]).any() or np.isinf(self.arrays["hi"]).any():
            raise ValueError("x must hold finite numbers or NaN (missing), found ±inf")
        self.flags["empty"] = np.isnan(self.arrays["lo"])

    def put(self, cols: np.ndarray, **kw) -> None:
        for k, v in kw.items():
            target = self.arrays[k] if k in self.arrays else self.flags[k]
            target[..., cols] = v

    def info(self, method: str, scope: str) -> NormInfo:
        out = {k: v[0] for k, v in {**self.arrays, **self.flags}.items()}
        for v in out.values():
            v.flags.writeable = False
        self.fallback.flags.writeable = False
        return NormInfo(method=method, scope=scope, fallback=self.fallback, **out)


def _tolerance(*magnitudes: np.ndarray) -> np.ndarray:
    """10·eps times the largest magnitude involved (NaN-ignoring)."""
    mag = magnitudes[0]
    for m in magnitudes[1:]:
        mag = np.fmax(mag, m)
    return _TOL_FACTOR * _EPS * mag


def _scan(x, meta, axis, rec):
    """Constant and all-optimal masks per scope; records M for target columns.

    Returns (constant, optimal, tcols, d): masks of shape (1, n_scope, n_ind), the
    target column indices and their distances d (or None).
    """
    lo, hi = rec.arrays["lo"], rec.arrays["hi"]
    with np.errstate(invalid="ignore"):
        constant = (hi - lo) <= _tolerance(np.abs(lo), np.abs(hi))
    optimal = np.zeros_like(constant)
    tcols = np.flatnonzero(meta.code == TARGET)
    d = None
    if tcols.size:
        a, b = meta.a[tcols], meta.b[tcols]
        d = _distance(x[..., tcols], a, b)
        m = _reduce_max(d, axis)
        # d is a difference of x and a bound: its rounding error is relative to both
        tol = _tolerance(np.abs(lo[..., tcols]), np.abs(hi[..., tcols]),
                         np.fmax(np.abs(a), np.abs(b)))
        with np.errstate(invalid="ignore"):
            opt = m == 0.0
            constant[..., tcols] = ((m - _reduce_min(d, axis)) <= tol) & ~opt
        optimal[..., tcols] = opt
        rec.put(tcols, m=m)
    return constant, optimal, tcols, d


def _oriented(x, meta, tcols, d):
    """Direction-oriented values y: x (benefit), −x (cost), −d (target)."""
    y = np.where(meta.code == COST, -x, x)
    if tcols.size:
        y[..., tcols] = -d
    return y


def _finish(z, constant, optimal):
    """Apply the constant (0.5) and all-optimal (1) rules in place and clip to [0, 1].

    z must already be NaN exactly where x is NaN (the arithmetic propagates it).
    """
    for mask, value in ((constant, 0.5), (optimal, 1.0)):
        if mask.any():
            np.copyto(z, value, where=mask & ~np.isnan(z))
    np.clip(z, 0.0, 1.0, out=z)  # a ulp outside [0, 1] from rounding is put back
    return z


# --------------------------------------------------------------------------- methods


def minmax(x, *, direction, target_lo=None, target_hi=None, goalpost_lo=None,
           goalpost_hi=None, scope="panel"):
    """Min–max normalisation with bounds learned from the data.

    ::

        benefit  z = (x − min) / (max − min)
        cost     z = (max − x) / (max − min)
        target   z = 1 − d / M,   d = max(a − x, 0) + max(x − b, 0),   M = max d

    min, max and M are taken over the scope (panel: all unit-years, NaN ignored).
    M = 0 (every value optimal) gives z = 1; a constant indicator gives 0.5.
    Caveat: with ``scope="year"`` scores are not comparable across years
    (docs/methods.md#goalpost, ``goalpost_vs_sample_minmax``).

    Source: docs/methods.md#minmax; docs/methods.md#target (sample M).
    """
    x, meta = _check(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi, scope)
    rec = _Record(x, scope)
    z = _minmax_into(x, meta, _AXES[scope], rec)
    return z, rec.info("minmax", scope)


def _minmax_into(x, meta, axis, rec):
    """Min–max z of every column of x; fills ``rec`` (lo, hi, m, constant)."""
    constant, optimal, tcols, d = _scan(x, meta, axis, rec)
    lo, hi = rec.arrays["lo"], rec.arrays["hi"]
    cost = meta.code == COST
    # benefit (x − min)/(max − min); cost (x − max)/(−(max − min)) = (max − x)/(max − min)
    ref = np.where(cost, hi, lo)
    den = np.where(constant | np.isnan(hi), 1.0, hi - lo)
    den = np.where(cost, -den, den)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = x - ref
        z /= den
        if tcols.size:
            m = rec.arrays["m"][..., tcols]
            d /= np.where(m > 0, m, 1.0)
            z[..., tcols] = np.subtract(1.0, d, out=d)
    rec.put(slice(None), constant=constant)
    return _finish(z, constant, optimal)


def goalpost(x, *, direction, target_lo=None, target_hi=None, goalpost_lo=None,
             goalpost_hi=None, scope="panel"):
    """Fixed-goalpost normalisation (UNDP HDI style): comparable over time.

    x is capped to [L, U] first, then::

        benefit  z = (x − L) / (U − L)
        cost     z = (U − x) / (U − L)
        target   z = 1 − d / M,   M = max(a − L, U − b)    (fixed-bound version)

    An indicator without goalposts falls back to :func:`minmax` in ``scope``
    and is listed in ``info.fallback``.  ``scope`` matters only for those.
    Log-scale goalposts (HDI income) are applied by passing ln x and ln L, ln U.

    Source: docs/methods.md#goalpost, docs/methods.md#target (fixed-bound M); UNDP HDR
    technical notes; tested on vectors/normalisation.json.
    """
    x, meta = _check(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi, scope)
    rec = _Record(x, scope)
    has = ~np.isnan(meta.gl)
    cols = np.flatnonzero(has)
    fb = np.flatnonzero(~has)
    z = np.empty_like(x)
    if fb.size:
        sub = _Meta(*(v[fb] for v in (meta.code, meta.a, meta.b, meta.gl, meta.gu)))
        sub_rec = _Record(x[..., fb], scope)
        z[..., fb] = _minmax_into(x[..., fb], sub, _AXES[scope], sub_rec)
        for k, v in {**sub_rec.arrays, **sub_rec.flags}.items():
            rec.put(fb, **{k: v})
        rec.fallback[fb] = True
    if cols.size:
        whole = cols.size == x.shape[2]
        L, U = meta.gl[cols], meta.gu[cols]
        code = meta.code[cols]
        cost = code == COST
        xc = np.clip(x if whole else x[..., cols], L, U)  # NaN passes through
        zc = xc - np.where(cost, U, L)
        zc /= np.where(cost, L - U, U - L)  # cost: (x − U)/(L − U) = (U − x)/(U − L)
        t = np.flatnonzero(code == TARGET)
        if t.size:
            a, b = meta.a[cols][t], meta.b[cols][t]
            m = np.maximum(np.maximum(a - L[t], U[t] - b), 0.0)
            d = _distance(xc[..., t], a, b)
            d /= np.where(m > 0, m, 1.0)
            np.subtract(1.0, d, out=d)
            np.copyto(d, 1.0, where=(m == 0) & ~np.isnan(d))  # every value optimal
            zc[..., t] = d
            rec.put(cols[t], m=m)
        np.clip(zc, 0.0, 1.0, out=zc)
        if whole:
            z = zc
        else:
            z[..., cols] = zc
        rec.put(cols, lo=L, hi=U)
    return z, rec.info("goalpost", scope)


def zscore(x, *, direction, target_lo=None, target_hi=None, goalpost_lo=None,
           goalpost_hi=None, scope="panel", ddof=0, clip=ZSCORE_CLIP, mean_sd=None, scale=(0.0, 1.0)):
    """Standardise, clip to ±``clip`` standard deviations, map linearly onto [0, 1].

    ::

        y  = x (benefit), −x (cost), −d (target)
        zs = (y − mean y) / sd y            (over the scope, NaN ignored, ddof=0)
        z  = (clip(zs, −3, 3) + 3) / 6      (the mean maps to 0.5)

    The clip keeps one outlier from squeezing everybody else into a narrow band;
    values beyond ±3 sd share the end of the scale.  Constant → 0.5 (zs = 0);
    target with every value optimal → 1.

    Options: ``ddof=1`` divides by n − 1 (the sample sd of R's ``sd``, as COINr's
    ``n_zscore``); ``clip=c`` clips at ±c and maps (zs + c)/(2c).  COINr's form
    ``mean_sd=(m, sd)`` gives leaf scores m + sd·zs on the project scale
    ``scale=(lo, hi)`` (returned as z = (m + sd·zs − lo)/(hi − lo), so that
    ``to_scale`` gives m + sd·zs back); there ``clip=None`` (no clip, COINr's
    ``n_zscore(x, m_sd = c(10, 2))``) lets z leave [0, 1], so only an arithmetic
    mean may aggregate such scores.  Constant columns get m (z of 0.5 without
    ``mean_sd``).

    Source: docs/methods.md#zscore; OECD/JRC Handbook on
    constructing composite indicators (2008), §5.2 standardisation.
    """
    x, meta = _check(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi, scope)
    axis = _AXES[scope]
    rec = _Record(x, scope)
    constant, optimal, tcols, d = _scan(x, meta, axis, rec)
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    if clip is None and mean_sd is None:
        raise ValueError("an unclipped z-score needs mean_sd=(m, sd) to be put on the scale")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be > 0, got {clip!r}")
    y = _oriented(x, meta, tcols, d)
    missing = np.isnan(y)
    n = (y.shape[0] if scope == "year" else y.shape[0] * y.shape[1]) \
        - missing.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y[missing] = 0.0
        mean = y.sum(axis=axis, keepdims=True) / n
        y -= mean
        y[missing] = 0.0
        sq = np.einsum("ijk,ijk->jk", y, y)[None]  # Σ dev², no temporary of x's size
        sd = np.sqrt((sq if scope == "year" else sq.sum(axis=1, keepdims=True)) / (n - ddof))
        zs = y
        zs /= np.where(constant | (sd == 0), 1.0, sd)
        zs[missing] = np.nan
    if mean_sd is None:
        z = np.clip(zs, -clip, clip, out=zs)
        z += clip
        z /= 2 * clip
        z = _finish(z, constant, optimal)
    else:
        m, s_ = (float(v) for v in mean_sd)
        lo, hi = (float(v) for v in scale)
        if clip is not None:
            np.clip(zs, -clip, clip, out=zs)
        # constant (zs 0) gives m; every value optimal gives the top of the clip (or m without one)
        np.copyto(zs, 0.0, where=constant & ~np.isnan(zs))
        np.copyto(zs, clip if clip is not None else 0.0, where=optimal & ~np.isnan(zs))
        z = (m + s_ * zs - lo) / (hi - lo)
    rec.put(slice(None), centre=mean, spread=sd, constant=constant)
    return z, rec.info("zscore", scope)


def maxratio(x, *, direction, target_lo=None, target_hi=None, goalpost_lo=None,
             goalpost_hi=None, scope="panel"):
    """Ratio to the best value: x / max for a benefit indicator, min / x for a cost indicator.

    ::

        benefit  z = x / max          (COINr's ``n_fracmax``)
        cost     z = min / x          (x = 0 is the best possible value: z = 1)
        target   z = 1 − d / M        (as in :func:`minmax`)

    max and min over the scope.  Meant for ratio-scale data ≥ 0: the best unit
    gets 1 and a unit at half the best gets 0.5 (no unit is forced to 0, unlike
    min–max).  Negative values are clipped to 0; a constant indicator gets 0.5
    (the shared rule) although every unit is at the best.

    Source: docs/methods.md#maxratio; COINr 1.1.14 ``n_fracmax``; OECD/JRC
    Handbook (2008) §5.2 ("distance to a reference", the leader).
    """
    x, meta = _check(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi, scope)
    axis = _AXES[scope]
    rec = _Record(x, scope)
    constant, optimal, tcols, d = _scan(x, meta, axis, rec)
    lo, hi = rec.arrays["lo"], rec.arrays["hi"]
    cost = meta.code == COST
    with np.errstate(invalid="ignore", divide="ignore"):
        ben = x / np.where(hi > 0, hi, np.nan)
        cst = np.where(x > 0, np.maximum(lo, 0.0) / x, np.where(np.isnan(x), np.nan, 1.0))
        z = np.where(cost, cst, ben)
        if tcols.size:
            m = rec.arrays["m"][..., tcols]
            z[..., tcols] = 1.0 - d / np.where(m > 0, m, 1.0)
    # a benefit column with max <= 0 has no ratio: 0.5 like a constant one
    z = np.where(np.isnan(z) & ~np.isnan(x), 0.5, z)
    rec.put(slice(None), constant=constant)
    return _finish(z, constant, optimal), rec.info("maxratio", scope)


def rank(x, *, direction, target_lo=None, target_hi=None, goalpost_lo=None,
         goalpost_hi=None, scope="panel", ties="average"):
    """Percentile rank in [0, 1], ties averaged (or given the lowest rank, ``ties="min"``).

    ::

        y = x (benefit), −x (cost), −d (target)
        z = (rank(y) − 1) / (n − 1)     rank 1 = smallest y, ties get their mean rank,
                                        n = present values in the scope

    Constant (incl. a single present value) → 0.5; target with every value
    optimal → 1.  Sorting makes this the slowest method (O(n log n) per column).
    ``ties="min"``: tied values share the lowest rank of their run (R's
    ``rank(ties.method = "min")``), COINr's ``n_prank``: (rank_min − 1)/(n − 1).

    Source: docs/methods.md#rank; COINr ``n_prank`` (percentile ranks); OECD/JRC
    Handbook (2008) §5.2 ranking.
    """
    x, meta = _check(x, direction, target_lo, target_hi, goalpost_lo, goalpost_hi, scope)
    axis = _AXES[scope]
    rec = _Record(x, scope)
    constant, optimal, tcols, d = _scan(x, meta, axis, rec)
    y = _oriented(x, meta, tcols, d)
    nu, ny, ni = y.shape
    groups = y.reshape(nu * ny, ni) if scope == "panel" else y.reshape(nu, ny * ni)
    if ties not in ("average", "min"):
        raise ValueError(f"ties must be 'average' or 'min', got {ties!r}")
    pct = _percentile_rank(np.ascontiguousarray(groups.T), ties=ties).T
    z = _finish(pct.reshape(y.shape), constant, optimal)
    rec.put(slice(None), constant=constant)
    return z, rec.info("rank", scope)


def _percentile_rank(a: np.ndarray, ties: str = "average") -> np.ndarray:
    """Average-tie percentile rank (rank − 1)/(n − 1) along axis 1 of a 2-D array; NaN kept.

    ``a`` is overwritten (NaN → +inf, which sorts faster than NaN and last).
    """
    g, n = a.shape
    missing = np.isnan(a)
    n_present = n - missing.sum(axis=1, keepdims=True)
    a[missing] = np.inf
    order = np.argsort(a, axis=1)
    srt = np.take_along_axis(a, order, axis=1)
    pos = np.arange(n, dtype=np.float64)
    tie = srt[:, 1:] == srt[:, :-1]
    tie &= pos[1:] < n_present  # the +inf filler of missing cells ties with itself only
    if tie.any():
        ipos = np.broadcast_to(np.arange(n), (g, n))
        new = np.ones((g, n), dtype=bool)
        new[:, 1:] = ~tie
        start = np.maximum.accumulate(np.where(new, ipos, 0), axis=1)
        last = np.ones((g, n), dtype=bool)
        last[:, :-1] = new[:, 1:]
        end = np.minimum.accumulate(np.where(last, ipos, n)[:, ::-1], axis=1)[:, ::-1]
        mid = start.astype(np.float64) if ties == "min" else (start + end) / 2.0
    else:
        mid = np.broadcast_to(pos, (g, n))
    pct_sorted = mid / np.maximum(n_present - 1, 1)  # n = 1 is constant: 0.5 set by the caller
    out = np.empty_like(a)
    np.put_along_axis(out, order, pct_sorted, axis=1)
    out[missing] = np.nan
    return out


METHODS = {"minmax": minmax, "zscore": zscore, "rank": rank, "goalpost": goalpost, "maxratio": maxratio}
