"""DEA on raw data: radial CCR/BCC with slacks, super-efficiency, SBM, the range directional
model and the Malmquist index, against published examples and independent formulations."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linprog, minimize

from _dea_data import HOSPITAL_CCR, HOSPITAL_X, HOSPITAL_Y  # Cooper, Seiford & Tone (2007) Table 1.5
from evalkit.analysis.dea_models import malmquist, radial, rdm, sbm, super_efficiency

# Cooper, Seiford & Tone (2007) Example 3.2 (Table 3.2): 6 DMUs, two inputs, one output of 1.
# Published: θ_A = 6/7 = 0.8571, θ_B = 12/19 = 0.6316, C, D, E efficient; F has θ = 1 with an
# excess of 2 in input 1 (C produces the same with 8 instead of 10): weakly efficient only.
EX32_X = np.array([[4, 3], [7, 3], [8, 1], [4, 2], [2, 4], [10, 1]], dtype=float)
EX32_Y = np.ones((6, 1))


def test_ccr_two_phase_example_3_2():
    r = radial(EX32_X, EX32_Y)
    assert_allclose(r.efficiency, [6 / 7, 12 / 19, 1, 1, 1, 1], atol=1e-9)
    assert_allclose(r.slack_x[5], [2.0, 0.0], atol=1e-9)
    assert r.peers[5] == (2,)  # F is projected onto C
    assert_allclose(r.slack_x[:5], 0.0, atol=1e-9)
    assert r.peers[0] == (3, 4)  # A: D and E


def test_ccr_hospital_published_and_output_orientation_is_reciprocal():
    r = radial(HOSPITAL_X, HOSPITAL_Y)
    assert_allclose(np.round(r.efficiency, 3), HOSPITAL_CCR, atol=1e-12)
    o = radial(HOSPITAL_X, HOSPITAL_Y, orientation="output")
    assert_allclose(o.factor, 1 / r.factor, rtol=1e-9)  # CRS: φ = 1/θ
    b = radial(HOSPITAL_X, HOSPITAL_Y, rts="vrs")
    assert np.all(b.efficiency >= r.efficiency - 1e-9)  # BCC ≥ CCR


def _super_multiplier(X, Y, o):
    """Andersen–Petersen CCR super-efficiency of unit o by the multiplier (dual) LP:
    max u·y_o s.t. v·x_o = 1, u·y_j − v·x_j ≤ 0 (j ≠ o), u, v ≥ 0."""
    m, s = X.shape[1], Y.shape[1]
    others = np.delete(np.arange(X.shape[0]), o)
    c = np.r_[-Y[o], np.zeros(m)]
    A_ub = np.hstack([Y[others], -X[others]])
    r = linprog(c, A_ub=A_ub, b_ub=np.zeros(others.size), A_eq=np.r_[np.zeros(s), X[o]][None, :], b_eq=[1.0],
                bounds=(0, None), method="highs")
    return -r.fun


def test_super_efficiency_equals_multiplier_form_and_hand_case():
    se = super_efficiency(HOSPITAL_X, HOSPITAL_Y)
    for o in range(12):
        assert_allclose(se.efficiency[o], _super_multiplier(HOSPITAL_X, HOSPITAL_Y, o), atol=1e-9)
    eff = radial(HOSPITAL_X, HOSPITAL_Y).efficiency
    ineff = eff < 1 - 1e-9
    assert_allclose(se.efficiency[ineff], eff[ineff], atol=1e-9)  # inefficient units keep θ
    assert np.all(se.efficiency[~ineff] >= 1 - 1e-9)
    # one input, one output: the best unit's super-efficiency is its ratio over the next best
    x, y = np.array([2.0, 4.0, 5.0]), np.array([4.0, 6.0, 5.0])
    assert_allclose(super_efficiency(x, y).efficiency, [2.0 / 1.5, 1.5 / 2.0, 1.0 / 2.0], atol=1e-12)


def _sbm_nonlinear(X, Y, o):
    """SBM of unit o from its fractional form, solved directly (SLSQP), with λ, s⁻, s⁺ ≥ 0."""
    n, m = X.shape
    s = Y.shape[1]
    x, y = X[o], Y[o]

    def split(z):
        return z[:n], z[n:n + m], z[n + m:]

    def rho(z):
        lam, sm, sp = split(z)
        return (1 - np.mean(sm / x)) / (1 + np.mean(sp / y))

    cons = [{"type": "eq", "fun": lambda z: X.T @ split(z)[0] + split(z)[1] - x},
            {"type": "eq", "fun": lambda z: Y.T @ split(z)[0] - split(z)[2] - y}]
    best = np.inf
    for start in range(n):  # start from each unit's own λ to stay clear of local stalls
        z0 = np.zeros(n + m + s)
        z0[start] = 1.0
        lam0 = z0[:n]
        z0[n:n + m] = np.maximum(x - X.T @ lam0, 0)
        z0[n + m:] = np.maximum(Y.T @ lam0 - y, 0)
        r = minimize(rho, z0, constraints=cons, bounds=[(0, None)] * z0.size, method="SLSQP",
                     options={"ftol": 1e-12, "maxiter": 500})
        if r.success and np.allclose(cons[0]["fun"](r.x), 0, atol=1e-7) and np.allclose(cons[1]["fun"](r.x), 0,
                                                                                          atol=1e-7):
            best = min(best, r.fun)
    return best


def test_sbm_equals_the_fractional_program_and_hand_case():
    r = sbm(EX32_X, EX32_Y)
    # F: the only way to keep input 2 at 1 is C (8, 1): s⁻ = (2, 0), ρ = 1 − (2/10)/2 = 0.9
    assert_allclose(r.rho[5], 0.9, atol=1e-9)
    assert_allclose(r.slack_x[5], [2.0, 0.0], atol=1e-9)
    for o in range(6):
        assert_allclose(r.rho[o], _sbm_nonlinear(EX32_X, EX32_Y, o), atol=1e-6)
    h = sbm(HOSPITAL_X, HOSPITAL_Y)
    for o in (2, 4, 7):
        assert_allclose(h.rho[o], _sbm_nonlinear(HOSPITAL_X, HOSPITAL_Y, o), atol=1e-6)
    assert np.all(h.rho <= radial(HOSPITAL_X, HOSPITAL_Y).efficiency + 1e-9)  # Tone (2001): ρ ≤ θ
    v = sbm(HOSPITAL_X, HOSPITAL_Y, rts="vrs")
    assert np.all(v.rho >= h.rho - 1e-9)


# DataEnvelopmentAnalysis.jl's Malmquist test (5 units, one input and one output, CRS),
# whose numbers follow by hand: D = (y/x) / max_j (y_j/x_j) on each frontier.
MX = np.array([[2, 3, 5, 4, 4], [1, 2, 4, 3, 4], [0.5, 1.5, 3, 2, 4]], dtype=float)
MY = np.array([[1, 4, 6, 3, 5], [1, 4, 6, 3, 3], [2, 4, 6, 3, 1]], dtype=float)


def test_malmquist_published_small_example():
    m = malmquist(MX[0], MY[0], MX[1], MY[1])
    assert_allclose(m.mi, [2.0, 1.5, 1.25, 4 / 3, 0.6], atol=1e-9)
    assert_allclose(m.ec, [4 / 3, 1.0, 5 / 6, 8 / 9, 0.4], atol=1e-9)
    assert_allclose(m.tc, 1.5, atol=1e-9)
    m2 = malmquist(MX[1], MY[1], MX[2], MY[2])
    assert_allclose(m2.mi, [4.0, 4 / 3, 4 / 3, 1.5, 1 / 3], atol=1e-7)
    assert_allclose(m2.ec, [2.0, 2 / 3, 2 / 3, 0.75, 1 / 6], atol=1e-7)
    assert_allclose(m2.tc, 2.0, atol=1e-9)
    assert_allclose(m.mi, m.ec * m.tc, rtol=1e-12)
    assert_allclose(m.ec, m.pec * m.sec, rtol=1e-12)
    o = malmquist(MX[0], MY[0], MX[1], MY[1], orientation="output")
    assert_allclose(o.mi, m.mi, rtol=1e-9)  # CRS: the orientation does not matter


def test_malmquist_by_hand_two_inputs():
    rng = np.random.default_rng(8)
    X0, Y0 = rng.uniform(1, 10, (7, 2)), rng.uniform(1, 10, (7, 1))
    X1, Y1 = X0 * rng.uniform(0.8, 1.1, (7, 2)), Y0 * rng.uniform(0.9, 1.3, (7, 1))
    m = malmquist(X0, Y0, X1, Y1)

    def d(X, Y, Xr, Yr):
        return radial(X, Y, Xref=Xr, Yref=Yr, slacks=False).efficiency

    d00, d11, d01, d10 = d(X0, Y0, X0, Y0), d(X1, Y1, X1, Y1), d(X1, Y1, X0, Y0), d(X0, Y0, X1, Y1)
    assert_allclose(m.mi, np.sqrt(d01 / d00 * d11 / d10), rtol=1e-12)
    assert_allclose(m.tc, np.sqrt(d01 / d11 * d00 / d10), rtol=1e-12)


def test_global_malmquist_is_circular():
    Xp, Yp = MX.reshape(-1, 1), MY.reshape(-1, 1)
    a = malmquist(MX[0], MY[0], MX[1], MY[1], frontier="global", Xpool=Xp, Ypool=Yp)
    b = malmquist(MX[1], MY[1], MX[2], MY[2], frontier="global", Xpool=Xp, Ypool=Yp)
    c = malmquist(MX[0], MY[0], MX[2], MY[2], frontier="global", Xpool=Xp, Ypool=Yp)
    assert_allclose(a.mi * b.mi, c.mi, rtol=1e-9)
    q = MY / MX
    assert_allclose(a.mi, q[1] / q[0], rtol=1e-9)  # one input, one output: the ratio of productivities


def test_rdm_is_translation_invariant_and_hand_case():
    rng = np.random.default_rng(3)
    X, Y = rng.uniform(0, 50, (15, 2)), rng.uniform(0, 50, (15, 2))
    base = rdm(X, Y).efficiency
    for shift in (1.0, 10.0, 50.0, -20.0):
        assert_allclose(rdm(X + shift, Y + shift).efficiency, base, atol=1e-9)
    assert_allclose(rdm(X * 3 + 7, Y).efficiency, base, atol=1e-9)  # units and origin of an input
    # one input, one output: (1, 1), (2, 3), (3, 2). Unit 3: R_x = 2, R_y = 1. Mixing the
    # first two, λ = (1 − a, a): 1 + a ≤ 3 − 2β and 1 + 2a ≥ 2 + β, best at a = 0.8:
    # β = 0.6, projection (1.8, 2.6), efficiency 1 − β = 0.4
    r = rdm(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))
    assert_allclose(r.efficiency, [1.0, 1.0, 0.4], atol=1e-9)
    assert_allclose(r.lambdas.toarray()[2], [0.2, 0.8, 0.0], atol=1e-9)


def test_missing_or_nonpositive_units_are_nan_and_left_out():
    X = HOSPITAL_X.copy()
    X[3, 0] = np.nan
    X[5, 1] = 0.0
    r = radial(X, HOSPITAL_Y)
    assert np.isnan(r.efficiency[[3, 5]]).all() and r.peers[3] == ()
    assert np.all(r.lambdas.toarray()[:, [3, 5]] == 0)
    with pytest.raises(ValueError):
        radial(X, HOSPITAL_Y, rts="drs")


# --- the tables: stage mode is shift-free, raw mode writes slacks, super-efficiency, Malmquist -----

@pytest.fixture(scope="module")
def demo_result():
    from evalkit.pipeline import score
    from evalkit.run import load_inputs

    return score(load_inputs(None))


def test_stage_dea_does_not_depend_on_the_scale(demo_result):
    from evalkit import rescore
    from evalkit.analysis.tables import efficiency_tables

    a = efficiency_tables(demo_result)["efficiency"]
    b = efficiency_tables(rescore(demo_result, {"scale": [10, 60]}))["efficiency"]
    assert set(a["model"]) == {"rdm"}
    assert_allclose(a["efficiency"].to_numpy(), b["efficiency"].to_numpy(), atol=1e-9)


def test_raw_dea_tables(demo_result):
    from evalkit import rescore
    from evalkit.analysis.tables import efficiency_tables

    ins, outs = ["gov_it_spend_share", "gov_cloud_rate"], ["gov_full_online_rate", "gov_hotline_satisfaction"]
    alt = rescore(demo_result, {"analysis.efficiency": {"inputs": ins, "outputs": outs, "sbm": True}})
    t = efficiency_tables(alt)
    e, m = t["efficiency"], t["malmquist"]
    assert set(e["domain"]) == {"gov"} and {f"slack_{i}" for i in ins + outs} <= set(e.columns)
    leaf = {lid: j for j, lid in enumerate(alt.tree.leaf_ids)}
    raw = np.where(np.isfinite(alt.prepared.x_raw), alt.prepared.x_raw, alt.prepared.x)  # imputed where missing
    X = raw[:, -1, [leaf[i] for i in ins]]
    Y = raw[:, -1, [leaf[i] for i in outs]]
    last = e[e.year == alt.years[-1]]
    assert_allclose(last["efficiency"].to_numpy(), radial(X, Y).efficiency, atol=1e-9)
    assert_allclose(last["sbm"].to_numpy(), sbm(X, Y).rho, atol=1e-9)
    assert len(m) == len(alt.units) * (len(alt.years) - 1)
    assert_allclose(m["mi"].to_numpy(), (m["ec"] * m["tc"]).to_numpy(), rtol=1e-9)
    pooled = efficiency_tables(rescore(demo_result, {"analysis.efficiency": {"inputs": ins, "outputs": outs,
                                                                            "frontier": "pooled"}}))
    assert pooled["efficiency"]["efficiency"].max() <= 1 + 1e-9
    assert set(pooled["malmquist"]["frontier"]) == {"global"}


def test_efficiency_settings_are_checked():
    from evalkit.errors import Problems
    from evalkit.load.project import settings_from_text

    p = Problems()
    settings_from_text("analysis:\n  efficiency: {inputs: [input], outputs: [gov_cloud_rate]}\n", "s.yaml", p)
    assert "mixes stages and indicator ids" in str(p.errors[0]) and str(p.errors[0]).startswith("s.yaml:2:")
    p = Problems()
    settings_from_text("analysis:\n  efficiency: {inputs: [a], outputs: [b], orientation: sideways}\n", "s.yaml", p)
    assert "input, output" in str(p.errors[0])


def test_rdm_frontier_first_path_matches_one_pass(monkeypatch):
    from evalkit.analysis import dea_models

    rng = np.random.default_rng(12)
    vals = np.array([1.0, 2.0, 3.5, 5.0, 8.0])  # few distinct values: ties and zero ranges
    for X, Y in ((rng.uniform(0, 30, (60, 1)), rng.uniform(0, 30, (60, 2))),
                 (rng.choice(vals, (50, 2)), rng.choice(vals, (50, 2)))):
        one = rdm(X, Y).efficiency
        monkeypatch.setattr(dea_models, "_ONE_PASS", 0)
        two = rdm(X, Y).efficiency
        monkeypatch.setattr(dea_models, "_ONE_PASS", 40_000)
        assert_allclose(two, one, atol=1e-9)


def test_rdm_of_a_year_without_complete_units_is_missing_not_an_error():
    from evalkit.analysis.dea_models import rdm

    X = np.array([[1.0], [np.nan], [2.0]])
    Y = np.array([[np.nan], [1.0], [np.nan]])
    r = rdm(X, Y)
    assert np.isnan(r.efficiency).all() and r.efficiency.shape == (3,)
    assert [len(p) for p in r.peers] == [0, 0, 0]


def test_rdm_unit_at_the_ideal_point_is_efficient_and_the_others_are_measured_against_it():
    # unit 0 has the least of every input and the most of every output: its ranges are all 0,
    # so its direction is 0 (β unbounded); it is efficient, and each other unit lies a full range away
    X = np.array([[1.0, 2.0], [3.0, 5.0], [2.0, 4.0]])
    Y = np.array([[9.0, 8.0], [4.0, 1.0], [5.0, 3.0]])
    r = rdm(X, Y)
    assert_allclose(r.efficiency, [1.0, 0.0, 0.0], atol=1e-9)
    assert list(r.peers[0]) == [0]
