"""The regional page <year>/region.html on the bundled demo, in zh and en.

It renders, parses (HTML and every inline SVG as XML), its numbers are those of
disparity.csv / convergence.csv / region_groups.csv as written (data-v holds the
full value, the text its rounding), and every city is named with its code.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pandas as pd
import pytest

from evalkit.analysis.convergence import beta_convergence
from evalkit.load import load_inputs
from evalkit.output import write_csv
from evalkit.pipeline import score
from evalkit.report.region import region_context, render_region_page
from evalkit.run import analysis_tables, report_input

YEAR = 2024
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source", "area", "base", "embed", "param",
        "track"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    result = score(load_inputs(None))
    tables = analysis_tables(result, None)
    folder = tmp_path_factory.mktemp("csv")
    csv = {}
    for name in ("disparity", "convergence", "region_groups"):
        write_csv(tables[name], folder / f"{name}.csv")
        csv[name] = pd.read_csv(folder / f"{name}.csv")
    return result, report_input(result, tables), csv


@pytest.fixture(scope="module")
def pages(demo, tmp_path_factory):
    _, inp, _ = demo
    out = tmp_path_factory.mktemp("site")
    return {lang: render_region_page(out / lang, YEAR, inp, lang).read_text(encoding="utf-8") for lang in ("zh", "en")}


class Cells(HTMLParser):
    """Checks nesting; collects rows of tables (by class) as lists of (attrs, text) cells."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tables: dict[str, list[list[tuple[dict, str]]]] = {}
        self._table: str | None = None
        self._cell: tuple[dict, list[str]] | None = None
        self.text: list[str] = []
        self._skip = 0
        self.feed(html)
        self.close()
        assert not self.stack, self.stack

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "table":
            self._table = (a.get("class") or "").split()[-1]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = (a, [])

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
        if tag in ("style", "script"):
            self._skip -= 1
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append((self._cell[0], " ".join("".join(self._cell[1]).split())))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1].append(data)
        if not self._skip:
            self.text.append(data)


def _body(rows):
    return [r for r in rows if r and "data-v" in str(r) or any("data-v" in c[0] for c in r)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_region_page_renders_parses_and_is_self_contained(pages, lang):
    html = pages[lang]
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    Cells(html)
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) >= 8  # Theil, Gini, CV, sd, provinces, one per province
    for s in svgs:
        ET.fromstring(s)
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'href="index.html"' in html and ("区域差异与收敛分析" if lang == "zh" else
                                           "Regional disparity and convergence") in html
    for sec in ("reading", "overall", "theil", "gini", "sigma", "beta", "domains", "provinces", "within", "method"):
        assert f'id="{sec}"' in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overall_table_equals_disparity_and_convergence_csv(demo, pages, lang):
    _, _, csv = demo
    rows = [r for r in Cells(pages[lang]).tables["region-overall"] if len(r) > 1][1:]
    d = csv["disparity"][csv["disparity"].node == "dgpi"].set_index("year")
    c = csv["convergence"]
    c = c[(c.node == "dgpi") & (c.analysis == "sigma")].set_index("year")
    assert [int(r[0][1]) for r in rows] == list(range(2019, YEAR + 1))
    cols = [("mean", c, 2), ("sd", c, 2), ("cv", d, 4), ("theil", d, 4), ("theil_within", d, 4),
            ("theil_between", d, 4), (None, None, 1), ("gini", d, 4), ("gini_within", d, 4),
            ("gini_between", d, 4), ("gini_trans", d, 4)]
    for r in rows:
        y = int(r[0][1])
        for (a, text), (col, src, digits) in zip(r[1:], cols):
            if col is None:  # the between share of Theil
                v = d.loc[y, "theil_between"] / d.loc[y, "theil"]
                assert float(a["data-v"]) == pytest.approx(v, abs=1e-15)
                assert text == f"{100 * v:.1f}%"
                continue
            assert float(a["data-v"]) == src.loc[y, col]      # exactly the number written to the CSV
            assert text.replace("\u2212", "-") == f"{src.loc[y, col]:.{digits}f}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_beta_table_and_readings_equal_convergence_csv(demo, pages, lang):
    result, _, csv = demo
    conv = csv["convergence"]
    conv = conv[conv.analysis == "beta_absolute"]  # one β row per node (year = the period's end)
    rows = [r for r in Cells(pages[lang]).tables["region-beta"] if len(r) > 1][1:]
    nodes = [result.tree.root.id] + [d.id for d in result.tree.domains]
    assert len(rows) == len(nodes)
    for r, n in zip(rows, nodes):
        b = conv[(conv.node == n) & (conv.year == YEAR)].iloc[0]
        for (a, _), col in zip(r[1:6], ("beta", "beta_se", "beta_p", "beta_speed", "beta_half_life")):
            assert float(a["data-v"]) == b[col]
        assert r[6][1] == str(int(b["beta_n"]))
    b = conv[(conv.node == "dgpi") & (conv.year == YEAR)].iloc[0]
    c = csv["convergence"]
    c = c[(c.node == "dgpi") & (c.analysis == "sigma")].set_index("year")
    html = " ".join(" ".join(Cells(pages[lang]).text).split())
    beta = f"{b['beta']:.3f}".replace("-", "\u2212")
    if lang == "zh":
        assert f"起点低的城市增长更快（β = {beta}，p < 0.001）" in html
        assert f"存在相对 σ 收敛：综合得分的变异系数由 2019 年的 {c.loc[2019, 'cv']:.2f} 降至 2024 年的 " \
               f"{c.loc[2024, 'cv']:.2f}" in html
        assert "这里的 σ 指变异系数" in html
    else:
        assert f"Cities that started lower grew faster (β = {beta}, p < 0.001)" in html
        assert f"Relative σ-convergence: the CV of the composite fell from {c.loc[2019, 'cv']:.2f} in 2019 to " \
               f"{c.loc[2024, 'cv']:.2f} in 2024" in html
        assert "σ here is the coefficient of variation" in html
    assert f"{b['beta_speed'] * 100:.1f}%" in html and f"{b['beta_half_life']:.1f}" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_domain_and_within_province_numbers_equal_the_tables(demo, pages, lang):
    result, _, csv = demo
    cells = Cells(pages[lang])
    d = csv["disparity"][csv["disparity"].year == YEAR].set_index("node")
    for r in [r for r in cells.tables["region-domains"] if len(r) > 1][1:]:
        node = None
        for n in d.index:
            if result.tree.by_id[n].name.get(lang) == r[0][1]:
                node = n
        assert node is not None, r[0][1]
        assert float(r[3][0]["data-v"]) == d.loc[node, "cv"]
        assert float(r[5][0]["data-v"]) == d.loc[node, "theil"]
        assert float(r[7][0]["data-v"]) == d.loc[node, "gini"]
    g = csv["region_groups"]
    g = g[(g.year == YEAR) & (g.node == "dgpi")].set_index("group")
    rows = [r for r in cells.tables["region-within"] if len(r) > 1][1:]
    assert len(rows) == len(g) == 4
    tw = d.loc["dgpi", "theil_within"]
    assert g["theil_contribution"].sum() == pytest.approx(tw, abs=1e-15)
    for r, (grp, row) in zip(rows, g.iterrows()):
        assert int(r[1][1]) == row["n"]
        assert float(r[2][0]["data-v"]) == row["mean"]
        assert float(r[6][0]["data-v"]) == row["theil_group"]
        assert float(r[7][0]["data-v"]) == pytest.approx(row["theil_contribution"] / tw, abs=1e-15)
        assert float(r[8][0]["data-v"]) == row["gini_group"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cities_are_named_with_their_code(demo, pages, lang):
    result, inp, _ = demo
    cells = Cells(pages[lang])
    names = {str(r["id"]): (r["name_zh"] if lang == "zh" else r["name_en"]) for r in inp.units.to_dict("records")}
    shown = [(c[0]["data-unit"], c[1]) for row in cells.tables["region-within"] for c in row if "data-unit" in c[0]]
    assert len(shown) == 8
    for uid, text in shown:
        assert text.startswith(f"{names[uid]} {uid}")
    text = " ".join(cells.text)
    provinces = set(inp.units["group_zh"]) | set(inp.units["group_en"])  # 上海 is a city and a province
    for uid, name in names.items():   # wherever a city's name appears, its code follows
        if name in provinces:
            continue
        for m in re.finditer(re.escape(name), text):
            assert text[m.end():m.end() + 1 + len(uid)] == f" {uid}", (name, text[m.start() - 20:m.end() + 20])
    # 江苏's lowest city, found from the scores (with six domains 连云港 320700; with five it was
    # 泰州 321200, whose name 台州 331000 shares in English)
    t = list(result.years).index(YEAR)
    js = [k for k, u in enumerate(result.units) if str(u).startswith("32")]
    lowest = str(result.units[min(js, key=lambda k: result.node_scores("dgpi")[k, t])])
    jiangsu = [r for r in cells.tables["region-within"] if r and r[0][1] in ("江苏", "Jiangsu")][0]
    assert jiangsu[4][0]["data-unit"] == lowest


def test_earlier_year_shows_years_up_to_it_and_beta_over_that_period(demo, tmp_path):
    result, inp, csv = demo
    html = render_region_page(tmp_path, 2021, inp, "en").read_text(encoding="utf-8")
    rows = [r for r in Cells(html).tables["region-overall"] if len(r) > 1][1:]
    assert [int(r[0][1]) for r in rows] == [2019, 2020, 2021]
    b = beta_convergence(result.node_scores("dgpi")[:, :3], years=[2019, 2020, 2021])
    beta_row = [r for r in Cells(html).tables["region-beta"] if len(r) > 1][1]
    assert float(beta_row[1][0]["data-v"]) == b.beta and float(beta_row[3][0]["data-v"]) == b.p_value
    assert "2019–2021" in html


def test_names_are_escaped_and_missing_tables_say_so(demo, tmp_path):
    _, inp, _ = demo
    units = inp.units.copy()
    units.loc[units["id"] == "340100", "name_en"] = "<b>Hefei</b>"
    html = render_region_page(tmp_path, YEAR, dataclasses.replace(inp, units=units), "en").read_text(encoding="utf-8")
    assert "&lt;b&gt;Hefei&lt;/b&gt; 340100" in html and "<b>Hefei</b>" not in html
    bare = dataclasses.replace(inp, tables={})
    html = render_region_page(tmp_path / "bare", YEAR, bare, "zh").read_text(encoding="utf-8")
    assert "本次运行没有区域差异分析结果" in html
    Cells(html)
    ctx = region_context(inp, 2019, "zh")  # one year: no convergence, no failure
    assert ctx["beta_rows"] == [] and ctx["cv_chart"] is None


def test_render_reports_writes_and_counts_the_region_page_and_lists_a_failure(demo, tmp_path, monkeypatch):
    from evalkit.report import region as region_mod
    from evalkit.report.render import render_reports

    _, inp, _ = demo
    s = render_reports(inp, tmp_path / "a", years=[2023, YEAR], lang="zh")
    assert s.pages == 2 * (41 + 1 + 1 + 1) and s.failures == []  # scorecards, overview, methods annex, regional page
    assert (tmp_path / "a" / "2023" / "region.html").is_file() and (tmp_path / "a" / str(YEAR) / "region.html").is_file()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(region_mod, "render_region_page", boom)
    s = render_reports(inp, tmp_path / "b", years=[YEAR], lang="zh")
    assert s.pages == 43 and [f[0] for f in s.failures] == [f"region/{YEAR}"] and "disk full" in s.failures[0][1]
