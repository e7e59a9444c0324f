"""Method variants reached from YAML alone: per-year weights, entropy/CRITIC/TOPSIS/z-score variants, PCA, BoD.

Every project here goes through the loaders like a user's (``_projects.load``);
expected numbers are computed independently in the test (numpy, pymcdm) from
the raw values written to values.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pymcdm.weights as pw
import pytest
from numpy.testing import assert_allclose
from pymcdm.methods import TOPSIS

import evalkit
from evalkit.errors import UserError

from _projects import leaf, load, node

# pymcdm warns about dominant alternatives in small panels; its numbers are still the reference
pytestmark = pytest.mark.filterwarnings("ignore:Alternatives with indices:UserWarning")

UNITS = ["p1", "p2", "p3", "p4", "p5", "p6"]
YEARS = [2020, 2021, 2022]
# A published-style panel: provinces × years × indicators, one cost indicator (e.g. energy per GDP).
X = np.array([
    [[12.0, 3.1, 40.0], [13.5, 2.9, 44.0], [15.0, 2.8, 47.0]],
    [[8.0, 4.0, 35.0], [9.1, 3.6, 36.0], [9.9, 3.5, 41.0]],
    [[20.0, 2.2, 60.0], [22.0, 2.1, 58.0], [23.5, 2.0, 66.0]],
    [[5.0, 5.5, 20.0], [6.2, 5.0, 25.0], [7.0, 4.4, 26.0]],
    [[10.0, 3.3, 52.0], [10.5, 3.4, 50.0], [12.5, 3.0, 55.0]],
    [[14.0, 4.8, 30.0], [16.0, 4.1, 33.0], [16.5, 3.9, 39.0]],
])
COST = np.array([False, True, False])
FLAT = node("idx", leaf("gdp"), leaf("energy", "cost"), leaf("green"))


def _project(tmp_path, scheme, tree=FLAT, values=X, **project):
    inputs = load(tmp_path / "p", tree=tree, values=values, units=UNITS, years=YEARS, scheme=scheme, **project)
    return evalkit.score(inputs)


def _year_z(x):
    """Min–max within the year, cost turned round: (n_units, k)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    return np.where(COST, (hi - x) / (hi - lo), (x - lo) / (hi - lo))


def _entropy_w(z):
    p = z / z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(z.shape[0])
    return (1 - e) / (1 - e).sum()


# --------------------------------------------------------------------------- per-year entropy


def test_per_year_entropy_reproduces_the_published_calculation(tmp_path):
    """Each year: min–max within the year, p = z/Σz, e = −Σ p ln p / ln n, w = d/Σd, S = Σ w z."""
    r = _project(tmp_path, {"default": {"method": "entropy", "by": "year"}},
                 normalize={"method": "minmax", "scope": "year"}, scale=[0, 1])
    wf = r.weights_frame()
    for t, year in enumerate(YEARS):
        z = _year_z(X[:, t, :])
        w = _entropy_w(z)
        got = wf[(wf["year"] == year) & (wf["parent"] == "idx")].set_index("node").loc[["gdp", "energy", "green"]]
        assert_allclose(got["local_weight"], w, rtol=1e-12)
        assert_allclose(r.node_scores("idx")[:, t], z @ w, rtol=1e-12)
    assert r.per_year_weights and r.weighting["idx"].w.shape == (3, 3)
    assert sorted(set(wf["year"])) == YEARS and len(wf) == 4 * len(YEARS)


def test_weighted_proportions_score_of_entropy_papers(tmp_path):
    r = _project(tmp_path, {"default": {"method": "entropy", "by": "year"}},
                 normalize={"method": "minmax", "scope": "year"}, aggregate={"method": "proportions"}, scale=[0, 1])
    for t in range(len(YEARS)):
        z = _year_z(X[:, t, :])
        p = z / z.sum(axis=0)
        assert_allclose(r.node_scores("idx")[:, t], p @ _entropy_w(z), rtol=1e-12)


def test_entropy_rescale_is_the_epsilon_interval(tmp_path):
    r = _project(tmp_path, {"default": {"method": "entropy", "by": "year", "rescale": [0.002, 0.998]}},
                 normalize={"method": "minmax", "scope": "year"})
    for t in range(len(YEARS)):
        z = 0.002 + 0.996 * _year_z(X[:, t, :])
        assert_allclose(r.weighting["idx"].w[t], _entropy_w(z), rtol=1e-12)


def test_entropy_ratio_variant_is_pymcdm_entropy_on_raw_values(tmp_path):
    r = _project(tmp_path, {"default": {"method": "entropy", "variant": "ratio"}})
    assert_allclose(r.weighting["idx"].w, pw.entropy_weights(X.reshape(-1, 3)), rtol=1e-12)
    r = _project(tmp_path, {"default": {"method": "entropy", "variant": "ratio", "by": "year"}})
    for t in range(len(YEARS)):
        assert_allclose(r.weighting["idx"].w[t], pw.entropy_weights(X[:, t, :]), rtol=1e-12)


def test_critic_not_directional_is_pymcdm_critic_on_raw_values(tmp_path):
    r = _project(tmp_path, {"default": {"method": "critic", "directional": False}})
    assert_allclose(r.weighting["idx"].w, pw.critic_weights(X.reshape(-1, 3)), rtol=1e-12)
    aligned = _project(tmp_path, {"default": {"method": "critic"}}).weighting["idx"].w
    assert not np.allclose(aligned, r.weighting["idx"].w)  # the cost column's correlations change sign


def test_critic_and_cv_per_year(tmp_path):
    r = _project(tmp_path, {"default": {"method": "critic", "by": "year"}})
    for t in range(len(YEARS)):
        assert_allclose(r.weighting["idx"].w[t], pw.critic_weights(_year_z(X[:, t, :])), rtol=1e-12)
    r = _project(tmp_path, {"default": {"method": "cv", "by": "year"}})
    for t in range(len(YEARS)):
        v = X[:, t, :].std(axis=0, ddof=1) / X[:, t, :].mean(axis=0)
        assert_allclose(r.weighting["idx"].w[t], v / v.sum(), rtol=1e-12)


def test_per_year_objective_part_of_combined_weights(tmp_path):
    fixed = {"gdp": 0.5, "energy": 0.25, "green": 0.25}
    r = _project(tmp_path, {"nodes": {"idx": {
        "method": "combined", "rule": "linear", "alpha": 0.5,
        "subjective": {"method": "fixed", "weights": fixed},
        "objective": {"method": "entropy", "by": "year"}}}},
        normalize={"method": "minmax", "scope": "year"})
    s = np.array(list(fixed.values()))
    for t in range(len(YEARS)):
        assert_allclose(r.weighting["idx"].w[t], 0.5 * s + 0.5 * _entropy_w(_year_z(X[:, t, :])), rtol=1e-12)


def test_per_year_global_weights_multiply_down_the_tree(tmp_path):
    tree = node("idx", node("A", leaf("gdp"), leaf("energy", "cost")), node("B", leaf("green")))
    r = _project(tmp_path, {"default": {"method": "entropy", "by": "year"}}, tree=tree)
    local, glob = r.local_weight_year, r.global_weight_year
    idx = r.tree.index
    assert_allclose(glob[:, idx["gdp"]], local[:, idx["gdp"]] * local[:, idx["A"]], rtol=1e-14)
    assert_allclose(glob[:, [idx["gdp"], idx["energy"], idx["green"]]].sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(r.local_weight[idx["gdp"]], local[:, idx["gdp"]].mean())  # the panel summary


def test_what_if_switches_to_per_year_and_back(tmp_path):
    r = _project(tmp_path, {"default": {"method": "entropy"}})
    assert not r.per_year_weights and (r.weights_frame()["year"] == "").all()
    alt = evalkit.rescore(r, {"weights.default.by": "year"})
    assert alt.per_year_weights and alt.computed == ("idx",)
    back = evalkit.rescore(alt, {"weights.default.by": "panel"})
    assert_allclose(back.scores, r.scores, rtol=0, atol=0)


# --------------------------------------------------------------------------- TOPSIS, z-score, PCA, BoD


def test_node_topsis_on_minmax_is_pymcdm_default(tmp_path):
    tree = {**FLAT, "aggregate": {"method": "topsis", "normalize": "minmax"}}
    r = _project(tmp_path, {"default": {"method": "equal"}}, tree=tree)
    leaves = r.scores[:, :, [r.tree.index[i] for i in ("gdp", "energy", "green")]].reshape(-1, 3)
    expected = TOPSIS()(leaves, np.full(3, 1 / 3), np.ones(3, dtype=int))
    assert_allclose(r.node_scores("idx").reshape(-1), 100 * expected, atol=1e-9)


def test_project_topsis_normalize_none(tmp_path):
    r = _project(tmp_path, {"default": {"method": "equal"}}, aggregate={"method": "topsis", "normalize": "none"})
    leaves = r.scores[:, :, [r.tree.index[i] for i in ("gdp", "energy", "green")]].reshape(-1, 3)
    ident = TOPSIS(normalization_function=lambda x, cost: x)
    assert_allclose(r.node_scores("idx").reshape(-1), 100 * ident(leaves, np.full(3, 1 / 3), np.ones(3, dtype=int)),
                    atol=1e-9)


def test_coinr_zscore_mean_sd_form(tmp_path):
    r = _project(tmp_path, {"default": {"method": "equal"}},
                 normalize={"method": "zscore", "ddof": 1, "clip": None, "mean": 10, "sd": 2})
    y = np.where(COST, -X, X).reshape(-1, 3)
    expected = (y - y.mean(axis=0)) / y.std(axis=0, ddof=1) * 2 + 10  # COINr n_zscore(x, c(10, 2))
    leaves = r.scores[:, :, [r.tree.index[i] for i in ("gdp", "energy", "green")]].reshape(-1, 3)
    assert_allclose(leaves, expected, rtol=1e-12)
    assert_allclose(r.node_scores("idx").reshape(-1), expected.mean(axis=1), rtol=1e-12)


def test_unbounded_zscores_refuse_a_geometric_node(tmp_path):
    with pytest.raises(UserError) as e:
        _project(tmp_path, {"default": {"method": "equal"}}, aggregate={"method": "geometric"},
                 normalize={"method": "zscore", "clip": None, "mean": 10, "sd": 2})
    assert "zscore-unbounded" in [p.code for p in e.value.problems]
    assert "aggregate: arithmetic" in e.value.problems[0].message


def test_pca_weights_at_a_node(tmp_path):
    r = _project(tmp_path, {"nodes": {"idx": {"method": "pca"}}})
    z = _year_z(X.reshape(-1, 3))  # min–max over the whole panel, cost turned round
    std = (z - z.mean(axis=0)) / z.std(axis=0, ddof=1)
    v = np.linalg.svd(std, full_matrices=False)[2][0]
    v = v * np.sign(v.sum())
    expected = np.where(v < 0, 0.0, v)
    assert_allclose(r.weighting["idx"].w, expected / expected.sum(), atol=1e-12)


def test_bod_node_scores_and_per_unit_weights(tmp_path):
    r = _project(tmp_path, {"nodes": {"idx": {"method": "bod", "by": "year", "share": [0.1, 0.6]}}})
    from evalkit.weight.bod import bod

    cols = [r.tree.index[i] for i in ("gdp", "energy", "green")]
    for t in range(len(YEARS)):  # each year's units are the reference set (by: year)
        ref = bod(r.scores[:, t, cols] / 100.0, share=(np.full(3, 0.1), np.full(3, 0.6)))
        assert_allclose(r.node_scores("idx")[:, t], 100 * ref.ci, atol=1e-9)
    from evalkit.analysis.tables import bod_table

    table = bod_table(r)
    one = table[(table["unit"] == "p4") & (table["year"] == 2021)]
    assert_allclose(one["share"].sum(), 1.0, atol=1e-9)
    assert (one["share"] >= 0.1 - 1e-9).all() and (one["share"] <= 0.6 + 1e-9).all()


# --------------------------------------------------------------------------- the default stays as it was


def test_demo_weights_and_scores_are_those_before_per_year_weights():
    """The demo's five original domains are weighted and scored as before per-year weights existed.

    The fixture pins the five-domain demo (before the 跨域协同 domain was added). The new domain
    changes only the root's weights, so the check is restricted to the five domains: every weight
    below the root outside ``collab`` is compared bit for bit, and the fixture's root scores are
    recomputed from today's domain scores with the fixture's own root weights (arithmetic mean,
    docs/methods.md#arithmetic: score = Σ_d w_d · score_d), independently of today's root weighting.
    """
    fixture = json.loads((Path(__file__).resolve().parents[1] / "fixtures"
                          / "demo_prechange_weights_scores.json").read_text(encoding="utf-8"))
    r = evalkit.score(evalkit.load_project(None))
    wf = r.weights_frame()
    assert (wf["year"] == "").all()
    domains = [d for d, (local, _) in fixture["weights"].items() if d != "dgpi"
               and d in {"gov", "transport", "health", "education", "environment"}]
    assert len(domains) == 5
    root_w = {d: float(fixture["weights"][d][0]) for d in domains}
    assert sum(root_w.values()) == pytest.approx(1.0, abs=1e-12)
    glob_now = dict(zip(wf["node"], wf["global_weight"]))
    checked = 0
    for row in wf.itertuples():
        if row.node == "dgpi" or row.parent == "dgpi" or row.node.startswith("collab"):
            continue
        local, glob = fixture["weights"][row.node]
        assert repr(row.local_weight) == local, row.node
        # below a domain, global weights scale with the domain's root weight
        d = _domain_of(wf, row.node)
        assert row.global_weight / glob_now[d] == pytest.approx(float(glob) / root_w[d], rel=1e-12), row.node
        checked += 1
    assert checked == len(fixture["weights"]) - 6
    assert list(r.units) == fixture["units"]
    for t, y in enumerate(r.years):
        recombined = sum(root_w[d] * r.node_scores(d)[:, t] for d in domains)
        assert_allclose(recombined, [float(v) for v in fixture["scores"][str(y)]], rtol=0, atol=1e-10)


def _domain_of(wf: pd.DataFrame, node: str) -> str:
    """The root's child above ``node``."""
    parents = dict(zip(wf["node"], wf["parent"]))
    while parents[node] != "dgpi":
        node = parents[node]
    return node


def test_what_if_method_change_drops_the_old_methods_options(tmp_path):
    r = _project(tmp_path, {"default": {"method": "equal"}}, normalize={"method": "rank", "ties": "min"},
                 aggregate={"method": "power", "p": 3})
    alt = evalkit.rescore(r, {"normalize.method": "zscore", "aggregate.method": "geometric"})
    assert (alt.settings.normalize, alt.settings.ties, alt.settings.aggregate) == ("zscore", "average", "geometric")


def test_sensitivity_with_per_year_weights_uses_the_report_years_weights(tmp_path):
    from evalkit.analysis.sensitivity import Spec, build_base, run_sensitivity, score_draws

    r = _project(tmp_path, {"default": {"method": "entropy", "by": "year"}})
    t = 1
    base = build_base(r, t)
    (k, kids, method, w0, depth, nw), = base.nodes
    assert_allclose(w0, r.weighting["idx"].w[t])  # the year's weights, not the mean
    s = score_draws(base, {})  # no perturbation: the nominal scores of that year
    assert_allclose(s[0], r.node_scores("idx")[:, t], atol=1e-9)
    out = run_sensitivity(r, Spec(draws=8, seed=1, noise=0.0, normalize=("minmax", "minmax")))
    nominal = r.ranks()[:, -1, r.tree.index["idx"]]
    assert_allclose(out.robustness["median_rank"], nominal)


def test_node_attainment_weights_leaves_by_the_years_weights(tmp_path):
    from evalkit.analysis.attainment import attainment_table

    r = _project(tmp_path, {"default": {"method": "entropy", "by": "year"}})
    targets = pd.DataFrame([{"unit": u, "year": y, "indicator": i, "target": float(X[k, t, j]) * 1.1}
                            for k, u in enumerate(UNITS) for t, y in enumerate(YEARS)
                            for j, i in enumerate(("gdp", "energy", "green"))])
    table = attainment_table(r, targets)
    leaf = table[table["level"] == "indicator"].set_index(["unit", "year", "node"])["attainment"]
    node_rows = table[table["node"] == "idx"].set_index(["unit", "year"])["attainment"]
    cols = [r.tree.index[i] for i in ("gdp", "energy", "green")]
    for t, y in enumerate(YEARS):
        g = r.global_weight_year[t, cols]
        for u in UNITS:
            a = np.array([leaf[(u, y, i)] for i in ("gdp", "energy", "green")])
            assert node_rows[(u, y)] == pytest.approx((g * a).sum() / g.sum(), rel=1e-12)


def test_maxratio_project_and_a_warning_for_negative_values(tmp_path):
    r = _project(tmp_path, {"default": {"method": "equal"}}, normalize={"method": "maxratio"})
    flat = X.reshape(-1, 3)
    z = np.where(COST, flat.min(axis=0) / flat, flat / flat.max(axis=0))
    assert_allclose(r.node_scores("idx").reshape(-1), 100 * z.mean(axis=1), rtol=1e-12)
    assert not [n for n in r.notes if n.code == "maxratio-negative"]
    x = X.copy()
    x[0, 0, 2] = -1.0
    r = _project(tmp_path / "neg", {"default": {"method": "equal"}}, values=x, normalize={"method": "maxratio"})
    assert [n.message.split("'")[1] for n in r.notes if n.code == "maxratio-negative"] == ["green"]


def test_scores_off_the_scale_leave_coordination_and_efficiency_out(tmp_path):
    from evalkit.analysis.tables import all_tables

    tree = node("idx", node("A", leaf("gdp"), leaf("energy", "cost"), stage="input"),
                node("B", leaf("green"), stage="outcome"))
    r = _project(tmp_path, {"default": {"method": "equal"}}, tree=tree,
                 normalize={"method": "zscore", "clip": None, "mean": 50, "sd": 40})
    assert not r.scores_on_scale()
    assert [n.code for n in r.notes if n.code == "scores-off-scale"] == ["scores-off-scale"]
    tables = all_tables(r)
    assert "coordination" not in tables and "efficiency" not in tables and "obstacles" in tables
