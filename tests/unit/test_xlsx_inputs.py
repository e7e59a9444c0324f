"""Workbooks read faithfully and within bounds: zip bombs, tampered template records, cells that
cannot give their value (formulas without a stored result, merged ranges, error values), values
outside the table, hidden sheets.  Every one is a located error (exit 1), never a crash, a silent
drop or an unbounded allocation; the memory cases run in a subprocess under an address-space cap."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.collect import SHEET_DATA, SHEET_META
from evalkit.collect.merge import merge_workbooks
from evalkit.collect.templates import write_templates
from evalkit.errors import Problems, UserError
from evalkit.load.data import read_table
from evalkit.load.xlsx import MAX_UNCOMPRESSED, Book, check_package
from evalkit.run import init_project

YEAR = 2024
DEPT = "municipal-finance-bureau"
MEMORY_CAP = 1536 * 1024 * 1024  # bytes of address space for the capped subprocess


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("xlsx")
    proj = init_project(root / "p")
    vpath = proj.parent / "data" / "values.csv"
    df = pd.read_csv(vpath, dtype=str, keep_default_na=False)
    df[df["year"] != str(YEAR)].to_csv(vpath, index=False, lineterminator="\n")
    write_templates(proj, year=YEAR, out=root / "tpl", only=[DEPT])
    return root


@pytest.fixture
def proj(base, tmp_path) -> Path:
    shutil.copytree(base / "p", tmp_path / "p")
    shutil.copytree(base / "tpl", tmp_path / "tpl")
    return tmp_path / "p" / "evalkit.yaml"


def _template(proj: Path) -> Path:
    return proj.parent.parent / "tpl" / f"{YEAR}_{DEPT}.xlsx"


def _edit(path: Path, edit) -> Path:
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def _set_meta(key: str, col: int, value):
    def edit(wb):
        for row in wb[SHEET_META].iter_rows():
            if row[0].value == key:
                row[col - 1].value = value
                return
        raise AssertionError(key)
    return edit


def _merge_errors(proj: Path, book: Path) -> list[tuple[str, str, str]]:
    values = proj.parent / "data" / "values.csv"
    before = values.read_bytes()
    with pytest.raises(UserError) as ei:
        merge_workbooks(proj, [book])
    assert values.read_bytes() == before  # nothing written
    return [(str(p.pos), p.code, p.message) for p in ei.value.problems if p.severity == "error"]


def _capped(args: list[str], cwd: Path, cap: int = MEMORY_CAP) -> subprocess.CompletedProcess:
    """The CLI in a subprocess whose address space is capped: a regression fails fast instead of
    exhausting the machine (MemoryError -> exit 3)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, preexec_fn=limit)


def _bomb(src: Path, dst: Path, part: str = "xl/sharedStrings.xml", size: int = 320 * 1024 * 1024) -> Path:
    """``src`` with ``part`` replaced by a shared-strings part inflating to ``size`` bytes (one long string)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info, zin.read(info.filename))
        head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/' \
               b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        tail = b"</t></si></sst>"
        chunk = b"A" * (1 << 20)
        info = zipfile.ZipInfo(part)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(info, "w", force_zip64=True) as f:
            f.write(head)
            for _ in range((size - len(head) - len(tail)) // len(chunk)):
                f.write(chunk)
            f.write(tail)
    return dst


# --------------------------------------------------------------------------- bounded inflation


def test_zip_bomb_in_a_returned_template_is_refused_before_inflating(proj, tmp_path):
    book = _bomb(_template(proj), tmp_path / "bomb.xlsx")
    assert book.stat().st_size < 2 * 1024 * 1024  # a small file ...
    with zipfile.ZipFile(book) as z:
        assert sum(i.file_size for i in z.infolist()) > MAX_UNCOMPRESSED  # ... that inflates past the cap
        assert check_package(z) is not None
    r = _capped(["collect", "merge", str(proj), str(book), "--dry-run"], cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert "bomb.xlsx: the workbook is too large to read: its part xl/sharedStrings.xml inflates" in r.stderr


def test_zip_bomb_as_the_values_file_is_refused(proj, tmp_path):
    src = tmp_path / "v.xlsx"
    pd.DataFrame({"unit": ["310000"], "year": ["2024"], "indicator": ["x"], "value": ["1"]}).to_excel(src, index=False)
    _bomb(src, proj.parent / "data" / "values.xlsx")
    text = proj.read_text(encoding="utf-8").replace("values: data/values.csv", "values: data/values.xlsx")
    proj.write_text(text, encoding="utf-8")
    r = _capped(["validate", str(proj)], cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "the workbook is too large to read" in r.stderr and "Traceback" not in r.stderr


def test_package_limits_pass_a_real_workbook(proj):
    with zipfile.ZipFile(_template(proj)) as z:
        assert check_package(z) is None
    with Book(_template(proj)) as b:
        assert b.sheetnames[:2] != [] and SHEET_META in b.sheetnames


# --------------------------------------------------------------------------- the hidden record


@pytest.mark.parametrize("key,col,value,cell,needle", [
    ("first_row", 2, 2, "B8", "first_row 2 is not a whole number in [3, 3]"),
    ("first_row", 2, 1, "B8", "first_row 1 is not a whole number in [3, 3]"),
    ("first_row", 2, 1e12, "B8", "first_row"),
    ("year", 2, -1, "B4", "year -1 is not a whole number in [1000, 9999]"),
    ("year", 2, 0, "B4", "year 0 is not"),
    ("year", 2, 1e20, "B4", "year"),
])
def test_tampered_scalar_fields_are_located_errors(proj, key, col, value, cell, needle):
    book = _edit(_template(proj), _set_meta(key, col, value))
    errs = _merge_errors(proj, book)
    assert [(pos, code) for pos, code, _ in errs] == [(f"{book}!{SHEET_META}!{cell}", "damaged-template")]
    assert needle in errs[0][2]


@pytest.mark.parametrize("value,needle", [(0, "column 0 is not a whole number in [1, 16384]"),
                                          (-3, "column -3 is not"), (20000, "column 20000 is not"),
                                          (1e12, "is not a whole number")])
def test_tampered_column_numbers_are_located_errors(proj, value, needle):
    def edit(wb):
        for row in wb[SHEET_META].iter_rows():
            if row[0].value == "column" and row[2].value == "value":
                row[1].value = value
                return
    book = _edit(_template(proj), edit)
    errs = _merge_errors(proj, book)
    assert errs and all(code == "damaged-template" for _, code, _ in errs)
    assert any(needle in msg and pos.startswith(f"{book}!{SHEET_META}!B") for pos, _, msg in errs)


def test_tampered_first_row_far_down_stays_bounded_in_memory(proj, tmp_path):
    book = _edit(_template(proj), _set_meta("first_row", 2, 1e12))
    r = _capped(["collect", "merge", str(proj), str(book), "--dry-run"], cwd=tmp_path)
    assert r.returncode == 1 and "damaged-template" not in r.stderr  # the code is internal; the message is not
    assert f"{book.relative_to(tmp_path)}!{SHEET_META}!B8: the template's hidden record is damaged" in r.stderr


def test_gap_in_column_records_and_repeated_city_are_errors(proj):
    def edit(wb):
        rows = [row for row in wb[SHEET_META].iter_rows() if row[0].value in ("column", "unit")]
        cols = [row for row in rows if row[0].value == "column"]
        cols[-1][1].value = len(cols) + 5  # the last column renumbered past a gap
        units = [row for row in rows if row[0].value == "unit"]
        units[1][1].value = units[0][1].value
    book = _edit(_template(proj), edit)
    msgs = " | ".join(m for _, _, m in _merge_errors(proj, book))
    assert "is recorded twice" in msgs and "do not number the columns" in msgs


# --------------------------------------------------------------------------- cells that cannot give a value


def _first_value_cell(book: Path) -> tuple[int, int]:
    wb = openpyxl.load_workbook(book, read_only=True)
    for row in wb[SHEET_META].iter_rows(values_only=True):
        if row[0] == "column" and row[2] == "value":
            return int(row[1]), 3
    raise AssertionError


def test_formula_without_a_stored_value_is_an_error_naming_the_cell(proj):
    book = _template(proj)
    c, r = _first_value_cell(book)
    _edit(book, lambda wb: wb[SHEET_DATA].cell(r, c, "=1+1"))
    errs = _merge_errors(proj, book)
    letter = openpyxl.utils.get_column_letter(c)
    assert (f"{book}!{SHEET_DATA}!{letter}{r}", "formula-no-value",
            "formula without a stored value: open and save in Excel, or type the value") in errs


def test_merged_value_cells_are_an_error_naming_the_range(proj):
    book = _template(proj)
    c, r = _first_value_cell(book)
    letter = openpyxl.utils.get_column_letter(c)
    rng = f"{letter}{r}:{letter}{r + 1}"

    def edit(wb):
        ws = wb[SHEET_DATA]
        ws.cell(r, c, 2.5)
        ws.merge_cells(rng)
    _edit(book, edit)
    errs = _merge_errors(proj, book)
    assert [(p, code) for p, code, _ in errs if code == "merged-cells"] == [(f"{book}!{SHEET_DATA}!{rng}",
                                                                             "merged-cells")]


def test_value_in_column_xfd_is_an_error_not_ignored(proj):
    book = _edit(_template(proj), lambda wb: wb[SHEET_DATA].cell(5, 16384, 7))
    errs = _merge_errors(proj, book)
    assert [(p, code) for p, code, _ in errs] == [(f"{book}!{SHEET_DATA}!XFD5", "cell-outside")]
    assert "value '7' is outside the template (columns A:" in errs[0][2]


def test_excel_error_value_is_reported_by_its_own_text(proj):
    book = _template(proj)
    c, r = _first_value_cell(book)
    _edit(book, lambda wb: wb[SHEET_DATA].cell(r, c, "#N/A"))
    errs = _merge_errors(proj, book)
    assert len(errs) == 1 and errs[0][2].startswith("#N/A: an Excel error value") and "nan" not in errs[0][2]


def test_year_out_of_range_is_an_error_and_nothing_enters_the_values(proj):
    book = _edit(_template(proj), _set_meta("year", 2, 0))
    errs = _merge_errors(proj, book)
    assert [code for _, code, _ in errs] == ["damaged-template"]


# --------------------------------------------------------------------------- a values workbook


def _values_book(path: Path, rows: list[list], *, hidden_first: bool = False, edit=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if hidden_first:
        ws.title = "old"
        ws.append(["unit", "year", "indicator", "value"])
        ws.append(["999999", 1999, "junk", 0])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("values")
    for row in rows:
        ws.append(row)
    if edit:
        edit(ws)
    wb.save(path)
    return path


HEAD = ["unit", "year", "indicator", "value"]


def test_values_workbook_reads_like_pandas(tmp_path):
    rows = [HEAD, ["310000", 2024, "a", 12.0], ["310000", 2024, "b", 12.5], [320500, 2024, "c", None],
            ["310000", 2024, "d", True]]
    path = _values_book(tmp_path / "v.xlsx", rows)
    p = Problems()
    got = read_table(path, p)
    expected = pd.read_excel(path, dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl")
    assert not p.items
    assert list(got.columns) == list(expected.columns)
    assert got.to_numpy().tolist() == expected.to_numpy().tolist()
    assert list(got.index) == list(expected.index)


def test_values_workbook_hidden_first_sheet_is_skipped(tmp_path):
    path = _values_book(tmp_path / "v.xlsx", [HEAD, ["310000", 2024, "a", 1]], hidden_first=True)
    got = read_table(path, Problems())
    assert got["unit"].tolist() == ["310000"]  # the visible sheet, not the hidden junk


@pytest.mark.parametrize("edit,cell,code,needle", [
    (lambda ws: ws.cell(2, 4, "=1/0"), "D2", "formula-no-value", "formula without a stored value"),
    (lambda ws: ws.cell(2, 4, "#N/A"), "D2", "excel-error", "#N/A: an Excel error value"),
    (lambda ws: ws.cell(2, 16384, 5), "XFD2", "cell-outside", "is outside the table's columns A:D"),
])
def test_values_workbook_cells_that_cannot_be_read_are_errors(tmp_path, edit, cell, code, needle):
    path = _values_book(tmp_path / "v.xlsx", [HEAD, ["310000", 2024, "a", 1]], edit=edit)
    p = Problems()
    read_table(path, p)
    hits = [e for e in p.errors if e.code == code]
    assert hits and str(hits[0].pos).endswith(f"!Sheet!{cell}") and needle in hits[0].message


def test_values_workbook_merged_range_is_an_error(tmp_path):
    path = _values_book(tmp_path / "v.xlsx", [HEAD, ["310000", 2024, "a", 1], ["310000", 2023, "a", None]],
                        edit=lambda ws: ws.merge_cells("D2:D3"))
    p = Problems()
    read_table(path, p)
    assert [(str(e.pos).rpartition("!")[2], e.code) for e in p.errors] == [("D2:D3", "merged-cells")]


def test_values_csv_first_row_with_a_value_too_many_is_located_not_shifted(tmp_path):
    # found by the input fuzz test: pandas silently made the first column the index (every value
    # shifted one column left), and loading crashed further on
    path = tmp_path / "v.csv"
    path.write_text("unit,year,indicator,value\n1,5,2019,a,77.9\n310000,2019,a,1\n", encoding="utf-8")
    p = Problems()
    assert read_table(path, p) is None
    assert [(e.pos.line, e.code) for e in p.errors] == [(2, "bad-csv")]
    assert "more values than the 4 columns named in row 1" in p.errors[0].message


def test_header_right_of_the_template_is_a_column_added(proj):
    def edit(wb):
        ws = wb[SHEET_DATA]
        ws.cell(1, ws.max_column + 1, "备注 note")
    book = _edit(_template(proj), edit)
    errs = _merge_errors(proj, book)
    assert [(code, msg.split(":")[0]) for _, code, msg in errs] == [("column-added", "column added")]
