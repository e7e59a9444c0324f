"""Spatial autocorrelation: Moran's I and LISA on hand-computed cases, the textbook moments,
the permutation p-values, the weights, and the place columns of the units file."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evalkit.analysis.spatial import contiguity_weights, distance_weights, haversine_km, lisa, moran

TOL = 1e-12
# four units on a line, 1 – 2 – 3 – 4, values 1, 2, 3, 4: z = (−1.5, −0.5, 0.5, 1.5), Σz² = 5
LINE = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float)
Y = np.array([1.0, 2.0, 3.0, 4.0])


def test_moran_hand_computed_binary_and_row_standardised():
    # binary: S0 = 6, z'Wz = 2(0.75 − 0.25 + 0.75) = 2.5, I = (4/6)(2.5/5) = 1/3
    assert_allclose(moran(Y, LINE, permutations=0).I, 1 / 3, atol=TOL)
    # row-standardised: S0 = 4, z'Wz = 0.75 + 0.25 + 0.25 + 0.75 = 2, I = (4/4)(2/5) = 0.4
    Wr = LINE / LINE.sum(axis=1, keepdims=True)
    m = moran(Y, Wr, permutations=0)
    assert_allclose(m.I, 0.4, atol=TOL)
    assert_allclose(m.expected, -1 / 3, atol=TOL)


def test_moran_normal_moments_as_cliff_ord_written_out():
    rng = np.random.default_rng(1)
    n = 9
    W = (rng.random((n, n)) < 0.4).astype(float)
    np.fill_diagonal(W, 0)
    y = rng.normal(size=n)
    m = moran(y, W, permutations=0)
    S0 = W.sum()
    S1 = sum((W[i, j] + W[j, i]) ** 2 for i in range(n) for j in range(n)) / 2
    S2 = sum((W[i].sum() + W[:, i].sum()) ** 2 for i in range(n))
    z = y - y.mean()
    I = n / S0 * sum(W[i, j] * z[i] * z[j] for i in range(n) for j in range(n)) / (z @ z)
    E = -1 / (n - 1)
    var = (n * n * S1 - n * S2 + 3 * S0 * S0) / ((n * n - 1) * S0 * S0) - E * E
    assert_allclose(m.I, I, atol=TOL)
    assert_allclose(m.z_norm, (I - E) / math.sqrt(var), atol=1e-10)
    assert_allclose(m.p_norm, math.erfc(abs(m.z_norm) / math.sqrt(2)), atol=1e-12)


def test_moran_permutation_p_is_seeded_and_separates_patterns():
    side = 6
    rr, cc = np.divmod(np.arange(side * side), side)
    W = ((np.abs(rr[:, None] - rr[None, :]) + np.abs(cc[:, None] - cc[None, :])) == 1).astype(float)  # rook
    W /= W.sum(axis=1, keepdims=True)
    smooth = (rr + cc).astype(float)
    checker = ((rr + cc) % 2).astype(float)
    a, b = moran(smooth, W, seed=7), moran(smooth, W, seed=7)
    assert a.p_sim == b.p_sim == 1 / 1000  # nothing random comes close
    c = moran(checker, W, seed=7)
    assert c.I < -0.9 and c.p_sim == 1 / 1000  # perfect negative autocorrelation
    rng = np.random.default_rng(0)
    noise = moran(rng.normal(size=side * side), W, seed=7)
    assert noise.p_sim > 0.05


def test_lisa_hand_computed_and_mean_is_global_i():
    Wr = LINE / LINE.sum(axis=1, keepdims=True)
    lo = lisa(Y, Wr, permutations=0)
    m2 = 5 / 4
    z = Y - 2.5
    lag = np.array([z[1], (z[0] + z[2]) / 2, (z[1] + z[3]) / 2, z[2]])
    assert_allclose(lo.lag, lag, atol=TOL)
    assert_allclose(lo.Is, z / m2 * lag, atol=TOL)  # I_1 = (−1.5/1.25)(−0.5) = 0.6
    assert_allclose(lo.Is[0], 0.6, atol=TOL)
    assert lo.quadrant.tolist() == [3, 3, 1, 1]  # LL, LL, HH, HH
    assert_allclose(lo.Is.mean(), moran(Y, Wr, permutations=0).I, atol=TOL)


def test_lisa_conditional_permutation_by_brute_force():
    rng = np.random.default_rng(2)
    n, P = 12, 199
    lat, lon = rng.uniform(30, 32, n), rng.uniform(118, 121, n)
    W = distance_weights(lat, lon, k=3)
    y = rng.normal(size=n)
    lo = lisa(y, W, permutations=P, seed=5)
    # the same draws, unit by unit: draw ranks over the other n − 1 units, first k_i are the neighbours
    draws = np.argsort(np.random.default_rng(5).random((P, n - 1)), axis=1)  # as documented in lisa()
    z = y - y.mean()
    m2 = z @ z / n
    for i in range(n):
        others = np.delete(np.arange(n), i)
        nb = np.flatnonzero(W[i])
        sims = np.array([z[i] / m2 * (W[i, nb] @ z[others[d[:nb.size]]]) for d in draws])
        above = (sims >= lo.Is[i] - 1e-12 * abs(lo.Is[i])).sum()  # ties up to rounding count as ≥
        assert_allclose(lo.p_sim[i], (min(above, P - above) + 1) / (P + 1), atol=TOL)


def test_weights_knn_inverse_distance_contiguity():
    # Shanghai, Suzhou, Hangzhou, Nanjing: the nearest to Shanghai is Suzhou
    lat, lon = np.array([31.23, 31.30, 30.27, 32.06]), np.array([121.47, 120.59, 120.16, 118.80])
    D = haversine_km(lat, lon)
    assert 80 < D[0, 1] < 90 and 160 < D[0, 2] < 170  # ≈ 84 km and ≈ 164 km
    W = distance_weights(lat, lon, k=1)
    assert W[0].tolist() == [0, 1, 0, 0]
    Wi = distance_weights(lat, lon, kind="inverse_distance")
    assert_allclose(Wi.sum(axis=1), 1.0, atol=TOL)
    assert_allclose(Wi[0, 1] / Wi[0, 2], D[0, 2] / D[0, 1], rtol=1e-12)
    Wc = contiguity_weights(["a", "b", "c"], [["b"], [], []])
    assert Wc.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]  # symmetric; c is an island
    with pytest.raises(ValueError):
        distance_weights(lat, lon, k=4)


def test_units_file_place_columns(tmp_path):
    from evalkit.errors import Problems
    from evalkit.load.data import load_units

    f = tmp_path / "units.csv"
    f.write_text("id,name_zh,name_en,group,lat,lon,neighbours\na,甲,A,g,31.2,121.5,b\nb,乙,B,g,,,a;c\n"
                 "c,丙,C,g,95,120,\n", encoding="utf-8")
    p = Problems()
    assert load_units(f, p) is None
    msgs = [str(e) for e in p.errors]
    assert any("units.csv:4:" in m and "lat '95'" in m for m in msgs)
    f.write_text("id,name_zh,name_en,group,lat,lon,neighbours\na,甲,A,g,31.2,121.5,b\nb,乙,B,g,,,a;x\n",
                 encoding="utf-8")
    p = Problems()
    assert load_units(f, p) is None
    assert any("units.csv:3:" in str(e) and "neighbour 'x'" in str(e) for e in p.errors)
    f.write_text("id,name_zh,name_en,group,lat,lon\na,甲,A,g,31.2,121.5\nb,乙,B,g,,\n", encoding="utf-8")
    p = Problems()
    u = load_units(f, p)
    assert not p.errors and u.table["lat"].tolist()[0] == 31.2 and math.isnan(u.table["lon"].tolist()[1])


def test_coordinates_change_no_score():
    import dataclasses

    from evalkit.pipeline import score
    from evalkit.run import load_inputs

    inp = load_inputs(None)
    a = score(inp)
    plain = dataclasses.replace(inp.units, table=inp.units.table.drop(columns=["lat", "lon"]))
    b = score(dataclasses.replace(inp, units=plain))
    assert np.array_equal(a.scores, b.scores, equal_nan=True)


def test_demo_spatial_tables():
    from evalkit.analysis.tables import spatial_tables
    from evalkit.pipeline import score
    from evalkit.run import load_inputs

    r = score(load_inputs(None))
    t = spatial_tables(r)
    g, u = t["spatial"], t["spatial-units"]
    assert len(g) == (1 + len(r.tree.domains)) * len(r.years) and set(g["weights"]) == {"knn"}  # root + domains
    one = u[(u.node == r.tree.root.id) & (u.year == r.years[-1])]
    assert len(one) == 41
    assert_allclose(one["local_i"].mean(), g[(g.node == r.tree.root.id) & (g.year == r.years[-1])]["moran_i"].iloc[0],
                    atol=1e-12)
    assert set(one["cluster"]) <= {"HH", "LL", "HL", "LH", "ns"}
    assert ((one["cluster"] != "ns") == (one["p_sim"] < 0.05)).all()


def test_project_checks_spatial_and_efficiency_settings_against_inputs(tmp_path):
    from pathlib import Path

    from evalkit.errors import UserError
    from evalkit.run import load_inputs

    root = Path(__file__).resolve().parents[2]
    demo = (root / "examples" / "demo" / "evalkit.yaml").read_text(encoding="utf-8")
    text = demo.replace("../../", f"{root.as_posix()}/")
    text += ("analysis:\n  spatial: {weights: contiguity}\n"
             "  efficiency: {inputs: [gov_it_spend_shar], outputs: [gov_cloud_rate]}\n")
    f = tmp_path / "evalkit.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as e:
        load_inputs(f)
    lines = e.value.lines()
    assert any("spatial.weights is contiguity" in m and "neighbours column" in m for m in lines)
    assert any("gov_it_spend_shar" in m and "gov_it_spend_share" in m for m in lines)  # did you mean


def test_moran_and_lisa_of_a_year_without_scores_are_missing():
    from evalkit.analysis.spatial import lisa, moran

    y, W = np.zeros(0), np.zeros((0, 0))
    assert np.isnan(moran(y, W, permutations=9).I)
    r = lisa(y, W, permutations=9)
    assert r.Is.shape == (0,) and r.quadrant.shape == (0,)
