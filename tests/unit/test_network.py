"""Network measures (evalkit/analysis/network.py) against networkx, scipy and numbers worked by hand."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from evalkit.analysis.network import (UNIT_MEASURES, betweenness, clustering, components, core_periphery,
                                      network_measures, pagerank)


def _graph(w: np.ndarray, directed: bool):
    g = nx.from_numpy_array(w, create_using=nx.DiGraph if directed else nx.Graph)
    for _, _, d in g.edges(data=True):
        d["dist"] = 1.0 / d["weight"]
    return g


def _random(seed: int, n: int, directed: bool, p: float = 0.3) -> np.ndarray:
    """Integer weights, some units isolated, several components."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 9, (n, n)).astype(float) * (rng.random((n, n)) < p)
    np.fill_diagonal(w, 0.0)
    if not directed:
        w = np.triu(w, 1)
        w = w + w.T
    iso = rng.choice(n, 2, replace=False)
    w[iso, :] = 0.0
    w[:, iso] = 0.0
    # cut the rest into two blocks: at least two components besides the isolates
    half = n // 2
    w[:half, half:] = 0.0
    w[half:, :half] = 0.0
    return w


CASES = [(seed, directed) for seed in (1, 2, 3) for directed in (True, False)]


@pytest.mark.parametrize("seed,directed", CASES)
def test_unit_measures_match_networkx(seed, directed):
    n = 12
    ws = np.stack([_random(seed * 10 + k, n, directed) for k in range(3)])  # three years at once
    groups = np.arange(n) % 3
    m = network_measures(ws, directed=directed, groups=groups)
    for t in range(3):
        w = ws[t]
        g = _graph(w, directed)
        nodes = range(n)
        bt = nx.betweenness_centrality(g, weight="dist", normalized=True)
        pr = nx.pagerank(g, weight="weight", alpha=0.85, tol=1e-14, max_iter=100_000)
        cl = nx.clustering(g, weight="weight")
        np.testing.assert_allclose(m.unit["betweenness"][:, t], [bt[i] for i in nodes], atol=1e-12)
        np.testing.assert_allclose(m.unit["pagerank"][:, t], [pr[i] for i in nodes], atol=1e-10)
        np.testing.assert_allclose(m.unit["clustering"][:, t], [cl[i] for i in nodes], atol=1e-12)
        if directed:
            np.testing.assert_allclose(m.unit["strength_out"][:, t], [g.out_degree(i, weight="weight") for i in nodes])
            np.testing.assert_allclose(m.unit["strength_in"][:, t], [g.in_degree(i, weight="weight") for i in nodes])
            np.testing.assert_allclose(m.unit["degree"][:, t], [len(set(g.successors(i)) | set(g.predecessors(i)))
                                                                  for i in nodes])
            n_comp = nx.number_weakly_connected_components(g)
        else:
            np.testing.assert_allclose(m.unit["strength"][:, t], [g.degree(i, weight="weight") for i in nodes])
            np.testing.assert_allclose(m.unit["degree"][:, t], [g.degree(i) for i in nodes])
            n_comp = nx.number_connected_components(g)
        assert m.graph["components"][t] == n_comp >= 4  # two blocks and two isolates at least
        assert m.graph["isolates"][t] == len(list(nx.isolates(g)))
        assert m.graph["density"][t] == pytest.approx(nx.density(g))
        assert m.graph["ties"][t] == g.number_of_edges()
        assert m.graph["weight"][t] == pytest.approx(g.size(weight="weight"))
        assert m.graph["clustering"][t] == pytest.approx(nx.average_clustering(g, weight="weight"))
        cross = sum(d["weight"] for u, v, d in g.edges(data=True) if groups[u] != groups[v])
        assert m.graph["cross_share"][t] == pytest.approx(cross / g.size(weight="weight"))
        deg = dict(g.to_undirected().degree()) if directed else dict(g.degree())
        kmax = max(deg.values())
        assert m.graph["centralization"][t] == pytest.approx(sum(kmax - k for k in deg.values()) / ((n - 1) * (n - 2)))


def test_betweenness_counts_tied_shortest_paths_like_networkx():
    # weights in powers of two make equal-length alternative paths exact in floating point
    w = np.zeros((6, 6))
    for a, b, x in [(0, 1, 2), (0, 2, 2), (1, 3, 2), (2, 3, 2), (3, 4, 1), (1, 2, 4), (4, 5, 4)]:
        w[a, b] = w[b, a] = x
    got = betweenness(w[None])[0]
    want = nx.betweenness_centrality(_graph(w, False), weight="dist", normalized=True)
    np.testing.assert_allclose(got, [want[i] for i in range(6)], atol=1e-12)
    assert got[1] == pytest.approx(got[2]) and got[1] > 0  # the two tied routes share the load


def test_a_tiny_case_worked_by_hand():
    # path a - b - c with weights 1 and 2, d isolated; undirected; groups {a, b} and {c, d}
    w = np.zeros((1, 4, 4))
    w[0, 0, 1] = w[0, 1, 0] = 1.0
    w[0, 1, 2] = w[0, 2, 1] = 2.0
    m = network_measures(w, directed=False, groups=np.array([0, 0, 1, 1]))
    np.testing.assert_array_equal(m.unit["strength"][:, 0], [1, 3, 2, 0])
    np.testing.assert_array_equal(m.unit["cross_strength"][:, 0], [0, 2, 2, 0])
    # b lies on the only a-c path (both directions): 2 ordered pairs / ((n-1)(n-2) = 6)
    np.testing.assert_allclose(m.unit["betweenness"][:, 0], [0, 2 / 6, 0, 0])
    assert m.graph["density"][0] == pytest.approx(2 / 6)  # 2 of 6 pairs
    assert m.graph["components"][0] == 2 and m.graph["isolates"][0] == 1
    assert m.graph["cross_share"][0] == pytest.approx(2 / 3)
    assert m.graph["clustering"][0] == 0.0  # no triangle
    # Freeman: degrees 1, 2, 1, 0, max 2 -> (1 + 0 + 1 + 2) / (3 * 2)
    assert m.graph["centralization"][0] == pytest.approx(4 / 6)
    # PageRank by hand: d is dangling (rank spread evenly); solve x = 0.85 P^T x + 0.15/4 with P's rows
    # a: [0,1,0,0], b: [1/3,0,2/3,0], c: [0,1,0,0], d: [1/4]*4
    P = np.array([[0, 1, 0, 0], [1 / 3, 0, 2 / 3, 0], [0, 1, 0, 0], [0.25] * 4])
    x = np.linalg.solve(np.eye(4) - 0.85 * P.T, np.full(4, 0.15 / 4))
    np.testing.assert_allclose(m.unit["pagerank"][:, 0], x)
    assert x.sum() == pytest.approx(1.0)


def test_triangle_clustering_by_hand():
    # triangle with weights 1, 1, 8: Onnela c = (ŵ_ab ŵ_bc ŵ_ca)^(1/3) with ŵ = w / 8 -> (1/64)^(1/3) = 1/4
    w = np.zeros((1, 3, 3))
    for a, b, x in [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 8.0)]:
        w[0, a, b] = w[0, b, a] = x
    np.testing.assert_allclose(clustering(w, directed=False)[0], [0.25, 0.25, 0.25])


def _be_loss_minimum(a: np.ndarray) -> np.ndarray:
    """The Borgatti–Everett continuous loss minimised independently: scipy's bounded quasi-Newton."""
    n = len(a)
    off = ~np.eye(n, dtype=bool)
    scaled = a / a.max()

    def loss(c):
        return (((scaled - np.outer(c, c)) ** 2)[off]).sum()

    best = minimize(loss, np.full(n, 0.5), method="L-BFGS-B", bounds=[(0, 1)] * n,
                    options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    return best.x


def test_core_periphery_minimises_the_borgatti_everett_loss():
    rng = np.random.default_rng(7)
    n = 8
    c_true = np.array([1.0, 0.9, 0.8, 0.3, 0.2, 0.2, 0.1, 0.0])
    a = np.outer(c_true, c_true) + 0.05 * rng.random((n, n))
    a = (a + a.T) / 2
    np.fill_diagonal(a, 0.0)
    a[7, :] = a[:, 7] = 0.0  # an isolated unit
    core, fit = core_periphery(a[None])
    ref = _be_loss_minimum(a)
    np.testing.assert_allclose(core[0], ref, atol=1e-5)
    iu = np.triu_indices(n, 1)
    want_fit = np.corrcoef((a / a.max())[iu], np.outer(ref, ref)[iu])[0, 1]
    assert fit[0] == pytest.approx(want_fit, abs=1e-6)
    assert core[0].argmax() == 0 and core[0, 7] == 0.0


def test_core_periphery_of_a_star_stays_bounded():
    # centre 0 tied to 1 (weight 5) and 2 (weight 2), 3 isolated: without the bound c <= 1 the loss has
    # no minimum (the centre's coreness grows without end); with it, the minimum of the bounded problem
    w = np.zeros((1, 4, 4))
    w[0, 0, 1] = w[0, 1, 0] = 5.0
    w[0, 0, 2] = w[0, 2, 0] = 2.0
    core, _ = core_periphery(w)
    np.testing.assert_allclose(core[0], _be_loss_minimum(w[0]), atol=1e-5)
    assert core[0, 0] == 1.0 and core[0, 3] == 0.0


def test_unobserved_years_are_missing_and_untied_units_zero():
    w = np.zeros((2, 3, 3))
    w[1, 0, 1] = 5.0
    m = network_measures(w, directed=True, observed=np.array([False, True]))
    for name in UNIT_MEASURES:
        assert np.isnan(m.unit[name][:, 0]).all(), name
        assert np.isfinite(m.unit[name][:, 1]).all(), name
    np.testing.assert_array_equal(m.unit["strength"][:, 1], [5, 5, 0])
    assert m.unit["core"][2, 1] == 0.0 and m.unit["betweenness"][2, 1] == 0.0
    assert np.isnan(m.graph["density"][0])


def test_components_by_reachability():
    a = np.zeros((1, 5, 5), bool)
    a[0, 0, 1] = a[0, 1, 0] = a[0, 2, 3] = a[0, 3, 2] = True
    assert components(a)[0] == 3


def test_a_year_without_ties():
    m = network_measures(np.zeros((1, 4, 4)), directed=True)
    np.testing.assert_allclose(m.unit["pagerank"][:, 0], 0.25)
    assert m.graph["components"][0] == 4 and np.isnan(m.graph["cross_share"][0])
    assert (m.unit["core"][:, 0] == 0).all()


@pytest.mark.parametrize("w,directed", [
    (np.array([[[0, -1], [0, 0]]]), True),
    (np.array([[[1, 0], [0, 0]]]), True),
    (np.array([[[0, 1], [0, 0]]]), False),
    (np.zeros((2, 3)), True),
])
def test_broken_input_is_a_bug(w, directed):
    with pytest.raises(ValueError):
        network_measures(np.asarray(w, float), directed=directed)


@st.composite
def _weights(draw):
    n = draw(st.integers(2, 7))
    directed = draw(st.booleans())
    cells = draw(st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.5]), min_size=n * n, max_size=n * n))
    w = np.array(cells).reshape(n, n)
    np.fill_diagonal(w, 0.0)
    if not directed:
        w = np.triu(w, 1)
        w = w + w.T
    return w, directed, draw(st.permutations(list(range(n))))


@settings(max_examples=40, deadline=None)
@given(_weights())
def test_measures_are_bounded_and_follow_a_relabelling(case):
    w, directed, perm = case
    perm = np.array(perm)
    m = network_measures(w[None], directed=directed)
    assert m.unit["pagerank"][:, 0].sum() == pytest.approx(1.0)
    for name in ("betweenness", "clustering", "core"):
        v = m.unit[name][:, 0]
        assert ((v >= -1e-12) & (v <= 1 + 1e-9)).all(), name
    p = network_measures(w[np.ix_(perm, perm)][None], directed=directed)
    for name in ("strength", "betweenness", "pagerank", "clustering", "degree"):
        np.testing.assert_allclose(p.unit[name][:, 0], m.unit[name][perm, 0], atol=1e-9, err_msg=name)
    assert p.graph["components"][0] == m.graph["components"][0]
