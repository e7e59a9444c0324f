"""Hand-worked weighting cases and edge cases (evalkit.weight)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evalkit import weight as W
from evalkit.weight.ahp import RI_TABLES


def close(a, b, atol=1e-12):
    assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=0, atol=atol)


# ----------------------------------------------------------------------- registry

def test_registry_words_are_the_spec_words():
    assert set(W.METHODS) == {"equal", "entropy", "critic", "cv", "pca", "bod", "ahp", "fixed", "combined"}
    assert set(W.DESCRIPTIONS) == set(W.METHODS)
    assert all(callable(f) for f in W.METHODS.values())
    assert W.DATA_METHODS == ("equal", "entropy", "critic", "cv", "pca")
    assert set(W.DATA_WEIGHTINGS) == set(W.DATA_METHODS) | {"bod"}
    assert W.AHP_METHODS == ("eigenvector", "geometric", "arithmetic")
    assert W.COMBINE_RULES[0] == "mdi"
    assert set(W.COMBINE_RULES) == {"mdi", "multiplicative", "linear", "game_theory"}
    assert W.RI_TABLE_NAMES == ("cn_textbook", "saaty1980", "cn_xu", "saaty2005",
                                "alonso_lamata2006")
    assert all(len(RI_TABLES[t]) == 15 for t in W.RI_TABLE_NAMES)


def test_results_are_frozen():
    r = W.entropy(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.w = np.ones(2)  # type: ignore[misc]


# ----------------------------------------------------------------------- simple

def test_equal_weights():
    close(W.equal(1), [1.0])
    close(W.equal(4), [0.25] * 4)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            W.equal(bad)


def test_check_fixed_accepts_sum_within_1e_6_and_keeps_order():
    children = ["a", "b", "c"]
    weights = {"c": 0.3, "a": 0.2, "b": 0.5 + 9e-7}
    assert W.check_fixed(weights, children) == []
    close(W.fixed(weights, children), [0.2, 0.5 + 9e-7, 0.3])


def test_check_fixed_reports_every_problem_and_never_rescales():
    probs = W.check_fixed({"a": 0.2, "x": 0.5}, ["a", "b"])
    assert any("'x'" in p and "not a child" in p for p in probs)
    assert any("no weight for child 'b'" in p for p in probs)
    probs = W.check_fixed({"a": 0.6, "b": 0.6}, ["a", "b"])
    assert len(probs) == 1 and "sum to 1.2" in probs[0] and "not rescaled" in probs[0]
    probs = W.check_fixed({"a": -0.5, "b": 1.5}, ["a", "b"])
    assert probs == ["weight of 'a' is -0.5, expected a number >= 0"]
    probs = W.check_fixed({"a": float("nan"), "b": 1.0}, ["a", "b"])
    assert len(probs) == 1 and "finite" in probs[0]
    with pytest.raises(ValueError):
        W.fixed({"a": 0.6, "b": 0.6}, ["a", "b"])


# ----------------------------------------------------------------------- entropy

def test_entropy_hand_worked_4_rows():
    # column 1: p = (0, 1/6, 1/3, 1/2) -> e = -(1/ln 4)(1/6 ln 1/6 + 1/3 ln 1/3 + 1/2 ln 1/2)
    z = np.array([[0.0, 0.0], [1 / 3, 0.0], [2 / 3, 0.0], [1.0, 1.0]])
    r = W.entropy(z)
    e1 = -(1 / 6 * math.log(1 / 6) + 1 / 3 * math.log(1 / 3) + 0.5 * math.log(0.5)) / math.log(4)
    close(r.e, [e1, 0.0])  # column 2: p = (0, 0, 0, 1) -> e = 0, all the information
    close(r.d, [1 - e1, 1.0])
    close(r.w, [(1 - e1) / (2 - e1), 1 / (2 - e1)])
    assert r.n.tolist() == [4, 4]


def test_entropy_shift_is_added_to_z_first():
    z = np.array([[0.0, 0.2], [0.5, 0.4], [1.0, 1.0]])
    q = z + 0.01
    p = q / q.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / math.log(3)
    r = W.entropy(z, shift=0.01)
    close(r.e, e)
    close(r.w, (1 - e) / (1 - e).sum())


def test_entropy_constant_child_gets_zero_weight():
    z = np.array([[0.0, 0.7, 0.0], [0.5, 0.7, 0.0], [1.0, 0.7, 0.0]])
    r = W.entropy(z)
    assert r.constant.tolist() == [False, True, True]
    assert r.w[1] == 0.0 and r.w[2] == 0.0 and r.d[1] == 0.0 and r.e[2] == 1.0
    close(r.w, [1.0, 0.0, 0.0])


def test_entropy_constant_child_stays_constant_under_shift():
    z = np.array([[0.0, 0.3], [1.0, 0.3]])
    assert W.entropy(z, shift=1e-4).w[1] == 0.0


def test_entropy_all_children_constant_gives_equal_weights():
    r = W.entropy(np.array([[0.0, 1.0, 0.5], [0.0, 1.0, 0.5]]))
    close(r.w, [1 / 3] * 3)
    assert r.d.tolist() == [0.0, 0.0, 0.0]


def test_entropy_missing_cells_are_left_out_per_column():
    z = np.array([[0.0, 0.1], [0.4, np.nan], [1.0, 0.9], [np.nan, 0.3]])
    r = W.entropy(z)
    assert r.n.tolist() == [3, 3]
    ref = np.column_stack([W.entropy(z[[0, 1, 2], :1]).e, W.entropy(z[[0, 2, 3], 1:]).e])
    close(r.e, ref.ravel())
    assert np.isnan(z[1, 1])  # input untouched


def test_entropy_shift_is_not_added_to_missing_cells():
    z = np.array([[0.0, 0.1], [0.4, np.nan], [1.0, 0.9]])
    r = W.entropy(z, shift=0.01)
    close(r.e[1], W.entropy(z[[0, 2], 1:], shift=0.01).e[0])


def test_entropy_column_with_fewer_than_2_values_has_d_zero():
    z = np.array([[0.0, np.nan, np.nan], [1.0, 0.5, np.nan], [0.5, np.nan, np.nan]])
    r = W.entropy(z)
    assert r.n.tolist() == [3, 1, 0]
    assert r.constant.tolist() == [False, True, True]
    close(r.w, [1.0, 0.0, 0.0])


def test_entropy_no_rows_gives_equal_weights():
    close(W.entropy(np.zeros((0, 2))).w, [0.5, 0.5])


def test_entropy_does_not_modify_its_input():
    z = np.array([[0.0, 0.2], [np.nan, 0.4], [1.0, 1.0]])
    before = z.copy()
    W.entropy(z, shift=0.1, rescale=(0.01, 1.0))
    assert_allclose(z, before, equal_nan=True)


def test_entropy_rescale_maps_z_onto_lo_hi():
    z = np.array([[0.0, 0.2], [0.5, 0.4], [1.0, 1.0]])
    close(W.entropy(z, rescale=(0.002, 0.998)).e, W.entropy(0.002 + 0.996 * z).e)


@pytest.mark.parametrize("bad", [
    np.array([0.0, 1.0]),                    # 1-D
    np.zeros((3, 0)),                        # no children
    np.array([[0.0, -0.1], [1.0, 1.0]]),     # negative z
    np.array([[0.0, np.inf], [1.0, 1.0]]),   # inf
    np.array([[0.0, np.nan], [np.inf, 1.0]]),
])
def test_entropy_rejects_broken_input(bad):
    with pytest.raises(ValueError):
        W.entropy(bad)


def test_entropy_rejects_bad_options():
    z = np.array([[0.0], [1.0]])
    with pytest.raises(ValueError):
        W.entropy(z, shift=-0.1)
    with pytest.raises(ValueError):
        W.entropy(z, rescale=(1.0, 0.5))


def test_entropy_ratio_hand_worked_and_direction_blind():
    x = np.array([[1.0, 3.0], [3.0, 1.0]])  # p = (1/4, 3/4) in both columns
    e = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(2)
    r = W.entropy_ratio(x)
    close(r.e, [e, e])
    close(r.w, [0.5, 0.5])


def test_entropy_ratio_equals_entropy_on_positive_z():
    z = np.array([[0.1, 0.2], [0.5, 0.9], [1.0, 0.3]])
    close(W.entropy_ratio(z).w, W.entropy(z).w)


def test_entropy_ratio_constant_and_zero_columns_and_negative_values():
    r = W.entropy_ratio(np.array([[5.0, 0.0, 1.0], [5.0, 0.0, 2.0]]))
    close(r.w, [0.0, 0.0, 1.0])
    with pytest.raises(ValueError):
        W.entropy_ratio(np.array([[-1.0], [2.0]]))


# ----------------------------------------------------------------------- CRITIC

Z3 = np.array([[0.0, 0.0, 1.0], [0.5, 1.0, 0.0], [1.0, 0.5, 0.0]])


def test_critic_hand_worked_3x3():
    # σ1 = σ2 = 1/2, σ3 = 1/√3 (ddof 1); r12 = 1/2, r13 = r23 = −√3/2
    r = W.critic(Z3)
    s3 = math.sqrt(3)
    close(r.sigma, [0.5, 0.5, 1 / s3])
    close(r.r, [[1, 0.5, -s3 / 2], [0.5, 1, -s3 / 2], [-s3 / 2, -s3 / 2, 1]])
    conflict = [0.5 + 1 + s3 / 2, 0.5 + 1 + s3 / 2, 2 + s3]
    close(r.conflict, conflict)
    c = np.array([0.5 * conflict[0], 0.5 * conflict[1], conflict[2] / s3])
    close(r.c, c)
    close(r.w, c / c.sum())
    assert r.n_rows == 3 and r.fallback == ""


def test_critic_abs_corr_counts_negative_correlation_as_agreement():
    r = W.critic(Z3, abs_corr=True)
    s3 = math.sqrt(3)
    close(r.conflict, [0.5 + 1 - s3 / 2, 0.5 + 1 - s3 / 2, 2 - s3])


def test_critic_ddof_does_not_change_weights():
    close(W.critic(Z3, ddof=0).w, W.critic(Z3).w)


def test_critic_constant_column_gets_zero_and_changes_no_other_weight():
    z = np.column_stack([Z3, np.full(3, 0.4)])
    r = W.critic(z)
    assert r.w[3] == 0.0 and r.sigma[3] == 0.0
    assert np.isnan(r.r[3]).all() and np.isnan(r.r[:, 3]).all()
    close(r.w[:3], W.critic(Z3).w)


def test_critic_all_constant_gives_equal_weights():
    r = W.critic(np.array([[0.2, 0.0], [0.2, 0.0]]))
    close(r.w, [0.5, 0.5])
    assert r.fallback == "equal"


def test_critic_single_varying_column_takes_all_weight():
    r = W.critic(np.array([[0.0, 0.3], [1.0, 0.3], [0.5, 0.3]]))
    close(r.w, [1.0, 0.0])
    assert r.fallback == "sigma"


def test_critic_perfectly_correlated_columns_fall_back_to_sigma():
    a = np.array([0.0, 0.5, 1.0])
    r = W.critic(np.column_stack([a, 0.5 * a]))
    close(r.w, [2 / 3, 1 / 3])
    assert r.fallback == "sigma"


def test_critic_drops_rows_with_any_missing_cell():
    z = np.vstack([Z3, [np.nan, 0.2, 0.3]])
    r = W.critic(z)
    assert r.n_rows == 3
    close(r.w, W.critic(Z3).w)


def test_critic_fewer_than_two_complete_rows_gives_equal_weights():
    r = W.critic(np.array([[0.0, np.nan], [1.0, 0.5]]))
    close(r.w, [0.5, 0.5])
    assert r.fallback == "equal" and r.n_rows == 1


# ----------------------------------------------------------------------- CV

def test_cv_hand_worked():
    # (1, 2, 3): μ 2, σ 1 -> V 1/2 ; (10, 10, 40): μ 20, σ √300 -> V √3/2
    x = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 40.0]])
    r = W.cv(x)
    v = np.array([0.5, math.sqrt(3) / 2])
    close(r.v, v)
    close(r.w, v / v.sum())
    close(r.mean, [2.0, 20.0])
    assert not r.nonpositive_mean.any()


def test_cv_constant_column_gets_zero_and_all_constant_gives_equal():
    r = W.cv(np.array([[1.0, 7.0], [3.0, 7.0]]))
    close(r.w, [1.0, 0.0])
    close(W.cv(np.array([[1.0, 7.0], [1.0, 7.0]])).w, [0.5, 0.5])


def test_cv_negative_mean_uses_abs_and_is_flagged():
    x = np.array([[-1.0, 1.0], [-2.0, 2.0], [-3.0, 3.0]])
    r = W.cv(x)
    close(r.v, [0.5, 0.5])
    assert r.nonpositive_mean.tolist() == [True, False]


def test_cv_zero_mean_varying_column_gets_zero_and_is_flagged():
    r = W.cv(np.array([[-1.0, 1.0], [1.0, 2.0]]))
    assert r.v[0] == 0.0 and r.w[0] == 0.0
    assert r.nonpositive_mean.tolist() == [True, False]
    close(r.w, [0.0, 1.0])


def test_cv_missing_values_are_left_out_per_column():
    x = np.array([[1.0, 10.0], [2.0, np.nan], [3.0, 40.0], [np.nan, 10.0]])
    r = W.cv(x)
    assert r.n.tolist() == [3, 3]
    close(r.v, [0.5, math.sqrt(3) / 2])


# ----------------------------------------------------------------------- AHP

def consistent(v):
    v = np.asarray(v, dtype=float)
    return v[:, None] / v[None, :]


@pytest.mark.parametrize("method", W.AHP_METHODS)
def test_ahp_consistent_matrix_recovers_v_with_cr_zero(method):
    v = np.array([0.5, 0.3, 0.2])
    r = W.ahp(consistent(v), method=method)
    close(r.w, v)
    close(r.lambda_max, 3.0)
    assert r.ci == 0.0 or r.ci < 1e-14
    assert r.cr < 1e-13 and r.method == method and r.ri_table == "cn_textbook"


def test_ahp_n1_and_n2_have_ci_and_cr_zero():
    r1 = W.ahp(np.array([[1.0]]))
    close(r1.w, [1.0])
    assert (r1.ci, r1.cr, r1.ri, r1.n) == (0.0, 0.0, 0.0, 1)
    r2 = W.ahp(np.array([[1.0, 3.0], [1 / 3, 1.0]]))
    close(r2.w, [0.75, 0.25])
    assert (r2.ci, r2.cr, r2.ri) == (0.0, 0.0, 0.0)


def test_ahp_ri_lookup_is_not_off_by_one():
    a = np.array([[1.0, 2.0, 6.0], [0.5, 1.0, 4.0], [1 / 6, 0.25, 1.0]])
    r = W.ahp(a)
    assert r.ri == 0.58  # RI(3), not RI(4) = 0.90
    close(r.cr, r.ci / 0.58)
    for n, ri in [(4, 0.90), (5, 1.12), (7, 1.32), (15, 1.59)]:
        assert W.ri_value(n) == ri
    assert W.ri_value(12, "saaty1980") == 1.48


def test_ahp_geometric_lambda_is_the_mean_ratio_estimate():
    a = np.array([[1.0, 2.0, 6.0], [0.5, 1.0, 4.0], [1 / 6, 0.25, 1.0]])
    g = np.array([(1 * 2 * 6) ** (1 / 3), (0.5 * 1 * 4) ** (1 / 3), (1 / 6 * 0.25) ** (1 / 3)])
    w = g / g.sum()
    r = W.ahp(a, method="geometric")
    close(r.w, w)
    close(r.lambda_max, np.mean((a @ w) / w))


def test_ahp_arithmetic_normalisation_hand_worked():
    a = np.array([[1.0, 3.0], [1 / 3, 1.0]])
    # column sums 4/3 and 4: normalised columns (3/4, 1/4) both -> w = (3/4, 1/4)
    close(W.ahp(a, method="arithmetic").w, [0.75, 0.25])


@pytest.mark.parametrize("bad", [
    np.array([[1.0, 2.0], [2.0, 1.0]]),            # not reciprocal
    np.array([[1.0, -2.0], [-0.5, 1.0]]),          # not positive
    np.array([[1.0, 2.0, 3.0], [0.5, 1.0, 1.0]]),  # not square
    np.array([[1.0, np.nan], [np.nan, 1.0]]),      # missing
])
def test_ahp_rejects_broken_matrices(bad):
    with pytest.raises(ValueError):
        W.ahp(bad)


def test_ahp_rejects_unknown_words_and_n_above_15():
    a = consistent([1.0, 2.0])
    with pytest.raises(ValueError, match="allowed"):
        W.ahp(a, method="power")
    with pytest.raises(ValueError, match="allowed"):
        W.ahp(a, ri="saaty")
    with pytest.raises(ValueError, match="1..15"):
        W.ahp(consistent(np.arange(1.0, 17.0)))


def test_most_inconsistent_names_the_perturbed_judgment_first():
    a = consistent([8.0, 4.0, 2.0, 1.0])
    a[0, 3], a[3, 0] = 1 / 8, 8.0  # reversed judgment
    r = W.ahp(a)
    top = W.most_inconsistent(a, r.w, k=3)
    assert len(top) == 3
    assert top[0][:2] == (0, 3)
    assert top[0][2] == pytest.approx(abs(math.log(a[0, 3] * r.w[3] / r.w[0])))
    assert top[0][2] >= top[1][2] >= top[2][2]
    assert len(W.most_inconsistent(a, r.w, k=10)) == 6


def test_most_inconsistent_of_a_consistent_matrix_scores_zero():
    v = np.array([0.4, 0.4, 0.2])
    top = W.most_inconsistent(consistent(v), v)
    assert [t[:2] for t in top] == [(0, 1), (0, 2), (1, 2)]  # ties in (i, j) order
    assert max(t[2] for t in top) < 1e-12


def test_matrix_from_judgments_fills_reciprocals_and_marks_missing():
    a, missing = W.matrix_from_judgments(
        ["gov", "transport", "health"], [("gov", "transport", 2.0), ("health", "gov", 1 / 3)])
    close(np.nan_to_num(a, nan=-1.0), [[1, 2, 3], [0.5, 1, -1], [1 / 3, -1, 1]])
    assert missing.tolist() == [[False, False, False], [False, False, True],
                                [False, True, False]]


@pytest.mark.parametrize("judgments", [
    [("a", "x", 2.0)],                     # unknown child
    [("a", "b", 2.0), ("b", "a", 0.5)],    # pair twice
    [("a", "b", 0.0)],                     # not positive
    [("a", "a", 2.0)],                     # self pair != 1
])
def test_matrix_from_judgments_rejects_what_the_loader_must_catch(judgments):
    with pytest.raises(ValueError):
        W.matrix_from_judgments(["a", "b"], judgments)


def test_complete_harker_hand_worked_n3():
    # a12 = 2, a23 = 3, a13 missing: C = [[2, 2, 0], [1/2, 1, 3], [0, 1/3, 2]],
    # principal eigenvector ∝ (6, 3, 1), so a13 = 6.
    a, _ = W.matrix_from_judgments(["1", "2", "3"], [("1", "2", 2.0), ("2", "3", 3.0)])
    full = W.complete_harker(a)
    close(full[0, 2], 6.0)
    close(full[2, 0], 1 / 6)
    close(W.ahp(full).w, [0.6, 0.3, 0.1])


def test_complete_harker_recovers_removed_entries_of_a_consistent_matrix_exactly():
    v = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
    full = consistent(v)
    a = full.copy()
    a[0, 3] = a[3, 0] = np.nan
    close(W.complete_harker(a), full, 1e-12)
    a[1, 4] = a[4, 1] = np.nan
    a[2, 3] = a[3, 2] = np.nan
    close(W.complete_harker(a), full, 1e-12)


def test_complete_harker_keeps_known_judgments_and_stays_reciprocal():
    a = np.array([[1.0, 3.0, np.nan, 2.0], [1 / 3, 1.0, 5.0, np.nan],
                  [np.nan, 1 / 5, 1.0, 1 / 2], [0.5, np.nan, 2.0, 1.0]])
    full = W.complete_harker(a)
    known = ~np.isnan(a)
    close(full[known], a[known])
    close(full * full.T, np.ones((4, 4)))
    assert np.all(full > 0)


def test_complete_harker_refuses_disconnected_judgments():
    a = np.array([[1.0, 2.0, np.nan, np.nan], [0.5, 1.0, np.nan, np.nan],
                  [np.nan, np.nan, 1.0, 3.0], [np.nan, np.nan, 1 / 3, 1.0]])
    with pytest.raises(ValueError, match="connect"):
        W.complete_harker(a)


def test_group_aij_is_the_weighted_geometric_mean():
    e1 = np.array([[1.0, 2.0], [0.5, 1.0]])
    e2 = np.array([[1.0, 8.0], [1 / 8, 1.0]])
    g = W.group_aij([e1, e2])
    close(g, [[1, 4], [0.25, 1]])
    g = W.group_aij([e1, e2], expert_weights=[0.75, 0.25])
    close(g[0, 1], 2 ** 1.5)
    close(g[0, 1] * g[1, 0], 1.0)
    close(W.group_aij([e1, e2], expert_weights=[3, 1]), g)  # relative weights


def test_group_aip_geometric_and_arithmetic():
    w1, w2 = np.array([0.8, 0.2]), np.array([0.2, 0.8])
    close(W.group_aip([w1, w2]), [0.5, 0.5])
    close(W.group_aip([w1, w2], expert_weights=[0.75, 0.25], mean="arithmetic"), [0.65, 0.35])
    with pytest.raises(ValueError):
        W.group_aip([w1, w2], mean="harmonic")


def test_gci_hand_worked():
    a = np.array([[1.0, 2.0, 6.0], [0.5, 1.0, 4.0], [1 / 6, 0.25, 1.0]])
    w = np.array([0.6, 0.3, 0.1])
    e = [math.log(2 * 0.3 / 0.6), math.log(6 * 0.1 / 0.6), math.log(4 * 0.1 / 0.3)]
    close(W.gci(a, w), 2 / (2 * 1) * sum(x * x for x in e))
    assert W.gci(np.array([[1.0, 3.0], [1 / 3, 1.0]]), [0.75, 0.25]) == 0.0


def test_hierarchy_cr_hand_worked():
    close(W.hierarchy_cr([0.5, 0.5], [0.01, 0.03], [0.58, 0.90]), 0.02 / 0.74)
    assert W.hierarchy_cr([1.0], [0.0], [0.0]) == 0.0


def test_monte_carlo_ri_n4_matches_alonso_lamata():
    """Random reciprocal 4×4 matrices on Saaty's 17 values: mean CI ≈ RI(4) = 0.8815."""
    rng = np.random.default_rng(4)
    scale = np.array([1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4,
                      5, 6, 7, 8, 9])
    n, k = 4, 20000
    a = np.ones((k, n, n))
    iu, ju = np.triu_indices(n, 1)
    vals = rng.choice(scale, size=(k, iu.size))
    a[:, iu, ju] = vals
    a[:, ju, iu] = 1 / vals
    lam = np.linalg.eigvals(a).real.max(axis=1)
    ri = np.mean((lam - n) / (n - 1))
    # SE ≈ 0.002·√5 = 0.0045 at k = 20000; 4 SE
    assert abs(ri - W.ri_value(4, "alonso_lamata2006")) < 0.018
    assert abs(ri - W.ri_value(4, "cn_textbook")) < 0.04


# ----------------------------------------------------------------------- combine

S2, O2 = np.array([0.5, 0.5]), np.array([0.8, 0.2])


def test_combine_hand_worked_rules():
    close(W.combine(S2, O2).w, [2 / 3, 1 / 3])  # √.4 : √.1 = 2 : 1
    close(W.combine(S2, O2, rule="multiplicative").w, [0.8, 0.2])
    close(W.combine(S2, O2, rule="linear", alpha=0.25).w, [0.725, 0.275])
    r = W.combine(S2, O2, rule="game_theory")
    gram = np.array([[0.5, 0.5], [0.5, 0.68]])
    raw = np.linalg.solve(gram, [0.5, 0.68])
    close(r.details["alpha_raw"], raw)
    a = np.abs(raw) / np.abs(raw).sum()
    close(r.w, a[0] * S2 + a[1] * O2)
    assert r.details["rule"] == r.details["used"] == "game_theory"


def test_combine_zero_in_one_vector_zeroes_the_child():
    s, o = np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.3, 0.5])
    r = W.combine(s, o)
    assert r.w[2] == 0.0
    close(r.w.sum(), 1.0)
    assert "fallback" not in r.details


@pytest.mark.parametrize("rule", ["mdi", "multiplicative"])
def test_combine_disjoint_support_falls_back_to_linear_and_says_so(rule):
    s, o = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    r = W.combine(s, o, rule=rule, alpha=0.3)
    close(r.w, [0.3, 0.7])
    assert r.details["fallback"] == "linear" and r.details["used"] == "linear"
    assert r.details["rule"] == rule


def test_combine_game_theory_of_equal_vectors_is_that_vector():
    s = np.array([0.2, 0.3, 0.5])
    r = W.combine(s, s, rule="game_theory")
    close(r.w, s)
    close(r.details["alpha"], [0.5, 0.5])


def test_combine_details_are_read_only():
    r = W.combine(S2, O2)
    with pytest.raises(TypeError):
        r.details["rule"] = "linear"  # type: ignore[index]


@pytest.mark.parametrize("kwargs", [{"rule": "game"}, {"rule": "linear", "alpha": 1.5}])
def test_combine_rejects_bad_options(kwargs):
    with pytest.raises(ValueError):
        W.combine(S2, O2, **kwargs)


def test_combine_rejects_mismatched_or_negative_vectors():
    with pytest.raises(ValueError):
        W.combine(S2, np.array([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError):
        W.combine(S2, np.array([1.2, -0.2]))
