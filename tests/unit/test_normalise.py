"""Hand-worked normalisation on 3 units × 2 years, and the named edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from evalkit import normalise as N

NAN = np.nan
R2 = math.sqrt(2.0)


def panel(*columns) -> np.ndarray:
    """Indicators given as (units × years) nested lists -> (units, years, indicators)."""
    return np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=2)


# benefit, cost, target [2, 3], constant
X = panel([[1, 2], [3, 4], [5, NAN]],
          [[10, 20], [30, 40], [50, 60]],
          [[1, 2], [3, 4], [6, 2.5]],
          [[7, 7], [7, 7], [7, 7]])
DIRS = ["benefit", "cost", "target", "benefit"]
TLO = [NAN, NAN, 2.0, NAN]
THI = [NAN, NAN, 3.0, NAN]


def run(method, x=X, dirs=DIRS, **kw):
    kw.setdefault("target_lo", TLO if x is X else None)
    kw.setdefault("target_hi", THI if x is X else None)
    return N.METHODS[method](x, direction=dirs, **kw)


# --------------------------------------------------------------------------- minmax


def test_minmax_panel_hand_worked():
    z, info = run("minmax")
    assert_allclose(z[..., 0], [[0, .25], [.5, .75], [1, NAN]], atol=1e-15)
    assert_allclose(z[..., 1], [[1, .8], [.6, .4], [.2, 0]], atol=1e-15)
    # target [2, 3]: d = (1, 0), (0, 1), (3, 0); M = 3; z = 1 − d/3
    assert_allclose(z[..., 2], [[2 / 3, 1], [1, 2 / 3], [0, 1]], atol=1e-15)
    assert_array_equal(z[..., 3], np.full((3, 2), 0.5))
    assert info.method == "minmax" and info.scope == "panel"
    assert info.lo.shape == (1, 4)
    assert_allclose(info.lo[0, :3], [1, 10, 1])
    assert_allclose(info.hi[0, :3], [5, 60, 6])
    assert info.m[0, 2] == 3.0 and np.isnan(info.m[0, [0, 1, 3]]).all()
    assert_array_equal(info.constant_indicators, [3])


def test_minmax_year_scope_hand_worked():
    z, info = run("minmax", scope="year")
    assert_allclose(z[..., 0], [[0, 0], [.5, 1], [1, NAN]], atol=1e-15)
    assert_allclose(z[..., 1], [[1, 1], [.5, .5], [0, 0]], atol=1e-15)
    # year 1 of the target: d = (0, 1, 0) -> M = 1
    assert_allclose(z[..., 2], [[2 / 3, 1], [1, 0], [0, 1]], atol=1e-15)
    assert info.lo.shape == (2, 4)
    assert_allclose(info.hi[:, 0], [5, 4])
    assert_allclose(info.m[:, 2], [3, 1])


def test_minmax_constant_indicator_gets_middle_and_is_reported():
    z, info = run("minmax")
    assert (z[..., 3] == 0.5).all()
    assert info.constant[0].tolist() == [False, False, False, True]


def test_minmax_constant_tolerance_is_relative_to_magnitude():
    x = panel([[1e6], [1e6 + 1e-10]], [[0.0], [1e-10]])
    z, info = N.minmax(x, direction=["benefit", "benefit"])
    # 1e-10 on 1e6 is rounding noise (10·eps·1e6 ≈ 2.2e-9); 1e-10 on 0 is real variation
    assert_array_equal(z[:, 0, 0], [0.5, 0.5])
    assert_allclose(z[:, 0, 1], [0, 1])
    assert_array_equal(info.constant_indicators, [0])


def test_minmax_target_every_value_optimal_gives_one_not_constant():
    x = panel([[2.0], [2.5], [3.0]])
    z, info = N.minmax(x, direction=["target"], target_lo=[2.0], target_hi=[3.0])
    assert_array_equal(z[..., 0], np.ones((3, 1)))
    assert info.m[0, 0] == 0 and not info.constant.any()


def test_minmax_target_constant_distance_is_middle():
    # point target 7: values 5 and 9 are equally far: nothing to discriminate
    x = panel([[5.0], [9.0]])
    z, info = N.minmax(x, direction=["target"], target_lo=[7.0], target_hi=[7.0])
    assert_array_equal(z[..., 0], [[0.5], [0.5]])
    assert_array_equal(info.constant_indicators, [0])


def test_direction_int_codes_equal_words():
    z_words, _ = run("minmax")
    z_codes, _ = run("minmax", dirs=np.array([N.BENEFIT, N.COST, N.TARGET, N.BENEFIT]))
    assert_array_equal(z_words, z_codes)


# --------------------------------------------------------------------------- zscore


def test_zscore_panel_hand_worked():
    z, info = run("zscore")
    # benefit: mean 3, sd (ddof 0) √2
    zs = np.array([[-2, -1], [0, 1], [2, NAN]]) / R2
    assert_allclose(z[..., 0], (zs + 3) / 6, atol=1e-15)
    # cost: values 10..60, mean 35, sd √(2916.67/...)  -> −zscore of x
    c = np.array([[10, 20], [30, 40], [50, 60]], float)
    zc = -(c - c.mean()) / c.std()
    assert_allclose(z[..., 1], (zc + 3) / 6, atol=1e-15)
    # target: zscore of −d, d = (1, 0, 0, 1, 3, 0)
    d = np.array([[1, 0], [0, 1], [3, 0]], float)
    zt = -(d - d.mean()) / d.std()
    assert_allclose(z[..., 2], (zt + 3) / 6, atol=1e-15)
    assert (z[..., 3] == 0.5).all()
    assert info.centre[0, 0] == pytest.approx(3.0) and info.spread[0, 0] == pytest.approx(R2)
    assert_array_equal(info.constant_indicators, [3])


def test_zscore_clips_beyond_three_sd():
    x = panel([[0.0]] * 15 + [[100.0]])
    z, _ = N.zscore(x, direction=["benefit"])
    sd = math.sqrt((15 * 6.25**2 + 93.75**2) / 16)
    assert z[15, 0, 0] == 1.0  # 93.75/sd ≈ 3.87 > 3
    assert z[0, 0, 0] == pytest.approx((3 - 6.25 / sd) / 6, abs=1e-15)


# --------------------------------------------------------------------------- rank


def test_rank_panel_hand_worked():
    z, _ = run("rank")
    assert_allclose(z[..., 0], [[0, .25], [.5, .75], [1, NAN]])
    assert_allclose(z[..., 1], [[1, .8], [.6, .4], [.2, 0]])
    # −d = (−1, 0, 0, −1, −3, 0): ranks 2.5, 5, 5, 2.5, 1, 5 -> (r − 1)/5
    assert_allclose(z[..., 2], [[.3, .8], [.8, .3], [0, .8]])
    assert (z[..., 3] == 0.5).all()


def test_rank_ties_are_averaged():
    x = panel([[1, 1], [2, 3], [3, 3]])
    z, _ = N.rank(x, direction=["benefit"])
    # sorted 1, 1, 2, 3, 3, 3 -> ranks 1.5, 1.5, 3, 5, 5, 5 -> (r − 1)/5
    assert_allclose(z[..., 0], [[.1, .1], [.4, .8], [.8, .8]])


def test_rank_year_scope():
    z, _ = run("rank", scope="year")
    assert_allclose(z[..., 0], [[0, 0], [.5, 1], [1, NAN]])


# --------------------------------------------------------------------------- goalpost


def test_goalpost_hand_worked_with_capping_and_fallback():
    x = panel([[-1, 2], [5, 8], [12, NAN]],
              [[-1, 2], [5, 8], [12, NAN]],
              [[1, 2], [3, 4], [6, 2.5]],
              [[1, 2], [3, 4], [5, NAN]])
    z, info = N.goalpost(x, direction=["benefit", "cost", "target", "benefit"],
                         target_lo=[NAN, NAN, 2, NAN], target_hi=[NAN, NAN, 3, NAN],
                         goalpost_lo=[0, 0, 0, NAN], goalpost_hi=[10, 10, 10, NAN])
    assert_allclose(z[..., 0], [[0, .2], [.5, .8], [1, NAN]])
    assert_allclose(z[..., 1], [[1, .8], [.5, .2], [0, NAN]])
    # fixed-bound M = max(2 − 0, 10 − 3) = 7
    assert_allclose(z[..., 2], [[6 / 7, 1], [1, 6 / 7], [4 / 7, 1]])
    # no goalposts: pooled min–max, reported
    assert_allclose(z[..., 3], [[0, .25], [.5, .75], [1, NAN]])
    assert_array_equal(info.fallback_indicators, [3])
    assert_allclose(info.lo[0], [0, 0, 0, 1])
    assert_allclose(info.hi[0], [10, 10, 10, 5])
    assert info.m[0, 2] == 7.0


def test_goalpost_constant_values_are_scored_against_fixed_bounds():
    x = panel([[8.0, 8.0]] * 3)
    z, info = N.goalpost(x, direction=["benefit"], goalpost_lo=[0], goalpost_hi=[10])
    assert (z == 0.8).all() and not info.constant.any()


def test_goalpost_target_bounds_equal_interval_gives_one():
    x = panel([[1.0], [5.0]])
    z, info = N.goalpost(x, direction=["target"], target_lo=[0], target_hi=[10],
                         goalpost_lo=[0], goalpost_hi=[10])
    assert (z == 1).all() and info.m[0, 0] == 0


# --------------------------------------------------------------------------- edge cases, all methods


@pytest.mark.parametrize("method", list(N.METHODS))
def test_constant_indicator_gets_middle_and_is_reported(method):
    x = panel([[7.0, 7.0]] * 3, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    z, info = N.METHODS[method](x, direction=["benefit", "benefit"])
    assert (z[..., 0] == 0.5).all()
    assert_array_equal(info.constant_indicators, [0])
    if method == "goalpost":
        assert_array_equal(info.fallback_indicators, [0, 1])


@pytest.mark.parametrize("scope", N.SCOPES)
@pytest.mark.parametrize("method", list(N.METHODS))
def test_all_missing_column_stays_missing_without_warnings(method, scope):
    x = panel([[NAN, NAN]] * 3, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z, info = N.METHODS[method](x, direction=["benefit", "cost"], scope=scope,
                                    goalpost_lo=[0, 0], goalpost_hi=[10, 10])
    assert np.isnan(z[..., 0]).all()
    assert not np.isnan(z[..., 1]).any()
    assert info.empty[:, 0].all() and not info.empty[:, 1].any()
    assert not info.constant[:, 0].any()


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank"])
def test_single_unit_panel_scope_compares_years(method):
    x = panel([[1.0, 3.0]])
    z, info = N.METHODS[method](x, direction=["benefit"])
    assert_allclose(z[0, :, 0], [0, 1] if method != "zscore" else [2 / 6, 4 / 6])
    assert not info.constant.any()


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank"])
def test_single_unit_year_scope_is_constant_each_year(method):
    z, info = N.METHODS[method](panel([[1.0, 3.0]]), direction=["benefit"], scope="year")
    assert (z == 0.5).all()
    assert info.constant.all()


@pytest.mark.parametrize("method", list(N.METHODS))
def test_single_year_panel_equals_year_scope(method):
    x = X[:, :1, :]
    zp, _ = run(method, x=x, target_lo=TLO, target_hi=THI, scope="panel")
    zy, _ = run(method, x=x, target_lo=TLO, target_hi=THI, scope="year")
    assert_array_equal(zp, zy)


@pytest.mark.parametrize("method", list(N.METHODS))
def test_input_is_not_modified_and_read_only_input_works(method):
    x = X.copy()
    x.flags.writeable = False
    run(method, x=x, target_lo=TLO, target_hi=THI)
    assert_array_equal(x, X)


@pytest.mark.parametrize("method", list(N.METHODS))
def test_nan_exactly_where_input_nan(method):
    z, _ = run(method)
    assert_array_equal(np.isnan(z), np.isnan(X))


def test_to_scale_from_scale_round_trip():
    z = np.array([0.0, 0.25, 1.0, NAN])
    s = N.to_scale(z, 0.0, 100.0)
    assert_allclose(s, [0, 25, 100, NAN])
    assert_allclose(N.from_scale(s, 0.0, 100.0), z)
    assert_allclose(N.to_scale(z, -1.0, 1.0), [-1, -0.5, 1, NAN])


def test_broken_invariants_raise_value_error():
    with pytest.raises(ValueError, match="sideways"):
        N.minmax(X, direction=["benefit", "cost", "sideways", "benefit"])
    with pytest.raises(ValueError, match="target"):
        N.minmax(X, direction=DIRS)  # target without its interval
    with pytest.raises(ValueError, match="inf"):
        N.minmax(panel([[1.0], [np.inf]]), direction=["benefit"])
    with pytest.raises(ValueError, match="scope"):
        N.minmax(X, direction=DIRS, target_lo=TLO, target_hi=THI, scope="decade")
    with pytest.raises(ValueError, match="goalpost"):
        N.goalpost(panel([[1.0]]), direction=["benefit"], goalpost_lo=[1], goalpost_hi=[NAN])
    with pytest.raises(ValueError):
        N.to_scale(np.zeros(1), 1.0, 1.0)
