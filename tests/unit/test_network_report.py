"""The network parts of the pages: partners, ranks and changes on a small graph worked by hand and with
networkx; the map's tie selection and hubs; the Malmquist summary against scipy's geometric mean; the
demo's scorecard and regional page with relations, and pages without relations showing nothing new."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import gmean, rankdata

from evalkit.report.context.network import (competition_rank, pair_weights, relation_views, top_partners,
                                            unit_network)
from evalkit.report.region_network import hubs, malmquist_summary, shown_ties

UNITS = ["A", "B", "C", "D"]
GROUPS = ["p", "p", "q", "q"]
# directed arcs (from, to, weight) per year
ARCS = {2020: [("A", "B", 3), ("B", "A", 1), ("A", "C", 2), ("C", "D", 4), ("D", "B", 1)],
        2021: [("A", "B", 5), ("A", "C", 2), ("C", "A", 2), ("C", "D", 1), ("B", "D", 3)]}


def _small_input():
    """A ReportInput-like object: the ties, one directed relation, network-units from networkx."""
    ties = pd.DataFrame([{"relation": "r", "year": y, "from": a, "to": b, "value": float(w)}
                         for y, arcs in ARCS.items() for a, b, w in arcs])
    rows = []
    for y, arcs in ARCS.items():
        g = nx.DiGraph()
        g.add_nodes_from(UNITS)
        g.add_weighted_edges_from(arcs)
        pr = nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-12, max_iter=1000)
        for u in UNITS:
            rows.append({"unit": u, "year": y, "relation": "r",
                         "strength": g.in_degree(u, weight="weight") + g.out_degree(u, weight="weight"),
                         "pagerank": pr[u]})
    meta = {"relations": [{"id": "r", "name": {"zh": "关系", "en": "Relation"}, "directed": True,
                           "unit": {"zh": "次", "en": "times"}}]}
    return SimpleNamespace(meta=meta, ties=ties, tables={"network-units": pd.DataFrame(rows)}), rows


def test_competition_rank_is_scipy_min_rank_of_the_negated_values():
    v = np.array([[3.0, 1.0, 3.0, np.nan, 7.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    r = competition_rank(v)
    assert_allclose(r[0, [0, 1, 2, 4]], rankdata(-v[0, [0, 1, 2, 4]], method="min"))
    assert np.isnan(r[0, 3])
    assert_allclose(r[1], [1, 1, 1, 1, 1])


def test_pair_weights_add_both_directions():
    inp, _ = _small_input()
    w = pair_weights(inp.ties, UNITS, "r", [2020, 2021])
    # 2020: A–B 3 + 1, A–C 2, C–D 4, B–D 1 (worked by hand)
    expect = np.zeros((4, 4))
    for (i, j), x in {(0, 1): 4, (0, 2): 2, (2, 3): 4, (1, 3): 1}.items():
        expect[i, j] = expect[j, i] = x
    assert_allclose(w[0], expect)
    assert_allclose(w.sum(axis=2)[1], [9, 8, 5, 4])  # = strength (in + out) of 2021


def test_partners_ranks_and_changes_on_a_small_graph():
    inp, rows = _small_input()
    views = relation_views(inp, UNITS)
    assert [v.years for v in views] == [(2020, 2021)]
    nu = pd.DataFrame(rows)
    # strengths 2020 A 6, B 5, C 6, D 5; 2021 A 9, B 8, C 5, D 4 (by hand), the ranks among all cities
    assert_allclose(views[0].strength, [[6, 5, 6, 5], [9, 8, 5, 4]])
    assert_allclose(views[0].rank_strength, [[1, 3, 1, 3], [1, 2, 3, 4]])
    a = unit_network(views, 0, 2021, GROUPS)[0]
    assert a["prev"] == 2020
    assert [(UNITS[j], w, cross) for j, w, _, cross in a["partners"]] == [("B", 5.0, False), ("C", 4.0, True)]
    assert_allclose([s for _, _, s, _ in a["partners"]], [5 / 9, 4 / 9])
    c = unit_network(views, 2, 2021, GROUPS)[0]
    assert (c["strength"] - c["strength_prev"], c["rank_s_prev"] - c["rank_s"]) == (-1.0, -2.0)  # 6 → 5; 1st → 3rd
    pr21 = nu[nu.year == 2021].set_index("unit")["pagerank"]
    assert_allclose(c["pagerank"], pr21["C"])
    assert c["rank_pr"] == 1 + int((pr21 > pr21["C"]).sum())
    first = unit_network(views, 0, 2020, GROUPS)[0]
    assert first["prev"] is None and np.isnan(first["rank_s_prev"])
    assert unit_network(views, 0, 2022, GROUPS)[0] == {"view": views[0], "observed": False}


def test_top_partners_order_and_ties():
    w = np.array([[0, 2, 5, 2, 0], [2, 0, 0, 0, 0], [5, 0, 0, 0, 0], [2, 0, 0, 0, 0], [0, 0, 0, 0, 0]], float)
    assert top_partners(w, 0, 5) == [(2, 5.0), (1, 2.0), (3, 2.0)]  # equal weights in unit order, no tie-less
    assert top_partners(w, 0, 2) == [(2, 5.0), (1, 2.0)]
    assert top_partners(w, 4) == []


def test_map_draws_the_strongest_ties_and_marks_the_hubs():
    rng = np.random.default_rng(3)
    a = np.triu(rng.integers(0, 9, (8, 8)).astype(float), 1)
    w = a + a.T
    i, j = np.triu_indices(8, 1)
    vals = sorted(w[i, j][w[i, j] > 0], reverse=True)
    drawn, m, share = shown_ties(w, 5)
    assert m == len(vals) and len(drawn) == 5
    assert sorted((x for _, _, x in drawn), reverse=True) == vals[:5]
    assert share == pytest.approx(sum(vals[:5]) / sum(vals))
    assert len(shown_ties(w, 100)[0]) == m and shown_ties(w, 100)[2] == pytest.approx(1.0)
    assert hubs(np.array([0.1, 0.3, np.nan, 0.3, 0.2]), 3) == [1, 3, 4]


def test_malmquist_summary_is_the_geometric_mean_per_year_pair():
    m = pd.DataFrame({"unit": ["a", "b", "c"] * 2, "year_from": [2020] * 3 + [2021] * 3, "year": [2021] * 3 + [2022] * 3,
                      "domain": "gov", "mi": [1.2, 0.9, np.nan, 1.0, 1.5, 0.8], "ec": [1.1, 1.0, 1.0, 1.0, 1.2, 0.9],
                      "tc": [1.2 / 1.1, 0.9, 1.0, 1.0, 1.25, 0.8 / 0.9]})
    rows = malmquist_summary(m, 2022)
    assert [(r["year_from"], r["year"], r["n"]) for r in rows] == [(2020, 2021, 2), (2021, 2022, 3)]
    assert rows[0]["mi"] == pytest.approx(gmean([1.2, 0.9]))
    assert rows[1]["ec"] == pytest.approx(gmean([1.0, 1.2, 0.9]))
    assert rows[1]["mi"] == pytest.approx(rows[1]["ec"] * rows[1]["tc"])  # geometric means keep MI = EC·TC
    assert [u for u, _ in rows[1]["top"]] == ["b", "a", "c"] and [u for u, _ in rows[1]["low"]] == ["c", "a", "b"]
    assert len(malmquist_summary(m, 2021)) == 1 and malmquist_summary(None, 2022) == []


# --------------------------------------------------------------------------- the demo's pages


@pytest.fixture(scope="module")
def demo():
    from evalkit.load import load_inputs
    from evalkit.pipeline import score
    from evalkit.run import analysis_tables, report_input

    result = score(load_inputs(None))
    tables = analysis_tables(result, None)
    return result, tables, report_input(result, tables)


def _scorecard(inp, uid, lang="zh"):
    from evalkit.report import context as C
    from evalkit.report.render import render_scorecard
    from evalkit.report.templates import environment, templates_dir

    p = C.Prepared(inp)
    return render_scorecard(p, environment(templates_dir()), uid, 2024, lang)


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section[^>]*id="{sid}".*?</section>', html, re.S)
    assert m, sid
    return m.group(0)


def test_scorecard_partners_agree_with_the_relations_file(demo):
    _, tables, inp = demo
    rel = pd.read_csv("data/demo/relations.csv", dtype={"from": str, "to": str})
    sec = _section(_scorecard(inp, "320500"), "partners")
    nu = tables["network-units"]
    for rid in ("data_sharing", "cross_province_services", "joint_agreements"):
        block = re.search(rf'data-relation="{rid}".*?</article>', sec, re.S).group(0)
        r = rel[(rel.relation == rid) & (rel.year == 2024)]
        both = pd.concat([r.assign(other=r["to"])[r["from"] == "320500"], r.assign(other=r["from"])[r["to"] == "320500"]])
        tie = both.groupby("other")["value"].sum().sort_values(ascending=False, kind="stable")
        shown = re.findall(r'<tr data-unit="(\d+)">.*?data-kind="weight">([\d,.]+)<', block)
        assert [float(w.replace(",", "")) for _, w in shown] == list(tie.iloc[:5].to_numpy(dtype=float))
        s = nu[(nu.relation == rid) & (nu.year == 2024)].set_index("unit")["strength"]
        assert re.search(r'data-kind="strength">([\d,]+)', block).group(1).replace(",", "") == f"{s['320500']:.0f}"
        rank = 1 + int((s > s["320500"]).sum())
        assert re.search(r'data-kind="rank-strength">(\d+)<', block).group(1) == str(rank)
        groups = dict(zip(inp.units["id"].astype(str), inp.units["group"].astype(str)))
        for uid, _ in shown:  # a partner in another province carries the "cross" badge, the others not
            row = re.search(rf'<tr data-unit="{uid}">.*?</tr>', block).group(0)
            assert ("badge-cross" in row) == (groups[uid] != groups["320500"])


def test_region_page_network_and_no_malmquist_without_raw_dea(demo, tmp_path):
    from evalkit.report.region import render_region_page

    _, tables, inp = demo
    for lang in ("zh", "en"):
        html = render_region_page(tmp_path / lang, 2024, inp, lang).read_text(encoding="utf-8")
        sec = _section(html, "network")
        svgs = re.findall(r"<svg.*?</svg>", sec, re.S)
        assert len(svgs) == 3 + 2  # a map per relation, density and cross-border share
        for s in svgs:
            ET.fromstring(s)
        n = len(inp.units)
        for s in svgs[:3]:
            assert len(re.findall(r'<line class="tie', s)) <= round(1.5 * n)
            assert len(re.findall(r'class="hub"', s)) == 5
        assert 'id="malmquist"' not in html  # the demo's DEA runs on the stages: no malmquist.csv
    g = tables["network"]
    d = g[(g.relation == "joint_agreements") & (g.year == 2024)].iloc[0]
    row = re.search(r'<tr data-relation="joint_agreements">.*?</tr>', sec).group(0)
    assert f"{d['density']:.3f}" in row and f"{100 * d['cross_share']:.1f}%" in row and f">{int(d['ties'])}<" in row


def test_region_page_shows_malmquist_of_raw_indicator_dea(demo, tmp_path):
    from evalkit import rescore
    from evalkit.report.region import render_region_page
    from evalkit.run import analysis_tables, report_input

    result, _, _ = demo
    ins, outs = ["gov_it_spend_share", "gov_cloud_rate"], ["gov_full_online_rate", "gov_hotline_satisfaction"]
    alt = rescore(result, {"analysis.efficiency": {"inputs": ins, "outputs": outs}})
    tables = analysis_tables(alt, None)
    html = render_region_page(tmp_path, 2024, report_input(alt, tables), "en").read_text(encoding="utf-8")
    sec = _section(html, "malmquist")
    m = tables["malmquist"]
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">(\d{4})–(\d{4})</th>(.*?)</tr>", sec)
    assert [(int(a), int(b)) for a, b, _ in rows] == list(zip(alt.years[:-1], alt.years[1:]))
    last = m[m.year == 2024]
    ok = last[(last[["mi", "ec", "tc"]] > 0).all(axis=1)]
    v = [float(x) for x in re.findall(r'data-v="([^"]+)"', rows[-1][2])]
    assert_allclose(v, [gmean(ok["mi"]), gmean(ok["ec"]), gmean(ok["tc"])], rtol=1e-12)


def test_pages_without_relations_show_nothing_new(demo, tmp_path):
    from evalkit.report.region import region_context, render_region_page

    _, tables, inp = demo
    bare = dataclasses.replace(inp, ties=None, meta={k: v for k, v in inp.meta.items() if k != "relations"},
                               tables={k: v for k, v in tables.items() if not k.startswith("network")})
    html = re.sub(r"<style>.*?</style>", "", _scorecard(bare, "340100", "en"), flags=re.S)  # the page's body
    assert 'id="partners"' not in html and "nw-" not in html
    page = render_region_page(tmp_path, 2024, bare, "en").read_text(encoding="utf-8")
    assert 'id="network"' not in page and 'id="malmquist"' not in page
    ctx = region_context(bare, 2024, "en")
    assert ctx["network"] is None and ctx["malmquist"] is None
    # the sections are the only difference: cut out of the page with relations, the rest is the same bytes
    full = render_region_page(tmp_path / "full", 2024, inp, "en").read_text(encoding="utf-8")
    assert re.sub(r'<section id="network">.*?</section>\n\n', "", full, flags=re.S) == page


def test_without_coordinates_the_table_and_the_evolution_remain(demo):
    from evalkit.report.region import region_context

    _, _, inp = demo
    flat = dataclasses.replace(inp, units=inp.units.drop(columns=["lat", "lon"]))
    nw = region_context(flat, 2024, "zh")["network"]
    assert nw["maps"] == [] and len(nw["rows"]) == 3 and len(nw["evolution"]) == 2
