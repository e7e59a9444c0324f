"""``<year>/audit.html``: written by `run --audit` and `evalkit audit`, linked from the overview and
back; its heat map holds the Pearson correlations (checked against numpy on the scores), its
importance chart the table's shares and weights, its flags are words in the page's language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.cli import main

from test_report_chromium import page_text

YEAR = 2024


@pytest.fixture(scope="module")
def run_en(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "out"
    assert main(["run", "--audit", "--lang", "en", "--out", str(out)]) == 0
    return out


_RESULT = []


def demo_result():
    if not _RESULT:
        _RESULT.append(evalkit.score(evalkit.load_project()))
    return _RESULT[0]


def svgs(html: str, cls: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r'<svg [^>]*class="chart ' + cls + r'".*?</svg>', html, re.S)]


def test_overview_links_the_audit_and_back(run_en):
    overview = (run_en / str(YEAR) / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<nav class="page-nav extra-pages"[^>]*><a href="audit.html">Statistical audit</a>', overview)
    page = (run_en / str(YEAR) / "audit.html").read_text(encoding="utf-8")
    assert '<a class="nav" href="index.html">' in page


def test_heat_map_holds_pearson_of_the_scores(run_en):
    """The root's heat map: its children's r with each other and with the index, as numpy computes them."""
    result = demo_result()
    tree = result.tree
    t = result.years.index(YEAR)
    kids = [c.id for c in tree.root.children]
    s = result.scores[:, t, [tree.index[k] for k in kids] + [tree.index[tree.root.id]]]
    s = s[np.isfinite(s).all(axis=1)]
    r = np.corrcoef(s, rowvar=False)
    html = (run_en / str(YEAR) / "audit.html").read_text(encoding="utf-8")
    heat = svgs(html, "corr")[0]  # the index first: the page goes top down
    ns = "{http://www.w3.org/2000/svg}"
    cells = [float(c.get("data-value")) for c in heat.iter(ns + "rect") if c.get("class") == "cell"]
    k = len(kids)
    assert len(cells) == k * (k + 1)  # k × k children, then the parent column (no index column at the root)
    got = np.array(cells).reshape(k, k + 1)
    np.testing.assert_allclose(got, r[:k, :], atol=5e-6)  # printed to 6 significant digits
    # values are printed in the cells, and the legend runs from −1 to 1
    texts = [x.text for x in heat.iter(ns + "text")]
    assert f"{r[0, 1]:.2f}".replace("-", "−") in texts and "−1" in texts and "1" in texts


def test_importance_chart_has_the_table_and_the_diagonal(run_en):
    nodes = pd.read_csv(run_en / "audit-nodes.csv")
    rows = nodes[(nodes.scope == "year") & (nodes.year == YEAR) & (nodes.node == "dgpi")]
    html = (run_en / str(YEAR) / "audit.html").read_text(encoding="utf-8")
    chart = svgs(html, "importance")[0]
    ns = "{http://www.w3.org/2000/svg}"
    pts = sorted((float(c.get("data-weight")), float(c.get("data-share"))) for c in chart.iter(ns + "circle"))
    want = sorted(zip(rows.weight, rows.importance_share))
    np.testing.assert_allclose(pts, want, rtol=1e-5)
    assert any(x.get("class") == "diagonal" for x in chart.iter(ns + "line"))


def test_flags_in_words_with_names(run_en):
    corr = pd.read_csv(run_en / "audit-correlations.csv", keep_default_na=False)
    year = corr[(corr.scope == "year") & (corr.year.astype(str) == str(YEAR))]
    against = year[year.flag_en.str.contains("moves against")]
    assert len(against)  # the demo has an indicator moving against the index
    result = demo_result()
    child = result.tree.by_id[against.iloc[0]["child"]].name.get("en")
    html = (run_en / str(YEAR) / "audit.html").read_text(encoding="utf-8")
    assert re.search(re.escape(child) + r" moves against (its dimension|the index)", html)
    # the findings open with the parts that work against the structure, each listed there
    findings = html.split('id="findings"')[1].split("</section>")[0]
    groups = re.findall(r"<h3[^>]*>(.*?) \((\d+)\)</h3>\s*<ul[^>]*>(.*?)</ul>", findings, re.S)
    assert groups[0][0] == "Parts that move against their dimension or the index"
    items = re.findall(r"<li>(.*?)</li>", groups[0][2])
    assert len(items) == int(groups[0][1]) and all("moves against" in x for x in items)
    assert any(child in x for x in items)
    assert "Cronbach&#39;s alpha" in html or "Cronbach's alpha" in html


def test_evalkit_audit_writes_the_page_in_the_projects_language(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["audit", "--out", str(out)]) == 0
    assert f"{YEAR}/audit.html" in capsys.readouterr().out
    text, how = page_text(out / str(YEAR) / "audit.html", tmp_path)
    assert "指数统计审计" in text and "Cronbach α" in text and "本年度审计发现" in text, how


def test_overview_without_audit_has_no_extra_pages(tmp_path):
    from evalkit.report import render_reports
    from evalkit.report.sample import sample_input

    inp = sample_input(12, range(2023, YEAR + 1), seed=3)
    render_reports(inp, tmp_path, years=[YEAR], lang="en")
    assert not (tmp_path / str(YEAR) / "audit.html").exists()
    assert "extra-pages" not in (tmp_path / str(YEAR) / "index.html").read_text(encoding="utf-8")
