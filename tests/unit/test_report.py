"""Scorecards, overview and results.xlsx rendered from a small hand-built ReportInput.

Fixture: a 2-domain × 2-stage × 2-leaf tree, 4 units in 2 groups (incl. a unit
named ``<script>alert(1)</script>``), 3 years; results computed here by plain
means so every number on a page can be checked against them.
"""

from __future__ import annotations

import os
import re
import subprocess
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.report import context as C
from evalkit.report import render as R
from evalkit.report import render_reports, templates_dir, write_results_xlsx
from evalkit.report.inputs import ReportInput
from evalkit.tree import Names, Node, Tree

EVIL = "<script>alert(1)</script>"
YEARS = [2021, 2022, 2023]


def build_tree() -> Tree:
    doms = []
    for d, zh, en in (("gov", "政务", "Government"), ("env", "环保", "Environment")):
        stages = []
        for st, szh, sen in (("input", "投入", "Input"), ("outcome", "效果", "Outcome")):
            leaves = tuple(Node(id=f"{d}_{st}_{k}", name=Names(f"{zh}{szh}指标{k}", f"{en} {sen} {k}"),
                                direction="cost" if (d, st, k) == ("env", "outcome", 2) else "benefit",
                                unit="%", stage=st, source=Names(f"市{zh}局", f"{en} bureau"))
                           for k in (1, 2))
            stages.append(Node(id=f"{d}.{st}", name=Names(szh, sen), children=leaves, stage=st))
        doms.append(Node(id=d, name=Names(zh, en), children=tuple(stages)))
    return Tree(root=Node(id="idx", name=Names("综合指数", "Composite index"), children=tuple(doms)))


def min_ranks(v: np.ndarray) -> np.ndarray:
    out = np.full(v.shape, np.nan)
    ok = ~np.isnan(v)
    out[ok] = [1 + np.sum(v[ok] > x) for x in v[ok]]
    return out


# provisional leaf cells of the fixture (values-file ``status: provisional``): (unit index, year index, leaf id)
PROV_CELLS = {(0, 2, "gov_input_1"), (3, 2, "env_outcome_1")}


def build_input(tables: dict | None = None, *, prov_cells=PROV_CELLS, preparation=None,
                raw_nan=()) -> ReportInput:
    tree = build_tree()
    units = pd.DataFrame({"id": ["320500", "341300", "x-evil", "331000"],
                          "name_zh": ["苏州", "宿州", EVIL, "台州"],
                          "name_en": ["Suzhou", "Suzhou", EVIL, "Taizhou"],
                          "group": ["江苏", "安徽", "江苏", "安徽"]})
    leaves = tree.leaf_ids
    U, Y, L = 4, 3, len(leaves)
    base = np.arange(U * Y * L, dtype=float).reshape(U, Y, L)
    raw = 10 + (base * 7.3) % 50 + np.arange(U)[:, None, None] * 3.1 + np.arange(Y)[None, :, None] * 1.7
    raw[3, 0, leaves.index("env_outcome_2")] = np.nan          # one missing cell
    score = {}
    for j, lid in enumerate(leaves):
        x = raw[:, :, j]
        lo, hi = np.nanmin(x), np.nanmax(x)
        z = (x - lo) / (hi - lo)
        if tree.by_id[lid].direction == "cost":
            z = 1 - z
        score[lid] = 100 * z
    for n in tree.inner:
        score[n.id] = np.nanmean(np.stack([score[c.id] for c in n.children], axis=2), axis=2)
    rows = []
    groups = units["group"].to_numpy()
    for n in tree.nodes:
        s = score[n.id]
        for yi, y in enumerate(YEARS):
            rk = min_ranks(s[:, yi])
            gr = np.full(U, np.nan)
            for g in set(groups):
                m = groups == g
                gr[m] = min_ranks(s[m, yi])
            for ui, uid in enumerate(units["id"]):
                rows.append({"unit": uid, "year": y, "node": n.id, "score": s[ui, yi], "rank": rk[ui],
                             "group_rank": gr[ui], "provisional": (y == 2023 and ui == 0 and n is tree.root)})
    results = pd.DataFrame(rows)
    # results.provisional: a node is provisional when a leaf under it is (as the pipeline writes it)
    prov_nodes = {(ui, YEARS[yi], n.id) for ui, yi, lid in prov_cells for n in tree.nodes
                  if lid in tree.leaves_under(n.id)}
    results["provisional"] = results["provisional"].to_numpy() | np.array([
        (ui, y, n) in prov_nodes for ui, y, n in zip(results["unit"].map({u: i for i, u in enumerate(units["id"])}),
                                                       results["year"], results["node"])])
    raw_used = raw.copy()
    for ui, yi, j in raw_nan:                     # imputed cells: missing as reported, filled as used
        raw[ui, yi, j] = np.nan
    raw_rows = [{"unit": uid, "year": y, "indicator": lid, "value": raw[ui, yi, j], "value_used": raw_used[ui, yi, j],
                 "imputed": (ui, yi, j) == (1, 2, 0), "treated": (ui, yi, j) == (0, 2, 1),
                 "provisional": (ui, yi, lid) in prov_cells}
                for ui, uid in enumerate(units["id"]) for yi, y in enumerate(YEARS) for j, lid in enumerate(leaves)]
    weights = pd.DataFrame([{"node": n.id, "parent": tree.parent[n.id] or "",
                             "method": "" if n is tree.root else ("ahp" if tree.parent[n.id] == "idx" else "equal"),
                             "local_weight": 1.0 if n is tree.root else 0.5,
                             "global_weight": 0.5 ** tree.depth[n.id],
                             "cr": 0.0 if tree.parent.get(n.id) == "idx" else np.nan,
                             "ri_table": "cn_textbook" if tree.parent.get(n.id) == "idx" else ""}
                            for n in tree.root.walk()])
    meta = {"title": {"zh": "测试评估", "en": "Test evaluation"}, "scale": (0, 100), "grades": {"A": 60, "B": 30, "C": 0},
            "synthetic": True, "years": YEARS,
            "method": {"normalize": {"method": "minmax", "scope": "panel"}, "aggregate": {"method": "arithmetic"},
                       "weights": "weights/test.yaml",
                       "preparation": preparation or ["impute", {"step": "treat", "params": {"k": 3}}]},
            "manifest": {"engine_version": "9.9.9", "inputs": {"values.csv": "ab" * 32}}}
    return ReportInput(tree=tree, units=units, results=results, weights=weights, raw=pd.DataFrame(raw_rows),
                       meta=meta, tables=tables or {}, notes=("a warning about <b>things</b>",))


def small_tables() -> dict:
    coord = pd.DataFrame([{"unit": u, "year": 2023, "C": 0.9, "T": 0.5, "D": d, "level": 7, "class_zh": "初级协调",
                           "class_en": "primary coordination", "lagging": "env"}
                          for u, d in (("320500", 0.671), ("341300", 0.512), ("x-evil", 0.4), ("331000", 0.3))])
    obst = pd.DataFrame([
        {"unit": "320500", "year": 2023, "level": "indicator", "node": "gov_input_1", "obstacle": 0.4},
        {"unit": "320500", "year": 2023, "level": "indicator", "node": "env_outcome_2", "obstacle": 0.35},
        {"unit": "320500", "year": 2023, "level": "indicator", "node": "gov_outcome_1", "obstacle": 0.25},
        {"unit": "320500", "year": 2023, "level": "domain", "node": "gov", "obstacle": 0.65},
        {"unit": "320500", "year": 2023, "level": "domain", "node": "env", "obstacle": 0.35},
        {"unit": "320500", "year": 2023, "level": "stage", "node": "gov.input", "obstacle": 0.4},
        {"unit": "320500", "year": 2023, "level": "stage", "node": "gov.outcome", "obstacle": 0.25},
        {"unit": "320500", "year": 2023, "level": "stage", "node": "env.outcome", "obstacle": 0.35}])
    eff = pd.DataFrame([{"unit": "320500", "year": 2023, "domain": "gov", "efficiency": 1.0, "ratio": 1.234,
                         "peers": ""},
                        {"unit": "320500", "year": 2023, "domain": "env", "efficiency": 0.8125, "ratio": 0.5,
                         "peers": "341300;331000"}])
    att = pd.DataFrame([{"unit": "320500", "year": 2023, "node": "gov_input_1", "level": "indicator", "actual": 50.0,
                         "target": 40.0, "attainment": 1.25, "status": "met"},
                        {"unit": "320500", "year": 2023, "node": "env_input_2", "level": "indicator", "actual": 30.0,
                         "target": 40.0, "attainment": 0.75, "status": "missed"},
                        {"unit": "320500", "year": 2023, "node": "gov_outcome_2", "level": "indicator",
                         "actual": 38.0, "target": 40.0, "attainment": 0.95, "status": "near"}])
    rob = pd.DataFrame([{"unit": "320500", "year": 2023, "nominal_rank": 2, "median_rank": 2, "rank_p05": 1,
                         "rank_p95": 3, "p_top5": 1.0, "p_bottom5": 0.25}])
    bod = pd.DataFrame([{"unit": "320500", "year": 2023, "node": "gov", "child": c, "weight": w, "share": sh}
                        for c, w, sh in (("gov.input", 0.7, 0.625), ("gov.outcome", 0.3, 0.375))])
    return {"coordination": coord, "obstacles": obst, "efficiency": eff, "attainment": att, "robustness": rob,
            "bod": bod}


class Page(HTMLParser):
    """Collects visible text, the numbers marked ``class="num"`` and every link."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.nums: list[tuple[dict, str]] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self._stack: list[tuple[str, dict, list[str]]] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("style", "title") and not self._stack_has_svg():
            self._skip += 1
        if tag in ("br", "meta", "link", "img", "input", "hr"):
            return
        self._stack.append((tag, a, []))

    def _stack_has_svg(self) -> bool:
        return any(t == "svg" for t, _, _ in self._stack)

    def handle_endtag(self, tag):
        if tag in ("style", "title") and self._skip and not self._stack_has_svg():
            self._skip -= 1
        while self._stack:
            t, a, buf = self._stack.pop()
            if "num" in a.get("class", "").split():
                self.nums.append((a, "".join(buf).strip()))
            if self._stack:
                self._stack[-1][2].extend(buf)
            if t == tag:
                break

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._stack:
            self._stack[-1][2].append(data)

    @property
    def visible(self) -> str:
        return " ".join(self.text)


@pytest.fixture(scope="module")
def inp() -> ReportInput:
    return build_input()


@pytest.fixture(scope="module")
def rendered(inp, tmp_path_factory):
    out = tmp_path_factory.mktemp("zh")
    summary = render_reports(inp, out, years=YEARS, lang="zh")
    return out, summary


def expected(inp: ReportInput, unit: str, year: int, node: str, kind: str) -> str:
    r = inp.results
    row = r[(r.unit == unit) & (r.year == year) & (r.node == node)].iloc[0]
    v = row[kind]
    if kind == "score":
        return "—" if np.isnan(v) else f"{v:.1f}"
    return "—" if np.isnan(v) else str(int(v))


def test_templates_dir_is_the_checkout_reports_folder():
    d = templates_dir()
    assert d == Path(__file__).resolve().parents[2] / "reports"
    assert (d / "scorecard.html.j2").is_file() and (d / "style.css").is_file()


def test_all_unit_year_pages_render(rendered, inp):
    out, summary = rendered
    assert summary.failures == []
    assert summary.pages == 4 * 3 + 3 + 3                             # + one methods annex a year
    for y in YEARS:
        assert (out / str(y) / "index.html").is_file() and (out / str(y) / "methods.html").is_file()
        for uid in inp.units["id"]:
            assert (out / str(y) / f"{uid}.html").is_file()


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("unit", ["320500", "341300", "x-evil", "331000"])
def test_every_marked_number_equals_the_results_table(rendered, inp, unit, year):
    out, _ = rendered
    page = Page((out / str(year) / f"{unit}.html").read_text(encoding="utf-8"))
    checked = set()
    for attrs, text in page.nums:
        node, kind = attrs.get("data-node"), attrs.get("data-kind")
        if node is None:
            continue
        assert text == expected(inp, unit, year, node, kind), (node, kind)
        checked.add((node, kind))
    # the composite, both domains, every stage and every leaf are on the page with score and rank
    for n in inp.tree.nodes:
        assert (n.id, "score") in checked and (n.id, "rank") in checked, n.id
    assert ("idx", "group_rank") in checked


def test_headline_change_and_averages(rendered, inp):
    out, _ = rendered
    html = (out / "2023" / "320500.html").read_text(encoding="utf-8")
    r = inp.results
    s = r[(r.unit == "320500") & (r.node == "idx")].set_index("year")
    d = s.loc[2023, "score"] - s.loc[2022, "score"]
    text = Page(html).visible
    sign = "+" if d > 0 else "−"
    assert f"{sign}{abs(d):.1f}" in text
    assert ("▲" if d > 0 else "▼") in text
    # province (group) average of the composite: 苏州 and the evil unit are in 江苏
    g = r[(r.year == 2023) & (r.node == "idx") & r.unit.isin(["320500", "x-evil"])]["score"].mean()
    a = r[(r.year == 2023) & (r.node == "idx")]["score"].mean()
    assert f"江苏平均 {g:.1f}" in text and f"长三角平均 {a:.1f}" in text
    assert "初步结果" in text                                          # provisional marker


def test_name_and_code_always_together(rendered):
    out, _ = rendered
    text = Page((out / "2023" / "341300.html").read_text(encoding="utf-8")).visible
    assert "宿州" in text and "341300" in text and "Suzhou" in text
    over = Page((out / "2023" / "index.html").read_text(encoding="utf-8")).visible
    assert "苏州 320500" in over and "宿州 341300" in over and "台州 331000" in over


def test_script_name_is_shown_as_text(rendered):
    out, _ = rendered
    for f in (out / "2023" / "x-evil.html", out / "2023" / "index.html"):
        html = f.read_text(encoding="utf-8")
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        page = Page(html)
        assert EVIL in page.visible
        assert "script" not in page.tags
    # the note with markup is escaped too
    assert "a warning about &lt;b&gt;things&lt;/b&gt;" in (out / "2023" / "methods.html").read_text(encoding="utf-8")


def test_missing_values_render_as_dash_not_nan(rendered, inp):
    out, _ = rendered
    for f in sorted(out.rglob("*.html")):
        page = Page(f.read_text(encoding="utf-8"))
        assert not re.search(r"\bnan\b", page.visible, re.I), f
        assert "None" not in page.visible, f
    page = Page((out / "2021" / "331000.html").read_text(encoding="utf-8"))
    rows = [t for a, t in page.nums if a.get("data-node") == "env_outcome_2" and a.get("data-kind") == "score"]
    assert rows and all(t == "—" for t in rows)
    assert "缺失值" in page.visible                                     # flag legend
    html = (out / "2021" / "331000.html").read_text(encoding="utf-8")
    assert 'class="badge flag-missing"' in html


def test_no_javascript_and_no_external_resources(rendered):
    out, _ = rendered
    for f in sorted(out.rglob("*.html")):
        html = f.read_text(encoding="utf-8")
        page = Page(html)
        assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "@import" not in html and "url(http" not in html
        assert not re.search(r"\son[a-z]+\s*=", html)                  # no inline handlers
        for href in page.links:
            assert href == "index.html" or re.fullmatch(r"[A-Za-z0-9_.-]+\.html", href), href


def test_synthetic_stamp_on_every_page(rendered):
    out, _ = rendered
    for f in sorted(out.rglob("*.html")):
        text = Page(f.read_text(encoding="utf-8")).visible
        assert "演示数据，非官方统计" in text and "Demonstration data, not official statistics" in text


def test_overview_league_links_and_numbers(rendered, inp):
    out, _ = rendered
    page = Page((out / "2023" / "index.html").read_text(encoding="utf-8"))
    for uid in inp.units["id"]:
        assert f"{uid}.html" in page.links
    scores = [t for a, t in page.nums if a.get("data-kind") == "score"]
    ranks = [t for a, t in page.nums if a.get("data-kind") == "rank"]
    r = inp.results
    top = r[(r.year == 2023) & (r.node == "idx")].sort_values(["rank", "unit"])
    assert scores == [f"{v:.1f}" for v in top["score"]]
    assert ranks == [str(int(v)) for v in top["rank"]]
    text = page.visible
    assert "分省平均" in text and "数据质量" in text
    # 1 missing cell out of 4 units × 4 env leaves in 2021
    p21 = Page((out / "2021" / "index.html").read_text(encoding="utf-8")).visible
    assert "6.2%" in p21                                               # 1 / 16 = 6.25 %


def test_english_pages(inp, tmp_path):
    s = render_reports(inp, tmp_path, years=[2023], lang="en")
    assert s.failures == []
    text = Page((tmp_path / "2023" / "320500.html").read_text(encoding="utf-8")).visible
    for word in ("Composite score", "Government", "Input", "Outcome", "methods annex", "Strengths",
                 "Demonstration data", "Suzhou", "320500"):
        assert word in text, word
    annex = Page((tmp_path / "2023" / "methods.html").read_text(encoding="utf-8")).visible
    assert "Methodology" in annex and "Chinese textbook RI table" in annex and "综合得分" not in annex
    assert "综合得分" not in text
    html = (tmp_path / "2023" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "League table" in html


def test_optional_sections_absent_without_tables(rendered):
    out, _ = rendered
    page = Page((out / "2023" / "320500.html").read_text(encoding="utf-8"))
    for sec in C.OPTIONAL_TABLES:
        assert sec not in page.ids
    assert {"headline", "domains", "chain", "trends", "strengths", "indicators", "method"} <= page.ids


def test_optional_sections_present_with_tables(tmp_path):
    inp = build_input(small_tables())
    s = render_reports(inp, tmp_path, years=[2023], lang="zh")
    assert s.failures == []
    page = Page((tmp_path / "2023" / "320500.html").read_text(encoding="utf-8"))
    assert set(C.OPTIONAL_TABLES) <= page.ids
    text = page.visible
    assert "0.671" in text and "初级协调" in text and "滞后领域" in text
    assert "40.0%" in text and "障碍度最高的领域是政务（65.0%）" in text
    assert "0.812" in text or "0.813" in text
    assert "宿州 341300" in text and "台州 331000" in text            # DEA peers by name and code
    assert "有利权重" in text and "62.5%" in text and "37.5%" in text  # the unit's own BoD weights
    assert "名次 2；在至少 90% 的合理方法选择下介于第 1 至第 3 名之间" in text
    # traffic lights sorted worst first
    html = (tmp_path / "2023" / "320500.html").read_text(encoding="utf-8")
    order = [m for m in re.findall(r'class="st-(\w+)"', html)]
    assert order == ["missed", "near", "met"]
    over = Page((tmp_path / "2023" / "index.html").read_text(encoding="utf-8"))
    assert "未完成目标" in over.visible
    # a unit with no rows in a present table gets the section, marked empty
    other = Page((tmp_path / "2023" / "341300.html").read_text(encoding="utf-8"))
    assert "obstacles" in other.ids


def test_optional_section_english(tmp_path):
    inp = build_input(small_tables())
    render_reports(inp, tmp_path, years=[2023], lang="en")
    text = Page((tmp_path / "2023" / "320500.html").read_text(encoding="utf-8")).visible
    assert "Rank 2, between 1 and 3 in at least 90% of reasonable method choices" in text
    assert "primary coordination" in text and "where to invest next" in text.lower()


@pytest.mark.parametrize("vals,expect", [
    ({"input": 80, "process": 60, "output": 60, "outcome": 50}, "dx_strong_input"),
    ({"input": 40, "process": 50, "output": 55, "outcome": 70}, "dx_efficient"),
    ({"input": 60, "process": 35, "output": 60, "outcome": 58}, "dx_process"),
    ({"input": 60, "process": 62, "output": 58, "outcome": 61}, "dx_balanced_high"),
    ({"input": 30, "process": 32, "output": 28, "outcome": 31}, "dx_balanced_low"),
    ({"input": 60, "process": float("nan"), "output": 58, "outcome": 61}, "dx_incomplete"),
    ({"input": 70, "process": 90, "output": 60, "outcome": 75}, "dx_all_above"),
    ({"input": 40, "process": 20, "output": 45, "outcome": 35}, "dx_all_below"),
    ({"input": 60, "process": 58, "output": 30, "outcome": 55}, "dx_output"),
    ({"input": 45, "process": 70, "output": 65, "outcome": 55}, "dx_weakest"),
])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chain_diagnosis_rules(vals, expect, lang):
    avgs = {k: 50.0 for k in vals}
    text = C.diagnose_chain(vals, avgs, gap=15, lang=lang)
    lo = min(vals, key=lambda k: vals[k] - 50)
    head = C.t(expect, lang, gap=f"{abs(vals['input'] - vals['outcome']):.1f}", stage=C.t(f"stage_{lo}", lang),
               score=f"{vals[lo]:.1f}", diff=C.fmt_signed(vals[lo] - 50))
    assert text.startswith(head)


def test_chain_weakest_is_judged_against_the_stage_average():
    # process is the lowest score but far above its own average: not a process bottleneck
    text = C.diagnose_chain({"input": 99.8, "process": 78.4, "output": 99.8, "outcome": 97.9},
                            {"input": 78.7, "process": 47.6, "output": 86.0, "outcome": 83.5}, gap=15, lang="en")
    assert text.startswith("Every stage is above the all-units average; relatively weakest: Output (99.8 points, +13.8)")
    assert "4 of 4 stages above" not in text                           # said once, not twice


def test_one_failing_unit_does_not_stop_the_others(inp, tmp_path, monkeypatch):
    real = C.scorecard

    def flaky(p, unit_id, year, lang):
        if unit_id == "341300":
            raise ZeroDivisionError("boom")
        return real(p, unit_id, year, lang)

    monkeypatch.setattr(C, "scorecard", flaky)
    s = render_reports(inp, tmp_path, years=[2022], lang="zh")
    assert [u for u, _ in s.failures] == ["341300"]
    assert "ZeroDivisionError: boom" in s.failures[0][1] and "\n" not in s.failures[0][1]
    assert not (tmp_path / "2022" / "341300.html").exists()
    assert (tmp_path / "2022" / "320500.html").is_file() and (tmp_path / "2022" / "index.html").is_file()


def test_unsafe_unit_id_is_refused_defensively(inp, tmp_path):
    units = inp.units.copy()
    units.loc[3, "id"] = "../x"
    res = inp.results.replace({"unit": {"331000": "../x"}})
    bad = ReportInput(tree=inp.tree, units=units, results=res, weights=inp.weights, raw=inp.raw, meta=inp.meta)
    s = render_reports(bad, tmp_path / "o", years=[2022])
    assert [u for u, _ in s.failures] == ["../x"]
    assert not (tmp_path / "x.html").exists()


def test_parallel_render_matches_serial_and_reports_progress(inp, tmp_path):
    calls = []
    s1 = render_reports(inp, tmp_path / "a", years=YEARS, jobs=1)
    s2 = render_reports(inp, tmp_path / "b", years=YEARS, jobs=2, progress=lambda d, t: calls.append((d, t)))
    assert s1.failures == s2.failures == [] and s1.pages == s2.pages == 18
    for f in sorted((tmp_path / "a").rglob("*.html")):
        assert f.read_text(encoding="utf-8") == (tmp_path / "b" / f.relative_to(tmp_path / "a")).read_text(
            encoding="utf-8")
    assert calls[-1] == (15, 15) and [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_environment_is_built_once_per_process(inp, tmp_path):
    env1 = R.environment(templates_dir())
    render_reports(inp, tmp_path, years=[2021])
    assert R.environment(templates_dir()) is env1
    assert env1.autoescape is True and env1.undefined.__name__ == "StrictUndefined"


def test_methodology_appendix(rendered):
    out, _ = rendered
    card = Page((out / "2023" / "320500.html").read_text(encoding="utf-8"))
    # the card links the year's annex and repeats none of it (no checksums, no weight table)
    assert "methods.html" in card.links and "ab" * 32 not in card.visible and "一致性比率" not in card.visible
    text = Page((out / "2023" / "methods.html").read_text(encoding="utf-8")).visible
    # methods in words of the page's language; the scheme by its file name, not where it lies
    for s in ("极差标准化", "加权算术平均", "test.yaml", "国内教材 RI 表", "0.58", "9.9.9", "ab" * 32,
              "市政务局", "市环保局", "impute", "k=3", "2021–2023"):
        assert s in text, s
    assert "weights/test.yaml" not in text and "minmax" not in text and "cn_textbook" not in text


def test_print_css_rules(rendered):
    out, _ = rendered
    html = (out / "2023" / "320500.html").read_text(encoding="utf-8")
    assert "size: A4" in html and "counter(page)" in html and "table-header-group" in html
    assert "break-inside: avoid" in html


def test_xlsx_sheets_and_frozen_panes(inp, tmp_path):
    from openpyxl import load_workbook

    path = write_results_xlsx(inp, tmp_path / "results.xlsx", lang="zh")
    wb = load_workbook(path)
    # sheets named by level (the index, the domains, the stages, the indicators)
    assert wb.sheetnames == ["综合指数", "领域", "环节", "指标", "权重", "原始数据", "数据标记"]
    ws = wb["领域"]
    assert ws.freeze_panes == "E3"
    assert ws["A1"].value == "代码" and ws["E1"].value == "政务 (gov)" and ws["E2"].value == "得分"
    assert ws["F2"].value == "排名" and ws["G2"].value == "省内排名" and ws["A2"].value == "代码"
    assert ws.max_row == 2 + 4 * 3
    r = inp.results
    want = r[(r.unit == "320500") & (r.year == 2021) & (r.node == "gov")].iloc[0]
    row = next(row for row in ws.iter_rows(min_row=3, values_only=True) if row[0] == "320500" and row[3] == 2021)
    assert row[4] == pytest.approx(want["score"]) and row[5] == int(want["rank"])
    assert row[6] == int(want["group_rank"])
    # ready to print and filter: landscape, fitted to the width, heads repeated, a filter on row 2
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$1:$2"
    assert ws.auto_filter.ref == f"A2:{ws.cell(2, ws.max_column).column_letter}{2 + 4 * 3}"
    assert ws.row_dimensions[1].height == 30
    leaves = wb["指标"]
    assert leaves.max_column == 4 + 3 * 8
    w = wb["权重"]
    assert w.freeze_panes == "A2"
    vals = [c.value for c in w["A"]]
    assert "随机一致性指标 RI（cn_textbook）" in vals
    raw = wb["原始数据"]  # wide: a row per unit-year, a column per indicator, two header rows
    assert raw.freeze_panes == "E3" and raw.max_row == 2 + 4 * 3 and raw.max_column == 4 + 8
    ids = [c.value.split(" · ")[-1] for c in raw[2][4:]]
    missing = [(row[0], row[3], ids[k]) for row in raw.iter_rows(min_row=3, values_only=True)
               for k, v in enumerate(row[4:]) if v is None]
    assert missing == [("331000", 2021, "env_outcome_2")]
    en = load_workbook(write_results_xlsx(inp, tmp_path / "en.xlsx", lang="en"))
    assert en.sheetnames == ["Index", "Domains", "Stages", "Indicators", "Weights", "Raw values", "Data flags"]


# ------------------------------------------------------------------ PDF (optional extra)

def _pdf_tools() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return bool(shutil.which("pdffonts") and shutil.which("pdftotext"))


def test_pdf_missing_weasyprint_gives_a_clear_error(monkeypatch, tmp_path):
    import builtins

    from evalkit.report import pdf

    real_import = builtins.__import__

    def fake(name, *a, **k):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *a, **k)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(RuntimeError) as e:
        pdf.write_pdfs(tmp_path, [2023], ["320500"], "zh")
    msg = str(e.value)
    assert "pip install 'evalkit[pdf]'" in msg and "libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk" in msg


def test_pdf_missing_cjk_font_gives_a_clear_error(monkeypatch, tmp_path):
    from evalkit.report import pdf

    monkeypatch.setattr(pdf, "_weasyprint", lambda: object())
    monkeypatch.setattr(pdf, "cjk_fonts", lambda: [])
    with pytest.raises(RuntimeError, match="CJK.*fonts-noto-cjk"):
        pdf.write_pdfs(tmp_path, [2023], ["320500"], "zh")


def test_pdf_embeds_cjk_font_and_text(rendered, inp, tmp_path):
    """Real PDF when WeasyPrint + poppler are here (CI: EVALKIT_REQUIRE_PDF=1 makes it mandatory);
    otherwise the clear error is what a user gets."""
    from evalkit.report import pdf

    out, _ = rendered
    if os.environ.get("EVALKIT_REQUIRE_PDF") == "1" or _pdf_tools():
        for d in ("2023",):
            shutil.copytree(out / d, tmp_path / d)
        files = pdf.write_pdfs(tmp_path, [2023], ["320500"], "zh")
        # the overview, the scorecard and the methods annex, each beside its page
        assert files == [tmp_path / "2023" / n for n in ("index.pdf", "320500.pdf", "methods.pdf")]
        files = [tmp_path / "2023" / "320500.pdf"]
        fonts = subprocess.run(["pdffonts", str(files[0])], capture_output=True, text=True, check=True).stdout
        assert re.search(r"CJK|Han|WenQuanYi|YaHei|PingFang", fonts), fonts
        text = subprocess.run(["pdftotext", str(files[0]), "-"], capture_output=True, text=True, check=True).stdout
        assert "苏州" in text and "320500" in text
        assert expected(inp, "320500", 2023, "idx", "score") in text
        assert "演示数据，非官方统计" in text
    else:
        # no poppler to read the PDF back: a user gets either the clear error or a PDF file
        shutil.copytree(out / "2023", tmp_path / "2023")
        try:
            files = pdf.write_pdfs(tmp_path, [2023], ["320500"], "zh")
        except RuntimeError as e:
            assert "pip install 'evalkit[pdf]'" in str(e)
        else:
            assert all(f.read_bytes()[:5] == b"%PDF-" for f in files)


# ------------------------------------------------------------------ overview: movers, rank-change chart, notices

def _root(inp: ReportInput, year: int) -> pd.DataFrame:
    r = inp.results
    return r[(r.year == year) & (r.node == "idx")].set_index("unit")


def _table_rows(html: str, cls: str) -> list[tuple[str, str]]:
    """(data-unit, row text) of the rows of the first table whose class contains ``cls``."""
    if f'class="data compact movers {cls}"' not in html:
        return []
    block = html.split(f'class="data compact movers {cls}"', 1)[1].split("</table>", 1)[0]
    return [(u, Page(row).visible) for u, row in re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', block)]


@pytest.mark.parametrize("year", [2022, 2023])
def test_overview_most_improved_equal_the_results_table(rendered, inp, year):
    out, _ = rendered
    html = (out / str(year) / "index.html").read_text(encoding="utf-8")
    now, prev = _root(inp, year), _root(inp, year - 1)
    ds = (now["score"] - prev["score"]).round(9)
    dr = prev["rank"].astype(float) - now["rank"].astype(float)
    order = list(inp.units["id"])
    want_s = sorted((u for u in order if round(ds[u], 1) > 0), key=lambda u: (-ds[u], -dr[u], order.index(u)))[:5]
    want_r = sorted((u for u in order if dr[u] > 0), key=lambda u: (-dr[u], -ds[u], order.index(u)))[:5]
    got_s = _table_rows(html, "movers-score")
    got_r = _table_rows(html, "movers-rank")
    assert [u for u, _ in got_s] == want_s and [u for u, _ in got_r] == want_r
    for u, text in got_s:
        assert f"{prev.loc[u, 'score']:.1f} → {now.loc[u, 'score']:.1f}" in text and f"+{ds[u]:.1f}" in text
        assert "▲" in text and u in text                                   # arrow, name and code
    for u, text in got_r:
        assert f"{int(prev.loc[u, 'rank'])} → {int(now.loc[u, 'rank'])}" in text and "▲" in text
        assert C.t("rank_up", "zh", n=int(dr[u])) in html
    # an empty list says "none" rather than disappearing
    assert ('<p class="muted">无</p>' in html) == (not want_s or not want_r)
    assert want_s or want_r


def test_rank_movers_when_ranks_change(inp, tmp_path):
    """The fixture's ranks never change; move last year's last unit to first place in 2023."""
    import dataclasses

    before = _root(inp, 2022)["rank"]
    last = str(before.astype(float).idxmax())
    r = inp.results.copy()
    m = (r.year == 2023) & (r.node == "idx")
    r.loc[m & (r.unit == last), "score"] = 99.0
    r.loc[m, "rank"] = min_ranks(r.loc[m, "score"].to_numpy())
    changed = dataclasses.replace(inp, results=r)
    render_reports(changed, tmp_path, years=[2023], lang="en")
    html = (tmp_path / "2023" / "index.html").read_text(encoding="utf-8")
    rows = _table_rows(html, "movers-rank")
    assert [u for u, _ in rows] == [last]
    assert f"{int(before[last])} → 1" in rows[0][1] and f"▲{int(before[last]) - 1}" in rows[0][1].replace(" ", "")
    i = list(inp.units["id"]).index(last)
    assert f'class="slope strong" data-unit="{i}"' in html              # the climber is drawn bold


def test_first_year_has_no_movers_and_says_so(rendered):
    out, _ = rendered
    html = (out / "2021" / "index.html").read_text(encoding="utf-8")
    assert "2021年是首个评估年份，暂无上年可比较" in Page(html).visible
    assert "movers-score" not in html and 'class="chart slope"' not in html


def test_rank_change_slope_chart_shows_every_unit_with_both_ranks(rendered, inp):
    import xml.etree.ElementTree as ET

    out, _ = rendered
    html = (out / "2023" / "index.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg[^>]*class="chart slope".*?</svg>', html, re.S).group(0)
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = root.findall(".//s:line[@data-unit]", ns)
    now, prev = _root(inp, 2023), _root(inp, 2022)
    ids = list(inp.units["id"])
    assert len(lines) == len(ids)
    for ln in lines:
        u = ids[int(ln.get("data-unit"))]
        assert float(ln.get("data-before")) == prev.loc[u, "rank"] and float(ln.get("data-after")) == now.loc[u, "rank"]
    assert root.find("s:title", ns).text == "2022—2023年综合排名变化"


def test_region_link_only_when_the_regional_page_is_rendered(rendered, inp, tmp_path):
    # this fixture has no disparity table, so no regional page and no link to one
    out, _ = rendered
    for y in YEARS:
        html = (out / str(y) / "index.html").read_text(encoding="utf-8")
        assert 'href="region.html"' not in html and not (out / str(y) / "region.html").exists()


def test_region_link_near_the_top_of_every_overview_of_a_run(tmp_path, monkeypatch):
    from evalkit.run import run_project

    monkeypatch.chdir(tmp_path)
    run_project(None, out=str(tmp_path / "o"), years=[2023, 2024], lang="en")
    for y in (2023, 2024):
        html = (tmp_path / "o" / str(y) / "index.html").read_text(encoding="utf-8")
        head = html.split('id="league"', 1)[0]
        assert '<a href="region.html">Regional disparity and convergence</a>' in head
        assert (tmp_path / "o" / str(y) / "region.html").exists()


def test_missed_targets_one_line_summary(tmp_path):
    att = small_tables()["attainment"]
    more = att.assign(unit="341300", status="met")                     # a unit with targets, none missed
    inp = build_input({"attainment": pd.concat([att, more], ignore_index=True)})
    render_reports(inp, tmp_path, years=[2023], lang="zh")
    text = Page((tmp_path / "2023" / "index.html").read_text(encoding="utf-8")).visible
    assert "1 个城市至少有一项目标未完成（共 2 个城市设定了目标）" in text


# ------------------------------------------------------------------ provisional data

def _prov_units(inp: ReportInput, year: int) -> set[str]:
    r, w = inp.results, inp.raw
    return set(r[(r.year == year) & r.provisional.astype(bool)].unit) | set(w[(w.year == year) & w.provisional].unit)


@pytest.mark.parametrize("year", YEARS)
def test_provisional_marks_present_iff_provisional(rendered, inp, year):
    out, _ = rendered
    for uid in inp.units["id"]:
        html = (out / str(year) / f"{uid}.html").read_text(encoding="utf-8")
        charts_html = "".join(re.findall(r"<svg.*?</svg>", html, re.S))
        this_year = uid in _prov_units(inp, year)
        any_year = any(uid in _prov_units(inp, y) for y in YEARS if y <= year)
        assert ('class="bar prov"' in charts_html) == this_year, uid      # hatched domain / stage bars
        assert ('class="prov-tag"' in charts_html) == any_year, uid        # "P" in bars and trend lines
        assert ("badge badge-prov" in html) == any_year, uid
    over = (out / str(year) / "index.html").read_text(encoding="utf-8")
    units = _prov_units(inp, year)
    text = Page(over).visible
    if units:
        assert f"{year}年数据中有 {len(units)} 个城市含初步数据" in text
        for uid in units:
            i = list(inp.units["id"]).index(uid)
            assert f"{inp.units.loc[i, 'name_zh']} {uid}" in text
    else:
        assert "含初步数据" not in text and "notice-prov" not in over


def test_overview_quality_table_counts_provisional_cells(rendered, inp):
    out, _ = rendered
    page = Page((out / "2023" / "index.html").read_text(encoding="utf-8"))
    got = [int(a["data-count"]) for a, _ in page.nums if a.get("data-kind") == "q-provisional"]
    w = inp.raw[(inp.raw.year == 2023)]
    want = [int(w[w.indicator.isin(inp.tree.leaves_under(d.id))].provisional.sum()) for d in inp.tree.domains]
    assert got == want + [sum(want)] and sum(want) == len(PROV_CELLS)
    assert "初步数据比例" in page.visible


def test_method_appendix_lists_provisional_values(rendered):
    out, _ = rendered
    html = (out / "2023" / "methods.html").read_text(encoding="utf-8")
    block = html.split('class="data compact prov-used"', 1)[1].split("</table>", 1)[0]
    rows = [Page(r).visible.split() for r in re.findall(r"<tr><td>(.*?)</tr>", block)]
    assert rows == [["苏州", "320500", "2023", "政务投入指标1"], ["台州", "331000", "2023", "环保效果指标1"]]
    assert "共 2 个初步数据" in Page(html).visible


def test_method_appendix_truncates_a_long_provisional_list(tmp_path):
    leaves = build_tree().leaf_ids
    cells = {(u, y, lid) for u in range(4) for y in range(3) for lid in leaves}        # 96 cells
    inp = build_input(prov_cells=cells)
    render_reports(inp, tmp_path, years=[2023], lang="en")
    html = (tmp_path / "2023" / "methods.html").read_text(encoding="utf-8")
    block = html.split('class="data compact prov-used"', 1)[1].split("</table>", 1)[0]
    assert block.count("<tr><td>") == C.PROV_LIST_MAX
    assert "… and 66 more" in Page(html).visible and "96 provisional values in all" in Page(html).visible


# ------------------------------------------------------------------ scorecard data quality

PREP = {
    "impute": {"params": {"chain": ["interpolate", "carry", "group_median", "panel_median"], "indicators": {}},
               "cells": 1},
    "treat": {"params": {"skew": 2.0}, "cells": 1,
              "columns": [{"indicator": "gov_input_2", "method": "winsorise", "winsorised": 1}]},
    "screen": {"params": {"min_coverage_unit": 0.5}, "dropped_units": [["999999", 0.1]],
               "dropped_indicators": [["env_input_1", 0.4]], "blanked_unit_years": [["341300", 2021, 0.25]]},
}


@pytest.fixture(scope="module")
def prepared_site(tmp_path_factory):
    inp = build_input(preparation=PREP, raw_nan=[(1, 2, 0)])
    out = tmp_path_factory.mktemp("prep")
    assert render_reports(inp, out, years=YEARS, lang="zh").failures == []
    return inp, out


@pytest.mark.parametrize("unit", ["320500", "341300", "331000"])
def test_scorecard_coverage_grid_equals_the_raw_table(prepared_site, unit):
    inp, out = prepared_site
    page = Page((out / "2023" / f"{unit}.html").read_text(encoding="utf-8"))
    got = {(int(a["data-row"]), int(a["data-year"])): t for a, t in page.nums if a.get("data-kind") == "q-reported"}
    groups = [inp.tree.leaves_under(d.id) for d in inp.tree.domains] + [tuple(inp.tree.leaf_ids)]
    w = inp.raw[inp.raw.unit == unit]
    for k, leaves in enumerate(groups):
        for y in YEARS:
            cells = w[(w.year == y) & w.indicator.isin(leaves)]
            assert got[(k, y)] == f"{100 * cells.value.notna().mean():.0f}%", (k, y)
    assert len(got) == len(groups) * len(YEARS)


def test_scorecard_lists_imputed_and_treated_cells_with_how(prepared_site):
    inp, out = prepared_site
    text = Page((out / "2023" / "341300.html").read_text(encoding="utf-8")).visible
    # 341300 gov_input_1 in 2023: reported 2021 and 2022, nothing after: carried forward
    assert "2023年插补的数据" in text and "政务投入指标1" in text and "沿用最近年份数值" in text
    html = (out / "2023" / "320500.html").read_text(encoding="utf-8")
    assert "缩尾处理（截至最近的保留值）" in Page(html).visible and 'class="q-treated-row"' in html
    assert "本年没有插补的数据" in Page(html).visible
    # what screening set aside: the whole run's indicators and units, this unit's blanked years only
    for uid, blanked in (("341300", True), ("320500", False)):
        t2 = Page((out / "2023" / f"{uid}.html").read_text(encoding="utf-8")).visible
        assert "指标“环保投入指标1”（env_input_1）因覆盖率不足被筛除（覆盖率 40%）" in t2
        assert "1 个城市因数据覆盖率不足被筛除：999999" in t2
        assert ("宿州 341300 2021年数据覆盖率不足（25%）" in t2) == blanked
    over = Page((out / "2023" / "index.html").read_text(encoding="utf-8")).visible
    assert "筛除情况" in over and "env_input_1" in over and "宿州 341300 2021年" in over


def test_no_screening_record_says_so(rendered):
    out, _ = rendered
    for f in ("320500.html", "index.html"):
        assert "未运行数据筛选步骤" in Page((out / "2023" / f).read_text(encoding="utf-8")).visible


def test_imputation_method_matches_the_pipeline_on_the_demo():
    """The step named on the page is the step evalkit.prepare.impute used, for every imputed demo cell."""
    from evalkit.load import load_inputs
    from evalkit.pipeline import score
    from evalkit.prepare.impute import STEP_NAMES, impute
    from evalkit.run import report_input

    result = score(load_inputs(None))
    p = C.Prepared(report_input(result, {}))
    im = result.settings.prepare["impute"]
    groups = pd.factorize(result.inputs.units.table.set_index("id").loc[list(result.units), "group"])[0]
    _, _, rec = impute(result.prepared.x_raw, chain=im["chain"], groups=groups, years=list(result.years))
    cells = np.argwhere(rec.step_of >= 0)
    assert len(cells) > 100
    assert all(C.impute_how(p, u, y, j) == STEP_NAMES[rec.step_of[u, y, j]] for u, y, j in cells)


# ------------------------------------------------------------------ robustness on the scorecard

def test_robustness_interval_is_widened_to_whole_ranks_with_legend_and_link(tmp_path):
    import xml.etree.ElementTree as ET

    rob = pd.DataFrame([{"unit": "320500", "year": 2023, "nominal_rank": 2, "median_rank": 2.5, "rank_p05": 1.4,
                         "rank_p95": 3.2, "p_top5": 1.0, "p_bottom5": 0.0}])
    inp = build_input({"robustness": rob})
    render_reports(inp, tmp_path, years=[2023], lang="zh")
    html = (tmp_path / "2023" / "320500.html").read_text(encoding="utf-8")
    page = Page(html)
    assert "名次 2；在至少 90% 的合理方法选择下介于第 1 至第 4 名之间（中位数 2.5）" in page.visible
    nums = {a["data-kind"]: t for a, t in page.nums if a.get("data-kind") in ("r-lo", "r-hi")}
    assert nums == {"r-lo": "1", "r-hi": "4"}
    assert '<a href="robustness.html">' in html
    svg = ET.fromstring(re.search(r'<svg[^>]*class="chart rankint".*?</svg>', html, re.S).group(0))
    ns = {"s": "http://www.w3.org/2000/svg"}
    g = svg.find("s:g[@class='plot']", ns)
    x0, w, n = float(g.get("data-x0")), float(g.get("data-w")), int(g.get("data-n"))
    wh = svg.find(".//s:line[@class='whisker']", ns)
    assert float(wh.get("x1")) == pytest.approx(x0, abs=0.01)
    assert float(wh.get("x2")) == pytest.approx(x0 + w * 3 / (n - 1), abs=0.01)
    assert float(svg.find(".//s:line[@class='median']", ns).get("x1")) == pytest.approx(x0 + w * 1.5 / (n - 1),
                                                                                         abs=0.01)
    legend = " ".join(x.text for x in svg.findall(".//s:g[@class='legend']/s:text", ns))
    assert "公布名次" in legend and "5%—95% 区间" in legend and "中位名次" in legend


def test_the_methods_annex_of_each_year_shows_that_years_weights():
    """Per-year weights: the annex of 2022 shows 2022's weights, not those of the first year rendered."""
    import dataclasses

    from evalkit.report.sample import sample_input

    inp = sample_input(n_units=6, years=range(2020, 2023), tables=False)
    blocks = []
    for k, y in enumerate((2020, 2021, 2022)):
        w = inp.weights.copy()
        w["year"] = y
        w["local_weight"] = w["local_weight"] * (1 + 0.1 * k)  # each year its own local weights
        blocks.append(w)
    p = C.prepared(dataclasses.replace(inp, weights=pd.concat(blocks, ignore_index=True)))
    first, last = C.method_context(p, "en", 2020), C.method_context(p, "en", 2022)
    assert "2020" in first["weights_year"] and "2022" in last["weights_year"]
    row = next(i for i, r in enumerate(first["weights"]) if r["local"] not in ("", "—"))
    a, b = float(first["weights"][row]["local"]), float(last["weights"][row]["local"])
    assert b == pytest.approx(a * 1.2, rel=1e-3)
    assert C.method_context(p, "en", 2021) is not first and C.method_context(p, "en", 2020) is first  # cached per year
