"""The regional page's kernel-density and spatial sections, read back from the SVG and
compared with density.csv / spatial-units.csv."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evalkit.pipeline import score
from evalkit.report.region import region_context
from evalkit.run import analysis_tables, load_inputs, report_input

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo():
    result = score(load_inputs(None))
    tables = analysis_tables(result, None)
    return result, tables, report_input(result, tables)


def test_density_chart_draws_density_csv(demo):
    result, tables, inp = demo
    ctx = region_context(inp, 2024, "en")
    root = ET.fromstring(str(ctx["density_chart"]))
    plot = root.find(f"{SVG}g[@class='plot']")
    left, top, w, h, ymax = (float(plot.get(k)) for k in ("data-left", "data-top", "data-w", "data-h", "data-ymax"))
    paths = plot.findall(f"{SVG}path[@class='series']")
    assert len(paths) == len(result.years)
    d = tables["density"]
    last = d[(d.node == result.tree.root.id) & (d.year == 2024)].sort_values("x")
    pts = np.array([[float(a), float(b)] for a, b in re.findall(r"[ML]([\d.]+),([\d.]+)", paths[-1].get("d"))])
    x, y = last["x"].to_numpy(), last["density"].to_numpy()
    assert_allclose(pts[:, 0], left + w * (x - x[0]) / (x[-1] - x[0]), atol=0.006)
    assert_allclose(pts[:, 1], top + h * (1 - y / ymax), atol=0.006)
    assert len(ctx["density_charts"]) == len(result.tree.domains)
    bw = last["bandwidth"].iloc[0]
    assert f"h = {bw:.2f}" in ctx["density_note"]


def test_moran_table_and_lisa_map_follow_spatial_csv(demo):
    from evalkit.report.region import CLUSTER_COLORS

    result, tables, inp = demo
    ctx = region_context(inp, 2024, "zh")
    g = tables["spatial"]
    g = g[g.node == result.tree.root.id].set_index("year")
    for r in ctx["moran_rows"]:
        assert float(r["cells"][0]["v"]) == g.loc[r["year"], "moran_i"]
        assert float(r["cells"][2]["v"]) == g.loc[r["year"], "p_sim"]
    root = ET.fromstring(str(ctx["map_chart"]))
    plot = root.find(f"{SVG}g[@class='plot']")
    s, lon0, lat0, k, ox, oy = (float(plot.get(a)) for a in ("data-s", "data-lon0", "data-lat0", "data-k", "data-ox",
                                                               "data-oy"))
    u = tables["spatial-units"]
    cl = u[(u.node == result.tree.root.id) & (u.year == 2024)].set_index("unit")["cluster"]
    units = inp.units.set_index("id")
    links = plot.findall(f"{SVG}a")
    assert len(links) == 41
    for a in links:
        uid = a.get("href").removesuffix(".html")
        c = a.find(f"{SVG}circle")
        lat, lon = units.loc[uid, "lat"], units.loc[uid, "lon"]
        assert abs(float(c.get("cx")) - (ox + s * (lon - lon0) * k)) < 0.006
        assert abs(float(c.get("cy")) - (oy + s * (lat0 - lat))) < 0.006
        assert c.get("fill") == CLUSTER_COLORS[cl[uid]]
    # Shanghai lies east of Hefei, Wenzhou south of Lianyungang
    pos = {a.get("href").removesuffix(".html"): a.find(f"{SVG}circle") for a in links}
    assert float(pos["310000"].get("cx")) > float(pos["340100"].get("cx"))
    assert float(pos["330300"].get("cy")) > float(pos["320700"].get("cy"))


def test_beta_models_and_dagum_pairs_follow_the_csv(demo):
    result, tables, inp = demo
    ctx = region_context(inp, 2024, "en")
    conv = tables["convergence"]
    c = conv[(conv.node == result.tree.root.id) & conv.analysis.str.startswith("beta_")]
    assert [r["kind"] for r in ctx["beta_models"]] == c["analysis"].tolist()
    for r, (_, row) in zip(ctx["beta_models"], c.iterrows()):
        v = r["cells"][0]["v"]
        assert (v == "" and np.isnan(row["beta"])) or float(v) == row["beta"]
    st = conv[(conv.node == result.tree.root.id) & (conv.analysis == "sigma_trend")].iloc[0]
    assert f"slope {st['sigma_trend']:.4f}".replace("-", "\u2212") in ctx["beta_models_note"]
    p = tables["dagum-pairs"]
    p = p[(p.node == result.tree.root.id) & (p.year == 2024)]
    assert len(ctx["pair_rows"]) == len(p) == 6
    shares = [float(r["cells"][2]["v"]) for r in ctx["pair_rows"]]
    assert_allclose(sum(shares), 1.0, atol=1e-12)
    assert [float(r["cells"][0]["v"]) for r in ctx["pair_rows"]] == p["G_jh"].tolist()
    # an earlier report year: the β models cover the file's whole period, so they are not shown
    assert region_context(inp, 2022, "en")["beta_models"] == []


def test_reading_states_morans_i(demo):
    result, tables, inp = demo
    g = tables["spatial"]
    i = g[(g.node == result.tree.root.id) & (g.year == 2024)]["moran_i"].iloc[0]
    reading = region_context(inp, 2024, "en")["reading"]
    assert any(f"Moran's I = {i:.3f}" in s and "positive spatial autocorrelation" in s for s in reading)


def test_page_without_the_new_tables_still_renders(demo, tmp_path):
    import dataclasses

    from evalkit.report.region import render_region_page

    _, tables, inp = demo
    old = {k: v for k, v in tables.items() if k not in ("density", "spatial", "spatial-units", "dagum-pairs")}
    bare = dataclasses.replace(inp, tables=old)
    ctx = region_context(bare, 2024, "zh")
    assert ctx["density_chart"] is None and ctx["map_chart"] is None and ctx["pair_rows"] == []
    html = render_region_page(tmp_path, 2024, bare, "zh").read_text(encoding="utf-8")
    assert 'id="density"' not in html and 'id="spatial"' not in html and 'id="theil"' in html
