"""Outlier treatment: COINr's skew/kurtosis rule, winsorisation, log_CT."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evalkit.prepare.treat import _fails, log_ct, skew_kurt, treat, winsorise

# COINr's ASEM outputs are vendored in tests/fixtures/reference (credits in its README);
# missing files are an error, not a skip.
ASEM = Path(__file__).parents[1] / "fixtures" / "reference" / "coinr-asem"  # vendored COINr outputs


def rows(name):
    path = ASEM / name
    if not path.is_file():
        raise FileNotFoundError(f"COINr reference file missing: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        data = list(csv.reader(fh))
    return data[0], data[1:]


def dset(name):
    head, body = rows(name)
    x = np.array([[np.nan if v == "NA" else float(v) for v in r[1:]] for r in body])
    return head[1:], [r[0] for r in body], x


COINR_EXAMPLE = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100], dtype=float)
THREE_OUTLIERS = np.r_[np.arange(1.0, 31.0), [200.0, 300.0, 400.0]]


# --------------------------------------------------------------------------- statistics


def test_skew_kurt_match_excel_definitions():
    x = np.array([1.0, 2.0, 3.0, 10.0])
    s, k = skew_kurt(x)
    # by hand: mean 4, d = (-3, -2, -1, 6), m2 = 50, m3 = 180, m4 = 1394
    n = 4
    g1 = np.sqrt(n) * 180 / 50 ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    r = n * 1394 / 50 ** 2
    g2 = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    assert s[0] == pytest.approx(g1, abs=1e-12) == pytest.approx(1.7636326, abs=1e-6)
    assert k[0] == pytest.approx(g2, abs=1e-12) == pytest.approx(3.228, abs=1e-12)


def test_skew_kurt_vectorised_over_columns_ignore_nan_and_agree_with_scipy():
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=(40, 6))
    x[rng.random(x.shape) < 0.2] = np.nan
    s, k = skew_kurt(x)
    for j in range(6):
        v = x[~np.isnan(x[:, j]), j]
        assert s[j] == pytest.approx(stats.skew(v, bias=False), abs=1e-10)
        assert k[j] == pytest.approx(stats.kurtosis(v, bias=False), abs=1e-10)


def test_skew_kurt_undefined_for_tiny_or_constant_columns():
    x = np.array([[1, 5, 2], [2, 5, np.nan], [3, 5, np.nan], [np.nan, 5, np.nan]], dtype=float)
    s, k = skew_kurt(x)
    assert s[0] == pytest.approx(0.0) and np.isnan(k[0])  # n = 3: skew only
    assert np.isnan(s[1]) and np.isnan(k[1])  # constant
    assert np.isnan(s[2]) and np.isnan(k[2])


def test_fail_rule_uses_greater_or_equal_on_both():
    assert _fails(2.0, 3.5, 2.0, 3.5) and _fails(-2.0, 3.5, 2.0, 3.5)
    assert not _fails(1.999, 50.0, 2.0, 3.5)
    assert not _fails(5.0, 3.49, 2.0, 3.5)
    assert not _fails(np.nan, np.nan, 2.0, 3.5)


# --------------------------------------------------------------------------- winsorisation


def test_coinr_doc_example_winsorises_one_point():
    v, nwin, imax, imin = winsorise(COINR_EXAMPLE, winmax=5)
    # skew 3.06, kurt 9.74 fails; 100 -> 30 gives skew 2.01, kurt 1.82: passes
    assert nwin == 1 and imax.tolist() == [11] and imin.size == 0
    assert v.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 30]


def test_successive_passes_pull_the_tied_top_in_together():
    v, nwin, imax, imin = winsorise(THREE_OUTLIERS, winmax=5)
    # 400 -> 300; (300, 300) -> 200; (200, 200, 200) -> 30; passes
    assert nwin == 3 and imax.tolist() == [30, 31, 32] and imin.size == 0
    assert (v[30:] == 30.0).all() and (v[:30] == THREE_OUTLIERS[:30]).all()
    s, k = skew_kurt(v)
    assert not _fails(s[0], k[0], 2.0, 3.5)


def test_winmax_one_stops_after_one_point():
    v, nwin, imax, _ = winsorise(THREE_OUTLIERS, winmax=1)
    assert nwin == 1 and imax.tolist() == [32] and v[32] == 300.0


def test_ties_are_winsorised_together_and_may_overshoot_winmax():
    x = np.r_[np.arange(1.0, 30.0), [500.0, 500.0, 500.0]]
    v, nwin, imax, _ = winsorise(x, winmax=2)
    assert nwin == 3 and (v[-3:] == 29.0).all()


def test_negative_skew_winsorises_the_bottom():
    v, nwin, imax, imin = winsorise(-THREE_OUTLIERS)
    assert nwin == 3 and imin.tolist() == [30, 31, 32] and imax.size == 0
    assert (v[30:] == -30.0).all()


def test_direction_flip_counts_last_high_and_last_low_sets():
    x = np.array([60.0, -20.0, 1.0, 2.0, -4.0, -2.0, -1.0, -4.0])
    v, nwin, imax, imin = winsorise(x)
    # pass 1 (skew > 0): 60 -> 2; pass 2 (skew now < 0): -20 -> -4; passes
    assert imax.tolist() == [0] and imin.tolist() == [1] and nwin == 2
    assert v.tolist() == [2.0, -4.0, 1.0, 2.0, -4.0, -2.0, -1.0, -4.0]
    out, fl, rec = treat(x.reshape(8, 1, 1))
    assert rec.columns[0].winhi == ((0, 0),) and rec.columns[0].winlo == ((1, 0),)
    assert fl[:, 0, 0].tolist() == [2, 2, 0, 0, 0, 0, 0, 0]


def test_force_win_goes_on_to_winmax_but_only_on_failing_columns():
    x = np.stack([THREE_OUTLIERS, np.arange(33.0)], axis=1)[:, None, :]
    out, fl, rec = treat(x, force_win=True, winmax=5)
    c0, c1 = rec.columns
    # passes after the top 3; forced on, the skew is now < 0, so 1 -> 2, then (2, 2) -> 3
    assert c0.method == "winsorise" and c0.nwin == 5
    assert c0.winhi == ((30, 0), (31, 0), (32, 0)) and c0.winlo == ((0, 0), (1, 0))
    assert out[:3, 0, 0].tolist() == [3.0, 3.0, 3.0] and (out[30:, 0, 0] == 30.0).all()
    assert c1.method == "none" and (fl[:, 0, 1] == 0).all()


def test_log_ct_formula():
    x = np.array([2.0, 4.0, np.nan, 12.0])
    np.testing.assert_allclose(log_ct(x), np.log([0.1, 2.1, np.nan, 10.1]), atol=1e-15)


# --------------------------------------------------------------------------- the stage


def test_treat_panel_winsorises_pooled_unit_years_and_flags_the_points():
    x = COINR_EXAMPLE.reshape(6, 2, 1)  # 6 units x 2 years, pooled in unit-major order
    out, fl, rec = treat(x)
    (c,) = rec.columns
    assert c.method == "winsorise" and c.nwin == 1 and c.year is None and c.n_obs == 12
    assert c.winhi == ((5, 1),) and c.winlo == ()
    assert out[5, :, 0].tolist() == [30.0, 30.0]
    assert fl[:, :, 0].tolist() == [[0, 0]] * 5 + [[0, 2]]
    assert not c.passed0 and c.passed1


def test_passing_column_is_untouched():
    x = np.arange(24.0).reshape(6, 2, 2)
    out, fl, rec = treat(x)
    np.testing.assert_array_equal(out, x)
    assert fl.sum() == 0 and all(c.method == "none" and c.passed0 for c in rec.columns)
    assert rec.treated == ()


def test_log_fallback_on_original_values_flags_whole_column():
    rng = np.random.default_rng(7)
    v = np.exp(rng.normal(size=200) * 2.5)
    v[5] = np.nan
    x = v.reshape(100, 2, 1)
    out, fl, rec = treat(x)
    (c,) = rec.columns
    assert c.method == "log_ct" and c.nwin >= 5 and c.passed1 is False
    np.testing.assert_allclose(out[:, :, 0].ravel(), log_ct(v), atol=1e-12, equal_nan=True)
    assert (fl[:, :, 0].ravel() == np.where(np.isnan(v), 0, 2)).all()
    assert np.isfinite(c.skew2) and c.passed2 is not None


def test_log_fallback_can_be_switched_off_and_combined():
    rng = np.random.default_rng(7)
    x = np.exp(rng.normal(size=(100, 2, 1)) * 2.5)
    out, fl, rec = treat(x, log_fallback=False)
    c = rec.columns[0]
    assert c.method == "winsorise" and (fl == 2).sum() == len(c.winhi) + len(c.winlo) == c.nwin
    out2, _, rec2 = treat(x, combine=True)
    vw, *_ = winsorise(x[:, :, 0].ravel())
    np.testing.assert_allclose(out2[:, :, 0].ravel(), log_ct(vw), atol=1e-12)


def test_year_scope_treats_each_year_alone():
    x = np.stack([COINR_EXAMPLE, np.arange(12.0)], axis=1)[:, :, None]  # 12 units x 2 years
    out, fl, rec = treat(x, scope="year")
    assert [(c.year, c.method) for c in rec.columns] == [(0, "winsorise"), (1, "none")]
    assert rec.columns[0].winhi == ((11, 0),)
    np.testing.assert_array_equal(out[:, 1, 0], x[:, 1, 0])


def test_indicator_selection_thresholds_and_inputs_untouched():
    x = np.stack([COINR_EXAMPLE, COINR_EXAMPLE], axis=1).reshape(12, 1, 2)
    xc = x.copy()
    out, fl, rec = treat(x, indicators=np.array([False, True]))
    assert [c.indicator for c in rec.columns] == [1]
    np.testing.assert_array_equal(out[:, :, 0], x[:, :, 0])
    np.testing.assert_array_equal(x, xc)
    _, _, rec2 = treat(x, skew_thresh=10.0)
    assert all(c.method == "none" for c in rec2.columns)


def test_tiny_and_constant_columns_pass():
    x = np.array([[[1.0, 5.0]], [[2.0, 5.0]], [[np.nan, 5.0]]])
    out, fl, rec = treat(x)
    np.testing.assert_array_equal(out, x)
    assert [c.method for c in rec.columns] == ["none", "none"]


def test_bad_scope_is_a_bug():
    with pytest.raises(ValueError):
        treat(np.zeros((4, 1, 1)), scope="unit")


# --------------------------------------------------------------------------- COINr ASEM


def test_coinr_asem_treat_reproduces_dset_treated_points_and_details():
    # log_params.json: Treat(dset = "Screened", global_specs = list(f1_para = list(winmax = 5)))
    ind, units, x = dset("dset_Screened.csv")
    ind2, units2, ref = dset("dset_Treated.csv")
    assert (ind, units) == (ind2, units2)
    out, fl, rec = treat(x[:, None, :], winmax=5)
    np.testing.assert_allclose(out[:, 0, :], ref, rtol=0, atol=1e-9)

    head, body = rows("treat_details.csv")
    assert [r[0] for r in body] == ind
    for r, c in zip(body, rec.columns):
        assert c.indicator == ind.index(r[0])
        assert c.passed0 == (r[1] == "TRUE")
        assert c.skew0 == pytest.approx(float(r[2]), abs=1e-9)
        assert c.kurt0 == pytest.approx(float(r[3]), abs=1e-9)
        assert c.nwin == (0 if r[4] == "NA" else int(r[4]))
        if r[5] != "NA":
            assert c.passed1 == (r[5] == "TRUE")
            assert c.skew1 == pytest.approx(float(r[6]), abs=1e-9)
            assert c.kurt1 == pytest.approx(float(r[7]), abs=1e-9)
        assert c.method == ("none" if r[1] == "TRUE" else "winsorise")

    head, body = rows("treat_points.csv")
    expected = {(r[0], head[k]): v for r in body for k, v in enumerate(r) if k and v}
    got = {}
    for c in rec.columns:
        for u, _ in c.winhi:
            got[(units[u], ind[c.indicator])] = "winhi"
        for u, _ in c.winlo:
            got[(units[u], ind[c.indicator])] = "winlo"
    assert got == expected and len(expected) == 35
    flagged = {(units[u], ind[j]) for u, _, j in np.argwhere(fl == 2)}
    assert flagged == set(expected)
