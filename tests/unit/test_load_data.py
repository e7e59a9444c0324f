"""evalkit.load.data: units and values files -> Units, Panel; problems located by spreadsheet row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from evalkit.errors import Problems
from evalkit.load import load_tree
from evalkit.load.data import load_units, load_values
from evalkit.panel import PROVISIONAL

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
BASE = FIXTURES / "base"
ENC = FIXTURES / "encodings"
UNITS = ("320500", "341300", "321200", "331000")
COLUMNS = ("gov_online", "gov_wait", "tr_signal", "tr_delay", "he_beds", "he_online", "beds", "pop")


@pytest.fixture(scope="module")
def tree():
    problems = Problems()
    t = load_tree(BASE / "tree.yaml", problems)
    assert not problems.items
    return t


@pytest.fixture(scope="module")
def units():
    problems = Problems()
    u = load_units(BASE / "units.csv", problems)
    assert not problems.items
    return u


def _values(tmp_path, tree, units, text: str | bytes, name="values.csv", years=(2020, 2022)):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    problems = Problems()
    return load_values(path, tree, units, years, problems), problems


def _codes(problems):
    return [p.code for p in problems.errors]


def _base_rows() -> list[dict]:
    with open(BASE / "values.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _expected(rows) -> np.ndarray:
    out = np.full((4, 3, len(COLUMNS)), np.nan)
    for r in rows:
        out[UNITS.index(r["unit"]), int(r["year"]) - 2020, COLUMNS.index(r["indicator"])] = float(r["value"])
    return out


# --------------------------------------------------------------------------- units


def test_units_ids_stay_text_in_file_order(units):
    assert units.ids == UNITS
    assert units.label("320500") == "苏州 320500"
    assert units.label("341300") == "宿州 341300"
    assert units.label("331000", "en") == "Taizhou (Zhejiang) 331000"


def test_unit_ids_with_leading_zeros_stay_text(tmp_path):
    (tmp_path / "u.csv").write_text("id,name_zh,name_en,group\n010100,甲,A,G\n007,乙,B,G\n", encoding="utf-8")
    problems = Problems()
    u = load_units(tmp_path / "u.csv", problems)
    assert not problems.items
    assert u.ids == ("010100", "007")


@pytest.mark.parametrize("name", ["units_utf8.csv", "units_utf8_bom.csv", "units_gb18030.csv"])
def test_units_in_each_encoding(name):
    problems = Problems()
    u = load_units(ENC / name, problems)
    assert not problems.items
    assert list(u.table.columns[:4]) == ["id", "name_zh", "name_en", "group"]  # no BOM left in 'id'
    assert list(u.table["name_zh"]) == ["苏州", "宿州", "泰州", "台州"]
    assert u.ids == UNITS


def test_gb18030_fixture_is_really_gb18030():
    data = (ENC / "units_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "苏州" in data.decode("gb18030")


@pytest.mark.parametrize("row, code", [
    ("a..b,甲,A,G", "bad-unit-id"),
    ("a/b,甲,A,G", "bad-unit-id"),
    (".hidden,甲,A,G", "bad-unit-id"),
    ("ROBUSTNESS,甲,A,G", "reserved-unit-id"),
    ("region,甲,A,G", "reserved-unit-id"),
    ("320500,甲,A,G", "duplicate-unit"),
    ("x1,,A,G", "missing-name"),
    ("x1,甲,A,", "missing-group"),
])
def test_unit_problems_point_at_the_row(tmp_path, row, code):
    (tmp_path / "u.csv").write_text("id,name_zh,name_en,group\n320500,苏州,Suzhou,Jiangsu\n" + row + "\n",
                                    encoding="utf-8")
    problems = Problems()
    assert load_units(tmp_path / "u.csv", problems) is None
    assert [(p.code, p.pos.line, p.pos.col) for p in problems.errors] == [(code, 3, None)]


def test_units_file_missing_columns(tmp_path):
    (tmp_path / "u.csv").write_text("id,name\n1,甲\n", encoding="utf-8")
    problems = Problems()
    assert load_units(tmp_path / "u.csv", problems) is None
    assert [(p.code, p.pos.line) for p in problems.errors] == [("missing-column", 1)]


# --------------------------------------------------------------------------- values: forms and encodings


def test_long_csv_loads_every_cell(tmp_path, tree, units):
    panel, problems = _values(tmp_path, tree, units, (BASE / "values.csv").read_text(encoding="utf-8"))
    assert not problems.items
    assert panel.units == UNITS
    assert panel.years == (2020, 2021, 2022)
    assert panel.columns == COLUMNS  # leaves in tree order, then variables
    assert panel.values.dtype == np.float64
    np.testing.assert_array_equal(panel.values, _expected(_base_rows()))
    assert np.isnan(panel.values[:, :, COLUMNS.index("he_beds")]).all()  # derived: computed later
    assert not panel.values.flags.writeable
    assert (panel.flags == 0).all()


def test_row_of_each_cell_is_the_spreadsheet_row(tmp_path, tree, units):
    panel, _ = _values(tmp_path, tree, units, (BASE / "values.csv").read_text(encoding="utf-8"))
    rows = _base_rows()
    for i in (0, 17, len(rows) - 1):
        r = rows[i]
        cell = (UNITS.index(r["unit"]), int(r["year"]) - 2020, COLUMNS.index(r["indicator"]))
        assert panel.rows[cell] == i + 2  # header = row 1


def _wide_text(rows, columns=COLUMNS) -> str:
    cols = [c for c in columns if c != "he_beds"]
    table: dict[tuple, dict] = {}
    for r in rows:
        table.setdefault((r["unit"], r["year"]), {})[r["indicator"]] = r["value"]
    lines = ["unit,year," + ",".join(cols)]
    for (u, y), vals in table.items():
        lines.append(f"{u},{y}," + ",".join(vals.get(c, "") for c in cols))
    return "\n".join(lines) + "\n"


def test_wide_csv_equals_long(tmp_path, tree, units):
    panel, problems = _values(tmp_path, tree, units, _wide_text(_base_rows()), "wide.csv")
    assert not problems.items
    np.testing.assert_array_equal(panel.values, _expected(_base_rows()))


def test_wide_csv_unknown_column_is_an_error_at_the_header(tmp_path, tree, units):
    text = _wide_text(_base_rows()).replace("gov_wait", "gov_wiat", 1)
    panel, problems = _values(tmp_path, tree, units, text, "wide.csv")
    assert panel is None
    assert [(p.code, p.pos.line) for p in problems.errors] == [("unknown-indicator", 1)]
    assert "did you mean 'gov_wait'" in problems.errors[0].message


def test_wide_row_numbers_are_spreadsheet_rows(tmp_path, tree, units):
    lines = _wide_text(_base_rows()).splitlines()
    lines[4] = lines[4].replace(lines[4].split(",")[3], "abc", 1)  # a value in spreadsheet row 5
    _, problems = _values(tmp_path, tree, units, "\n".join(lines) + "\n", "wide.csv")
    assert [(p.code, p.pos.line) for p in problems.errors] == [("not-a-number", 5)]


def test_xlsx_long_and_wide(tmp_path, tree, units):
    openpyxl = pytest.importorskip("openpyxl")
    rows = _base_rows()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit", "year", "indicator", "value"])
    for r in rows:  # numbers as Excel numbers, ids as text
        ws.append([r["unit"], int(r["year"]), r["indicator"], float(r["value"])])
    wb.save(tmp_path / "long.xlsx")
    problems = Problems()
    panel = load_values(tmp_path / "long.xlsx", tree, units, (2020, 2022), problems)
    assert not problems.items
    np.testing.assert_array_equal(panel.values, _expected(rows))

    wb = openpyxl.Workbook()
    ws = wb.active
    wide = [ln.split(",") for ln in _wide_text(rows).splitlines()]
    ws.append(wide[0])
    for line in wide[1:]:
        ws.append([line[0], int(line[1])] + [float(v) for v in line[2:]])
    wb.save(tmp_path / "wide.xlsx")
    problems = Problems()
    panel = load_values(tmp_path / "wide.xlsx", tree, units, (2020, 2022), problems)
    assert not problems.items
    np.testing.assert_array_equal(panel.values, _expected(rows))


def test_xlsx_row_numbers_are_spreadsheet_rows(tmp_path, tree, units):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit", "year", "indicator", "value"])
    for r in _base_rows():
        ws.append([r["unit"], int(r["year"]), r["indicator"], r["value"]])
    ws["D10"] = "n/a"
    wb.save(tmp_path / "v.xlsx")
    problems = Problems()
    load_values(tmp_path / "v.xlsx", tree, units, (2020, 2022), problems)
    assert [(p.code, p.pos.line) for p in problems.errors] == [("not-a-number", 10)]


def test_broken_workbook_is_a_problem(tmp_path, tree, units):
    panel, problems = _values(tmp_path, tree, units, b"PK\x03\x04 not really a zip", "v.xlsx")
    assert panel is None and _codes(problems) == ["bad-workbook"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_values_in_each_encoding(tmp_path, tree, units, encoding):
    text = (BASE / "values.csv").read_text(encoding="utf-8")
    text = text.replace("unit,year,indicator,value", "unit,year,indicator,value,note")
    text = "\n".join(ln + ",说明：初步" if i else ln for i, ln in enumerate(text.splitlines())) + "\n"
    panel, problems = _values(tmp_path, tree, units, text.encode(encoding))
    assert not problems.items
    np.testing.assert_array_equal(panel.values, _expected(_base_rows()))


def test_committed_gb18030_values_with_gb18030_units(tree):
    problems = Problems()
    units = load_units(ENC / "units_gb18030.csv", problems)
    panel = load_values(ENC / "values_gb18030.csv", tree, units, (2020, 2022), problems)
    assert not problems.items
    np.testing.assert_array_equal(panel.values, _expected(_base_rows()))


# --------------------------------------------------------------------------- values: cells


def test_missing_value_tokens(tmp_path, tree, units):
    rows = _base_rows()
    text = ["unit,year,indicator,value"]
    blanks = {3: "", 4: "NA", 5: "-", 6: "  "}
    for i, r in enumerate(rows):
        text.append(f"{r['unit']},{r['year']},{r['indicator']},{blanks.get(i, r['value'])}")
    panel, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    assert not problems.items
    for i in blanks:
        r = rows[i]
        assert np.isnan(panel.values[UNITS.index(r["unit"]), int(r["year"]) - 2020, COLUMNS.index(r["indicator"])])
    assert np.isfinite(panel.values).sum() == len(rows) - len(blanks)


def test_status_column_sets_the_provisional_flag(tmp_path, tree, units):
    rows = _base_rows()
    text = ["unit,year,indicator,value,status"]
    for i, r in enumerate(rows):
        st = "provisional" if i in (1, 2) else ("final" if i == 3 else "")
        text.append(f"{r['unit']},{r['year']},{r['indicator']},{r['value']},{st}")
    panel, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    assert not problems.items
    cells = [(UNITS.index(r["unit"]), int(r["year"]) - 2020, COLUMNS.index(r["indicator"])) for r in rows[1:3]]
    for c in cells:
        assert panel.flags[c] & PROVISIONAL
    assert int((panel.flags & PROVISIONAL).astype(bool).sum()) == 2
    assert PROVISIONAL == 4


def test_bad_status_is_a_problem(tmp_path, tree, units):
    text = (BASE / "values.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",status"] + [ln + ("," + ("draft" if i == 6 else "")) for i, ln in enumerate(text[1:], 2)]
    _, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    assert [(p.code, p.pos.line) for p in problems.errors] == [("bad-status", 6)]


def test_rows_need_not_be_sorted_and_extra_columns_are_ignored(tmp_path, tree, units):
    rows = list(reversed(_base_rows()))
    text = ["note,value,indicator,year,unit"] + [f"x,{r['value']},{r['indicator']},{r['year']},{r['unit']}" for r in rows]
    panel, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    assert not problems.items
    np.testing.assert_array_equal(panel.values, _expected(rows))


def test_years_default_to_the_data(tmp_path, tree, units):
    panel, problems = _values(tmp_path, tree, units, (BASE / "values.csv").read_text(encoding="utf-8"), years=None)
    assert not problems.items and panel.years == (2020, 2021, 2022)


def test_project_years_wider_than_the_data_leave_the_empty_years_out(tmp_path, tree, units):
    # a year without a single value is not a panel year (it would be scored from imputations alone); one warning
    panel, problems = _values(tmp_path, tree, units, (BASE / "values.csv").read_text(encoding="utf-8"),
                              years=(2019, 2022))
    assert not problems.errors and panel.years == (2020, 2021, 2022)
    assert [p.code for p in problems.warnings] == ["year-without-data"]
    assert "no data at all for 2019" in problems.warnings[0].message
    assert "left out of the panel" in problems.warnings[0].message


def test_rows_outside_the_years_are_left_out_with_one_warning_per_year(tmp_path, tree, units):
    text = (BASE / "values.csv").read_text(encoding="utf-8")
    rows = _base_rows()
    extra = [f"{r['unit']},2023,{r['indicator']},1" for r in rows[:5]] + [f"{rows[0]['unit']},2030,x,1"]
    panel, problems = _values(tmp_path, tree, units, text + "\n".join(extra) + "\n", years=(2020, 2022))
    assert not problems.errors and panel.years == (2020, 2021, 2022)
    got = [(p.code, p.message.split(" for ")[1][:4], p.message.split(": ")[1].split(" ")[0]) for p in problems.warnings]
    assert got == [("year-outside", "2023", "5"), ("year-outside", "2030", "1")]
    # the rows left out are never checked (an unknown indicator there is no error) and never scored
    full, _ = _values(tmp_path, tree, units, text, years=(2020, 2022))
    np.testing.assert_array_equal(panel.values, full.values)


@pytest.mark.parametrize("edit, code", [
    (lambda r: {**r, "year": "2020.5"}, "bad-year"),
    (lambda r: {**r, "year": "二〇二〇"}, "bad-year"),
    (lambda r: {**r, "unit": "320501"}, "unknown-unit"),
    (lambda r: {**r, "indicator": "he_beds"}, "derived-given"),
    (lambda r: {**r, "indicator": "nope"}, "unknown-indicator"),
    (lambda r: {**r, "value": "1,5"}, "not-a-number"),
    (lambda r: {**r, "value": "inf"}, "not-a-number"),
])
def test_row_problems_point_at_spreadsheet_rows(tmp_path, tree, units, edit, code):
    rows = _base_rows()
    rows[9] = edit(rows[9])  # spreadsheet row 11
    text = ["unit,year,indicator,value"] + [f"{r['unit']},{r['year']},{r['indicator']},\"{r['value']}\"" for r in rows]
    panel, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    assert panel is None
    assert [(p.code, p.pos.line, p.pos.col) for p in problems.errors] == [(code, 11, None)]


def test_many_bad_rows_are_capped_with_a_count(tmp_path, tree, units):
    rows = _base_rows()
    text = ["unit,year,indicator,value"] + [f"{r['unit']},{r['year']},{r['indicator']},x" for r in rows]
    _, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    codes = _codes(problems)
    assert codes.count("not-a-number") == 20
    assert codes.count("not-a-number-more") == 1
    more = next(p for p in problems.errors if p.code == "not-a-number-more")
    assert f"and {len(rows) - 20} more rows" in more.message


def test_duplicate_rows_name_the_first(tmp_path, tree, units):
    text = (BASE / "values.csv").read_text(encoding="utf-8").splitlines()
    text.append(text[5])
    text.append(text[7])
    _, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    got = [(p.code, p.pos.line) for p in problems.errors]
    assert got == [("duplicate-row", len(text) - 1), ("duplicate-row", len(text))]
    assert "(first at row 6)" in problems.errors[0].message
    assert "(first at row 8)" in problems.errors[1].message


def test_long_form_needs_indicator_and_value(tmp_path, tree, units):
    _, problems = _values(tmp_path, tree, units, "unit,year,indicator\n320500,2020,gov_online\n")
    assert [(p.code, p.pos.line) for p in problems.errors] == [("missing-column", 1)]
    _, problems = _values(tmp_path, tree, units, "unit,indicator,value\n320500,gov_online,1\n")
    assert [(p.code, p.pos.line) for p in problems.errors] == [("missing-column", 1)]


def test_variable_without_data_is_reported(tmp_path, tree, units):
    text = "".join(ln + "\n" for ln in (BASE / "values.csv").read_text(encoding="utf-8").splitlines()
                   if ",pop," not in ln)
    _, problems = _values(tmp_path, tree, units, text)
    (p,) = problems.errors
    assert p.code == "no-data" and "variable 'pop'" in p.message
    assert p.pos.file.endswith("tree.yaml") and p.pos.line == 7 and p.pos.col == 5


def test_unknown_file_type(tmp_path, tree, units):
    _, problems = _values(tmp_path, tree, units, "x", "values.json")
    assert _codes(problems) == ["bad-file-type"]


# --------------------------------------------------------------------------- the demo: same names, different cities


@pytest.fixture(scope="module")
def demo():
    problems = Problems()
    tree = load_tree(ROOT / "indicators" / "digital_governance.yaml", problems)
    units = load_units(ROOT / "data" / "demo" / "units.csv", problems)
    panel = load_values(ROOT / "data" / "demo" / "values.csv", tree, units, (2019, 2024), problems)
    assert not problems.errors
    with open(ROOT / "data" / "demo" / "values.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return units, panel, rows


@pytest.mark.parametrize("a, b", [("320500", "341300"), ("321200", "331000")])
def test_demo_same_name_cities_are_never_mixed_up(demo, a, b):
    units, panel, rows = demo
    names = dict(zip(units.table["id"], units.table["name_zh"]))
    assert {names["320500"], names["341300"]} == {"苏州", "宿州"}
    assert {names["321200"], names["331000"]} == {"泰州", "台州"}
    for code in (a, b):
        mine = [r for r in rows if r["unit"] == code]
        assert mine
        u = panel.units.index(code)
        checked = 0
        for r in mine[:: max(1, len(mine) // 25)]:
            cell = panel.values[u, panel.years.index(int(r["year"])), panel.columns.index(r["indicator"])]
            if r["value"] in ("", "NA", "-"):
                assert np.isnan(cell)
            else:
                assert cell == float(r["value"])
                checked += 1
        assert checked >= 10
    ua, ub = panel.units.index(a), panel.units.index(b)
    assert not np.array_equal(panel.values[ua], panel.values[ub], equal_nan=True)


def test_demo_units_keep_codes_as_text(demo):
    units, panel, _ = demo
    assert all(isinstance(u, str) and u.isdigit() and len(u) == 6 for u in panel.units)
    assert panel.units[0] == "310000"
    assert units.label("341300") == "宿州 341300"
    assert units.label("331000") == "台州 331000"


# --------------------------------------------------------------------------- numbers: the fast and the slow path


def test_fast_and_slow_number_paths_agree():
    from evalkit.load.data import _parse_values

    cells = ["1.5", "1.5 ", "+2", "-3e2", "1e-4", "NA", "-", "", "nan", "1_000", "０.５"]
    fast_v, fast_m = _parse_values(np.array(cells, dtype=object))
    slow_v, slow_m = _parse_values(np.array(cells + [" NA ", "abc", "inf"], dtype=object))  # forces the slow path
    np.testing.assert_array_equal(fast_v, slow_v[: len(cells)])
    np.testing.assert_array_equal(fast_m, slow_m[: len(cells)])
    assert list(fast_m) == [False] * 5 + [True] * 4 + [False] * 2
    assert slow_m[len(cells)] and not slow_m[-2] and not slow_m[-1]
    assert np.isnan(slow_v[-2]) and np.isinf(slow_v[-1])  # both reported as not a number by load_values


def test_values_for_units_with_leading_zeros(tmp_path, tree):
    (tmp_path / "u.csv").write_text("id,name_zh,name_en,group\n010100,甲,A,G\n0101,乙,B,G\n", encoding="utf-8")
    problems = Problems()
    units = load_units(tmp_path / "u.csv", problems)
    rows = ["unit,year,indicator,value"]
    for k, uid in enumerate(("010100", "0101")):
        for y in (2020, 2021, 2022):
            rows += [f"{uid},{y},{c},{k + 1}" for c in COLUMNS if c != "he_beds"]
    panel, problems = _values(tmp_path, tree, units, "\n".join(rows) + "\n")
    assert not problems.items
    assert panel.units == ("010100", "0101")
    assert (panel.values[0, :, 0] == 1).all() and (panel.values[1, :, 0] == 2).all()


def test_more_than_twenty_duplicates_each_name_their_first_row(tmp_path, tree, units):
    text = (BASE / "values.csv").read_text(encoding="utf-8").splitlines()
    n = len(text)
    text = text + list(reversed(text[1:31]))  # 30 duplicates, in reverse order
    _, problems = _values(tmp_path, tree, units, "\n".join(text) + "\n")
    dups = [p for p in problems.errors if p.code == "duplicate-row"]
    assert len(dups) == 20
    assert [p.pos.line for p in dups] == list(range(n + 1, n + 21))
    for p in dups:
        first = n + 32 - p.pos.line  # row n+1 repeats row 31, row n+2 repeats row 30, ...
        assert f"(first at row {first})" in p.message
    assert any(p.code == "duplicate-row-more" and "10 more rows" in p.message for p in problems.errors)


def test_xlsx_empty_cells_are_missing(tmp_path, tree, units):
    openpyxl = pytest.importorskip("openpyxl")
    rows = _base_rows()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit", "year", "indicator", "value"])
    for i, r in enumerate(rows):
        ws.append([r["unit"], int(r["year"]), r["indicator"], None if i in (3, 9) else float(r["value"])])
    wb.save(tmp_path / "v.xlsx")
    problems = Problems()
    panel = load_values(tmp_path / "v.xlsx", tree, units, (2020, 2022), problems)
    assert not problems.items
    expected = _expected([r for i, r in enumerate(rows) if i not in (3, 9)])
    np.testing.assert_array_equal(panel.values, expected)
