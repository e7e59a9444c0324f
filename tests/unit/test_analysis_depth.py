"""Regional-science depth of the analyses: Theil at zero, Theil L, Dagum pairs and shares,
each checked against an independent brute-force calculation or hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose

from evalkit.analysis.disparity import PAIR_COLUMNS, dagum_gini, dagum_pairs, disparity_table, theil

TOL = 1e-12


def _theil_brute(y, groups):
    """Textbook Theil T and L with the between/within split, written out unit by unit."""
    y = np.asarray(y, float)
    n, mu = y.size, y.mean()
    T = sum((v / mu) * math.log(v / mu) if v > 0 else 0.0 for v in y) / n
    Tw = Tb = 0.0
    for g in dict.fromkeys(groups):
        v = np.array([a for a, b in zip(y, groups) if b == g])
        mg, s = v.mean(), v.sum() / y.sum()
        Tg = sum((a / mg) * math.log(a / mg) if a > 0 else 0.0 for a in v) / v.size
        Tw += s * Tg
        Tb += s * math.log(mg / mu) if s > 0 else 0.0
    return T, Tw, Tb


def test_theil_t_keeps_zero_scores_as_textbook():
    y = [0.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    groups = ["a", "a", "b", "b", "c", "c"]
    t = theil(np.array(y), groups)
    T, Tw, Tb = _theil_brute(y, groups)
    assert_allclose([t.T, t.T_within, t.T_between], [T, Tw, Tb], atol=TOL)
    assert_allclose(t.T, 0.24727994813, atol=1e-10)  # as PySAL's inequality.theil.Theil
    assert t.n_used == 6 and t.n_used_L == 5


def test_theil_l_within_between_brute_force():
    rng = np.random.default_rng(11)
    y = rng.uniform(5, 50, 17)
    groups = list("aaaabbbbbccdddddd")
    t = theil(y, groups)
    mu = y.mean()
    L = np.mean(np.log(mu / y))
    Lw = Lb = 0.0
    for g in "abcd":
        v = y[np.array(groups) == g]
        Lw += v.size / y.size * np.mean(np.log(v.mean() / v))
        Lb += v.size / y.size * math.log(mu / v.mean())
    assert_allclose([t.L, t.L_within, t.L_between], [L, Lw, Lb], atol=TOL)


def test_theil_group_of_zeros():
    t = theil(np.array([0.0, 0.0, 10.0, 30.0]), ["z", "z", "p", "p"])
    T, Tw, Tb = _theil_brute([0.0, 0.0, 10.0, 30.0], ["z", "z", "p", "p"])
    assert_allclose([t.T, t.T_within, t.T_between], [T, Tw, Tb], atol=TOL)
    assert t.T_g[0] == 0 and t.score_share[0] == 0


def test_disparity_table_counts_and_gini_shares():
    Y = np.array([[0.0, 5.0], [2.0, np.nan], [4.0, 6.0], [8.0, 7.0], [-1.0, 9.0]])[:, :, None]
    out = disparity_table(Y, ["a", "a", "b", "b", "b"])
    assert out["n_units"][:, 0].tolist() == [5, 4]
    assert out["n_dropped_theil"][:, 0].tolist() == [1, 0]  # the negative score
    assert out["n_dropped_theil_l"][:, 0].tolist() == [2, 0]  # the zero and the negative
    g = dagum_gini(Y[:, 1, 0], ["a", "a", "b", "b", "b"])
    assert_allclose(out["gini_within_pct"][1, 0], 100 * g.G_within / g.G, atol=TOL)
    total = out["gini_within_pct"] + out["gini_between_pct"] + out["gini_trans_pct"]
    assert_allclose(total[1, 0], 100.0, atol=1e-9)


def test_dagum_pairs_brute_force():
    rng = np.random.default_rng(5)
    y = rng.uniform(1, 100, 23)
    groups = np.array(list("aaaaaabbbbbbbcccccddddd"))
    rows = dagum_pairs(y, groups)
    assert len(rows) == 6 and len(rows[0]) == len(PAIR_COLUMNS)
    n, mu = y.size, y.mean()
    for r in rows:
        row = dict(zip(PAIR_COLUMNS, r))
        a, b = y[groups == row["group_j"]], y[groups == row["group_h"]]
        assert a.mean() >= b.mean()  # j is the richer group
        diff = a[:, None] - b[None, :]
        G = np.abs(diff).sum() / (a.size * b.size * (a.mean() + b.mean()))
        d, p = np.clip(diff, 0, None).mean(), np.clip(-diff, 0, None).mean()
        assert_allclose([row["G_jh"], row["D_jh"], row["d_jh"], row["p_jh"]], [G, (d - p) / (d + p), d, p], atol=TOL)
        pj, sh = a.size / n, b.size * b.mean() / (n * mu)
        ph, sj = b.size / n, a.size * a.mean() / (n * mu)
        assert_allclose(row["contribution_nb"], G * (pj * sh + ph * sj) * (d - p) / (d + p), atol=TOL)
    g = dagum_gini(y, groups)
    assert_allclose(sum(r[-2] for r in rows), g.G_net_between, atol=TOL)
    assert_allclose(sum(r[-1] for r in rows), g.G_trans, atol=TOL)
