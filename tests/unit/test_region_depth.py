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
