"""The DEA pre-filters change no θ: dominated units and non-frontier units need no λ column.

Every fast path of evalkit.analysis.efficiency.dea (filtered LPs, the frontier-first
two-step LPs, vertex enumeration with primal certificates, θ-only vertex enumeration)
is compared with the plain envelopment LP over all K columns (``prefilter=False``),
to 1e-9, on random data with ties and duplicate units, for CCR and BCC.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evalkit.analysis import efficiency as eff
from evalkit.analysis.efficiency import dea, nondominated

TOL = 1e-9

from _dea_data import HOSPITAL_CCR, HOSPITAL_X, HOSPITAL_Y  # noqa: E402  (Cooper, Seiford & Tone 2007)


def _data(seed: int, kind: str, K: int, m: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        return rng.uniform(1, 101, (K, m)), rng.uniform(1, 101, (K, s))
    if kind == "ties":  # few distinct values: shared frontier points, many alternative optima
        vals = np.array([1.0, 2.0, 3.5, 5.0, 8.0, 13.0, 21.0])
        return rng.choice(vals, (K, m)), rng.choice(vals, (K, s))
    # correlated like stage scores, rounded, with three identical units
    base = rng.uniform(1, 50, K)
    X = (base[:, None] * rng.uniform(0.8, 1.2, (K, m))).round(1)
    Y = (base[:, None] * rng.uniform(0.8, 1.2, (K, s))).round(1)
    X[1] = X[2] = X[0]
    Y[1] = Y[2] = Y[0]
    return X, Y


CASES = [(seed, kind, K, m, s)
         for seed, (kind, K, m, s) in enumerate([
             ("uniform", 12, 1, 2), ("uniform", 40, 2, 2), ("uniform", 30, 1, 3), ("uniform", 25, 2, 1),
             ("ties", 15, 1, 2), ("ties", 30, 2, 2), ("ties", 20, 1, 1), ("ties", 35, 2, 3),
             ("dups", 10, 1, 2), ("dups", 30, 2, 2), ("dups", 24, 1, 3)])]


def _assert_optimal_lambda(r, X: np.ndarray, Y: np.ndarray) -> None:
    """Each inefficient unit's λ is feasible at its θ (so optimal) and its peers are λ's support."""
    L = r.lambdas.toarray()
    for o in range(X.shape[0]):
        if r.efficient[o]:
            assert r.peers[o] == (o,)
            continue
        assert np.all(X.T @ L[o] <= r.theta[o] * X[o] * (1 + 1e-8))
        assert np.all(Y.T @ L[o] >= Y[o] * (1 - 1e-8))
        if r.model == "bcc":
            assert abs(L[o].sum() - 1.0) < 1e-8
        assert r.peers[o] == tuple(np.flatnonzero(L[o] > eff.PEER_TOL))
        assert all(r.efficient[j] for j in r.peers[o])  # only frontier units carry λ


@pytest.mark.parametrize("model", ["ccr", "bcc"])
@pytest.mark.parametrize("seed,kind,K,m,s", CASES)
def test_filtered_paths_give_the_unfiltered_theta(model, seed, kind, K, m, s):
    X, Y = _data(seed, kind, K, m, s)
    full = dea(X, Y, model=model, method="lp", prefilter=False)
    for r in (dea(X, Y, model=model, method="lp"), dea(X, Y, model=model),
              dea(X, Y, model=model, peers=False), dea(X, Y, model=model, method="lp", peers=False)):
        assert_allclose(r.theta, full.theta, atol=TOL, rtol=0)
        assert r.efficient.tolist() == full.efficient.tolist()
    _assert_optimal_lambda(dea(X, Y, model=model, method="lp"), X, Y)
    if not (m == 1 and s == 1):  # the closed forms return no λ
        _assert_optimal_lambda(dea(X, Y, model=model), X, Y)


@pytest.mark.parametrize("model", ["ccr", "bcc"])
@pytest.mark.parametrize("seed,kind,K,m,s", CASES[::2])
def test_two_step_frontier_path_and_fallbacks_give_the_same_theta(monkeypatch, model, seed, kind, K, m, s):
    X, Y = _data(seed, kind, K, m, s)
    full = dea(X, Y, model=model, method="lp", prefilter=False)
    monkeypatch.setattr(eff, "_ONE_PASS", 0)        # non-dominated units first, the rest against the frontier
    monkeypatch.setattr(eff, "_SMALL_SUBSETS", 0)   # vertex enumeration on the frontier only
    for r in (dea(X, Y, model=model, method="lp"), dea(X, Y, model=model), dea(X, Y, model=model, peers=False)):
        assert_allclose(r.theta, full.theta, atol=TOL, rtol=0)
    _assert_optimal_lambda(dea(X, Y, model=model, method="lp"), X, Y)
    monkeypatch.setattr(eff, "_MAX_SUBSETS", 0)     # enumeration refused: the LPs take over
    r = dea(X, Y, model=model)
    assert_allclose(r.theta, full.theta, atol=TOL, rtol=0)
    if not (m == 1 and s == 1):  # the closed forms return no λ
        _assert_optimal_lambda(r, X, Y)


def test_hospital_textbook_example_through_every_path():
    for kw in ({}, {"method": "lp"}, {"method": "lp", "prefilter": False}, {"peers": False}):
        r = dea(HOSPITAL_X, HOSPITAL_Y, model="ccr", **kw)
        assert_allclose(r.theta, HOSPITAL_CCR, atol=5e-4 + 1e-9)
        assert r.efficient.tolist() == [t == 1 for t in HOSPITAL_CCR]
    full = dea(HOSPITAL_X, HOSPITAL_Y, model="bcc", method="lp", prefilter=False)
    assert_allclose(dea(HOSPITAL_X, HOSPITAL_Y, model="bcc").theta, full.theta, atol=TOL, rtol=0)


def test_nondominated_hand_worked_with_duplicates():
    # inputs x, outputs y; larger y and smaller x are better
    X = np.array([[2.0], [2.0], [3.0], [4.0], [2.0], [5.0]])
    Y = np.array([[4.0, 1.0], [4.0, 1.0], [4.0, 2.0], [3.0, 2.0], [3.0, 1.0], [4.0, 3.0]])
    # 1 = copy of 0 (dropped); 3 is dominated by 2; 4 by 0; 5 has the most of output 2
    assert nondominated(X, Y).tolist() == [0, 2, 5]


@pytest.mark.parametrize("seed", range(4))
def test_nondominated_equals_brute_force_in_small_blocks(monkeypatch, seed):
    X, Y = _data(seed, ("uniform", "ties", "dups", "ties")[seed], 60, 2, 2)
    Z = np.hstack([-X, Y])
    ge = (Z[None, :, :] >= Z[:, None, :]).all(axis=2)
    gt = (Z[None, :, :] > Z[:, None, :]).any(axis=2)
    dominated = (ge & gt).any(axis=1)
    _, first = np.unique(Z, axis=0, return_index=True)
    expected = sorted(set(np.flatnonzero(~dominated)) & set(first.tolist()))
    monkeypatch.setattr(eff, "_DOM_BLOCK", 7)
    assert nondominated(X, Y).tolist() == expected


def test_dominated_units_are_never_peers_and_results_are_deterministic():
    X, Y = _data(5, "ties", 40, 2, 2)
    nd = set(nondominated(X, Y).tolist())
    a = dea(X, Y, model="bcc", method="lp")
    b = dea(X, Y, model="bcc", method="lp")
    assert a.peers == b.peers and np.array_equal(a.theta, b.theta)
    assert all(j in nd for o, p in enumerate(a.peers) if not a.efficient[o] for j in p)
    c = dea(X, Y, model="ccr")
    assert c.peers == dea(X, Y, model="ccr").peers


def test_nan_units_stay_out_of_every_path():
    X, Y = _data(2, "uniform", 20, 1, 2)
    X[3, 0] = np.nan
    ref = dea(np.delete(X, 3, axis=0), np.delete(Y, 3, axis=0), model="ccr", method="lp", prefilter=False)
    for kw in ({}, {"method": "lp"}, {"peers": False}):
        r = dea(X, Y, model="ccr", **kw)
        assert np.isnan(r.theta[3]) and not r.efficient[3]
        assert_allclose(np.delete(r.theta, 3), ref.theta, atol=TOL, rtol=0)
        if r.peers is not None:
            assert r.peers[3] == () and all(3 not in p for p in r.peers)
