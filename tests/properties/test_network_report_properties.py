"""Invariants of the network parts of the pages (hypothesis): ranks, partners, the ties a map draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from scipy.stats import rankdata

from evalkit.report.context.network import competition_rank, pair_weights, top_partners
from evalkit.report.region_network import shown_ties

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def arcs(draw, max_n=9):
    """A directed weight matrix (n, n) of small whole numbers, zero diagonal."""
    n = draw(st.integers(2, max_n))
    w = draw(arrays(np.float64, (n, n), elements=st.integers(0, 6).map(float)))
    np.fill_diagonal(w, 0.0)
    return w


@SETTINGS
@given(arrays(np.float64, st.integers(1, 30), elements=st.integers(-5, 5).map(float)))
def test_competition_rank_is_the_min_rank_of_the_negated_values(v):
    assert_allclose(competition_rank(v), rankdata(-v, method="min"))


@SETTINGS
@given(arcs())
def test_all_partners_make_up_the_strength_and_come_strongest_first(w):
    n = w.shape[0]
    units = [f"u{i}" for i in range(n)]
    i, j = np.nonzero(w)
    ties = pd.DataFrame({"relation": "r", "year": 2024, "from": np.array(units)[i], "to": np.array(units)[j],
                         "value": w[i, j]})
    s = pair_weights(ties, units, "r", [2024])[0]
    assert_allclose(s, s.T)
    assert_allclose(s.sum(axis=1), w.sum(axis=0) + w.sum(axis=1))  # strength = in + out
    for u in range(n):
        p = top_partners(s, u, n)
        assert sum(x for _, x in p) == s[u].sum()
        assert [x for _, x in p] == sorted((x for _, x in p), reverse=True)
        assert len(top_partners(s, u)) == min(5, int((s[u] > 0).sum()))


@SETTINGS
@given(arcs(), st.integers(1, 40))
def test_a_map_draws_the_strongest_pairs_and_their_share(w, k):
    s = w + w.T
    drawn, m, share = shown_ties(s, k)
    assert len(drawn) == min(k, m) and all(i < j for i, j, _ in drawn)
    iu = np.triu_indices(s.shape[0], 1)
    vals = np.sort(s[iu][s[iu] > 0])[::-1]
    assert m == vals.size
    assert_allclose(sorted((x for _, _, x in drawn), reverse=True), vals[:k])
    if m:
        assert 0 < share <= 1 + 1e-12
        if len(drawn) == m:
            assert_allclose(share, 1.0)
