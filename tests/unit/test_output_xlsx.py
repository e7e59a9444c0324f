"""The streamed worksheet rows of results.xlsx: the same bytes openpyxl's own write-only writer makes."""

from __future__ import annotations

import copy
import io
import zipfile

import numpy as np
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from evalkit.output import Styled, _xlsx_row, save_workbook, streaming_workbook


def _fill(wb, rows, styled: bool = False) -> None:
    """``rows`` of (kind, value) into a sheet: styled kinds as WriteOnlyCells, or (``styled``) as Styled."""
    ws = wb.create_sheet("data")
    ws.freeze_panes = "B2"
    bold = WriteOnlyCell(ws)
    bold.font, bold.fill = Font(bold=True), PatternFill("solid", fgColor="EEF1F5")
    fmt = WriteOnlyCell(ws)
    fmt.number_format = "0.00"
    for row in rows:
        out = []
        for kind, v in row:
            if kind == "plain":
                out.append(v)
            elif styled:
                out.append(Styled(v, (bold if kind == "head" else fmt)._style))
            else:
                c = WriteOnlyCell(ws, value=v)
                c._style = copy.copy((bold if kind == "head" else fmt)._style)
                out.append(c)
        ws.append(out)
    wb.create_sheet("other").append(["x", 1])


def _entries(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


TRICKY = [
    ("plain", "text"), ("plain", " lead"), ("plain", "trail "), ("plain", "   "), ("plain", ""),
    ("plain", "a & b < c > d"), ("plain", "=SUM(A1)"), ("plain", "#N/A"), ("plain", "="), ("plain", "中文 · 单位"),
    ("plain", None), ("plain", 0), ("plain", -3), ("plain", 2024), ("plain", 10**17), ("plain", 0.1),
    ("plain", 1 / 3), ("plain", -0.0), ("plain", 1e-300), ("plain", 1.5e300), ("plain", True), ("plain", False),
    ("plain", np.float64(2.5)), ("plain", np.int64(7)), ("plain", np.float32(0.1)), ("plain", float("nan")),
    ("head", "Head"), ("head", ""), ("head", None), ("num", 12.345), ("num", None), ("num", 3),
    ("plain", "tab\there"), ("plain", "line\nbreak"),
]


# rows of only these are built as text (the others go through openpyxl: formulas, error codes, NaN, float32)
FAST = [c for c in TRICKY if not (isinstance(c[1], (str,)) and c[1][:1] in ("=", "#") and len(c[1]) > 1)
        and not isinstance(c[1], np.float32) and not (isinstance(c[1], float) and c[1] != c[1])]


def _same(tmp_path, rows) -> None:
    ours, theirs, light = streaming_workbook(), Workbook(write_only=True), streaming_workbook()
    _fill(ours, rows)
    _fill(theirs, rows)
    _fill(light, rows, styled=True)  # Styled values: the same bytes as the cells they stand for
    a, b = save_workbook(ours, tmp_path / "a.xlsx"), save_workbook(theirs, tmp_path / "b.xlsx")
    c = save_workbook(light, tmp_path / "c.xlsx")
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_tricky_values_written_as_openpyxl_writes_them(tmp_path):
    rows = [TRICKY, TRICKY[::-1], [], [("plain", None)], TRICKY[5:9] * 3, FAST, FAST[::-1]]
    _same(tmp_path, rows)
    wb = streaming_workbook()
    ws = wb.create_sheet("s")
    assert _xlsx_row(ws, [v for _, v in FAST], 1) is not None        # the text path is the one compared
    assert _xlsx_row(ws, [v for _, v in TRICKY], 1) is None
    two = WriteOnlyCell(ws)
    two.number_format = "0.00"
    assert _xlsx_row(ws, [Styled(1.5, two._style), Styled(None, two._style)], 2) is not None
    assert _xlsx_row(ws, [Styled(float("nan"), two._style)], 3) is None  # openpyxl writes it    # and read back: the values a reader sees
    wb = load_workbook(tmp_path / "a.xlsx")
    ws = wb["data"]
    assert ws["A1"].value == "text" and ws["B1"].value == " lead" and ws["F1"].value == "a & b < c > d"
    assert ws["G1"].value == "=SUM(A1)" and ws["G1"].data_type == "f"   # a formula, as openpyxl would write it
    assert ws["N1"].value == 2024 and ws["U1"].value is True and ws["AD1"].value == 12.345
    assert ws["AD1"].number_format == "0.00" and ws["AA1"].font.bold
    assert ws.max_row == 7


cells = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["plain", "head", "num"]), cells), max_size=8), max_size=6))
def test_any_row_written_as_openpyxl_writes_it(tmp_path_factory, rows):
    # texts with characters openpyxl refuses raise there; keep to what a sheet can hold
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    rows = [[(k, v) for k, v in r if not (isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v))] for r in rows]
    _same(tmp_path_factory.mktemp("x"), rows)


def test_saved_entries_compressed_once_and_dated_1980(tmp_path):
    wb = streaming_workbook()
    wb.create_sheet("s").append([1, "a"])
    path = save_workbook(wb, tmp_path / "s.xlsx")
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert b"<dcterms:modified" not in z.read("docProps/core.xml")
    assert "xl/worksheets/sheet1.xml" in _entries(io.BytesIO(path.read_bytes()))
