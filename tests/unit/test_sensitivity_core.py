"""Unit tests for evalkit.analysis.sensitivity_core: hand-worked numbers and analytic Sobol' indices."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from evalkit.analysis import sensitivity_core as sc

W = np.array([0.1, 0.2, 0.3, 0.4])


# --------------------------------------------------------------------------- streams and chunking


def test_block_rng_equals_spawned_grandchild():
    got = sc.block_rng(2026, 3, stream=2).random(5)
    child = np.random.SeedSequence(2026).spawn(3)[2].spawn(4)[3]
    assert_array_equal(got, np.random.default_rng(child).random(5))


def test_block_rng_streams_and_blocks_differ():
    a = sc.block_rng(1, 0, stream=0).random(4)
    assert not np.array_equal(a, sc.block_rng(1, 0, stream=1).random(4))
    assert not np.array_equal(a, sc.block_rng(1, 1, stream=0).random(4))
    assert_array_equal(a, sc.block_rng(1, 0, stream=0).random(4))


SAMPLERS = {
    "uniform": (sc.perturb_weights_uniform, (W, 0.25), {}),
    "dirichlet": (sc.perturb_weights_dirichlet, (W, 40.0), {}),
    "judgments": (sc.perturb_judgments, (np.array([3.0, 1 / 5, 9.0, 1.0]),), {"steps": 2}),
    "choices": (sc.sample_choices, ([4, 2, 2],), {}),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("chunk", [1, 7, 100, 256, 257, 1000])
def test_draw_range_chunked_equals_unchunked(name, chunk):
    sampler, args, kw = SAMPLERS[name]
    n = 700
    full = sc.draw_range(sampler, *args, seed=11, start=0, stop=n, **kw)
    parts = [sc.draw_range(sampler, *args, seed=11, start=s, stop=min(s + chunk, n), **kw) for s in range(0, n, chunk)]
    assert_array_equal(np.concatenate(parts), full)
    assert full.shape[0] == n


def test_draw_range_draw_k_is_row_k_of_full_run():
    full = sc.draw_range(sc.perturb_weights_uniform, W, 0.3, seed=5, start=0, stop=600)
    for k in (0, 255, 256, 599):
        one = sc.draw_range(sc.perturb_weights_uniform, W, 0.3, seed=5, start=k, stop=k + 1)
        assert_array_equal(one[0], full[k])


def test_draw_range_same_seed_same_numbers_other_seed_other_numbers():
    a = sc.draw_range(sc.perturb_weights_dirichlet, W, 10.0, seed=3, start=0, stop=50)
    assert_array_equal(a, sc.draw_range(sc.perturb_weights_dirichlet, W, 10.0, seed=3, start=0, stop=50))
    assert not np.array_equal(a, sc.draw_range(sc.perturb_weights_dirichlet, W, 10.0, seed=4, start=0, stop=50))


def test_draw_range_empty_range_has_right_trailing_shape():
    out = sc.draw_range(sc.perturb_weights_uniform, W, 0.1, seed=1, start=10, stop=10)
    assert out.shape == (0, 4)


# --------------------------------------------------------------------------- weight samplers


def test_uniform_zero_share_gives_nominal_weights():
    out = sc.perturb_weights_uniform(W, 0.0, 0, 20)
    assert out.shape == (20, 4)
    assert_allclose(out, np.broadcast_to(W, (20, 4)), rtol=0, atol=1e-15)


def test_uniform_weights_sum_to_one_nonnegative_and_within_share():
    w = np.array([0.5, 0.0, 0.25, 0.25])
    out = sc.perturb_weights_uniform(w, 0.2, np.random.default_rng(9), 5000)
    assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert np.all(out >= 0)
    assert np.all(out[:, 1] == 0.0)
    # ratio of two children's weights is bounded by (1 ± share) on each
    ratio = out[:, 0] / out[:, 2] / 2.0
    assert ratio.min() >= 0.8 / 1.2 - 1e-12 and ratio.max() <= 1.2 / 0.8 + 1e-12


def test_uniform_accepts_seed_or_generator_identically():
    assert_array_equal(
        sc.perturb_weights_uniform(W, 0.1, 7, 3),
        sc.perturb_weights_uniform(W, 0.1, np.random.default_rng(7), 3),
    )


def test_uniform_share_one_keeps_weights_valid():
    out = sc.perturb_weights_uniform(W, 1.0, 1, 2000)
    assert np.all(out >= 0)
    assert_allclose(out.sum(axis=1), 1.0, atol=1e-14)


def test_dirichlet_infinite_concentration_gives_nominal_weights():
    w = np.array([2.0, 0.0, 2.0])  # normalised to 0.5, 0, 0.5
    out = sc.perturb_weights_dirichlet(w, np.inf, 0, 5)
    assert_array_equal(out, np.tile([0.5, 0.0, 0.5], (5, 1)))


def test_dirichlet_zero_weight_stays_zero_and_mean_is_nominal():
    w = np.array([0.2, 0.0, 0.3, 0.5])
    out = sc.perturb_weights_dirichlet(w, 50.0, 3, 20000)
    assert np.all(out[:, 1] == 0.0)
    assert np.all(out >= 0)
    assert_allclose(out.sum(axis=1), 1.0, atol=1e-14)
    assert_allclose(out.mean(axis=0), w, atol=3e-3)
    # Var = w(1 − w)/(c + 1)
    assert_allclose(out.var(axis=0), w * (1 - w) / 51.0, rtol=0.06, atol=1e-12)


def test_dirichlet_single_positive_child_gets_weight_one():
    out = sc.perturb_weights_dirichlet(np.array([0.0, 3.0, 0.0]), 5.0, 0, 4)
    assert_array_equal(out, np.tile([0.0, 1.0, 0.0], (4, 1)))


@pytest.mark.parametrize("w", [np.array([0.5, -0.1, 0.6]), np.zeros(3), np.array([np.nan, 1.0]), np.ones((2, 2))])
def test_weight_samplers_reject_broken_weights(w):
    with pytest.raises(ValueError):
        sc.perturb_weights_uniform(w, 0.1, 0, 2)
    with pytest.raises(ValueError):
        sc.perturb_weights_dirichlet(w, 10.0, 0, 2)


def test_uniform_rejects_share_outside_unit_interval():
    with pytest.raises(ValueError):
        sc.perturb_weights_uniform(W, 1.5, 0, 2)


# --------------------------------------------------------------------------- judgments and choices


def _position(v):
    return np.where(v >= 1, 8 + (v - 1), 8 - (1 / v - 1))


def test_saaty_scale_has_17_values_in_order():
    assert sc.SAATY_SCALE.size == 17
    assert sc.SAATY_SCALE[0] == 1 / 9 and sc.SAATY_SCALE[8] == 1.0 and sc.SAATY_SCALE[16] == 9.0
    assert np.all(np.diff(sc.SAATY_SCALE) > 0)


def test_judgments_stay_on_scale_and_within_steps():
    v = sc.SAATY_SCALE.copy()
    out = sc.perturb_judgments(v, 4, 3000, steps=2)
    assert out.shape == (3000, 17)
    assert np.all(np.isin(out, sc.SAATY_SCALE))
    shift = np.abs(np.round(_position(out)) - np.arange(17))
    assert shift.max() == 2


def test_judgments_zero_steps_returns_input():
    v = np.array([1 / 7, 1.0, 4.0, 2.5])
    assert_array_equal(sc.perturb_judgments(v, 0, 10, steps=0), np.tile(v, (10, 1)))


def test_judgments_end_of_scale_truncated_not_clipped():
    out = sc.perturb_judgments(np.array([9.0, 1 / 9]), 1, 20000, steps=1)
    assert set(np.unique(out[:, 0])) == {8.0, 9.0}
    assert set(np.unique(out[:, 1])) == {1 / 9, 1 / 8}
    assert abs((out[:, 0] == 9.0).mean() - 0.5) < 0.02


def test_judgments_middle_moves_uniformly_over_three_values():
    out = sc.perturb_judgments(np.array([1.0, 3.0]), 2, 30000, steps=1)
    assert set(np.unique(out[:, 0])) == {0.5, 1.0, 2.0}
    for value in (2.0, 3.0, 4.0):
        assert abs((out[:, 1] == value).mean() - 1 / 3) < 0.015


def test_judgments_reciprocals_are_exact():
    out = sc.perturb_judgments(np.array([1 / 3]), 5, 500, steps=1)
    assert set(np.unique(out)) == {1 / 4, 1 / 3, 1 / 2}


def test_judgments_off_scale_value_moves_by_whole_positions():
    out = sc.perturb_judgments(np.array([2.5]), 0, 3000, steps=1)
    assert set(np.unique(out)) == {1.5, 2.5, 3.5}


@pytest.mark.parametrize("bad", [10.0, 0.1, 0.0, -2.0, np.nan])
def test_judgments_outside_scale_raise(bad):
    with pytest.raises(ValueError):
        sc.perturb_judgments(np.array([bad]), 0, 2)


def test_sample_choices_range_and_uniformity():
    out = sc.sample_choices([4, 2, 1], 8, 40000)
    assert out.shape == (40000, 3) and out.dtype == np.intp
    assert set(np.unique(out[:, 0])) == {0, 1, 2, 3}
    assert np.all(out[:, 2] == 0)
    assert_allclose(np.bincount(out[:, 0]) / 40000, 0.25, atol=0.01)


def test_index_from_uniform_floors_and_clips():
    u = np.array([[0.0, 0.2499, 0.25, 0.999999999, np.nextafter(1.0, 0)]]).T
    assert_array_equal(sc.index_from_uniform(u, [4])[:, 0], [0, 0, 1, 3, 3])
    assert_array_equal(sc.index_from_uniform(np.array([1.0]), [4]), [3])


# --------------------------------------------------------------------------- Saltelli design and Sobol' indices


def ishigami(x, a=7.0, b=0.1):
    """Ishigami & Homma (1990) on [−π, π]³."""
    return np.sin(x[..., 0]) + a * np.sin(x[..., 1]) ** 2 + b * x[..., 2] ** 4 * np.sin(x[..., 0])


def ishigami_indices(a=7.0, b=0.1):
    """Analytic first- and total-order indices (e.g. Saltelli et al. 2008, §4.7)."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * 8 / 225
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def _evaluate(f, A, B, AB, lo=-np.pi, hi=np.pi):
    x = sc.saltelli_rows(A, B, AB)
    return sc.saltelli_split(f(lo + (hi - lo) * x), A.shape[1])


def test_ishigami_analytic_values_match_the_published_numbers():
    s1, st = ishigami_indices()
    assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-5)
    assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_saltelli_matrices_shapes_and_radial_columns():
    A, B, AB = sc.saltelli_matrices(3, 64, 0)
    assert A.shape == B.shape == (64, 3) and AB.shape == (3, 64, 3)
    assert np.all((A >= 0) & (A < 1)) and np.all((B >= 0) & (B < 1))
    for i in range(3):
        other = [j for j in range(3) if j != i]
        assert_array_equal(AB[i][:, i], B[:, i])
        assert_array_equal(AB[i][:, other], A[:, other])
    A2, B2, AB2 = sc.saltelli_matrices(3, 64, 0)
    assert_array_equal(A, A2) and assert_array_equal(AB, AB2)


def test_saltelli_random_sequence_is_seeded():
    A, B, _ = sc.saltelli_matrices(2, 10, 5, sequence="random")
    A2, B2, _ = sc.saltelli_matrices(2, 10, 5, sequence="random")
    assert_array_equal(A, A2) and assert_array_equal(B, B2)
    with pytest.raises(ValueError):
        sc.saltelli_matrices(2, 10, 5, sequence="latin")


def test_saltelli_rows_split_round_trip():
    A, B, AB = sc.saltelli_matrices(4, 16, 1)
    x = sc.saltelli_rows(A, B, AB)
    assert x.shape == (16 * 6, 4)
    fA, fB, fAB = sc.saltelli_split(x[:, 0] + 10 * x[:, 1], 4)
    assert_array_equal(fA, A[:, 0] + 10 * A[:, 1])
    assert_array_equal(fB, B[:, 0] + 10 * B[:, 1])
    assert_array_equal(fAB[2], AB[2][:, 0] + 10 * AB[2][:, 1])


def test_sobol_ishigami_matches_analytic_indices():
    A, B, AB = sc.saltelli_matrices(3, 2**14, 2026)
    s1, st = sc.sobol_first_total(*_evaluate(ishigami, A, B, AB))
    s1_true, st_true = ishigami_indices()
    assert_allclose(s1, s1_true, atol=0.01)
    assert_allclose(st, st_true, atol=0.01)


def test_sobol_equals_scipy_sobol_indices_on_the_same_evaluations():
    n = 2**12
    A, B, AB = sc.saltelli_matrices(3, n, 7)
    fA, fB, fAB = _evaluate(ishigami, A, B, AB)
    s1, st = sc.sobol_first_total(fA, fB, fAB)
    res = stats.sobol_indices(func={"f_A": fA[None], "f_B": fB[None], "f_AB": fAB[:, None, :]}, n=n)
    assert_allclose(s1, res.first_order, rtol=1e-12, atol=1e-14)
    assert_allclose(st, res.total_order, rtol=1e-12, atol=1e-14)


def test_scipy_sobol_indices_on_ishigami_agrees_with_analytic_too():
    dist = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    kw = {"rng": np.random.default_rng(3)}
    try:
        res = stats.sobol_indices(func=lambda x: ishigami(x.T), n=2**13, dists=[dist] * 3, **kw)
    except TypeError:  # scipy < 1.15 names it random_state
        res = stats.sobol_indices(func=lambda x: ishigami(x.T), n=2**13, dists=[dist] * 3, random_state=3)
    s1_true, st_true = ishigami_indices()
    assert_allclose(res.first_order, s1_true, atol=0.02)
    assert_allclose(res.total_order, st_true, atol=0.02)


def test_sobol_additive_linear_function_hand_values():
    # f = x1 + 2·x2 with independent uniforms: V1 : V2 = 1 : 4, no interaction, x3 inert
    A, B, AB = sc.saltelli_matrices(3, 2**12, 0)
    s1, st = sc.sobol_first_total(*_evaluate(lambda x: x[:, 0] + 2 * x[:, 1], A, B, AB, 0.0, 1.0))
    assert_allclose(s1, [0.2, 0.8, 0.0], atol=0.01)
    assert_allclose(st, [0.2, 0.8, 0.0], atol=0.01)
    assert st[2] == 0.0  # x3 never changes f: (f(A) − f(A_B)) is exactly 0


def test_sobol_constant_output_gives_zero_indices():
    s1, st = sc.sobol_first_total(np.ones(8), np.ones(8), np.ones((2, 8)))
    assert_array_equal(s1, [0.0, 0.0]) and assert_array_equal(st, [0.0, 0.0])


def test_sobol_discrete_factor_via_floor_mapping():
    # f = option value of a 3-option factor (0, 1, 5) + a small continuous term
    values = np.array([0.0, 1.0, 5.0])

    def f(x):
        return values[sc.index_from_uniform(x[:, 0], 3)] + 0.1 * x[:, 1]

    A, B, AB = sc.saltelli_matrices(2, 2**12, 4)
    s1, st = sc.sobol_first_total(*_evaluate(f, A, B, AB, 0.0, 1.0))
    v1, v2 = np.var(values), 0.01 / 12
    assert_allclose(s1, [v1 / (v1 + v2), v2 / (v1 + v2)], atol=0.01)
    assert_allclose(st, s1, atol=0.01)


def test_sobol_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        sc.sobol_first_total(np.ones(4), np.ones(5), np.ones((2, 4)))
    with pytest.raises(ValueError):
        sc.sobol_first_total(np.ones(4), np.ones(4), np.ones((2, 3)))


def test_bootstrap_ci_brackets_estimate_and_truth_and_is_seeded():
    A, B, AB = sc.saltelli_matrices(3, 2**12, 8)
    fA, fB, fAB = _evaluate(ishigami, A, B, AB)
    s1, st = sc.sobol_first_total(fA, fB, fAB)
    s1_ci, st_ci = sc.bootstrap_ci(fA, fB, fAB, 300, 1)
    assert s1_ci.shape == st_ci.shape == (2, 3)
    assert np.all(s1_ci[0] <= s1) and np.all(s1 <= s1_ci[1])
    assert np.all(st_ci[0] <= st) and np.all(st <= st_ci[1])
    s1_true, st_true = ishigami_indices()
    assert np.all(s1_ci[0] - 0.01 <= s1_true) and np.all(s1_true <= s1_ci[1] + 0.01)
    assert np.all(st_ci[0] - 0.01 <= st_true) and np.all(st_true <= st_ci[1] + 0.01)
    again = sc.bootstrap_ci(fA, fB, fAB, 300, 1)
    assert_array_equal(s1_ci, again[0]) and assert_array_equal(st_ci, again[1])
    narrow = sc.bootstrap_ci(fA, fB, fAB, 300, 1, level=0.5)
    assert np.all(narrow[0][1] - narrow[0][0] <= s1_ci[1] - s1_ci[0])


# --------------------------------------------------------------------------- ranks


def test_ranks_min_ties_share_best_rank():
    assert_array_equal(sc.ranks_min(np.array([9.0, 7.0, 7.0, 3.0])), [1, 2, 2, 4])


def test_ranks_min_nan_gets_nan_and_does_not_count():
    assert_array_equal(sc.ranks_min(np.array([np.nan, 5.0, 8.0, 5.0])), [np.nan, 2, 1, 2])
    assert np.all(np.isnan(sc.ranks_min(np.array([np.nan, np.nan]))))


def test_ranks_min_vectorised_over_draws_and_axis_choice():
    s = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 1.0]])
    assert_array_equal(sc.ranks_min(s), [[3, 2, 1], [1, 1, 3]])
    assert_array_equal(sc.ranks_min(s.T, axis=0), [[3, 1], [2, 1], [1, 3]])


def test_ranks_min_matches_scipy_rankdata_min():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 6, size=(50, 30)).astype(float)
    s[rng.random(s.shape) < 0.1] = np.nan
    expected = stats.rankdata(-s, method="min", axis=1, nan_policy="omit")
    assert_array_equal(sc.ranks_min(s), expected)


def test_ranks_min_does_not_modify_input():
    s = np.array([[2.0, np.nan, 1.0]])
    before = s.copy()
    sc.ranks_min(s)
    assert_array_equal(s, before)


def test_rank_summary_hand_worked():
    # 4 draws × 3 units; top = 1, bottom = 1
    r = np.array([[1.0, 2, 3], [2, 1, 3], [1, 3, 2], [1, 2, 3]])
    out = sc.rank_summary(r, np.array([1.0, 2, 3]), top=1, bottom=1)
    assert set(out) == {"nominal_rank", "median_rank", "rank_p05", "rank_p95", "p_top1", "p_bottom1"}
    assert_array_equal(out["median_rank"], [1.0, 2.0, 3.0])
    # unit 0 ranks sorted 1,1,1,2: h = 3·0.95 = 2.85 → 1 + 0.85·(2 − 1)
    assert_allclose(out["rank_p95"], [1.85, 2.85, 3.0], rtol=1e-15)
    assert_allclose(out["rank_p05"], [1.0, 1.15, 2.15], rtol=1e-15)
    assert_array_equal(out["p_top1"], [0.75, 0.25, 0.0])
    assert_array_equal(out["p_bottom1"], [0.0, 0.25, 0.75])


def test_rank_summary_default_keys_are_spec_columns():
    out = sc.rank_summary(np.array([[1.0, 2.0]]), np.array([1.0, 2.0]))
    assert list(out) == ["nominal_rank", "median_rank", "rank_p05", "rank_p95", "p_top5", "p_bottom5"]


def test_rank_summary_nan_draws_left_out_per_unit():
    r = np.array([[1.0, 2.0, np.nan], [2.0, 1.0, np.nan], [np.nan, 1.0, np.nan]])
    out = sc.rank_summary(r, np.array([1.0, 2.0, np.nan]), top=1, bottom=1)
    assert_array_equal(out["median_rank"][:2], [1.5, 1.0])
    assert np.isnan(out["median_rank"][2]) and np.isnan(out["p_top1"][2])
    assert_array_equal(out["p_top1"][:2], [0.5, 2 / 3])
    # draw 3 ranks only unit 1, which is then also the bottom one
    assert_array_equal(out["p_bottom1"][:2], [0.5, 2 / 3])


def _random_ranks(rng, n_draws, n_units, nan_share=0.05):
    s = rng.integers(0, 8, size=(n_draws, n_units)).astype(float)
    s[rng.random(s.shape) < nan_share] = np.nan
    return sc.ranks_min(s)


@pytest.mark.parametrize("chunk", [1, 13, 250, 10000])
def test_accumulator_equals_in_memory_summary(chunk):
    rng = np.random.default_rng(1)
    r = _random_ranks(rng, 997, 41)
    nominal = sc.ranks_min(rng.normal(size=41))
    acc = sc.RankAccumulator(41, 41)
    for start in range(0, r.shape[0], chunk):
        acc.update(r[start : start + chunk])
    got, expected = acc.summary(nominal), sc.rank_summary(r, nominal)
    assert list(got) == list(expected)
    for key in expected:
        assert_array_equal(got[key], expected[key], err_msg=key)
    assert acc.n_draws == 997 and acc.counts.sum() == np.sum(~np.isnan(r))


def test_accumulator_quantiles_equal_numpy_for_many_levels():
    rng = np.random.default_rng(2)
    r = _random_ranks(rng, 333, 25, nan_share=0.0)
    acc = sc.RankAccumulator(25).update(r)
    q = np.linspace(0, 1, 41)
    assert_array_equal(acc.quantile(q), np.quantile(r, q, axis=0, method="linear"))
    assert_array_equal(acc.quantile(0.5), np.median(r, axis=0))


def test_accumulator_merge_is_order_free():
    rng = np.random.default_rng(3)
    r = _random_ranks(rng, 300, 12)
    parts = [r[:50], r[50:170], r[170:]]
    one = sc.RankAccumulator(12).update(r)
    merged = sc.RankAccumulator(12)
    for p in reversed(parts):
        merged.merge(sc.RankAccumulator(12).update(p))
    assert_array_equal(one.counts, merged.counts)
    nominal = np.arange(1.0, 13.0)
    for key, value in one.summary(nominal).items():
        assert_array_equal(value, merged.summary(nominal)[key])


def test_accumulator_rejects_bad_ranks_and_mismatched_merge():
    acc = sc.RankAccumulator(3)
    with pytest.raises(ValueError):
        acc.update(np.array([[1.0, 2.0, 4.0]]))
    with pytest.raises(ValueError):
        acc.update(np.array([[1.0, 1.5, 2.0]]))
    with pytest.raises(ValueError):
        acc.update(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError):
        acc.merge(sc.RankAccumulator(3, top=2))


def test_accumulator_unit_never_ranked_gives_nan():
    acc = sc.RankAccumulator(2).update(np.array([[1.0, np.nan], [1.0, np.nan]]))
    out = acc.summary(np.array([1.0, np.nan]))
    assert out["median_rank"][0] == 1.0 and np.isnan(out["median_rank"][1]) and np.isnan(out["p_top5"][1])


def test_mean_abs_rank_shift_hand_worked():
    r = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, np.nan, 1.0]])
    out = sc.mean_abs_rank_shift(r, np.array([1.0, 2.0, 3.0]))
    assert_allclose(out, [0.0, 4 / 3, 1.5], rtol=1e-15)
    assert np.isnan(sc.mean_abs_rank_shift(np.array([[np.nan, 1.0]]), np.array([1.0, np.nan]))[0])


# --------------------------------------------------------------------------- correlations


def test_spearman_kendall_drop_nan_pairs():
    a = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 3.0])
    b = np.array([2.0, 1.0, 7.0, np.nan, 5.0, 4.0])
    keep = [0, 1, 4, 5]
    assert sc.spearman(a, b) == pytest.approx(stats.spearmanr(a[keep], b[keep]).statistic, abs=1e-15)
    assert sc.kendall(a, b) == pytest.approx(stats.kendalltau(a[keep], b[keep]).statistic, abs=1e-15)
    # hand: ranks (1,2,4,3) vs (2,1,4,3): d² = 1+1+0+0 → ρ = 1 − 6·2/(4·15) = 0.8; τ = (5 − 1)/6
    assert sc.spearman(a, b) == pytest.approx(0.8, abs=1e-15)
    assert sc.kendall(a, b) == pytest.approx(4 / 6, abs=1e-15)


def test_correlations_perfect_reversed_and_degenerate():
    x = np.arange(6.0)
    assert sc.spearman(x, x) == pytest.approx(1.0) and sc.kendall(x, -x) == pytest.approx(-1.0)
    assert np.isnan(sc.spearman(x, np.ones(6))) and np.isnan(sc.kendall(x, np.ones(6)))
    assert np.isnan(sc.spearman([1.0, np.nan], [np.nan, 2.0])) and np.isnan(sc.kendall([1.0], [2.0]))
