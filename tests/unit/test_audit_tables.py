"""The audit tables on the ASEM example, against COINr's get_corr, get_cronbach and get_PCA formulas
applied to COINr's own aggregated data (tests/fixtures/reference/coinr-asem, COINr 1.1.14, MIT)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit
from evalkit.analysis.audit_tables import AuditSettings, audit_tables

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "fixtures" / "reference" / "coinr-asem" / "dset_Aggregated.csv"
TOL = 1e-8


@pytest.fixture(scope="module")
def asem():
    result = evalkit.score(evalkit.load_project(ROOT / "examples" / "asem" / "evalkit.yaml"))
    return result, evalkit.audit(result)


@pytest.fixture(scope="module")
def coinr():
    return pd.read_csv(REF).set_index("uCode")


def _cor(a: np.ndarray, b: np.ndarray, method: str) -> float:
    """R's cor(a, b, use = "pairwise.complete.obs", method = ...)."""
    ok = np.isfinite(a) & np.isfinite(b)
    if method == "spearman":
        return float(stats.spearmanr(a[ok], b[ok])[0])
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def test_correlations_with_parent_siblings_and_index_are_get_corr(asem, coinr):
    result, tables = asem
    corr = tables["correlations"]
    year = corr[corr.year == 2018]
    assert len(year) == len(corr[corr.scope == "pooled"])  # one year: pooling changes nothing
    checked = 0
    for r in year.itertuples(index=False):
        a, b = coinr[r.child].to_numpy(float), coinr[getattr(r, "_4")].to_numpy(float)
        assert r.pearson == pytest.approx(_cor(a, b, "pearson"), abs=TOL), (r.child, r._4)
        assert r.spearman == pytest.approx(_cor(a, b, "spearman"), abs=TOL), (r.child, r._4)
        checked += 1
    tree = result.tree
    n_parent = sum(len(n.children) for n in tree.inner)
    n_sibling = sum(len(n.children) * (len(n.children) - 1) // 2 for n in tree.inner)
    n_index = sum(len(n.children) for n in tree.inner if n is not tree.root)
    assert checked == n_parent + n_sibling + n_index


def test_cronbach_alpha_is_get_cronbach(asem, coinr):
    result, tables = asem
    nodes = tables["nodes"]
    for node in result.tree.inner:
        kids = [c.id for c in node.children]
        cv = coinr[kids].cov().to_numpy()  # pandas' cov is pairwise complete, like R's use = "pairwise.complete.obs"
        k = len(kids)
        sigav = (cv.sum() - np.trace(cv)) / (k * (k - 1))
        mine = nodes[(nodes.node == node.id) & (nodes.year == 2018)].alpha.iloc[0]
        assert mine == pytest.approx(k * k * sigav / cv.sum(), abs=TOL), node.id


def test_pca_is_get_pca(asem, coinr):
    """get_PCA: prcomp(na.omit(data), center = TRUE, scale = TRUE): sdev² and rotation."""
    result, tables = asem
    nodes = tables["nodes"]
    for node in result.tree.inner:
        kids = [c.id for c in node.children]
        d = coinr[kids].dropna().to_numpy(float)
        z = (d - d.mean(0)) / d.std(0, ddof=1)
        _, sv, vt = np.linalg.svd(z, full_matrices=False)
        sdev2 = sv ** 2 / (len(d) - 1)
        rows = nodes[(nodes.node == node.id) & (nodes.year == 2018)].sort_values("component")
        assert rows.eigenvalue.to_numpy() == pytest.approx(sdev2, abs=1e-8), node.id
        assert rows.eigenvalue.sum() == pytest.approx(len(kids))
        assert np.abs(rows.loading_pc1.to_numpy()) == pytest.approx(np.abs(vt[0]), abs=1e-6), node.id
        assert rows.n_components.iloc[0] == int((sdev2 > 1).sum())
        assert rows.n_obs_pca.iloc[0] == len(d)


def test_weights_and_importance_columns(asem):
    result, tables = asem
    nodes = tables["nodes"]
    w = result.weights_frame().set_index("node").local_weight
    assert nodes.weight.to_numpy() == pytest.approx(w.loc[nodes.child].to_numpy())
    imp = nodes.importance.dropna()
    assert ((imp >= 0) & (imp <= 1)).all()
    for _, g in nodes[nodes.year == 2018].groupby("node"):
        share = g.importance / g.importance.sum()
        assert g.importance_share.to_numpy() == pytest.approx(share.to_numpy())
        assert g.importance_ratio.to_numpy() == pytest.approx((share / (g.weight / g.weight.sum())).to_numpy())


def test_indicators_skew_and_kurtosis(asem):
    result, tables = asem
    ind = tables["indicators"]
    row = ind[(ind.year == 2018) & (ind.indicator == "Flights")].iloc[0]
    j = result.tree.leaf_ids.index("Flights")
    raw = result.prepared.x_raw[:, 0, j]
    raw = raw[np.isfinite(raw)]
    assert row.skew_raw == pytest.approx(stats.skew(raw, bias=False))
    assert row.kurt_raw == pytest.approx(stats.kurtosis(raw, bias=False))
    treated = result.prepared.x[:, 0, j]
    assert row.skew_treated == pytest.approx(stats.skew(treated, bias=False))


def test_flags_follow_the_thresholds_on_the_demo():
    result = evalkit.score(evalkit.load_project(None))
    loose = audit_tables(result, AuditSettings(weak=0.3, collinear=0.9))
    corr = loose["audit-correlations"]
    parent = corr[corr.relation == "parent"]
    neg = parent[parent.pearson < 0]
    assert neg.flag_en.str.contains("moves against its dimension").all()
    assert neg.flag_zh.str.contains("反向变动").all()
    weak = parent.pearson.abs() < 0.3
    assert (parent[weak].flag_en.str.contains("barely moves")).all()
    assert not parent[~weak & (parent.pearson > 0)].flag_en.astype(bool).any()
    sib = corr[corr.relation == "sibling"]
    assert (sib.flag_en.str.contains("collinear") == (sib.pearson.abs() > 0.9)).all()
    # a stricter threshold flags more pairs
    strict = audit_tables(result, AuditSettings(collinear=0.5))["audit-correlations"]
    assert (strict.flag_en.str.contains("collinear").sum() > sib.flag_en.str.contains("collinear").sum())
    nodes = loose["audit-nodes"]
    first = nodes[nodes.component == 1]
    low = first[first.alpha < 0.7]
    assert low.flag_en.str.contains("Cronbach's alpha").all()
    years = sorted(set(corr.year.dropna()))
    assert years == list(result.years) and (corr.scope == "pooled").sum() == (corr.year == years[0]).sum()


def test_audit_settings_come_from_the_project(tmp_path):
    src = ROOT / "examples" / "asem"
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    text = (tmp_path / "evalkit.yaml").read_text(encoding="utf-8")
    (tmp_path / "evalkit.yaml").write_text(text + "audit: {weak: 0.5, collinear: 0.8}\n", encoding="utf-8")
    result = evalkit.score(evalkit.load_project(tmp_path / "evalkit.yaml"))
    assert dict(result.settings.audit) == {"weak": 0.5, "collinear": 0.8}
    cfg = AuditSettings.from_mapping(result.settings.audit)
    assert (cfg.weak, cfg.collinear, cfg.alpha, cfg.ratio) == (0.5, 0.8, 0.7, 2.0)
    corr = evalkit.audit(result)["correlations"]
    sib = corr[corr.relation == "sibling"]
    assert (sib.flag_en.str.contains("collinear") == (sib.pearson.abs() > 0.8)).all()
    assert evalkit.audit(result, collinear=0.95)["correlations"].flag_en.str.contains("(r = ", regex=False).any()


@pytest.mark.parametrize("setting, message", [
    ("audit: {weak: 1.5}", "audit.weak must be in (0, 1), found 1.5"),
    ("audit: {collinear: 0}", "audit.collinear must be in (0, 1], found 0"),
    ("audit: {ratio: 0.5}", "audit.ratio must be greater than 1, found 0.5"),
    ("audit: {alpha: high}", "audit.alpha 'high' is not a number"),
    ("audit: {strong: 0.5}", "unknown key 'strong' in audit"),
])
def test_bad_audit_settings_are_located(tmp_path, setting, message):
    src = ROOT / "examples" / "asem"
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    text = (tmp_path / "evalkit.yaml").read_text(encoding="utf-8")
    (tmp_path / "evalkit.yaml").write_text(text + setting + "\n", encoding="utf-8")
    line = text.count("\n") + 1
    with pytest.raises(evalkit.UserError) as e:
        evalkit.load_project(tmp_path / "evalkit.yaml")
    lines = e.value.lines()
    assert any(f"evalkit.yaml:{line}:" in s and message in s for s in lines), lines


def test_repr_html_is_a_compact_escaped_summary():
    import dataclasses

    from evalkit.tree import Names

    inputs = evalkit.load_project(None)
    project = dataclasses.replace(inputs.project, title=Names("<b>指数</b>", "<b>Index</b>"))
    result = evalkit.score(dataclasses.replace(inputs, project=project))
    html = result._repr_html_()
    assert "&lt;b&gt;指数&lt;/b&gt;" in html and "<b>指数" not in html
    assert "41 units &times; 6 years (2019&ndash;2024)" in html
    assert html.count("<tr><td>") == 10
    last = result.to_frame()
    top = last[(last.year == 2024) & (last.node == result.tree.root.id)].sort_values(["rank", "unit"]).head(10)
    first = result.inputs.units.label(top.unit.iloc[0], "zh")
    assert f"<tr><td>1</td><td>{first}</td><td>{top.score.iloc[0]:.2f}</td></tr>" in html
