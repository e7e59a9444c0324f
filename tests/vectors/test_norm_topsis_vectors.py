"""Every case of normalisation.json and topsis.json against evalkit.normalise / evalkit.aggregate.

Panels built here are (n_units, n_years, n_ind); a 1-D vector of one year is
(n, 1, 1).  Tolerances: each case's own (computed-here 1e-12/1e-10, published
values at their stated 5e-4/1.5e-3).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from _load import arr, case, case_names, tol
from evalkit import aggregate as A
from evalkit import normalise as N

NAN = np.nan


def _col(v) -> np.ndarray:
    """A 1-D list as (n_units, 1 year, 1 indicator)."""
    return arr(v)[:, None, None]


def _hdi(health, education, income) -> float:
    """HDI = geometric mean of three dimension indices (UNDP; no shift)."""
    s = np.array([[[health, education, income]]])
    score, share = A.geometric(s, np.full(3, 1 / 3), lo=0.0, hi=1.0, shift=0.0)
    assert share[0, 0] == pytest.approx(1.0)
    return float(score[0, 0])


def _ln_goalpost(x, lo, hi) -> float:
    """UNDP income index: goalposts on the log scale, via normalise.goalpost."""
    z, info = N.goalpost(np.log(_col([x])), direction=["benefit"],
                         goalpost_lo=[np.log(lo)], goalpost_hi=[np.log(hi)])
    assert not info.fallback.any()
    return float(z[0, 0, 0])


def test_every_case_is_covered():
    assert set(case_names("normalisation")) == {
        "undp_hdi_technical_note_example", "hdi_china_2021", "goalpost_vs_sample_minmax",
        "moderate_point_optimal", "moderate_interval_sample", "moderate_interval_fixed_bounds"}
    assert set(case_names("topsis")) == {"hwang_yoon_fighter_aircraft",
                                         "yrd8_entropy_topsis_variants"}


# --------------------------------------------------------------------------- normalisation.json


def test_undp_hdi_technical_note_example():
    c = case("normalisation", "undp_hdi_technical_note_example")
    gp = c["inputs"]["goalposts"]["GNI_pc_PPP_2017"]
    income = _ln_goalpost(c["inputs"]["GNI_pc_PPP"], *gp)
    assert income == pytest.approx(c["expected"]["income_index"], abs=1e-12)
    assert income == pytest.approx(c["published"]["income_index"], abs=tol(c, "abs_vs_published"))
    hdi = _hdi(c["inputs"]["health_index"], c["inputs"]["education_index"], income)
    assert hdi == pytest.approx(c["expected"]["HDI"], abs=1e-12)
    assert hdi == pytest.approx(c["published"]["HDI"], abs=tol(c, "abs_vs_published"))


def test_hdi_china_2021():
    c = case("normalisation", "hdi_china_2021")
    i, e = c["inputs"], c["expected"]
    gp = case("normalisation", "undp_hdi_technical_note_example")["inputs"]["goalposts"]
    # the three goalposted raw indicators normalised at once: LE, EYS, MYS
    x = np.array([[[i["LE"], i["EYS"], i["MYS"]]]])
    z, _ = N.goalpost(x, direction=["benefit"] * 3,
                      goalpost_lo=[gp["life_expectancy"][0], gp["expected_years_schooling"][0],
                                   gp["mean_years_schooling"][0]],
                      goalpost_hi=[gp["life_expectancy"][1], gp["expected_years_schooling"][1],
                                   gp["mean_years_schooling"][1]])
    health = z[0, 0, 0]
    education, _ = A.arithmetic(z[:, :, 1:], np.array([0.5, 0.5]))
    income = _ln_goalpost(i["GNI_pc_PPP"], *gp["GNI_pc_PPP_2017"])
    assert health == pytest.approx(e["health"], abs=1e-12)
    assert education[0, 0] == pytest.approx(e["education"], abs=1e-12)
    assert income == pytest.approx(e["income"], abs=1e-12)
    hdi = _hdi(health, education[0, 0], income)
    assert hdi == pytest.approx(e["HDI"], abs=1e-12)
    assert hdi == pytest.approx(c["published"]["HDI"], abs=tol(c, "abs_vs_published"))


def test_goalpost_vs_sample_minmax():
    c = case("normalisation", "goalpost_vs_sample_minmax")
    i, e, t = c["inputs"], c["expected"], tol(c)
    x = np.stack([arr(i["x_2022"]), arr(i["x_2023"])], axis=1)[:, :, None]  # 4 units × 2 years
    L, U = i["goalposts"]
    z_year, _ = N.minmax(x, direction=["benefit"], scope="year")
    z_panel, _ = N.minmax(x, direction=["benefit"], scope="panel")
    z_goal, info = N.goalpost(x, direction=["benefit"], goalpost_lo=[L], goalpost_hi=[U])
    for k, z in (("sample_minmax", z_year), ("pooled_minmax", z_panel), ("goalpost", z_goal)):
        assert_allclose(z[:, 0, 0], e[f"{k}_2022"], rtol=0, atol=t, err_msg=k)
        assert_allclose(z[:, 1, 0], e[f"{k}_2023"], rtol=0, atol=t, err_msg=k)
    assert info.lo[0, 0] == L and info.hi[0, 0] == U
    # values outside the goalposts are capped: below L -> 0, above U -> 1
    z_clip, _ = N.goalpost(_col([L - 10, U + 10]), direction=["benefit"],
                           goalpost_lo=[L], goalpost_hi=[U])
    assert_allclose(z_clip[:, 0, 0], e["goalpost_clip_example"], rtol=0, atol=t)


def test_moderate_point_optimal():
    c = case("normalisation", "moderate_point_optimal")
    best = c["inputs"]["best"]
    z, info = N.minmax(_col(c["inputs"]["x"]), direction=["target"],
                       target_lo=[best], target_hi=[best])
    assert_allclose(z[:, 0, 0], c["expected"]["z"], rtol=0, atol=tol(c))
    assert info.m[0, 0] == pytest.approx(5.0)  # |12 − 7|


def test_moderate_interval_sample():
    c = case("normalisation", "moderate_interval_sample")
    i = c["inputs"]
    z, info = N.minmax(_col(i["x"]), direction=["target"], target_lo=[i["a"]], target_hi=[i["b"]])
    assert_allclose(z[:, 0, 0], c["expected"]["z"], rtol=0, atol=tol(c))
    assert info.m[0, 0] == pytest.approx(c["expected"]["M"], abs=tol(c))


def test_moderate_interval_fixed_bounds():
    c = case("normalisation", "moderate_interval_fixed_bounds")
    i = c["inputs"]
    z, info = N.goalpost(_col(i["x"]), direction=["target"], target_lo=[i["a"]],
                         target_hi=[i["b"]], goalpost_lo=[i["lower"]], goalpost_hi=[i["upper"]])
    assert_allclose(z[:, 0, 0], c["expected"]["z"], rtol=0, atol=tol(c))
    assert info.m[0, 0] == pytest.approx(c["expected"]["M"], abs=tol(c))


# --------------------------------------------------------------------------- topsis.json


def test_hwang_yoon_fighter_aircraft():
    c = case("topsis", "hwang_yoon_fighter_aircraft")
    i, e, p = c["inputs"], c["expected"], c["published"]
    cost = np.array(i["directions"]) == "-"
    r = A.topsis_closeness(arr(i["X"]), arr(i["w"]), variant="hwang_yoon", cost=cost)
    t = tol(c, "abs_computed")
    assert_allclose(r.r, e["R"], rtol=0, atol=t)
    assert_allclose(r.v, e["V"], rtol=0, atol=t)
    assert_allclose(r.ideal, e["best"], rtol=0, atol=t)
    assert_allclose(r.anti_ideal, e["worst"], rtol=0, atol=t)
    assert_allclose(r.d_plus, e["Dp"], rtol=0, atol=t)
    assert_allclose(r.d_minus, e["Dm"], rtol=0, atol=t)
    assert_allclose(r.closeness, e["C"], rtol=0, atol=t)
    tp = tol(c, "abs_vs_published")
    assert_allclose(r.closeness, p["closeness"], rtol=0, atol=tp)
    assert_allclose(r.d_plus, p["D_plus"], rtol=0, atol=tp)
    assert_allclose(r.d_minus, p["D_minus"], rtol=0, atol=tp)
    assert_allclose(r.ideal, p["ideal_best"], rtol=0, atol=tp)
    assert_allclose(r.anti_ideal, p["ideal_worst"], rtol=0, atol=tp)


def _yrd():
    c = case("topsis", "yrd8_entropy_topsis_variants")
    i = c["inputs"]
    x = arr(i["X"])
    dirs = np.where(np.array(i["directions"]) == "-", "cost", "benefit")
    w = arr(i["w_entropy_zero_convention"])
    z, _ = N.minmax(x[:, None, :], direction=dirs)  # 8 units × 1 year: sample = pooled
    return c, x, dirs, w, z[:, 0, :]


def _ranks(c):
    """Rank 1 = best (closeness descending); the vectors have no ties."""
    order = np.argsort(-np.asarray(c))
    r = np.empty(len(c), dtype=int)
    r[order] = np.arange(1, len(c) + 1)
    return r.tolist()


@pytest.mark.parametrize("variant, key, rank_key", [
    ("weights_inside", "cn_minmax_weights_inside", "rank_inside"),
    ("weighted_matrix", "minmax_weighted_matrix", "rank_matrix"),
])
def test_yrd8_minmax_topsis_variants(variant, key, rank_key):
    c, _, _, w, z = _yrd()
    e, t = c["expected"][key], tol(c)
    r = A.topsis_closeness(z, w, variant=variant)
    assert_allclose(r.d_plus, e["Dp"], rtol=0, atol=t)
    assert_allclose(r.d_minus, e["Dm"], rtol=0, atol=t)
    assert_allclose(r.closeness, e["C"], rtol=0, atol=t)
    assert _ranks(r.closeness) == c["expected"][rank_key]


def test_yrd8_classical_vector_normalisation():
    c, x, dirs, w, _ = _yrd()
    e, t = c["expected"]["classical_vector_normalisation"], tol(c)
    r = A.topsis_closeness(x, w, variant="hwang_yoon", cost=dirs == "cost")
    for got, k in ((r.r, "R"), (r.v, "V"), (r.ideal, "best"), (r.anti_ideal, "worst"),
                   (r.d_plus, "Dp"), (r.d_minus, "Dm"), (r.closeness, "C")):
        assert_allclose(got, e[k], rtol=0, atol=t, err_msg=k)
    assert _ranks(r.closeness) == c["expected"]["rank_classical"]


def test_yrd8_weighted_sum_matches_arithmetic_aggregation():
    c, _, _, w, z = _yrd()
    s = N.to_scale(z, 0.0, 100.0)[:, None, :]
    score, share = A.arithmetic(s, w)
    assert_allclose(score[:, 0], c["expected"]["weighted_sum_score"], rtol=0, atol=tol(c))
    assert_allclose(share, 1.0, rtol=0, atol=1e-12)
    assert _ranks(score[:, 0]) == c["expected"]["rank_weighted_sum"]


def test_yrd8_aggregate_topsis_is_hwang_yoon_on_the_scale():
    """aggregate.topsis (children already aligned) = the hwang_yoon variant on those scores."""
    c, _, _, w, z = _yrd()
    s = N.to_scale(z, 0.0, 100.0)[:, None, :]
    score, _ = A.topsis(s, w, lo=0.0, hi=100.0)
    ref = A.topsis_closeness(z, w, variant="hwang_yoon")
    assert_allclose(score[:, 0], 100.0 * ref.closeness, rtol=0, atol=1e-9)
