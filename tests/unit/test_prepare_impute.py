"""Imputation chain: hand-worked numbers and COINr's ASEM group-mean step."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from evalkit.prepare.impute import STEP_NAMES, STEPS, impute

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
    """(indicator codes, unit codes, values (n_units, n_ind)) of a dset_*.csv."""
    head, body = rows(name)
    x = np.array([[np.nan if v == "NA" else float(v) for v in r[1:]] for r in body])
    return head[1:], [r[0] for r in body], x

nan = np.nan


def panel(*series):
    """Units of one indicator: each series is one unit's years."""
    return np.array(series, dtype=float)[:, :, None]


def test_interpolate_interior_gap():
    out, fl, rec = impute(panel([1, nan, 3]), chain=["interpolate"])
    assert out[0, :, 0].tolist() == [1.0, 2.0, 3.0]
    assert fl[0, :, 0].tolist() == [0, 1, 0]
    assert rec.filled["interpolate"] == (1,)


def test_interpolate_long_gap_and_uneven_years():
    out, _, _ = impute(panel([0, nan, nan, 9]), chain=["interpolate"])
    assert out[0, :, 0].tolist() == [0.0, 3.0, 6.0, 9.0]
    out, _, _ = impute(panel([0, nan, 10]), chain=["interpolate"], years=[2019, 2020, 2024])
    assert out[0, 1, 0] == pytest.approx(2.0, abs=1e-12)


def test_interpolate_leaves_the_ends():
    out, _, rec = impute(panel([nan, 1, nan, 3, nan]), chain=["interpolate"])
    assert np.isnan(out[0, [0, 4], 0]).all() and out[0, 2, 0] == 2.0
    assert rec.missing_after == (2,)


def test_carry_forward_and_backward():
    out, fl, rec = impute(panel([nan, nan, 5, nan, 7, nan]), chain=["carry"])
    assert out[0, :, 0].tolist() == [5, 5, 5, 5, 7, 7]
    assert rec.filled["carry"] == (4,)


def test_interpolate_then_carry():
    out, _, rec = impute(panel([nan, 2, nan, 4, nan]), chain=["interpolate", "carry"])
    assert out[0, :, 0].tolist() == [2, 2, 3, 4, 4]
    assert rec.filled == {"interpolate": (1,), "carry": (2,)}


def test_all_missing_series_stays_missing_without_cross_section():
    out, fl, rec = impute(panel([nan, nan], [1, 2]), chain=["interpolate", "carry"])
    assert np.isnan(out[0]).all() and fl[0].sum() == 0 and rec.missing_after == (2,)


def test_group_median_same_year():
    x = panel([1, 10], [2, 20], [9, nan], [nan, 30], [5, 50], [nan, nan])
    groups = np.array([0, 0, 0, 0, 1, 1])
    out, fl, rec = impute(x, chain=["group_median"], groups=groups)
    # group 0, year 0: median(1, 2, 9) = 2; year 1: median(10, 20, 30) = 20
    assert out[3, 0, 0] == 2.0 and out[2, 1, 0] == 20.0
    # group 1: only unit 4 observed
    assert out[5, :, 0].tolist() == [5.0, 50.0]
    assert rec.filled["group_median"] == (4,)


def test_group_mean_and_ungrouped_units():
    x = panel([1], [2], [nan], [nan])
    out, _, rec = impute(x, chain=["group_mean"], groups=np.array([0, 0, 0, -1]))
    assert out[2, 0, 0] == 1.5 and np.isnan(out[3, 0, 0])


def test_cross_section_and_panel_statistics():
    x = panel([1, 4], [3, nan], [nan, 10], [8, 6])
    m, _, _ = impute(x, chain=["mean"])
    assert m[1, 1, 0] == pytest.approx(20 / 3) and m[2, 0, 0] == 4.0
    md, _, _ = impute(x, chain=["median"])
    assert md[1, 1, 0] == 6.0 and md[2, 0, 0] == 3.0
    pm, _, _ = impute(x, chain=["panel_mean"])
    assert pm[1, 1, 0] == pytest.approx(32 / 6) and pm[2, 0, 0] == pytest.approx(32 / 6)
    pmed, _, _ = impute(x, chain=["panel_median"])
    assert pmed[1, 1, 0] == 5.0  # median of 1, 3, 4, 6, 8, 10


def test_steps_use_data_as_given_not_earlier_imputations():
    # unit 2 year 1 is interpolated to 2; the group mean of year 1 must ignore it
    x = panel([0, nan, 0], [0, 10, 0], [1, nan, 3], [nan, nan, nan])
    out, _, rec = impute(x, chain=["interpolate", "group_mean"], groups=np.zeros(4, int))
    assert out[2, 1, 0] == 2.0
    assert out[3, 1, 0] == 10.0  # mean of observed year-1 values only (10), not (10 + 5 + 2)/3
    assert rec.step_of[2, 1, 0] == STEP_NAMES.index("interpolate")
    assert rec.step_of[3, 1, 0] == STEP_NAMES.index("group_mean")
    assert rec.step_of[1, 1, 0] == -1


def test_per_indicator_chains():
    x = np.stack([panel([1, nan, 3])[..., 0], panel([1, nan, 3])[..., 0],
                  panel([1, nan, 3])[..., 0]], axis=2)
    out, fl, rec = impute(x, chain=["interpolate"], per_indicator={1: ["panel_mean"], 2: []})
    assert out[0, 1, :2].tolist() == [2.0, 2.0] and np.isnan(out[0, 1, 2])
    assert rec.filled["interpolate"] == (1, 0, 0) and rec.filled["panel_mean"] == (0, 1, 0)
    assert rec.per_indicator == {1: ("panel_mean",), 2: ()}
    assert fl[0, 1].tolist() == [1, 1, 0]


def test_where_limits_the_cells_filled():
    x = panel([1, nan, 3], [1, nan, 3])
    where = np.array([[True, True, True], [True, False, True]])
    out, fl, _ = impute(x, chain=["interpolate"], where=where)
    assert out[0, 1, 0] == 2.0 and np.isnan(out[1, 1, 0]) and fl[1, 1, 0] == 0


def test_flags_keep_earlier_bits_and_inputs_are_untouched():
    x = panel([1, nan, 3])
    flags = np.array([[[2], [0], [2]]], dtype=np.uint8)
    xc, fc = x.copy(), flags.copy()
    out, fl, _ = impute(x, chain=["interpolate"], flags=flags)
    assert fl[0, :, 0].tolist() == [2, 1, 2]
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(flags, fc)


def test_default_chain_fills_everything_it_can():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 5, 4))
    x[rng.random(x.shape) < 0.3] = nan
    x[:, :, 3] = nan
    x[0, :, 3] = 1.0
    out, fl, rec = impute(x, groups=np.arange(8) % 3)
    assert not np.isnan(out).any()
    assert ((fl == 1) == np.isnan(x)).all()
    assert rec.n_filled == int(np.isnan(x).sum())


def test_registry_names_are_the_function_names():
    assert all(STEPS[k].__name__ == k for k in STEPS)


@pytest.mark.parametrize("kw", [
    {"chain": ["nope"]},
    {"chain": ["group_mean"]},  # no groups
    {"per_indicator": {5: ["carry"]}},
    {"groups": np.zeros(3, int)},
    {"years": [1, 2]},
])
def test_broken_invariants_raise_value_error(kw):
    with pytest.raises(ValueError):
        impute(panel([1, nan, 3], [1, 2, 3]), **kw)


def test_coinr_asem_group_mean_reproduces_dset_imputed():
    ind, units, x = dset("dset_Denominated.csv")
    ind2, units2, ref = dset("dset_Imputed.csv")
    assert (ind, units) == (ind2, units2)
    head, meta = rows("unit_meta.csv")
    col = head.index("EurAsia_group")
    group_of = {r[0]: r[col] for r in meta}
    names = sorted(set(group_of.values()))
    groups = np.array([names.index(group_of[u]) for u in units])
    out, fl, rec = impute(x[:, None, :], chain=["group_mean"], groups=groups)
    out = out[:, 0, :]
    assert int(np.isnan(x).sum()) == rec.n_filled == 65
    assert not np.isnan(out).any()
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-9)
    assert ((fl[:, 0, :] == 1) == np.isnan(x)).all()
    np.testing.assert_array_equal(out[~np.isnan(x)], x[~np.isnan(x)])


def test_group_median_even_counts_agree_with_numpy():
    import warnings

    rng = np.random.default_rng(5)
    x = rng.normal(size=(12, 3, 4))
    x[rng.random(x.shape) < 0.4] = nan
    groups = np.arange(12) % 2
    out, _, _ = impute(x, chain=["group_median"], groups=groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for g in (0, 1):
            ref = np.nanmedian(x[groups == g], axis=0)
            got = out[groups == g]
            fill = np.isnan(x[groups == g])
            np.testing.assert_allclose(got[fill], np.broadcast_to(ref, got.shape)[fill], atol=1e-15)
