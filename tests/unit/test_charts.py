"""Inline SVG charts: valid XML, accessible, escaped, marks where the numbers say, NaN as gaps."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from evalkit.report import charts
from evalkit.report.charts import Series

NS = {"s": "http://www.w3.org/2000/svg"}
NAN = float("nan")


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def pts(s: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in p.split(",")) for p in s.split()]


def assert_accessible(root: ET.Element) -> None:
    assert root.get("role") == "img"
    title = root.find("s:title", NS)
    desc = root.find("s:desc", NS)
    assert title is not None and desc is not None and title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "Noto Sans CJK SC" in root.get("font-family")


def test_radar_vertices_lie_where_the_scores_say():
    vals = [80.0, 20.0, 55.0, 100.0, 0.0]
    svg = charts.radar(list("ABCDE"), [Series("x", vals)], lo=0, hi=100, title="t", desc="d")
    root = parse(svg)
    assert_accessible(root)
    g = root.find("s:g[@class='plot']", NS)
    cx, cy, r = (float(g.get(k)) for k in ("data-cx", "data-cy", "data-r"))
    poly = root.find(".//s:polygon[@class='series']", NS)
    got = pts(poly.get("points"))
    for i, (v, (x, y)) in enumerate(zip(vals, got)):
        th = -math.pi / 2 + 2 * math.pi * i / 5
        assert x == pytest.approx(cx + r * v / 100 * math.cos(th), abs=0.01)
        assert y == pytest.approx(cy + r * v / 100 * math.sin(th), abs=0.01)


def test_radar_scale_offset_and_clipping():
    svg = charts.radar(list("ABC"), [Series("x", [50.0, 150.0, 0.0])], lo=50, hi=100, title="t", desc="d")
    root = parse(svg)
    g = root.find("s:g[@class='plot']", NS)
    cx, cy, r = (float(g.get(k)) for k in ("data-cx", "data-cy", "data-r"))
    got = pts(root.find(".//s:polygon[@class='series']", NS).get("points"))
    assert got[0] == pytest.approx((cx, cy), abs=0.01)            # lo -> centre
    th = -math.pi / 2 + 2 * math.pi / 3
    assert got[1] == pytest.approx((cx + r * math.cos(th), cy + r * math.sin(th)), abs=0.01)  # clipped to hi
    assert got[2] == pytest.approx((cx, cy), abs=0.01)            # below lo -> centre


def test_radar_nan_is_a_gap_not_zero():
    svg = charts.radar(list("ABCD"), [Series("x", [60.0, NAN, 40.0, 70.0])], lo=0, hi=100, title="t", desc="d")
    root = parse(svg)
    assert root.find(".//s:polygon[@class='series']", NS) is None
    lines = root.findall(".//s:polyline", NS)
    assert len(lines) == 1
    line = pts(lines[0].get("points"))
    assert len(line) == 3                                          # C, D, A: the run around the gap
    g = root.find("s:g[@class='plot']", NS)
    cx, cy = float(g.get("data-cx")), float(g.get("data-cy"))
    assert all((x, y) != pytest.approx((cx, cy), abs=0.01) for x, y in line)


def test_bar_heights_are_proportional_and_nan_draws_no_bar():
    vals = [10.0, 40.0, NAN, 100.0]
    svg = charts.grouped_bars(list("ABCD"), [Series("s", vals)], lo=0, hi=100, title="t", desc="d")
    root = parse(svg)
    assert_accessible(root)
    g = root.find("s:g[@class='plot']", NS)
    y0, h = float(g.get("data-y0")), float(g.get("data-h"))
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert [b.get("data-cat") for b in bars] == ["0", "1", "3"]
    for b in bars:
        v = vals[int(b.get("data-cat"))]
        assert float(b.get("height")) == pytest.approx(h * v / 100, abs=0.01)
        assert float(b.get("y")) + float(b.get("height")) == pytest.approx(y0, abs=0.01)
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] / heights[0] == pytest.approx(4, rel=1e-3)
    assert any(t.text == "—" for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_hbars_lengths_proportional():
    svg = charts.hbars(["a", "b", "c"], [0.1, 0.3, NAN], lo=0, hi=0.5, title="t", desc="d")
    root = parse(svg)
    g = root.find("s:g[@class='plot']", NS)
    w = float(g.get("data-w"))
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert len(bars) == 2
    assert float(bars[0].get("width")) == pytest.approx(w * 0.2, abs=0.01)
    assert float(bars[1].get("width")) == pytest.approx(w * 0.6, abs=0.01)


def test_lines_break_at_nan():
    svg = charts.lines([2019, 2020, 2021, 2022, 2023], [Series("s", [10, 20, NAN, 30, 40])], lo=0, hi=100,
                       title="t", desc="d")
    root = parse(svg)
    path = root.find(".//s:path[@class='series']", NS)
    d = path.get("d")
    assert d.count("M") == 2 and d.count("L") == 2
    assert len([c for c in root.iter("{http://www.w3.org/2000/svg}circle")]) >= 4


def test_heatmap_cells_and_gaps():
    svg = charts.heatmap(["u1", "u2"], ["a", "b"], [[10, 90], [NAN, 50]], lo=0, hi=100, title="t", desc="d",
                         row_links=["u1.html", "u2.html"])
    root = parse(svg)
    cells = root.findall(".//s:rect[@class='cell']", NS)
    assert [float(c.get("data-value")) for c in cells] == [10, 90, 50]
    assert len(root.findall(".//s:rect[@class='cell gap']", NS)) == 1
    assert [a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")] == ["u1.html", "u2.html"]
    # darker for higher
    assert cells[1].get("fill") < cells[0].get("fill")


def test_rank_interval_positions():
    svg = charts.rank_interval([("x", 7, 5, 10)], n_units=41, title="t", desc="d")
    root = parse(svg)
    g = root.find("s:g[@class='plot']", NS)
    x0, w = float(g.get("data-x0")), float(g.get("data-w"))
    dot = root.find(".//s:circle[@class='dot']", NS)
    assert float(dot.get("cx")) == pytest.approx(x0 + w * 6 / 40, abs=0.01)
    wh = root.find(".//s:line[@class='whisker']", NS)
    assert float(wh.get("x1")) == pytest.approx(x0 + w * 4 / 40, abs=0.01)
    assert float(wh.get("x2")) == pytest.approx(x0 + w * 9 / 40, abs=0.01)


def test_all_text_is_escaped():
    evil = "<script>alert(1)</script> & \"q\""
    for svg in (
        charts.radar([evil, "b", "c"], [Series(evil, [1, 2, 3])], lo=0, hi=10, title=evil, desc=evil),
        charts.grouped_bars([evil], [Series(evil, [1])], lo=0, hi=10, title=evil, desc=evil),
        charts.lines([evil, 2], [Series(evil, [1, 2])], lo=0, hi=10, title=evil, desc=evil),
        charts.heatmap([evil], [evil], [[1]], lo=0, hi=10, title=evil, desc=evil, row_links=[evil]),
        charts.hbars([evil], [1], title=evil, desc=evil),
        charts.rank_interval([(evil, 1, 1, 2)], n_units=3, title=evil, desc=evil, legend=(evil, evil, evil)),
        charts.slope([evil, "b"], [1, 2], [2, 1], years=(evil, evil), title=evil, desc=evil, legend=(evil,) * 3,
                     provisional=[True, False], prov_label=evil),
    ):
        assert "<script" not in str(svg)
        root = parse(svg)                                          # still valid XML
        assert root.find("s:title", NS).text == evil


def test_wrap_and_text_width():
    assert charts.text_width("政务", 10) == pytest.approx(20)
    lines = charts.wrap("Government services and data sharing", 90, 12)
    assert 1 < len(lines) <= 2
    assert all(charts.text_width(x, 12) <= 90 for x in lines)


def test_nice_ticks():
    assert charts.nice_ticks(0, 100, 5) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(31, 58, 5)[0] >= 31


# ------------------------------------------------------------------ provisional marks

def test_lines_provisional_points_are_hollow_with_one_p_per_year():
    s1 = Series("a", [10, 20, 30], provisional=[False, False, True])
    s2 = Series("b", [12, 22, 31], provisional=[False, True, True])
    root = parse(charts.lines([2021, 2022, 2023], [s1, s2], lo=0, hi=100, title="t", desc="d", prov_label="P = prov"))
    hollow = root.findall(".//s:g[@class='plot']//*[@class='prov']", NS)
    assert len(hollow) == 3 and all(h.get("fill") == "#ffffff" for h in hollow)
    tags = root.findall(".//s:g[@class='plot']/s:text[@class='prov-tag']", NS)
    assert len(tags) == 2 and all(t.text == "P" for t in tags)          # 2022 and 2023, not one per point
    assert root.find(".//s:g[@class='legend-prov']", NS) is not None
    plain = parse(charts.lines([1, 2], [Series("a", [1, 2])], lo=0, hi=10, title="t", desc="d", prov_label="P"))
    assert plain.find(".//*[@class='prov']", NS) is None and plain.find(".//s:g[@class='legend-prov']", NS) is None


def test_bars_provisional_are_hatched_with_the_same_height():
    s = Series("a", [40, 80], provisional=[False, True])
    root = parse(charts.grouped_bars(["x", "y"], [s], lo=0, hi=100, title="t", desc="d", uid="b1", prov_label="P"))
    g = root.find("s:g[@class='plot']", NS)
    plot_h = float(g.get("data-h"))
    prov = root.findall(".//s:rect[@class='bar prov']", NS)
    solid = root.findall(".//s:rect[@class='bar']", NS)
    assert len(prov) == 1 and len(solid) == 1
    assert float(prov[0].get("height")) == pytest.approx(plot_h * 0.8, abs=0.01)
    pid = prov[0].get("fill")[5:-1]
    assert pid.startswith("b1-") and root.find(f".//s:pattern[@id='{pid}']", NS) is not None
    assert root.find(".//s:text[@class='prov-tag']", NS).text == "P"


def test_radar_provisional_vertex_is_hollow():
    s = Series("a", [50, 60, 70], provisional=[True, False, False])
    root = parse(charts.radar(list("ABC"), [s], lo=0, hi=100, title="t", desc="d"))
    assert len(root.findall(".//*[@class='prov']", NS)) == 1


# ------------------------------------------------------------------ rank interval: median, legend, ticks

def test_rank_interval_median_tick_and_legend():
    root = parse(charts.rank_interval([("x", 7, 5, 10, 8)], n_units=41, title="t", desc="d",
                                      legend=("dot", "bar", "tick")))
    g = root.find("s:g[@class='plot']", NS)
    x0, w = float(g.get("data-x0")), float(g.get("data-w"))
    med = root.find(".//s:line[@class='median']", NS)
    assert float(med.get("x1")) == pytest.approx(x0 + w * 7 / 40, abs=0.01)
    assert [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)] == ["dot", "bar", "tick"]


@pytest.mark.parametrize("n", list(range(2, 60)) + [99, 100, 101, 150, 287])
def test_rank_axis_tick_labels_never_touch(n):
    root = parse(charts.rank_interval([("x", 1, 1, 2)], n_units=n, title="t", desc="d"))
    ticks = [(float(t.get("x")), t.text) for t in root.findall(".//s:text[@class='tick']", NS)]
    assert ticks[0][1] == "1" and ticks[-1][1] == str(n)
    for (xa, a), (xb, b) in zip(ticks, ticks[1:]):
        gap = (xb - xa) - (charts.text_width(a, 10) + charts.text_width(b, 10)) / 2
        assert gap >= 6, (n, a, b)


# ------------------------------------------------------------------ slope chart

def test_slope_geometry_colours_and_ties():
    labels = ["a", "b", "c", "d"]
    before = [1, 2, 3, NAN]
    after = [3, 1, 1, 4]                                               # b and c tie for 1st
    root = parse(charts.slope(labels, before, after, years=("2023", "2024"), title="t", desc="d",
                              highlight=[0], provisional=[False, False, False, True], prov_label="P",
                              legend=("up", "down", "same")))
    assert_accessible(root)
    g = root.find("s:g[@class='plot']", NS)
    top, row, xa, xb = (float(g.get(k)) for k in ("data-top", "data-row", "data-xa", "data-xb"))
    lines = {int(ln.get("data-unit")): ln for ln in root.findall(".//s:line[@data-unit]", NS)}
    assert set(lines) == {0, 1, 2}                                      # d had no rank last year: no line

    def y(slot):
        return top + row * (slot + 0.5)

    a, b, c = lines[0], lines[1], lines[2]
    assert float(a.get("x1")) == pytest.approx(xa) and float(a.get("x2")) == pytest.approx(xb)
    assert float(a.get("y1")) == pytest.approx(y(0)) and float(a.get("y2")) == pytest.approx(y(2))
    assert float(b.get("y2")) == pytest.approx(y(0)) and float(c.get("y2")) == pytest.approx(y(1))   # tie: input order
    assert a.get("stroke") == charts.DOWN and b.get("stroke") == charts.UP and c.get("stroke") == charts.UP
    assert a.get("class") == "slope strong" and b.get("class") == "slope"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "1 b" in texts and "1 c" in texts and "4 d" in texts and "2023" in texts and "2024" in texts
    assert len(g.findall(".//*[@class='prov']", NS)) == 1 and "P" in texts
    assert [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)][:3] == ["up", "down", "same"]
