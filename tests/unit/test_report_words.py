"""Readers' language: numbers by unit, method words and preparation steps in words, plan values rounded."""

import numpy as np

from evalkit.plan import PlanItem, reported_decimals
from evalkit.report.context.formatting import fmt_measure
from evalkit.report.context.methods import method_word
from evalkit.tree import Names


def test_counts_whole_shares_one_decimal_others_by_magnitude():
    assert fmt_measure(83.0, "个") == "83"
    assert fmt_measure(789.0, "门") == "789"
    assert fmt_measure(2450.4, "count") == "2,450"
    assert fmt_measure(91.26, "%") == "91.3"
    assert fmt_measure(7.04, "%") == "7.0"
    assert fmt_measure(6.738, "天") == "6.74"          # no rule for days: by magnitude
    assert fmt_measure(float("nan"), "个") == "—"


def test_method_words_in_the_readers_language():
    assert method_word("entropy", "zh") == "熵权法"
    assert method_word("combined:mdi", "zh") == "组合赋权（最小鉴别信息）"
    assert method_word("combined:mdi", "en") == "combined (minimum discrimination information)"
    assert method_word("cn_textbook", "en") == "Chinese textbook RI table"
    assert method_word("brand_new", "zh") == "brand_new"          # unknown: as written


def test_reported_decimals():
    assert reported_decimals(np.array([1.0, 2.0, np.nan])) == 0
    assert reported_decimals(np.array([85.3, 91.25])) == 2
    assert reported_decimals(np.array([1 / 3])) == 4


def _item(cur, need, d, direction="benefit"):
    return PlanItem(indicator="x", name=Names("名", "name"), current=cur, needed=need, change=need - cur,
                    relative=abs(need - cur) / 10, measure="天", direction=direction, decimals=d)


def test_plan_values_at_the_indicators_precision_rounded_towards_the_goal():
    # 6.73848 days needed from 7.4 (a cost indicator, one decimal): 6.7 still reaches the goal, 6.8 would not
    assert _item(7.4, 6.73848, 1, "cost").shown() == ("7.4", "6.7", "-0.7")
    # a benefit indicator needing 87.99127 from 83: 88 (whole), +5
    assert _item(83.0, 87.99127, 0).shown() == ("83", "88", "+5")
    assert _item(85.3, 94.951, 1).shown() == ("85.3", "95.0", "+9.7")
