"""Screening by data coverage, and COINr's byNA rule on the ASEM example."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from evalkit.prepare.screen import screen

nan = np.nan
ASEM = Path(__file__).parents[1] / "fixtures" / "reference" / "coinr-asem"  # vendored COINr outputs


def rows(name):
    path = ASEM / name
    if not path.is_file():
        raise FileNotFoundError(f"COINr reference file missing: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        data = list(csv.reader(fh))
    return data[0], data[1:]


def sample():
    """3 units x 2 years x 3 indicators; indicator 2 is nearly empty."""
    x = np.ones((3, 2, 3))
    x[:, :, 2] = nan
    x[0, 0, 2] = 5.0
    x[2, :, 0] = nan  # unit 2: 2 of 6 observed over indicators 0-1... see tests
    x[2, 1, 1] = nan
    return x


def test_coverage_shares_by_hand():
    x = sample()
    _, rec = screen(x)
    assert rec.indicator_coverage.tolist() == pytest.approx([4 / 6, 5 / 6, 1 / 6])
    # over all three indicators: unit 0 has 5/6, unit 1 4/6, unit 2 1/6
    assert rec.unit_coverage.tolist() == pytest.approx([5 / 6, 4 / 6, 1 / 6])
    np.testing.assert_allclose(rec.unit_year_coverage, [[1, 2 / 3], [2 / 3, 2 / 3], [1 / 3, 0]], atol=1e-15)
    assert rec.units_kept.all() and rec.indicators_kept.all()


def test_indicators_screened_before_units():
    x = sample()
    _, rec = screen(x, min_coverage_indicator=0.5, min_coverage_unit=0.5)
    assert rec.indicators_kept.tolist() == [True, True, False]
    assert rec.dropped_indicators == ((2, pytest.approx(1 / 6)),)
    # over indicators 0-1: units 0 and 1 have 4/4, unit 2 has 1/4
    assert rec.unit_coverage.tolist() == pytest.approx([1.0, 1.0, 0.25])
    assert rec.units_kept.tolist() == [True, True, False]
    assert rec.dropped_units == ((2, 0.25),)
    assert rec.unit_years_kept.tolist() == [[True, True], [True, True], [False, False]]


def test_threshold_equal_passes():
    x = sample()
    _, rec = screen(x, min_coverage_indicator=4 / 6)
    assert rec.indicators_kept.tolist() == [True, True, False]


def test_by_year_blanks_unit_years_and_drops_empty_units():
    x = sample()
    x[1, 0, :2] = nan  # unit 1 year 0: nothing observed on indicators 0-1
    out, rec = screen(x, min_coverage_indicator=0.5, min_coverage_unit=0.6, by="year")
    assert rec.unit_years_kept.tolist() == [[True, True], [False, True], [False, False]]
    assert rec.blanked_unit_years == ((1, 0, 0.0),)
    assert rec.units_kept.tolist() == [True, True, False]
    assert np.isnan(out[1, 0]).all()
    np.testing.assert_array_equal(out[0], x[0])


def test_nonzero_rule_counts_observed_zeros_only():
    x = np.array([[[0.0, 0.0, 1.0, nan]], [[1.0, 2.0, 3.0, 4.0]]])
    _, rec = screen(x, min_nonzero_unit=0.6)
    assert rec.unit_nonzero.tolist() == [0.5, 1.0]
    assert rec.units_kept.tolist() == [False, True]


def test_inputs_untouched_and_records_read_only():
    x = sample()
    keep = x.copy()
    out, rec = screen(x, min_coverage_unit=0.9, by="year")
    np.testing.assert_array_equal(x, keep)
    with pytest.raises(ValueError):
        rec.units_kept[0] = False


@pytest.mark.parametrize("kw", [{"by": "unit"}, {"min_coverage_unit": 1.5}, {"min_coverage_indicator": -0.1}])
def test_bad_options_are_bugs(kw):
    with pytest.raises(ValueError):
        screen(sample(), **kw)


def test_coinr_asem_by_na_keeps_every_unit():
    # log_params.json: Screen(dset = "Imputed", unit_screen = "byNA", dat_thresh = 0.9)
    head, body = rows("dset_Imputed.csv")
    x = np.array([[nan if v == "NA" else float(v) for v in r[1:]] for r in body])[:, None, :]
    out, rec = screen(x, min_coverage_unit=0.9)
    sh, sb = rows("screen_summary.csv")
    assert [r[0] for r in sb] == [r[0] for r in body]
    avail = np.array([float(r[sh.index("Dat_Avail")]) for r in sb])
    nonzero = np.array([float(r[sh.index("Non_Zero")]) for r in sb])
    included = [r[sh.index("Included")] == "TRUE" for r in sb]
    np.testing.assert_allclose(rec.unit_coverage, avail, atol=1e-12)
    np.testing.assert_allclose(rec.unit_nonzero, nonzero, atol=1e-12)
    assert rec.units_kept.tolist() == included and all(included)
    np.testing.assert_array_equal(out, x)


def test_coinr_by_na_on_raw_data_drops_units_below_threshold():
    # the same rule on the denominated (not yet imputed) data: Dat_Avail = 1 - N_missing / n_ind
    head, body = rows("dset_Denominated.csv")
    x = np.array([[nan if v == "NA" else float(v) for v in r[1:]] for r in body])[:, None, :]
    _, rec = screen(x, min_coverage_unit=0.9)
    avail = 1 - np.isnan(x[:, 0, :]).sum(axis=1) / x.shape[2]
    np.testing.assert_allclose(rec.unit_coverage, avail, atol=1e-15)
    assert rec.units_kept.tolist() == (avail >= 0.9).tolist()
    assert len(rec.dropped_units) == int((avail < 0.9).sum()) > 0
