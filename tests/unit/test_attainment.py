"""Attainment and its status: direction-aware, the optimal interval, rounding before classifying."""

import numpy as np

from evalkit.analysis.attainment import attainment, status
from evalkit.report.context.sections import status_of


def test_ratios_by_direction_worked_by_hand():
    x = np.array([[[90.0, 50.0, 2.0]]])
    t = np.array([[[100.0, 40.0, 2.5]]])
    a = attainment(x, t, np.array(["benefit", "cost", "target"], dtype=object))
    # 90/100; 40/50; 1 − |2 − 2.5| / 2.5
    np.testing.assert_allclose(a[0, 0], [0.9, 0.8, 0.8])


def test_inside_the_optimal_interval_is_achieved():
    # the tree calls [1.5, 3] optimal: 2.87 and 1.5 meet it even though the unit's own target is 3 / 1.41
    x = np.array([[[2.87], [1.5], [3.4], [1.49]]])
    t = np.array([[[3.0], [1.41], [3.0], [1.41]]])
    a = attainment(x, t, np.array(["target"], dtype=object), lo=np.array([1.5]), hi=np.array([3.0]))
    np.testing.assert_allclose(a[0, :, 0], [1.0, 1.0, 1 - 0.4 / 3.0, 1 - 0.08 / 1.41])
    assert list(status(a[0, :, 0])) == ["achieved", "achieved", "missed", "close"]


def test_interval_does_not_apply_to_benefit_or_without_target():
    x = np.array([[[2.0, 2.0]]])
    t = np.array([[[4.0, np.nan]]])
    a = attainment(x, t, np.array(["benefit", "target"], dtype=object),
                   lo=np.array([1.0, 1.0]), hi=np.array([3.0, 3.0]))
    assert a[0, 0, 0] == 0.5 and np.isnan(a[0, 0, 1])


def test_rounded_to_100_percent_reads_achieved_never_close():
    a = np.array([0.996, 0.994, 0.9, 0.8949, 0.895, np.nan])
    # 0.996 prints as 100 %: achieved; 0.994 → 99 %: close; 0.8949 → 89 %: missed; 0.895 → 90 %: close
    assert list(status(a)) == ["achieved", "close", "close", "missed", "close", ""]


def test_report_status_rounds_before_classifying():
    assert status_of("close", 0.997) == "met"        # an older table's status text cannot say 100 % is close
    assert status_of("", 0.994) == "near"
    assert status_of(None, 0.7) == "missed"
    assert status_of("missed", None) == "missed"
    assert status_of(None, None) == "unknown"
