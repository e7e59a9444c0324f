"""Hypothesis invariants of evalkit.analysis.sensitivity_core."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from evalkit.analysis import sensitivity_core as sc

SETTINGS = settings(max_examples=60, deadline=None)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
weights = arrays(
    np.float64,
    st.integers(1, 12),
    elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e3, allow_nan=False)),
).filter(lambda w: w.sum() > 0)


@SETTINGS
@given(w=weights, share=st.floats(0.0, 1.0), seed=seeds, size=st.integers(1, 50))
def test_uniform_draws_are_weights(w, share, seed, size):
    out = sc.perturb_weights_uniform(w, share, seed, size)
    assert out.shape == (size, w.size)
    assert np.all(out >= 0)
    assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(out[:, w == 0] == 0)


@SETTINGS
@given(w=weights, c=st.floats(0.5, 1e4), seed=seeds, size=st.integers(1, 50))
def test_dirichlet_draws_are_weights(w, c, seed, size):
    out = sc.perturb_weights_dirichlet(w, c, seed, size)
    assert out.shape == (size, w.size)
    assert np.all(out >= 0)
    assert_allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(out[:, w == 0] == 0)


@SETTINGS
@given(
    pos=st.lists(st.integers(0, 16), min_size=1, max_size=10),
    steps=st.integers(0, 5),
    seed=seeds,
    size=st.integers(1, 40),
)
def test_judgments_stay_on_scale_within_steps(pos, steps, seed, size):
    v = sc.SAATY_SCALE[pos]
    out = sc.perturb_judgments(v, seed, size, steps=steps)
    assert np.all(np.isin(out, sc.SAATY_SCALE))
    new_pos = np.searchsorted(sc.SAATY_SCALE, out)
    assert np.all(np.abs(new_pos - np.array(pos)) <= steps)


@SETTINGS
@given(
    sampler=st.sampled_from(["uniform", "dirichlet", "judgments", "choices"]),
    seed=seeds,
    cuts=st.lists(st.integers(0, 900), min_size=1, max_size=5),
)
def test_draw_range_independent_of_chunk_boundaries(sampler, seed, cuts):
    fn, args = {
        "uniform": (sc.perturb_weights_uniform, (np.array([0.2, 0.3, 0.5]), 0.3)),
        "dirichlet": (sc.perturb_weights_dirichlet, (np.array([0.2, 0.3, 0.5]), 20.0)),
        "judgments": (sc.perturb_judgments, (np.array([1 / 3, 5.0]),)),
        "choices": (sc.sample_choices, ([3, 2],)),
    }[sampler]
    stop = 900
    full = sc.draw_range(fn, *args, seed=seed, start=0, stop=stop, stream=2)
    edges = [0, *sorted(cuts), stop]
    parts = [sc.draw_range(fn, *args, seed=seed, start=a, stop=b, stream=2) for a, b in zip(edges, edges[1:])]
    assert_array_equal(np.concatenate(parts), full)


score_matrices = arrays(
    np.float64,
    st.tuples(st.integers(1, 8), st.integers(1, 15)),
    elements=st.one_of(st.sampled_from([0.0, 1.0, 2.5, np.nan]), st.floats(-1e6, 1e6, allow_nan=False)),
)


@SETTINGS
@given(s=score_matrices)
def test_ranks_min_matches_scipy_rankdata(s):
    assert_array_equal(sc.ranks_min(s), stats.rankdata(-s, method="min", axis=1, nan_policy="omit"))


@SETTINGS
@given(s=score_matrices, data=st.data())
def test_ranks_min_permuting_units_permutes_ranks(s, data):
    perm = np.array(data.draw(st.permutations(range(s.shape[1]))))
    assert_array_equal(sc.ranks_min(s[:, perm]), sc.ranks_min(s)[:, perm])


@SETTINGS
@given(
    ints=arrays(np.int64, st.tuples(st.integers(1, 60), st.integers(1, 9)), elements=st.integers(-1, 4)),
    cuts=st.lists(st.integers(0, 60), max_size=4),
    top=st.integers(1, 4),
    bottom=st.integers(1, 4),
)
def test_accumulator_equals_in_memory(ints, cuts, top, bottom):
    s = np.where(ints < 0, np.nan, ints.astype(float))  # −1 = missing
    r = sc.ranks_min(s)
    n_units = r.shape[1]
    nominal = np.arange(1.0, n_units + 1)
    acc = sc.RankAccumulator(n_units, top=top, bottom=bottom)
    edges = [0, *sorted(c for c in cuts if c < r.shape[0]), r.shape[0]]
    for a, b in zip(edges, edges[1:]):
        acc.update(r[a:b])
    got, expected = acc.summary(nominal), sc.rank_summary(r, nominal, top=top, bottom=bottom)
    for key in expected:
        assert_array_equal(got[key], expected[key], err_msg=key)


@SETTINGS
@given(s=score_matrices)
def test_mean_abs_rank_shift_zero_when_draws_equal_nominal(s):
    r = sc.ranks_min(s)
    shift = sc.mean_abs_rank_shift(r, r[0])
    assert shift[0] == 0.0 or np.isnan(shift[0])
    assert np.all((shift >= 0) | np.isnan(shift))


@SETTINGS
@given(
    f=arrays(np.float64, st.tuples(st.integers(2, 3), st.sampled_from([2, 4, 16, 64])), elements=st.floats(-100, 100)),
    seed=seeds,
)
def test_sobol_estimators_match_scipy(f, seed):
    d, n = f.shape  # scipy wants n a power of 2 even for given evaluations
    rng = np.random.default_rng(seed)
    fA, fB = rng.normal(size=n), rng.normal(size=n)
    s1, st_ = sc.sobol_first_total(fA, fB, f)
    res = stats.sobol_indices(func={"f_A": fA[None], "f_B": fB[None], "f_AB": f[:, None, :]}, n=n)
    assert_allclose(s1, res.first_order, rtol=1e-10, atol=1e-12)
    assert_allclose(st_, res.total_order, rtol=1e-10, atol=1e-12)
