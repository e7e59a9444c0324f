"""evalkit.report.pages: the robustness page on hand-made tables (names, escaping, chart geometry)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from evalkit.report.pages import rank_interval_chart, render_robustness_page, robustness_context, sobol_chart

UNITS = pd.DataFrame({"id": ["320500", "341300", "999999"], "name_zh": ["苏州", "宿州", "<b>粗</b>"],
                      "name_en": ["Suzhou (Jiangsu)", "Suzhou (Anhui)", "<b>Bold</b>"],
                      "group": ["江苏", "安徽", "测试"]})
ROB = pd.DataFrame({"unit": ["341300", "320500", "999999"], "year": [2024, 2024, 2024],
                    "nominal_rank": [3.0, 1.0, 2.0], "median_rank": [2.5, 1.0, 2.0],
                    "rank_p05": [2.0, 1.0, 1.0], "rank_p95": [3.0, 2.0, 3.0],
                    "p_top5": [1.0, 1.0, 1.0], "p_bottom5": [1.0, 1.0, 1.0]})
SOBOL = pd.DataFrame({"factor": ["weights", "normalize"], "options": ["", "minmax, zscore"],
                      "S1": [0.1, -0.05], "S1_low": [0.0, -0.2], "S1_high": [0.2, 0.1],
                      "ST": [0.3, 0.8], "ST_low": [0.2, 0.6], "ST_high": [0.4, 1.05]})
META = {"title": {"zh": "测试", "en": "Test"}, "synthetic": True,
        "sensitivity": {"draws": 10, "seed": 3, "evaluations": 40, "noise": 0.2, "judgment_steps": 1,
                        "mean_abs_rank_shift": 0.5}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_robustness_page_names_cities_with_codes_and_escapes(tmp_path, lang):
    path = render_robustness_page(tmp_path, 2024, ROB, SOBOL, UNITS, META, lang)
    assert path == tmp_path / "2024" / "robustness.html"
    html = path.read_text(encoding="utf-8")
    if lang == "zh":
        assert "苏州 320500" in html and "宿州 341300" in html
    else:
        assert "Suzhou (Jiangsu) 320500" in html and "Suzhou (Anhui) 341300" in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)
    # the table lists units by published rank: 320500 (1), 999999 (2), 341300 (3)
    assert [m for m in re.findall(r'<tr data-unit="(\w+)"', html)] == ["320500", "999999", "341300"]


def test_reading_names_the_most_influential_choice_by_total_order():
    ctx = robustness_context(2024, ROB, SOBOL, UNITS, META, "en")
    assert [s["name"] for s in ctx["sobol_rows"]] == ["normalize", "weights"]
    text = " ".join(ctx["reading"])
    assert '"Normalisation method"' in text and "total-order index 0.80" in text
    assert "each weight moved by up to ±20%" in [f["options"] for f in ctx["factors"]][0]
    by_id = {r["id"]: r for r in ctx["rows"]}
    assert by_id["341300"]["sentence"] == ("Suzhou (Anhui) 341300: rank 3, between 2 and 3 in at least 90% of reasonable "
                                           "method choices (median 2.5).")
    assert ctx["examples"][0].startswith("Suzhou (Jiangsu) 320500: rank 1,")


def test_rank_interval_chart_places_dot_median_and_whisker_on_the_rank_axis():
    rows = [{"label": "苏州 320500", "nominal": 3.0, "median": 4.0, "lo": 2.0, "hi": 9.0, "numbers": "3 (2–9)"}]
    svg = ET.fromstring(str(rank_interval_chart(rows, n_units=11, title="t", desc="d", lang="zh")))
    ns = {"s": "http://www.w3.org/2000/svg"}
    plot = svg.find(".//s:g[@class='plot']", ns)
    x0, w = float(plot.get("data-x0")), float(plot.get("data-w"))

    def px(r):
        return x0 + w * (r - 1) / 10

    dot = svg.find(".//s:circle[@class='dot']", ns)
    med = svg.find(".//s:line[@class='median']", ns)
    whisker = svg.find(".//s:line[@class='whisker']", ns)
    assert float(dot.get("cx")) == pytest.approx(px(3), abs=0.01)
    assert float(med.get("x1")) == pytest.approx(px(4), abs=0.01)
    assert float(whisker.get("x1")) == pytest.approx(px(2), abs=0.01)
    assert float(whisker.get("x2")) == pytest.approx(px(9), abs=0.01)


def test_sobol_chart_draws_negative_estimates_at_zero_and_scales_to_the_largest_bound():
    rows = SOBOL.assign(label=SOBOL["factor"]).to_dict("records")
    svg = ET.fromstring(str(sobol_chart(rows, title="t", desc="d", lang="en")))
    ns = {"s": "http://www.w3.org/2000/svg"}
    plot = svg.find(".//s:g[@class='plot']", ns)
    assert float(plot.get("data-hi")) == pytest.approx(1.1)
    widths = {(r.get("class"), r.get("data-value")): float(r.get("width")) for r in svg.iter("{%s}rect" % ns["s"])
              if r.get("data-value")}
    assert widths[("bar S1", "-0.05")] == 0
    assert widths[("bar ST", "0.8")] == pytest.approx(float(plot.get("data-w")) * 0.8 / 1.1, abs=0.01)
