"""Data as researchers bring it: their own headers, names as ids, cross-sections, biennial editions.

The fixtures are small synthetic stand-ins written by the tests: a province
sheet with Chinese headers and province names (省份, 时间, indicators), and an
EGDI-like biennial survey (editions 2014, 2016, 2018, 2022, 2024).
"""

from __future__ import annotations

import re
import time

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import evalkit
from evalkit.analysis.convergence import beta_convergence
from evalkit.errors import Problems, UserError
from evalkit.load import load_inputs
from evalkit.load.data import load_values
from evalkit.load.tree import load_tree
from evalkit.report import charts
from evalkit.summary import coverage_notes
from evalkit.unitids import SAFE_NAME_RE, id_problem, unit_file_stem

PROVINCES = ["北京市", "天津市", "河北省", "上海市", "江苏省", "浙江省", "安徽省", "广东省"]
TREE = {"id": "idx", "name": {"zh": "数字经济指数", "en": "Digital economy index"}, "children": [
    {"id": "infra", "name": {"zh": "基础设施", "en": "Infrastructure"}, "children": [
        {"id": "broadband", "name": {"zh": "宽带", "en": "Broadband"}, "direction": "benefit"},
        {"id": "base5g", "name": {"zh": "5G基站", "en": "5G"}, "direction": "benefit"}]},
    {"id": "gov", "name": {"zh": "治理", "en": "Governance"}, "children": [
        {"id": "online", "name": {"zh": "网办率", "en": "Online"}, "direction": "benefit"},
        {"id": "wait", "name": {"zh": "等候", "en": "Wait"}, "direction": "cost"}]}]}
LEAVES = ["broadband", "base5g", "online", "wait"]


def _project(folder, values_name="sheet.csv", *, data_extra="", years=None, weights=None, extra=""):
    (folder / "tree.yaml").write_text(yaml.safe_dump(TREE, allow_unicode=True), encoding="utf-8")
    (folder / "w.yaml").write_text(yaml.safe_dump(weights or {"default": {"method": "equal"}}), encoding="utf-8")
    text = (f"framework: tree.yaml\nweights: w.yaml\ndata: {{values: {values_name}{data_extra}}}\noutput: out\n"
            + (f"years: {years}\n" if years else "") + extra)
    (folder / "evalkit.yaml").write_text(text, encoding="utf-8")
    return folder / "evalkit.yaml"


def _sheet(folder, years=(2021, 2022, 2023), seed=1, name="sheet.csv", header=("省份", "时间")):
    rng = np.random.default_rng(seed)
    rows = [[p, y, *np.round(rng.uniform(1, 100, len(LEAVES)), 2)] for y in years for p in PROVINCES]
    df = pd.DataFrame(rows, columns=[*header, *LEAVES])
    df.to_csv(folder / name, index=False)
    return df


# --------------------------------------------------------------------------- unit ids and file names


@pytest.mark.parametrize("uid, ok", [("320500", True), ("江苏省", True), ("São Paulo", True), ("a/b", False),
                                     ("a\\b", False), ("a\x00b", False), (".hidden", False), ("33..00", False),
                                     ("", False), ("Index", False), ("CHN", True)])
def test_unit_ids_are_any_text_that_is_not_a_path(uid, ok):
    assert (id_problem(uid) is None) is ok


def test_file_names_keep_safe_codes_and_hash_the_rest():
    assert unit_file_stem("320500") == "320500" and unit_file_stem("CHN") == "CHN"
    stem = unit_file_stem("江苏省")
    assert re.fullmatch(r"u-[0-9a-f]{8}", stem) and stem == unit_file_stem("江苏省")  # stable
    assert unit_file_stem("São Paulo").startswith("Sao-Paulo-")
    assert unit_file_stem("Index") != "Index"  # never a report page's own name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12).filter(lambda s: id_problem(s) is None), min_size=2, max_size=8,
                unique_by=lambda s: s.lower()))
def test_file_names_are_safe_and_unique(ids):
    stems = [unit_file_stem(u) for u in ids]
    assert all(SAFE_NAME_RE.match(s) and ".." not in s for s in stems)
    assert len({s.lower() for s in stems}) == len(ids)  # unique, even on a case-insensitive file system


# --------------------------------------------------------------------------- the province sheet


def test_province_sheet_unmapped_names_the_headers_found_and_the_fix(tmp_path):
    _sheet(tmp_path)
    with pytest.raises(UserError) as e:
        load_inputs(_project(tmp_path))
    (line,) = e.value.lines()
    assert line.startswith(f"{tmp_path / 'sheet.csv'}:1: the values file has no unit and no year column")
    assert "found: 省份, 时间, broadband, base5g, online, wait" in line
    assert "columns: {unit: 省份, year: 时间}" in line


def test_province_sheet_mapped_runs_without_a_units_file(tmp_path):
    df = _sheet(tmp_path)
    inputs = load_inputs(_project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}"))
    assert inputs.units.ids == tuple(PROVINCES) and inputs.panel.years == (2021, 2022, 2023)
    assert inputs.units.label("江苏省") == "江苏省"  # the name is the id: said once
    np.testing.assert_allclose(inputs.panel.values[PROVINCES.index("江苏省"), 1],
                               df[(df["省份"] == "江苏省") & (df["时间"] == 2022)][LEAVES].to_numpy()[0])
    summary = evalkit_run(tmp_path)
    files = sorted(p.name for p in (tmp_path / "out" / "2023").glob("*.html"))
    assert f"{unit_file_stem('江苏省')}.html" in files and len(files) == len(PROVINCES) + 3  # + index, region, methods annex
    res = pd.read_csv(tmp_path / "out" / "results.csv", dtype={"unit": str})
    assert set(res["unit"]) == set(PROVINCES) and "coverage" in res.columns
    index = (tmp_path / "out" / "2023" / "index.html").read_text(encoding="utf-8")
    assert f'href="{unit_file_stem("江苏省")}.html"' in index
    assert summary == 0


def evalkit_run(folder) -> int:
    from evalkit.cli import main

    return main(["run", str(folder / "evalkit.yaml")])


def test_a_mapped_header_that_is_not_there_is_located(tmp_path):
    _sheet(tmp_path)
    with pytest.raises(UserError) as e:
        load_inputs(_project(tmp_path, data_extra=", columns: {unit: 省, year: 时间}"))
    assert "data.columns.unit names '省', which is not a header of the file (found: 省份, 时间" in e.value.lines()[0]


def test_case_twins_among_ids_from_the_values_file_are_refused(tmp_path):
    pd.DataFrame({"unit": ["ab", "AB"], "year": [2020, 2020], "broadband": [1, 2], "base5g": [1, 2],
                  "online": [1, 2], "wait": [1, 2]}).to_csv(tmp_path / "v.csv", index=False)
    with pytest.raises(UserError) as e:
        load_inputs(_project(tmp_path, "v.csv"))
    assert e.value.lines()[0].endswith("v.csv:3: unit ids 'ab' (row 2) and 'AB' differ only in case: they would "
                                       "collide as file names; write one spelling")


def test_cross_section_takes_its_year_from_the_project(tmp_path):
    df = _sheet(tmp_path, years=(2023,))
    df.drop(columns=["时间"]).to_csv(tmp_path / "cs.csv", index=False)
    inputs = load_inputs(_project(tmp_path, "cs.csv", data_extra=", columns: {unit: 省份}, year: 2023"))
    assert inputs.panel.years == (2023,) and len(inputs.units.ids) == 8
    with pytest.raises(UserError) as e:  # a year column and data.year: one or the other
        load_inputs(_project(tmp_path, "sheet.csv", data_extra=", columns: {unit: 省份, year: 时间}, year: 2023"))
    assert "give one or the other" in e.value.lines()[0]


def test_sheet_picks_the_worksheet_and_a_missing_one_lists_the_sheets(tmp_path):
    df = _sheet(tmp_path)
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "notes only"
    ws = wb.create_sheet("数据")
    ws.append(list(df.columns))
    for r in df.itertuples(index=False):
        ws.append(list(r))
    wb.save(tmp_path / "book.xlsx")
    inputs = load_inputs(_project(tmp_path, "book.xlsx", data_extra=", sheet: 数据, columns: {unit: 省份, year: 时间}"))
    assert inputs.panel.values.shape == (8, 3, 4)
    with pytest.raises(UserError) as e:
        load_inputs(_project(tmp_path, "book.xlsx", data_extra=", sheet: data, columns: {unit: 省份, year: 时间}"))
    assert "the workbook has no sheet 'data' (sheets: 说明, 数据)" in e.value.lines()[0]


def test_sixty_thousand_repeated_headers_are_refused_quickly_and_located(tmp_path):
    (tmp_path / "dup.csv").write_text(",".join(["x"] * 60_000) + "\n" + ",".join(["1"] * 60_000) + "\n")
    t0 = time.perf_counter()
    problems = Problems()
    tree = load_tree(tmp_path / "t.yaml", problems, text=yaml.safe_dump(TREE, allow_unicode=True))
    panel = load_values(tmp_path / "dup.csv", tree, None, None, problems)
    elapsed = time.perf_counter() - t0
    assert panel is None and elapsed < 2.0, elapsed
    (p,) = problems.errors
    assert p.pos.line == 1 and p.message.startswith("column 'x' is given 60000 times (columns 1, 2, 3, 4, 5 …")


def test_a_long_header_line_without_data_is_refused_quickly(tmp_path):
    (tmp_path / "one.csv").write_text(",".join(f"c{i}" for i in range(200_000)))  # ~1.5 MB on one line
    t0 = time.perf_counter()
    problems = Problems()
    tree = load_tree("t.yaml", problems, text=yaml.safe_dump(TREE, allow_unicode=True))
    assert load_values(tmp_path / "one.csv", tree, None, None, problems) is None
    assert time.perf_counter() - t0 < 2.0
    assert [(p.code, p.pos.line) for p in problems.errors] == [("header-only", 1)]


# --------------------------------------------------------------------------- biennial editions (EGDI-like)

EDITIONS = (2014, 2016, 2018, 2022, 2024)


def _egdi(tmp_path, years_key, editions=EDITIONS):
    rng = np.random.default_rng(7)
    units = ["DNK", "KOR", "EST", "FIN", "SGP", "NZL", "CHN", "IND", "BRA", "KEN"]
    base = rng.uniform(0.3, 0.9, (len(units), len(LEAVES)))
    rows = []
    for k, y in enumerate(editions):
        vals = base * (1 + 0.05 * k) + rng.normal(0, 0.01, base.shape)
        rows += [[u, y, *np.round(v, 4)] for u, v in zip(units, vals)]
    pd.DataFrame(rows, columns=["iso3", "survey", *LEAVES]).to_csv(tmp_path / "egdi.csv", index=False)
    return _project(tmp_path, "egdi.csv", data_extra=", columns: {unit: iso3, year: survey}", years=years_key)


def test_a_range_over_biennial_editions_leaves_the_gaps_out_with_one_warning(tmp_path):
    inputs = load_inputs(_egdi(tmp_path, "[2014, 2024]"))
    assert inputs.panel.years == EDITIONS
    (w,) = [p for p in inputs.warnings if p.code == "year-without-data"]
    assert "no data at all for 2015, 2017, 2019, 2020, 2021, 2023" in w.message and w.pos.line == 5


def test_a_list_of_editions_is_exactly_those_years(tmp_path):
    inputs = load_inputs(_egdi(tmp_path, "[2016, 2018, 2022]"))
    assert inputs.panel.years == (2016, 2018, 2022)
    outside = [p.message for p in inputs.warnings if p.code == "year-outside"]
    assert outside == ["rows for 2014 are outside the project's years (2016, 2018, 2022) and left out: 10 (add 2014 "
                       "to years to score it)",
                       "rows for 2024 are outside the project's years (2016, 2018, 2022) and left out: 10 (add 2024 "
                       "to years to score it)"]
    # in the reader's language where the catalogue words it
    first = next(p for p in inputs.warnings if p.code == "year-outside")
    assert first.worded("zh") == (f"{first.pos}: 警告：属于 2014 年的数据行不在项目的年份（2016, 2018, 2022）之内，已略去："
                                  "10 行（在 years 中加入 2014 即可评分）")
    assert first.worded("en") == str(first)
    with pytest.raises(UserError) as e:
        load_inputs(_egdi(tmp_path, "[2016, 2018, 2020, 2022]"))
    assert re.search(r"evalkit.yaml:5:1: the project's editions include 2020, which has no data", e.value.lines()[0])


def test_beta_convergence_and_trend_charts_use_the_real_spacing(tmp_path):
    result = evalkit.score(load_inputs(_egdi(tmp_path, "[2014, 2024]")))
    from evalkit.analysis.tables import all_tables

    conv = all_tables(result, None)["convergence"]
    row = conv[(conv["node"] == "idx")].iloc[-1]
    s = result.node_scores("idx")
    g = np.log(s[:, -1] / s[:, 0]) / 10.0  # T = 2024 - 2014, not 4 steps
    slope = np.polyfit(np.log(s[:, 0]), g, 1)[0]
    assert row["beta"] == pytest.approx(slope, rel=1e-9)
    assert row["beta"] == pytest.approx(beta_convergence(s, years=EDITIONS).beta)
    svg = str(charts.lines(list(EDITIONS), [charts.Series("x", [1, 2, 3, 4, 5], "#000")], lo=0, hi=10,
                           title="t", desc="d", width=1100, height=200))
    xs = sorted({float(m) for m in re.findall(r'<text x="([0-9.]+)"[^>]*class="axis-label"', svg)})
    gaps = np.diff(xs)
    assert gaps[2] == pytest.approx(2 * gaps[0]) and gaps[0] == pytest.approx(gaps[1]) == pytest.approx(gaps[3])


# --------------------------------------------------------------------------- coverage


def test_coverage_is_the_reported_share_of_the_weight_and_renormalising_is_flagged(tmp_path):
    weights = {"default": {"method": "equal"},
               "nodes": {"idx": {"method": "fixed", "weights": {"infra": 0.3, "gov": 0.7}},
                         "gov": {"method": "fixed", "weights": {"online": 0.25, "wait": 0.75}}}}
    df = _sheet(tmp_path)
    df = df.astype({"online": object})
    df.loc[(df["省份"] == "河北省") & (df["时间"] == 2023), "online"] = ""  # 8 of 10 would be the same story
    df.to_csv(tmp_path / "sheet.csv", index=False)
    result = evalkit.score(load_inputs(_project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}",
                                                weights=weights)))
    f = result.to_frame().set_index(["unit", "year", "node"])
    # independent: global weight of 'online' = 0.7 * 0.25; its domain loses 0.25 of its weight
    assert f.loc[("河北省", 2023, "idx"), "coverage"] == pytest.approx(1 - 0.7 * 0.25)
    assert f.loc[("河北省", 2023, "gov"), "coverage"] == pytest.approx(0.75)
    assert f.loc[("河北省", 2023, "online"), "coverage"] == 0
    assert f.loc[("河北省", 2022, "idx"), "coverage"] == 1 and f.loc[("河北省", 2023, "idx"), "imputed_share"] == 0
    assert np.isfinite(f.loc[("河北省", 2023, "idx"), "score"])  # 0.825 >= min_coverage: scored, and flagged:
    notes = [p.message for p in coverage_notes(result)]
    assert notes == ["2023: 1 of 8 units are scored without some of their indicators (missing values, weights "
                     "renormalised): see the coverage column of results.csv"]


def test_below_min_coverage_no_score_rank_or_grade_and_ranks_among_the_eligible(tmp_path):
    df = _sheet(tmp_path).astype(object)
    thin = (df["省份"] == "上海市") & (df["时间"] == 2023)
    df.loc[thin, ["broadband", "base5g", "online"]] = ""  # a quarter of the weight left: 0.25 < 0.6
    df.to_csv(tmp_path / "sheet.csv", index=False)
    # any present child will do (COINr's rule), so a score could be computed from the one value left
    extra = "report: {min_coverage: 0.6}\ngrades: {A: 60, B: 0}\naggregate: {min_share: 0}\n"
    result = evalkit.score(load_inputs(_project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}",
                                                extra=extra)))
    f = result.to_frame()
    root = f[(f["node"] == "idx") & (f["year"] == 2023)].set_index("unit")
    assert root.loc["上海市", "coverage"] == pytest.approx(0.25) and root.loc["上海市", "imputed_share"] == 0
    assert np.isnan(root.loc["上海市", "score"]) and pd.isna(root.loc["上海市", "rank"])
    assert root.loc["上海市", "grade"] == ""
    others = root.drop("上海市")
    assert sorted(others["rank"].astype(int)) == list(range(1, 8))  # ranks among the 7 eligible units
    expect = (-others["score"]).rank(method="min").astype(int)
    assert (others["rank"].astype(int) == expect).all()
    gov = f[(f["node"] == "gov") & (f["year"] == 2023)].set_index("unit")
    assert np.isnan(gov.loc["上海市", "score"]) and gov.loc["上海市", "coverage"] == pytest.approx(0.5)
    infra = f[(f["node"] == "infra") & (f["year"] == 2023)].set_index("unit")
    assert np.isnan(infra.loc["上海市", "score"]) and infra.loc["上海市", "coverage"] == 0
    assert result.insufficient().sum() == 1
    # imputation leaves such a thin unit-year alone: carried values would be someone else's year
    carried = evalkit.score(load_inputs(_project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}",
                                                 extra=extra + "prepare: {impute: {chain: [carry]}}\n")))
    cf = carried.to_frame().set_index(["unit", "year", "node"])
    assert cf.loc[("上海市", 2023, "idx"), "imputed_share"] == 0
    assert carried.prepared.records["impute"]["not_imputed_unit_years"] == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=4 * 3, max_size=4 * 3), st.lists(st.floats(0.05, 1), min_size=4, max_size=4))
def test_coverage_properties(mask, w):
    from evalkit.pipeline import coverage
    from evalkit.tree import Tree

    from tests.unit._projects import to_node

    tree = Tree(to_node(TREE))
    reported = np.array(mask, bool).reshape(3, 1, 4)
    gw = np.ones(len(tree.nodes))
    for lid, wi in zip(LEAVES, w):
        gw[tree.index[lid]] = wi
    cov = coverage(tree, gw, reported)
    assert ((cov >= 0) & (cov <= 1 + 1e-12)).all()
    all_in = coverage(tree, gw, np.ones_like(reported))
    assert np.allclose(all_in, 1)
    root = tree.index["idx"]
    wl = np.array(w)
    np.testing.assert_allclose(cov[:, 0, root], (reported[:, 0, :] * wl).sum(axis=1) / wl.sum())
    if reported.any():  # taking a reported value away never raises coverage
        k = np.flatnonzero(reported.ravel())[0]
        less = reported.copy().ravel()
        less[k] = False
        assert (coverage(tree, gw, less.reshape(reported.shape)) <= cov + 1e-12).all()


def test_a_renormalised_score_shows_its_coverage_and_run_warns(tmp_path, capsys):
    df = _sheet(tmp_path).astype({"online": object})
    df.loc[(df["省份"] == "河北省") & (df["时间"] == 2023), "online"] = ""
    df.to_csv(tmp_path / "sheet.csv", index=False)
    # half of a domain's weight present is enough here: the domain is scored from 'wait' alone
    _project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}", extra="aggregate: {min_share: 0.5}\n")
    assert evalkit_run(tmp_path) == 0
    err = capsys.readouterr().err
    assert "警告：2023 年：8 个单位中 1 个缺少部分指标的数值" in err           # the project's language (zh)
    card = (tmp_path / "out" / "2023" / f"{unit_file_stem('河北省')}.html").read_text(encoding="utf-8")
    m = re.search(r'data-kind="coverage"[^>]*>覆盖率 ([0-9.]+)%<', card)
    assert m and float(m.group(1)) == pytest.approx(75.0)  # equal weights: 1 of 4 leaves missing
    other = (tmp_path / "out" / "2023" / f"{unit_file_stem('北京市')}.html").read_text(encoding="utf-8")
    assert 'data-kind="coverage"' not in other  # full coverage: nothing to say
    # with the default min_share (2/3) the domain, so the composite, has no score: the card says why
    _project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}")
    assert evalkit_run(tmp_path) == 0
    assert "警告：2023 年：8 个单位中 1 个数据不足" in capsys.readouterr().err
    card = (tmp_path / "out" / "2023" / f"{unit_file_stem('河北省')}.html").read_text(encoding="utf-8")
    assert "数据不足：本年度不评分、不排名、不定级" in card and "数据覆盖率为 75.0%，但部分领域缺失过多" in card
    index = (tmp_path / "out" / "2023" / "index.html").read_text(encoding="utf-8")
    assert "数据不足、未参与排名的城市（1 个）" in index


def test_an_id_spelled_like_another_ids_file_name_is_refused(tmp_path):
    stem = unit_file_stem("江苏省")
    pd.DataFrame({"unit": ["江苏省", stem], "year": [2020, 2020], "broadband": [1, 2], "base5g": [1, 2],
                  "online": [1, 2], "wait": [1, 2]}).to_csv(tmp_path / "v.csv", index=False)
    with pytest.raises(UserError) as e:
        load_inputs(_project(tmp_path, "v.csv"))
    assert f"unit ids '江苏省' and '{stem}' would both be written as {stem}.html: rename one" in e.value.lines()[0]


def test_a_low_coverage_year_has_its_banner_on_every_page_sensitivity_included(tmp_path, capsys):
    from evalkit.cli import main

    df = _sheet(tmp_path).astype({"online": object})
    df.loc[(df["时间"] == 2023) & df["省份"].isin(PROVINCES[:6]), "online"] = ""  # median coverage 0.75 < 0.8
    df.to_csv(tmp_path / "sheet.csv", index=False)
    _project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}",
             extra="aggregate: {min_share: 0.5}\nsensitivity: {weights: {noise: 0.2}}\n")
    assert main(["sensitivity", str(tmp_path / "evalkit.yaml"), "--draws", "8"]) == 0
    err = capsys.readouterr().err
    assert "警告：2023 年：城市数据覆盖率中位数仅为 75%（低于 80%）" in err
    pages = sorted((tmp_path / "out" / "2023").glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "region.html", "robustness.html"}
    for page in pages:
        assert 'class="banner banner-coverage"' in page.read_text(encoding="utf-8"), page.name


def test_a_column_named_like_a_mapped_role_is_not_read_and_said_so(tmp_path):
    df = _sheet(tmp_path)
    df.insert(2, "unit", "万元")  # the unit of measure, in a sheet whose units are in 省份
    df.to_csv(tmp_path / "sheet.csv", index=False)
    inputs = load_inputs(_project(tmp_path, data_extra=", columns: {unit: 省份, year: 时间}"))
    assert inputs.units.ids == tuple(PROVINCES)
    (w,) = [p for p in inputs.warnings if p.code == "column-not-read"]
    assert w.message == "column 'unit' is not read: data.columns.unit names '省份'" and w.pos.line == 1


def test_scorecards_of_editions_name_the_previous_edition(tmp_path):
    _egdi(tmp_path, "[2014, 2024]")
    assert evalkit_run(tmp_path) == 0
    card = (tmp_path / "out" / "2024" / "KOR.html").read_text(encoding="utf-8")
    assert "较2022年变化" in card and "较上年变化" not in card
