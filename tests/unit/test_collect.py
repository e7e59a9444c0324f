"""evalkit.collect: templates for the demo, filled programmatically (with every kind of mistake), merged back."""

from __future__ import annotations

import hashlib
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit.collect import (FIRST_ROW, SHEET_DATA, SHEET_DEFS, SHEET_HELP, SHEET_META, collectable, departments,
                             load_collect_inputs, plausible_bounds, read_values_file)
from evalkit.collect.merge import merge_workbooks
from evalkit.collect.status import coverage, format_status
from evalkit.collect.templates import build_workbook, write_templates
from evalkit.errors import Problems, UserError
from evalkit.run import init_project

YEAR = 2024


# --------------------------------------------------------------------------- helpers


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A demo project whose values file lacks 2024 (to be collected), with an extra `note` column."""
    root = tmp_path_factory.mktemp("collect")
    proj = init_project(root / "proj")
    vpath = proj.parent / "data" / "values.csv"
    df = pd.read_csv(vpath, dtype=str, keep_default_na=False)
    df = df[df["year"] != str(YEAR)].copy()
    df["note"] = ""
    df.loc[df.index[0], "note"] = "kept as written"
    df.to_csv(vpath, index=False, lineterminator="\n")
    write_templates(proj, year=YEAR, out=root / "tpl")
    write_templates(proj, year=YEAR, by="domain", out=root / "tpl_domain")
    return root


@pytest.fixture
def proj(base, tmp_path) -> Path:
    """A fresh copy of the project and its templates for each test."""
    shutil.copytree(base / "proj", tmp_path / "proj")
    shutil.copytree(base / "tpl", tmp_path / "tpl")
    shutil.copytree(base / "tpl_domain", tmp_path / "tpl_domain")
    return tmp_path / "proj" / "evalkit.yaml"


def _meta(ws) -> tuple[dict[int, str], list[str]]:
    cols, units = {}, []
    for row in ws.iter_rows(values_only=True):
        if row[0] == "column" and row[2] == "value":
            cols[int(row[1])] = row[3]
        elif row[0] == "unit":
            units.append(str(row[1]))
    return cols, units


def _fill(path: Path, proj: Path, rng: np.random.Generator) -> dict[tuple[str, str], float]:
    """Fill every value cell with a plausible number near last year's; returns (unit, indicator) -> value."""
    inputs = load_collect_inputs(proj, Problems())
    items = {i.id: i for i in collectable(inputs.tree)}
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_DATA]
    cols, units = _meta(wb[SHEET_META])
    filled = {}
    for r, code in enumerate(units, FIRST_ROW):
        assert ws.cell(r, 1).value == code
        for c, ind in cols.items():
            prev = ws.cell(r, c + 1).value  # the reference column beside
            lo, hi = items[ind].bounds
            if prev is None:
                prev = (max(lo, 0) + min(hi, max(lo, 0) + 50)) / 2
            x = round(float(prev) * float(rng.uniform(0.95, 1.05)), 3)
            x = min(max(x, lo), hi)
            ws.cell(r, c).value = x
            filled[(code, ind)] = x
    wb.save(path)
    return filled


def _cell_of(path: Path, code: str, ind: str) -> tuple[int, int]:
    wb = openpyxl.load_workbook(path, read_only=True)
    cols, units = _meta(wb[SHEET_META])
    wb.close()
    col = next(c for c, i in cols.items() if i == ind)
    return FIRST_ROW + units.index(code), col


def _values_2024(proj: Path) -> dict[tuple[str, str], float]:
    df = pd.read_csv(proj.parent / "data" / "values.csv", dtype=str, keep_default_na=False)
    d = df[df["year"] == str(YEAR)]
    return {(u, i): float(v) for u, i, v in zip(d["unit"], d["indicator"], d["value"]) if v != ""}


def _messages(e: UserError) -> list[str]:
    return [str(p) for p in e.problems]


# --------------------------------------------------------------------------- pure parts


def test_plausible_bounds_goalposts_widened_by_span_and_kept_non_negative():
    assert plausible_bounds("%", (0, 6)) == (0.0, 12.0)  # [0-6, 6+6] -> lo kept >= 0
    assert plausible_bounds("%", (0, 100)) == (0.0, 100.0)  # a share stays <= 100
    assert plausible_bounds("%", (0, 60)) == (0.0, 100.0)  # 120 capped at 100
    assert plausible_bounds("分钟", (5, 60)) == (0.0, 115.0)
    assert plausible_bounds("指数", (1.0, 2.5)) == (0.0, 4.0)
    assert plausible_bounds("%", (-10, 10)) == (-30.0, 30.0)  # a growth rate may be negative, may pass 100


def test_plausible_bounds_without_goalposts_percent_counts_and_others():
    assert plausible_bounds("%", None) == (0.0, 100.0)
    assert plausible_bounds("万次", None) == (0.0, math.inf)
    assert plausible_bounds("个", None) == (0.0, math.inf)
    assert plausible_bounds("元/人", None) == (-math.inf, math.inf)


def test_collectable_skips_derived_leaves_and_adds_formula_variables(proj):
    inputs = load_collect_inputs(proj, Problems())
    ids = [i.id for i in collectable(inputs.tree)]
    assert "hospital_beds_per_10k" not in ids  # derived: computed, not asked
    assert ids[-2:] == ["hospital_beds", "population"]
    network = [leaf.id for leaf in inputs.tree.leaves if leaf.from_network is not None]
    assert len(network) == 5 and not set(network) & set(ids)  # network measures: computed from the ties
    assert "collab_cross_prov_items" in ids
    assert len(ids) == (len(inputs.tree.leaves) - len(inputs.tree.derived) - len(network)
                        + len(inputs.tree.variables))
    by_key = {d.key: [i.id for i in d.items] for d in departments(inputs.tree)}
    assert by_key["municipal-statistics-bureau"] == ["population"]
    assert "hospital_beds" in by_key["municipal-health-commission"]
    assert by_key["municipal-finance-bureau"] == ["gov_it_spend_share"]
    domains = {d.key: [i.id for i in d.items] for d in departments(inputs.tree, by="domain")}
    assert set(domains) == {"gov", "transport", "health", "education", "environment", "collab"}
    assert "population" in domains["health"]  # a variable goes with the domain of the formula using it


def test_build_workbook_rejects_previous_of_wrong_shape(proj):
    inputs = load_collect_inputs(proj, Problems())
    dept = departments(inputs.tree)[0]
    with pytest.raises(ValueError):
        build_workbook(dept, units=inputs.units, year=YEAR, title=inputs.project.title,
                       previous=np.zeros((3, 3)))


# --------------------------------------------------------------------------- templates


def test_templates_one_per_department_with_exactly_its_indicators(proj):
    tpl = proj.parent.parent / "tpl"
    index = pd.read_csv(tpl / "templates.csv", dtype=str)
    inputs = load_collect_inputs(proj, Problems())
    depts = departments(inputs.tree)
    assert list(index["department"]) == [d.key for d in depts]
    assert sorted(p.name for p in tpl.glob("*.xlsx")) == sorted(f"{YEAR}_{d.key}.xlsx" for d in depts)
    for d in depts:
        wb = openpyxl.load_workbook(tpl / f"{YEAR}_{d.key}.xlsx", read_only=True)
        cols, units = _meta(wb[SHEET_META])
        assert list(cols.values()) == [i.id for i in d.items]
        assert units == list(inputs.units.ids)
        wb.close()


def test_template_layout_protection_validation_and_last_year_reference(proj):
    tpl = proj.parent.parent / "tpl" / f"{YEAR}_municipal-finance-bureau.xlsx"
    wb = openpyxl.load_workbook(tpl)
    assert wb.sheetnames == [SHEET_HELP, SHEET_DATA, SHEET_DEFS, SHEET_META]
    assert [ws.sheet_state for ws in wb] == ["visible", "visible", "visible", "veryHidden"]
    assert wb.security.lockStructure
    meta = {r[0]: r[1:] for r in wb[SHEET_META].iter_rows(values_only=True) if r[0] not in ("column", "unit")}
    assert meta["year"][0] == YEAR and meta["department"][0] == "municipal-finance-bureau"
    assert meta["by"][0] == "source"
    ws = wb[SHEET_DATA]
    assert ws.protection.sheet and ws.protection.password is None
    assert ws["A1"].value == "城市代码\nCode"
    assert ws["C1"].value.startswith("政务信息化支出占一般公共预算支出比重\n")
    assert ws["C2"].value == "% · gov_it_spend_share"
    assert ws["D2"].value == "%"
    assert "2023" in ws["D1"].value
    assert ws["A3"].value == "310000" and ws["B3"].value == "上海 Shanghai"
    assert ws["A3"].protection.locked and ws["B3"].protection.locked and ws["D3"].protection.locked
    assert not ws["C3"].protection.locked and not ws["C43"].protection.locked
    assert ws.max_row == 2 + 41
    # last year's values from the values file, beside the value column
    df = pd.read_csv(proj.parent / "data" / "values.csv", dtype=str, keep_default_na=False)
    prev = df[(df["year"] == "2023") & (df["indicator"] == "gov_it_spend_share")].set_index("unit")["value"]
    for r in range(3, 44):
        code = ws.cell(r, 1).value
        want = prev.get(code, "")
        got = ws.cell(r, 4).value
        assert (got is None and want in ("", "NA")) or got == pytest.approx(float(want), abs=0)
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1
    dv = dvs[0]
    assert str(dv.sqref) == "C3:C43" and dv.type == "decimal" and dv.operator == "between"
    assert (dv.formula1, dv.formula2) == ("0", "12")  # goalposts [0, 6] widened
    defs = wb[SHEET_DEFS]
    row = [c.value for c in defs[2]]
    assert row[:3] == ["C", "gov_it_spend_share", "指标\nindicator"] and "适度" in row[6]
    assert row[8] == "0 – 12" and "一般公共预算" in row[9]
    help_text = " ".join(str(c.value) for r in wb[SHEET_HELP].iter_rows() for c in r if c.value)
    assert "留空" in help_text and "empty" in help_text and str(YEAR) in help_text


# --------------------------------------------------------------------------- merge: the full round trip


def test_merge_all_departments_values_equal_what_was_filled(proj):
    tpl = proj.parent.parent / "tpl"
    vpath = proj.parent / "data" / "values.csv"
    before = pd.read_csv(vpath, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    filled = {}
    files = sorted(tpl.glob("*.xlsx"))
    for f in files:
        filled.update(_fill(f, proj, rng))
    # rows reordered by the department (sorted by name, say): cities are matched by code
    wb = openpyxl.load_workbook(files[0])
    ws = wb[SHEET_DATA]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=FIRST_ROW)]
    for r, vals in enumerate(reversed(rows), FIRST_ROW):
        for c, v in enumerate(vals, 1):
            ws.cell(r, c).value = v
    wb.save(files[0])
    shas = {f: _sha(f) for f in files}
    s = merge_workbooks(proj, files)
    assert {f: _sha(f) for f in files} == shas  # workbooks are only read
    assert (s.files, s.added, s.filled, s.updated, s.unchanged) == (len(files), len(filled), 0, 0, 0)
    assert [p.code for p in s.warnings] == []
    assert _values_2024(proj) == filled
    after = pd.read_csv(vpath, dtype=str, keep_default_na=False)
    # existing rows, their order, text and extra columns are kept; new rows appended
    assert list(after.columns) == ["unit", "year", "indicator", "value", "note"]
    pd.testing.assert_frame_equal(after.iloc[: len(before)], before)
    assert after.loc[0, "note"] == "kept as written"
    new = after.iloc[len(before):]
    order = {u: k for k, u in enumerate(load_collect_inputs(proj, Problems()).units.ids)}
    assert list(new["unit"].map(order)) == sorted(new["unit"].map(order))  # units-file order
    report = pd.read_csv(proj.parent / "data" / "merge-conflicts.csv", dtype=str)
    assert report.empty and list(report.columns) == ["unit", "name", "year", "indicator", "old", "new", "file",
                                                      "cell"]
    # the merged file loads as the project's values: the panel holds the filled numbers
    from evalkit.load import load_inputs

    inputs = load_inputs(proj)
    p = inputs.panel
    u, t, j = p.units.index("320500"), p.years.index(YEAR), p.columns.index("gov_cloud_rate")
    assert p.values[u, t, j] == filled[("320500", "gov_cloud_rate")]
    # status: nothing owed any more
    cov = coverage(proj, year=YEAR)
    assert int(cov.table["owed"].sum()) == 0
    assert "complete" in format_status(cov.table, cov.labels, year=YEAR, lang="en")
    assert "已报齐" in format_status(cov.table, cov.labels, year=YEAR, lang="zh")


def test_merge_every_kind_of_mistake_is_located_and_nothing_is_written(proj):
    tpl = proj.parent.parent / "tpl"
    dom = proj.parent.parent / "tpl_domain"
    vpath = proj.parent / "data" / "values.csv"
    rng = np.random.default_rng(1)
    files = {p.stem.split("_", 1)[1]: p for p in sorted(tpl.glob("*.xlsx"))}
    filled = {}
    for f in files.values():
        filled.update(_fill(f, proj, rng))

    def edit(key):
        path = files[key]
        wb = openpyxl.load_workbook(path)
        return path, wb, wb[SHEET_DATA]

    # text in a number cell
    path, wb, ws = edit("municipal-data-bureau")
    r, c = _cell_of(path, "320500", "gov_cloud_rate")
    ws.cell(r, c).value = "约85%"
    # a value outside the plausible range (a share above 100)
    r2, c2 = _cell_of(path, "341300", "gov_e_license_rate")
    ws.cell(r2, c2).value = 150
    # numeric text and a missing token are accepted
    r3, c3 = _cell_of(path, "310000", "gov_data_share_calls")
    ws.cell(r3, c3).value = " 1234.5 "
    r4, c4 = _cell_of(path, "320100", "gov_data_share_calls")
    ws.cell(r4, c4).value = "NA"
    wb.save(path)
    nan_text_ok = ("310000", "gov_data_share_calls")

    # a city row added
    path, wb, ws = edit("municipal-finance-bureau")
    ws.cell(44, 1).value = "999999"
    ws.cell(44, 3).value = 2.0
    wb.save(path)

    # a city row deleted
    path, wb, ws = edit("municipal-communications-administration")
    ws.delete_rows(5)  # 320200 无锡
    wb.save(path)

    # a column inserted (the header row no longer matches)
    path, wb, ws = edit("municipal-government-services-office")
    ws.insert_cols(3)
    wb.save(path)

    # the data sheet renamed
    path, wb, ws = edit("municipal-12345-hotline-centre")
    ws.title = "Data"
    wb.save(path)

    # a jump of more than 3x against last year (a warning), rows reordered (fine)
    path, wb, ws = edit("municipal-traffic-police")
    r5, c5 = _cell_of(path, "330100", "tr_signal_smart_rate")
    prev = ws.cell(r5, c5 + 1).value
    ws.cell(r5, c5).value = round(prev / 4, 3)
    for col in range(1, ws.max_column + 1):  # swap rows 3 and 4 (上海, 南京)
        a, b = ws.cell(3, col).value, ws.cell(4, col).value
        ws.cell(3, col).value, ws.cell(4, col).value = b, a
    wb.save(path)

    # the same cell given by a second department (a domain template) with another value
    gov = dom / f"{YEAR}_gov.xlsx"
    wb = openpyxl.load_workbook(gov)
    ws = wb[SHEET_DATA]
    r6, c6 = _cell_of(gov, "321200", "gov_5g_bs_per_10k")
    ws.cell(r6, c6).value = 30.0
    wb.save(gov)
    src_5g = files["municipal-communications-administration"]  # a deleted row: the other rows are still read

    # ... and one given by a valid file: the data bureau's open datasets vs the domain's environment template
    env = dom / f"{YEAR}_environment.xlsx"
    wb = openpyxl.load_workbook(env)
    ws = wb[SHEET_DATA]
    r7, c7 = _cell_of(env, "331000", "en_open_datasets")
    ws.cell(r7, c7).value = 12345.0
    wb.save(env)

    # not a template at all
    plain = proj.parent / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    wb.save(plain)

    before = _sha(vpath)
    all_files = list(files.values()) + [gov, env, plain]
    with pytest.raises(UserError) as ei:
        merge_workbooks(proj, all_files)
    assert _sha(vpath) == before  # nothing written
    assert not (proj.parent / "data" / "merge-conflicts.csv").exists()
    msgs = _messages(ei.value)
    tpl_rel = lambda key: str(files[key]) if files[key].is_absolute() else str(files[key])  # noqa: E731

    def has(prefix: str, *words: str) -> None:
        hits = [m for m in msgs if m.startswith(prefix) and all(w in m for w in words)]
        assert hits, f"no message {prefix!r} {words} in:\n" + "\n".join(msgs)

    from openpyxl.utils import get_column_letter as L

    db = tpl_rel("municipal-data-bureau")
    has(f"{db}!数据!{L(c)}{r}: value '约85%' for 苏州 320500 / 2024 / gov_cloud_rate is not a number")
    has(f"{db}!数据!{L(c2)}{r2}: value 150 for 宿州 341300 / 2024 / gov_e_license_rate is outside the plausible "
        "range [0, 100]")
    has(f"{tpl_rel('municipal-finance-bureau')}!数据!A44: row added: city code '999999'")
    has(f"{tpl_rel('municipal-communications-administration')}!数据: row deleted: city 无锡 320200")
    has(f"{tpl_rel('municipal-government-services-office')}!数据!C1: header changed")
    has(f"{tpl_rel('municipal-12345-hotline-centre')}: sheet '数据' is missing")
    has(f"{tpl_rel('municipal-traffic-police')}!数据!{L(c5)}{r5}: warning: value", "330100", "tr_signal_smart_rate",
        "0.25 times last year's")
    has(f"{env}!数据!{L(c7)}{r7}: 台州 331000 / 2024 / en_open_datasets is given as 12345 here and as",
        f"{db}!数据!")
    has(f"{plain}: no hidden '_evalkit' sheet")
    # one line each, errors sorted before warnings
    sev = [p.severity for p in ei.value.problems]
    assert sev == sorted(sev, key=lambda s: s != "error")
    has(f"{gov}!数据!{L(c6)}{r6}: 泰州 321200 / 2024 / gov_5g_bs_per_10k is given as 30 here and as",
        f"{src_5g}!数据!")
    # numeric text and missing tokens are accepted; header problems are reported once per workbook
    assert not any(f"!{L(c3)}{r3}: value" in m and "not a number" in m for m in msgs)
    assert not any(f"!{L(c4)}{r4}:" in m for m in msgs)
    assert not any("column added" in m for m in msgs)
    assert nan_text_ok


def test_merge_jump_is_warning_written_or_error_with_strict(proj):
    tpl = proj.parent.parent / "tpl"
    path = tpl / f"{YEAR}_municipal-finance-bureau.xlsx"
    filled = _fill(path, proj, np.random.default_rng(3))
    r, c = _cell_of(path, "330200", "gov_it_spend_share")
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_DATA]
    prev = ws.cell(r, c + 1).value
    ws.cell(r, c).value = min(round(prev * 3.5, 3), 12)
    wb.save(path)
    vpath = proj.parent / "data" / "values.csv"
    before = _sha(vpath)
    with pytest.raises(UserError) as ei:
        merge_workbooks(proj, [path], strict=True)
    assert [p.code for p in ei.value.problems] == ["jump"] and ei.value.problems[0].severity == "error"
    assert _sha(vpath) == before
    s = merge_workbooks(proj, [path], max_jump=5.0)  # a looser factor: no warning
    assert s.warnings == ()
    s = merge_workbooks(proj, [path])
    assert [p.code for p in s.warnings] == ["jump"]
    assert str(s.warnings[0].pos).endswith(f"!数据!C{r}")
    got = _values_2024(proj)
    assert got[("330200", "gov_it_spend_share")] == min(round(prev * 3.5, 3), 12)
    assert len(got) == len(filled)


def test_merge_again_reports_every_changed_cell_and_never_erases(proj):
    tpl = proj.parent.parent / "tpl"
    path = tpl / f"{YEAR}_municipal-education-bureau.xlsx"
    filled = _fill(path, proj, np.random.default_rng(5))
    merge_workbooks(proj, [path])
    # the department sends a corrected file: one value changed, one erased, the rest identical
    ind = next(i for (_, i) in filled)
    r, c = _cell_of(path, "320500", ind)
    r2, _ = _cell_of(path, "341300", ind)
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_DATA]
    old = ws.cell(r, c).value
    new = round(old * 1.1, 3)
    ws.cell(r, c).value = new
    erased_old = ws.cell(r2, c).value
    ws.cell(r2, c).value = None
    corrected = proj.parent / "corrected.xlsx"
    wb.save(corrected)
    s = merge_workbooks(proj, [corrected], report=proj.parent / "conflicts.csv")
    assert (s.added, s.filled, s.updated, s.unchanged) == (0, 0, 1, len(filled) - 2)
    assert [p.code for p in s.warnings] == ["value-changed"]
    assert "replaces" in str(s.warnings[0]) and str(s.warnings[0]).startswith(f"{corrected}!数据!")
    rep = pd.read_csv(proj.parent / "conflicts.csv", dtype=str)
    assert rep.to_dict("records") == [{"unit": "320500", "name": "苏州", "year": str(YEAR), "indicator": ind,
                                       "old": repr(old) if old != int(old) else str(int(old)),
                                       "new": repr(new) if new != int(new) else str(int(new)),
                                       "file": str(corrected),
                                       "cell": f"数据!{openpyxl.utils.get_column_letter(c)}{r}"}]
    got = _values_2024(proj)
    assert got[("320500", ind)] == new
    assert got[("341300", ind)] == erased_old  # an empty cell never erases


def test_merge_fills_an_existing_empty_row_and_creates_a_new_values_file(proj, tmp_path):
    tpl = proj.parent.parent / "tpl"
    path = tpl / f"{YEAR}_municipal-statistics-bureau.xlsx"
    filled = _fill(path, proj, np.random.default_rng(9))
    vpath = proj.parent / "data" / "values.csv"
    with open(vpath, "a", encoding="utf-8") as f:
        f.write(f"310000,{YEAR},population,NA,\n")
    s = merge_workbooks(proj, [path])
    assert (s.added, s.filled) == (len(filled) - 1, 1)
    assert _values_2024(proj)[("310000", "population")] == filled[("310000", "population")]
    fresh = tmp_path / "new" / "values.csv"
    s = merge_workbooks(proj, [path], into=fresh)
    df = pd.read_csv(fresh, dtype=str)
    assert list(df.columns) == ["unit", "year", "indicator", "value"] and len(df) == len(filled) == s.added
    assert (tmp_path / "new" / "merge-conflicts.csv").exists()


def test_merge_dry_run_writes_nothing_and_wide_values_file_is_refused(proj, tmp_path):
    tpl = proj.parent.parent / "tpl"
    path = tpl / f"{YEAR}_municipal-statistics-bureau.xlsx"
    _fill(path, proj, np.random.default_rng(2))
    vpath = proj.parent / "data" / "values.csv"
    before = _sha(vpath)
    s = merge_workbooks(proj, [path], dry_run=True)
    assert not s.written and s.added == 41 and _sha(vpath) == before
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,year,population\n310000,2023,1\n", encoding="utf-8")
    with pytest.raises(UserError) as ei:
        merge_workbooks(proj, [path], into=wide)
    assert [p.code for p in ei.value.problems] == ["values-not-long"]


def test_read_values_file_reports_duplicate_rows(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("unit,year,indicator,value\n310000,2023,x,1\n310000,2023,x,2\n", encoding="utf-8")
    problems = Problems()
    assert read_values_file(p, problems) is None
    assert [str(x) for x in problems.items] == [f"{p}:3: 310000 / 2023 / x is given twice (first at row 2): keep "
                                                "one row before merging"]


def test_status_lists_owed_indicators_and_cities_per_department(proj):
    tpl = proj.parent.parent / "tpl"
    path = tpl / f"{YEAR}_municipal-finance-bureau.xlsx"
    _fill(path, proj, np.random.default_rng(4))
    wb = openpyxl.load_workbook(path)
    wb[SHEET_DATA]["C4"].value = None  # 南京 320100 left empty
    wb.save(path)
    merge_workbooks(proj, [path])
    cov = coverage(proj, year=YEAR)
    t = cov.table.set_index("indicator")
    assert t.loc["gov_it_spend_share", "owed_units"] == "320100"
    assert (t.loc["gov_it_spend_share", "given"], t.loc["gov_it_spend_share", "owed"]) == (40, 1)
    assert t.loc["population", "owed"] == 41 and t.loc["population", "department"] == "municipal-statistics-bureau"
    text = format_status(cov.table, cov.labels, year=YEAR, lang="en")
    assert "Municipal finance bureau (municipal-finance-bureau): owes 1 of 41 values" in text
    zh = format_status(cov.table, cov.labels, year=YEAR, lang="zh")   # one language a run: no English words
    assert "市财政局 (municipal-finance-bureau)：待报 1 个数值（共 41 个）" in zh and "owes" not in zh
    assert "南京 320100" in text


def test_merge_template_of_another_framework_version_names_the_header_cell(proj):
    tpl = proj.parent.parent / "tpl"
    path = tpl / f"{YEAR}_municipal-finance-bureau.xlsx"
    _fill(path, proj, np.random.default_rng(6))
    wb = openpyxl.load_workbook(path)
    meta = wb[SHEET_META]
    for row in meta.iter_rows():
        if row[0].value == "column" and row[3].value == "gov_it_spend_share":
            row[3].value = "gov_it_spend_ratio"  # renamed in a later version of the tree
    wb.save(path)
    with pytest.raises(UserError) as ei:
        merge_workbooks(proj, [path])
    assert [str(p) for p in ei.value.problems] == [
        f"{path}!数据!C2: indicator 'gov_it_spend_ratio' of the template is not collected by the framework (unknown, "
        "or now derived by a formula): was the template made for another version of the framework?"]


def test_merge_unreadable_file_and_damaged_record_are_errors_at_the_workbook(proj, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    tpl = proj.parent.parent / "tpl"
    damaged = tmp_path / "damaged.xlsx"
    wb = openpyxl.load_workbook(tpl / f"{YEAR}_municipal-finance-bureau.xlsx")
    for row in wb[SHEET_META].iter_rows():
        if row[0].value == "year":
            row[1].value = "next year"
    wb.save(damaged)
    with pytest.raises(UserError) as ei:
        merge_workbooks(proj, [broken, damaged])
    got = {(str(p.pos), p.code) for p in ei.value.problems}
    # the damaged field is named by its cell in the hidden record (row 4 holds the year)
    assert got == {(str(broken), "bad-workbook"), (f"{damaged}!{SHEET_META}!B4", "damaged-template")}
