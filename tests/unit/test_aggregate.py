"""Hand-worked aggregation on 3 units × 2 years, the min_share rule, and global weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from evalkit import aggregate as A

NAN = np.nan
W = np.array([0.5, 0.3, 0.2])
# (units, years, children) on [0, 100]
S = np.array([
    [[60, 80, 100], [NAN, 80, 100]],   # u0: full; share 0.5 -> missing
    [[40, NAN, 100], [0, 0, 0]],       # u1: share 0.7 -> renormalised; all zero
    [[100, 100, 100], [NAN, NAN, NAN]],  # u2: all top; nothing present
], dtype=float)


# --------------------------------------------------------------------------- arithmetic


def test_arithmetic_hand_worked():
    score, share = A.arithmetic(S, W)
    assert_allclose(share, [[1, .5], [.7, 1], [1, 0]], atol=1e-15)
    assert_allclose(score, [[74, NAN], [40 / .7, 0], [100, NAN]], atol=1e-12)


def test_arithmetic_missing_child_weights_renormalised():
    score, _ = A.arithmetic(S[1:2, :1], W)
    # (0.5·40 + 0.2·100) / (0.5 + 0.2)
    assert score[0, 0] == pytest.approx(40 / 0.7, abs=1e-12)


def test_share_exactly_two_thirds_passes():
    s = np.array([[[30.0, 60.0, NAN]]])
    score, share = A.arithmetic(s, np.full(3, 1 / 3))
    assert share[0, 0] == pytest.approx(2 / 3)
    assert score[0, 0] == pytest.approx(45.0)


def test_share_exactly_two_thirds_passes_for_every_method():
    s = np.array([[[30.0, 60.0, NAN]], [[50.0, NAN, 70.0]], [[NAN, 10.0, 20.0]]])
    for name, f in A.METHODS.items():
        score, _ = f(s, np.full(3, 1 / 3), lo=0.0, hi=100.0)
        assert not np.isnan(score).any(), name


def test_share_just_below_two_thirds_is_missing():
    s = np.array([[[NAN, 60.0, 90.0]]])
    score, share = A.arithmetic(s, np.array([0.34, 0.33, 0.33]))
    assert share[0, 0] == pytest.approx(0.66)
    assert np.isnan(score[0, 0])


def test_min_share_is_configurable():
    s = np.array([[[NAN, 60.0, 90.0]]])
    score, _ = A.arithmetic(s, np.array([0.5, 0.25, 0.25]), min_share=0.5)
    assert score[0, 0] == pytest.approx(75.0)
    score, _ = A.arithmetic(s, np.array([0.5, 0.25, 0.25]), min_share=0.51)
    assert np.isnan(score[0, 0])


def test_min_share_zero_still_needs_one_child():
    score, share = A.arithmetic(np.array([[[NAN, NAN]]]), np.array([.5, .5]), min_share=0.0)
    assert np.isnan(score[0, 0]) and share[0, 0] == 0


@pytest.mark.parametrize("method", list(A.METHODS))
def test_one_child_is_passed_through(method):
    s = np.array([[[20.0], [NAN]], [[60.0], [100.0]], [[0.0], [40.0]]])
    score, share = A.METHODS[method](s, np.array([1.0]), lo=0.0, hi=100.0)
    if method == "topsis":  # closeness of one child = its min–max position over the panel
        assert_allclose(score, [[20, NAN], [60, 100], [0, 40]], atol=1e-12)
    elif method == "copeland":  # wins − losses among the year's units, mapped onto the scale
        assert_allclose(score, [[50, NAN], [100, 100], [0, 0]], atol=1e-12)
    elif method == "proportions":  # each unit's share of the year's total: 20/80, 60/80, 0; 100/140, 40/140
        assert_allclose(score, [[25, NAN], [75, 100 * 100 / 140], [0, 100 * 40 / 140]], atol=1e-12)
    else:
        assert_allclose(score, s[..., 0], atol=1e-12)
    assert_array_equal(share, [[1, 0], [1, 1], [1, 1]])


@pytest.mark.parametrize("method", list(A.METHODS))
def test_single_unit_and_single_year(method):
    s = np.array([[[30.0, 90.0]]])
    score, share = A.METHODS[method](s, np.array([.5, .5]), lo=0.0, hi=100.0)
    assert score.shape == (1, 1) and share[0, 0] == 1
    # topsis on one unit-year: ideal = anti-ideal, D⁺ + D⁻ = 0 -> middle of the scale
    # harmonic 2/(1/30 + 1/90) = 45; power p = 2 √((30² + 90²)/2); one unit: Copeland's middle
    expected = {"arithmetic": 60.0, "geometric": math.sqrt(31 * 91) - 1, "topsis": 50.0, "harmonic": 45.0,
                "power": math.sqrt((30 ** 2 + 90 ** 2) / 2), "copeland": 50.0,
                "proportions": 100.0}  # the only unit holds the whole of each child's total
    assert score[0, 0] == pytest.approx(expected[method], abs=1e-12)


@pytest.mark.parametrize("method", list(A.METHODS))
def test_inputs_not_modified(method):
    s, w = S.copy(), W.copy()
    s.flags.writeable = False
    A.METHODS[method](s, w, lo=0.0, hi=100.0)
    assert_array_equal(s, S)
    assert_array_equal(w, W)


# --------------------------------------------------------------------------- geometric


def test_geometric_hand_worked_shift():
    # √((24 + 1)(99 + 1)) − 1 = 49
    score, _ = A.geometric(np.array([[[24.0, 99.0]]]), np.array([.5, .5]), lo=0.0, hi=100.0)
    assert score[0, 0] == pytest.approx(49.0, abs=1e-12)
    # the shift is measured from lo: scale [10, 110]
    score, _ = A.geometric(np.array([[[34.0, 109.0]]]), np.array([.5, .5]), lo=10.0, hi=110.0)
    assert score[0, 0] == pytest.approx(59.0, abs=1e-12)


def test_geometric_zero_child_does_not_force_zero():
    s = np.array([[[0.0, 100.0]]])
    score, _ = A.geometric(s, np.array([.5, .5]), lo=0.0, hi=100.0)
    assert score[0, 0] == pytest.approx(math.sqrt(101) - 1, abs=1e-12)  # ≈ 9.05, not 0
    arith, _ = A.arithmetic(s, np.array([.5, .5]))
    assert 0 < score[0, 0] < arith[0, 0]  # still penalised against the arithmetic mean
    plain, _ = A.geometric(s, np.array([.5, .5]), lo=0.0, hi=100.0, shift=0.0)
    assert plain[0, 0] == 0.0  # the textbook geometric mean is forced to 0


def test_geometric_zero_weight_child_at_bottom_is_ignored():
    s = np.array([[[0.0, 64.0]]])
    score, _ = A.geometric(s, np.array([0.0, 1.0]), lo=0.0, hi=100.0, shift=0.0)
    assert score[0, 0] == pytest.approx(64.0)


def test_geometric_hand_worked_panel_with_missing():
    score, share = A.geometric(S, W, lo=0.0, hi=100.0)
    g00 = math.exp(.5 * math.log(61) + .3 * math.log(81) + .2 * math.log(101)) - 1
    g10 = math.exp((.5 * math.log(41) + .2 * math.log(101)) / .7) - 1
    assert_allclose(score, [[g00, NAN], [g10, 0], [100, NAN]], atol=1e-12)
    assert_allclose(share, [[1, .5], [.7, 1], [1, 0]], atol=1e-15)


# --------------------------------------------------------------------------- topsis


def test_topsis_hand_worked():
    s = np.array([[[0.0, 0.0]], [[100.0, 100.0]], [[50.0, 50.0]]])
    score, _ = A.topsis(s, np.array([.5, .5]), lo=0.0, hi=100.0)
    assert_allclose(score[:, 0], [0, 100, 50], atol=1e-12)


def test_topsis_missing_child_distances_over_present_children():
    s = np.array([[[0.0, 100.0]], [[100.0, NAN]], [[100.0, 0.0]]])
    score, share = A.topsis(s, np.array([.5, .5]), lo=0.0, hi=100.0, min_share=0.5)
    # col 0: r = (0, 1/√2, 1/√2); col 1 (rows 0, 2): r = (1, ·, 0); v = r/2
    a = 0.5 / math.sqrt(2)
    assert_allclose(score[:, 0], [100 * .5 / (a + .5), 100.0, 100 * a / (a + .5)], atol=1e-12)
    score, _ = A.topsis(s, np.array([.5, .5]), lo=0.0, hi=100.0)  # 2/3 rule: row 1 missing
    assert np.isnan(score[1, 0]) and not np.isnan(score[[0, 2], 0]).any()


def test_topsis_constant_children_give_middle_of_scale():
    s = np.full((3, 2, 2), 40.0)
    score, _ = A.topsis(s, np.array([.5, .5]), lo=0.0, hi=100.0)
    assert (score == 50.0).all()


def test_topsis_all_zero_child_contributes_nothing():
    s = np.array([[[0.0, 20.0]], [[0.0, 80.0]]])
    score, _ = A.topsis(s, np.array([.5, .5]), lo=0.0, hi=100.0)
    assert_allclose(score[:, 0], [0, 100], atol=1e-12)


def test_topsis_same_closeness_on_any_scale():
    s = np.array([[[10.0, 70.0], [30.0, 20.0]], [[90.0, 40.0], [55.0, NAN]]])
    w = np.array([.6, .4])
    a, _ = A.topsis(s, w, lo=0.0, hi=100.0, min_share=0.5)
    b, _ = A.topsis(s / 100, w, lo=0.0, hi=1.0, min_share=0.5)
    c, _ = A.topsis(s + 50, w, lo=50.0, hi=150.0, min_share=0.5)
    assert_allclose(a / 100, b, atol=1e-12)
    assert_allclose(a + 50, c, atol=1e-12)


def test_topsis_variants_registry_and_errors():
    assert set(A.TOPSIS_VARIANTS) == {"hwang_yoon", "weighted_matrix", "weights_inside"}
    with pytest.raises(ValueError, match="variant"):
        A.topsis_closeness(np.ones((2, 2)), np.array([.5, .5]), variant="grey")


def test_topsis_closeness_weights_inside_hand_worked():
    z = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    r = A.topsis_closeness(z, np.array([.75, .25]), variant="weights_inside")
    # D⁺ = √(Σ w (z − 1)²), D⁻ = √(Σ w z²)
    assert_allclose(r.d_plus, np.sqrt([.25, .75, .25]))
    assert_allclose(r.d_minus, np.sqrt([.75, .25, .25]))
    assert_allclose(r.closeness, [math.sqrt(.75) / (math.sqrt(.75) + .5),
                                  .5 / (math.sqrt(.75) + .5), .5])


# --------------------------------------------------------------------------- errors and helper


def test_broken_invariants_raise_value_error():
    with pytest.raises(ValueError, match="sum to 1"):
        A.arithmetic(S, np.array([.5, .3, .3]))
    with pytest.raises(ValueError, match="shape"):
        A.arithmetic(S, np.array([.5, .5]))
    with pytest.raises(ValueError, match="scale"):
        A.geometric(S, W, lo=0.0, hi=50.0)  # scores above hi
    with pytest.raises(ValueError, match="lo < hi"):
        A.topsis(S, W, lo=1.0, hi=1.0)


def test_weights_within_fixed_tolerance_are_accepted():
    score, share = A.arithmetic(S[:1, :1], np.array([.5, .3, .2000004]))
    assert share[0, 0] == pytest.approx(1.0) and score[0, 0] == pytest.approx(74.0, abs=1e-4)


def test_global_weights_hand_worked():
    # root 0 -> a(1) .6, b(2) .4; a -> a1(3) .5, a2(4) .5; b -> b1(5) 1
    parent = [-1, 0, 0, 1, 1, 2]
    gw = A.global_weights(parent, [1.0, .6, .4, .5, .5, 1.0])
    assert_allclose(gw, [1, .6, .4, .3, .3, .4])
    assert gw[[3, 4, 5]].sum() == pytest.approx(1.0)


def test_global_weights_need_topological_order():
    with pytest.raises(ValueError, match="topological"):
        A.global_weights([-1, 2, 0], [1.0, .5, .5])


def test_global_weights_input_not_modified():
    lw = np.array([1.0, .6, .4])
    A.global_weights(np.array([-1, 0, 0]), lw)
    assert_array_equal(lw, [1.0, .6, .4])
