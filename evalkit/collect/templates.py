"""``evalkit collect templates``: one XLSX workbook per department, for one year.

Each workbook holds exactly the department's items (non-derived indicators
and the raw variables formulas use; derived indicators are computed, never
asked) × every city of the units file:

- ``说明`` instructions in Chinese and English: what to fill, by when, missing values as empty;
- ``数据`` the data sheet: city code (A) and name (B) locked; per item a value column
  (unlocked, data validation: numbers only within the plausible range) followed by a
  grey locked column with last year's value from the values file, for reference.
  Row 1 names the item (zh / en), row 2 its unit and id; cities start on row 3.
  The sheet is protected without a password (only value cells are editable;
  columns and rows may be resized); the workbook structure is locked too, so
  sheets cannot be renamed, moved or deleted by accident;
- ``定义`` the definitions: id, names, unit, direction, goalposts, plausible range and the
  statistical caliber (口径) — stated once, the same for every city;
- ``_evalkit`` (veryHidden): format, project, year, grouping, department, every column's
  role, item id and header text, and the recorded city codes.  ``merge`` reads the
  year, department and column → id mapping from there, never from header text.

Workbooks are written with openpyxl's write-only mode at every size (it keeps
cell styles, data validation, sheet protection, freeze panes and column widths,
and writes 3,000 cities × 20 items in a couple of seconds), so there is one code path.

Source: README.md "Command line" (collect templates); issue "evalkit collect".
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import Pos, Problems
from ..load.data import Units
from ..load.yamlnodes import display_path
from ..output import safe_text, save_workbook, staged_folder, write_csv
from ..tree import Names
from . import (BY_OPTIONS, CODE_COL, FIRST_ROW, FORMAT, HEADER_ROWS, NAME_COL, SHEET_DATA, SHEET_DEFS, SHEET_HELP,
               SHEET_META, Department, Item, check_year, departments, fmt, load_collect_inputs, read_values_file)

DIRECTION_TEXT = {
    "benefit": ("正向（越大越好）", "benefit (larger is better)"),
    "cost": ("逆向（越小越好）", "cost (smaller is better)"),
    "target": ("适度（越接近目标越好）", "target (closer to the optimum is better)"),
}

_thin = Side(style="thin", color="B0B7C3")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
_REF_FILL = PatternFill("solid", fgColor="EDEDED")
_INPUT_FILL = PatternFill("solid", fgColor="FFFDE7")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


@dataclass(frozen=True)
class TemplateInfo:
    file: Path
    department: Department
    n_units: int


def column_header(item: Item) -> tuple[str, str]:
    """Rows 1 and 2 of an item's value column: 'name_zh\\nname_en' and 'unit · id'."""
    return f"{item.name.zh}\n{item.name.en}", f"{item.unit or '—'} · {item.id}"


def reference_header(item: Item, year: int) -> tuple[str, str]:
    return f"{year - 1}年参考\n{year - 1} (ref.)", item.unit or "—"


def layout(dept: Department, year: int) -> list[tuple[int, str, str, str, str]]:
    """Every column of the data sheet: (index, role, item id, header row 1, header row 2).

    Roles: code, name, value, reference.  Merge compares the sheet against this.
    """
    cols = [(CODE_COL, "code", "", "城市代码\nCode", "code"), (NAME_COL, "name", "", "城市\nCity", "name")]
    c = NAME_COL
    for item in dept.items:
        c += 1
        cols.append((c, "value", item.id, *column_header(item)))
        c += 1
        cols.append((c, "reference", item.id, *reference_header(item, year)))
    return cols


def _width(text: str) -> float:
    """Display width of one line: CJK characters count two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _cell(ws, value, proto: WriteOnlyCell | None = None) -> WriteOnlyCell:
    """A cell of a template: text neutralised against formula injection (names come from the project)."""
    c = WriteOnlyCell(ws, value=safe_text(value))
    if proto is not None:
        c._style = copy.copy(proto._style)
    return c


def _texts(values: list) -> list:
    return [safe_text(v) for v in values]


def _proto(ws, *, font=None, fill=None, alignment=None, border=None, locked=True, number_format=None):
    c = WriteOnlyCell(ws)
    if font is not None:
        c.font = font
    if fill is not None:
        c.fill = fill
    if alignment is not None:
        c.alignment = alignment
    if border is not None:
        c.border = border
    if number_format is not None:
        c.number_format = number_format
    c.protection = Protection(locked=locked)
    return c


def _bound_text(lo: float, hi: float) -> str:
    if math.isinf(lo) and math.isinf(hi):
        return "任意数字 any number"
    if math.isinf(hi):
        return f"≥ {fmt(lo)}"
    if math.isinf(lo):
        return f"≤ {fmt(hi)}"
    return f"{fmt(lo)} – {fmt(hi)}"


def _validation(item: Item, ref: str) -> DataValidation:
    lo, hi = item.bounds
    if math.isinf(lo) and math.isinf(hi):
        kw = dict(operator="between", formula1="-1E+300", formula2="1E+300")
    elif math.isinf(hi):
        kw = dict(operator="greaterThanOrEqual", formula1=f"{lo:.15g}")
    elif math.isinf(lo):
        kw = dict(operator="lessThanOrEqual", formula1=f"{hi:.15g}")
    else:
        kw = dict(operator="between", formula1=f"{lo:.15g}", formula2=f"{hi:.15g}")
    rng = _bound_text(lo, hi)
    dv = DataValidation(type="decimal", allow_blank=True, showErrorMessage=True, showInputMessage=True,
                        errorStyle="stop", errorTitle="数值无效 Invalid value",
                        error=f"请填写数字，范围 {rng}（缺失请留空）。Enter a number in {rng}; leave the cell empty "
                              "if the value is missing."[:225],
                        promptTitle=item.id[:32],
                        prompt=f"单位 unit: {item.unit or '—'}; 合理范围 range: {rng}"[:255], **kw)
    dv.add(ref)
    return dv


def _print_landscape_a4_protected(ws) -> None:
    """Print on A4 landscape, one page wide; protect the sheet (unlocked cells stay editable)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.protection.sheet = True


def build_workbook(dept: Department, *, units: Units, year: int, title: Names, by: str = "source",
                   previous: np.ndarray | None = None, current: np.ndarray | None = None, due: str | None = None,
                   framework: str = "") -> Workbook:
    """The template workbook of one department (not yet saved).

    previous : ndarray of shape (n_units, n_items) or None
        Last year's values (NaN = none) shown in the reference columns, in the
        units-file order and the department's item order.
    current : ndarray of the same shape or None
        Values to prefill the value cells with (NaN = empty); for re-issuing a
        partly filled template, tests and benchmarks.
    """
    table = units.table
    codes = [str(u) for u in table["id"]]
    names = [f"{z} {e}" for z, e in zip(table["name_zh"], table["name_en"])]
    n_units, n_items = len(codes), len(dept.items)
    for name, a in (("previous", previous), ("current", current)):
        if a is not None and a.shape != (n_units, n_items):
            raise ValueError(f"{name} has shape {a.shape}, expected {(n_units, n_items)}")
    cols = layout(dept, year)
    last_row = FIRST_ROW + n_units - 1

    wb = Workbook(write_only=True)
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = f"{title.zh} {year} {dept.name.zh}"
    wb.properties.subject = f"{FORMAT} year={year} department={dept.key}"
    wb.properties.creator = "evalkit collect templates"

    _instructions(wb, dept, year=year, title=title, due=due, n_units=n_units)

    # ---- data sheet
    ws = wb.create_sheet(SHEET_DATA)
    ws.sheet_properties.tabColor = "4472C4"
    ws.column_dimensions["A"].width = 11
    ws.column_dimensions["B"].width = max(14, min(30, max((_width(n) for n in names), default=10) + 2))
    for c, role, _, h1, _h2 in cols[2:]:
        letter = get_column_letter(c)
        if role == "value":
            w = max(_width(h1.split("\n")[0]) / 2 + 2, _width(h1.split("\n")[1]) / 3 + 2, 14)
            ws.column_dimensions[letter].width = min(w, 26)
        else:
            ws.column_dimensions[letter].width = 13
    ws.row_dimensions[1].height = 80
    ws.row_dimensions[2].height = 30  # 'unit · id' may wrap to two lines
    ws.freeze_panes = f"{get_column_letter(NAME_COL + 1)}{FIRST_ROW}"
    ws.print_title_rows = f"1:{HEADER_ROWS}"
    _print_landscape_a4_protected(ws)
    ws.protection.formatColumns = False  # allowed: resizing never changes the layout
    ws.protection.formatRows = False

    head = _proto(ws, font=Font(bold=True), fill=_HEAD_FILL, alignment=_WRAP_CENTER, border=_BORDER)
    head_ref = _proto(ws, font=Font(italic=True, color="595959"), fill=_REF_FILL, alignment=_WRAP_CENTER,
                      border=_BORDER)
    sub = _proto(ws, font=Font(size=9, color="404040"), fill=_HEAD_FILL, alignment=_WRAP_CENTER, border=_BORDER)
    sub_ref = _proto(ws, font=Font(size=9, italic=True, color="595959"), fill=_REF_FILL, alignment=_WRAP_CENTER,
                     border=_BORDER)
    code_p = _proto(ws, font=Font(bold=True), border=_BORDER, number_format="@")
    name_p = _proto(ws, border=_BORDER)
    input_p = _proto(ws, fill=_INPUT_FILL, border=_BORDER, locked=False)
    ref_p = _proto(ws, font=Font(italic=True, color="595959"), fill=_REF_FILL, border=_BORDER)

    ws.append([_cell(ws, h1, head_ref if role == "reference" else head) for _, role, _, h1, _ in cols])
    ws.append([_cell(ws, h2, sub_ref if role == "reference" else sub) for _, role, _, _, h2 in cols])
    prev = previous if previous is not None else np.full((n_units, n_items), np.nan)
    cur = current if current is not None else np.full((n_units, n_items), np.nan)
    for i in range(n_units):
        row = [_cell(ws, codes[i], code_p), _cell(ws, names[i], name_p)]
        for j in range(n_items):
            v, x = prev[i, j], cur[i, j]
            row.append(_cell(ws, None if math.isnan(x) else float(x), input_p))
            row.append(_cell(ws, None if math.isnan(v) else float(v), ref_p))
        ws.append(row)
    for c, role, item_id, _, _ in cols:
        if role == "value":
            item = dept.items[(c - NAME_COL - 1) // 2]
            letter = get_column_letter(c)
            ws.data_validations.append(_validation(item, f"{letter}{FIRST_ROW}:{letter}{max(last_row, FIRST_ROW)}"))

    _definitions(wb, dept, year=year, cols=cols)

    # ---- hidden metadata
    meta = wb.create_sheet(SHEET_META)
    meta.sheet_state = "veryHidden"
    meta.append(_texts(["format", FORMAT]))
    meta.append(_texts(["project", title.zh, title.en]))
    meta.append(_texts(["framework", framework]))
    meta.append(_texts(["year", year]))
    meta.append(_texts(["by", by]))
    meta.append(_texts(["department", dept.key, dept.name.zh, dept.name.en]))
    meta.append(_texts(["data_sheet", SHEET_DATA]))
    meta.append(_texts(["first_row", FIRST_ROW]))
    for c, role, item_id, h1, h2 in cols:
        meta.append(_texts(["column", c, role, item_id, h1, h2]))
    for code, name in zip(codes, names):
        meta.append(_texts(["unit", code, name]))
    return wb


def _instructions(wb: Workbook, dept: Department, *, year: int, title: Names, due: str | None, n_units: int) -> None:
    ws = wb.create_sheet(SHEET_HELP)
    ws.sheet_properties.tabColor = "70AD47"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 62
    ws.column_dimensions["C"].width = 62
    _print_landscape_a4_protected(ws)
    bold = _proto(ws, font=Font(bold=True, size=14))
    label = _proto(ws, font=Font(bold=True), fill=_HEAD_FILL, alignment=_WRAP_TOP, border=_BORDER)
    text = _proto(ws, alignment=_WRAP_TOP, border=_BORDER)
    n = len(dept.items)
    due_zh = due or "按数据征集通知规定的日期"
    due_en = due or "the date given in the data request"
    rows = [
        ("标题 Title", title.zh, title.en),
        ("年份 Year", f"{year} 年数据", f"data for {year}"),
        ("报送部门 Department", dept.name.zh, dept.name.en),
        ("截止日期 Due", f"请于 {due_zh} 前发回", f"return it by {due_en}"),
        ("填报内容 What", f"在「{SHEET_DATA}」工作表中，为 {n_units} 个城市逐行填写"
                        f"本部门负责的 {n} 项指标 {year} 年的数值（浅黄色单元格）。",
         f"On sheet {SHEET_DATA} (Data), fill in the {year} values of the {n} indicators your department reports, "
         f"one row per city ({n_units} cities), in the pale yellow cells."),
        ("统计口径 Caliber", f"每项指标的定义、单位和方向见「{SHEET_DEFS}」工作表。"
                           "口径对所有城市统一，请严格按此口径填报，不要按本地口径换算或合并其他统计范畴。",
         f"The definition, unit and direction of every indicator are on sheet {SHEET_DEFS} (Definitions). They are "
         "the same for every city: report on this caliber, not a local one."),
        ("缺失值 Missing", "缺失或无法提供的数值请留空；不要填写 0、“无”、“-” 或文字说明。",
         "Leave a cell empty when the value is missing or not available; do not write 0, 'none', '-' or a remark."),
        ("只填数字 Numbers", "只填数字：不带单位、不带千分位逗号；"
                           "百分比填 12.5，而不是 12.5% 或 0.125。超出合理范围的数值会被拒收。",
         "Numbers only, without units or thousands separators; a percentage as 12.5, not 12.5% or 0.125. Values "
         "outside the plausible range are refused."),
        ("上年参考 Last year", f"灰色列为已入库的 {year - 1} 年数值，仅供核对，不可修改；"
                             "与上年相差超过 3 倍的数值请核实。",
         f"Grey columns show the {year - 1} values already on file, for checking only (locked); please verify a "
         "value more than 3 times larger or smaller than last year's."),
        ("格式 Layout", "请勿增删、移动行或列，不要修改城市代码、表头或工作表名称。"
                      "工作表已保护（无密码），只能编辑数值单元格。",
         "Do not add, delete or move rows or columns, and do not change city codes, headers or sheet names. The "
         "sheet is protected (no password): only value cells can be edited."),
        ("发回 Return", "填好后将本文件发回（可改文件名）；年份和部门已记录在文件中。",
         "Send this file back when done (renaming it is fine): the year and department are recorded inside it."),
    ]
    ws.append([_cell(ws, f"{title.zh} — 数据填报表 / Data template", bold)])
    ws.append([])
    for k, (a, b, c) in enumerate(rows, 3):
        # explicit heights: LibreOffice does not grow rows for wrapped text on import
        lines = max(math.ceil(_width(b) / 60), math.ceil(_width(c) / 64), 1)
        ws.row_dimensions[k].height = 15 * lines + 3
    for a, b, c in rows:
        ws.append([_cell(ws, a, label), _cell(ws, b, text), _cell(ws, c, text)])


def _definitions(wb: Workbook, dept: Department, *, year: int, cols) -> None:
    ws = wb.create_sheet(SHEET_DEFS)
    ws.sheet_properties.tabColor = "A5A5A5"
    widths = [8, 24, 11, 26, 30, 10, 16, 12, 14, 50, 50, 24]
    for k, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(k)].width = w
    ws.freeze_panes = "C2"
    _print_landscape_a4_protected(ws)
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    head = _proto(ws, font=Font(bold=True), fill=_HEAD_FILL, alignment=_WRAP_CENTER, border=_BORDER)
    text = _proto(ws, alignment=_WRAP_TOP, border=_BORDER)
    ws.append([_cell(ws, h, head) for h in (
        "列\nColumn", "指标代码\nId", "类别\nKind", "名称\nName (zh)", "Name (en)", "单位\nUnit", "方向\nDirection",
        "目标/阈值\nTarget / goalposts", "合理范围\nPlausible range", "定义（口径）", "Definition (caliber)",
        "报送部门\nDepartment")])
    letters = {item_id: get_column_letter(c) for c, role, item_id, _, _ in cols if role == "value"}
    ws.row_dimensions[1].height = 48
    row = 2
    for item in dept.items:
        if item.kind == "variable":
            kind = "公式变量\nvariable"
            direction = "—"
            extra = f"用于 used by: {', '.join(item.used_by)}" if item.used_by else ""
        else:
            kind = "指标\nindicator"
            zh, en = DIRECTION_TEXT.get(item.direction or "", ("", ""))
            direction = f"{zh}\n{en}".strip()
            extra = ""
        tg = []
        if item.target is not None:
            t = item.target
            tg.append(f"目标 target {fmt(t[0])}" if t[0] == t[1] else f"目标 target [{fmt(t[0])}, {fmt(t[1])}]")
        if item.goalposts is not None:
            tg.append(f"[{fmt(item.goalposts[0])}, {fmt(item.goalposts[1])}]")
        desc = item.description
        src = item.source
        values = (letters[item.id], item.id, kind, item.name.zh, item.name.en, item.unit or "—", direction,
                  "\n".join(tg), _bound_text(*item.bounds),
                  ((desc.zh if desc else "") + ("\n" + extra if extra else "")).strip(),
                  (desc.en if desc else ""), f"{src.zh}\n{src.en}" if src else "")
        lines = max(sum(max(1, math.ceil(_width(part) / (w - 1))) for part in str(v).split("\n"))
                    for v, w in zip(values, widths))
        ws.row_dimensions[row].height = 15 * lines + 3
        row += 1
        ws.append([_cell(ws, v, text) for v in values])


# ------------------------------------------------------------------ the command


@dataclass(frozen=True)
class TemplatesSummary:
    out: Path
    templates: tuple[TemplateInfo, ...]
    warnings: tuple = ()
    lang: str = "zh"  # the project's report language


def write_templates(project_path: Path | None, *, year: int, by: str = "source", out: Path | None = None,
                    due: str | None = None, only: Sequence[str] = ()) -> TemplatesSummary:
    """Write ``<year>_<department>.xlsx`` for every department, and ``templates.csv`` listing them.

    ``out`` defaults to ``collect/<year>`` beside the project's output folder; the folder is
    replaced as a whole (built beside it, then renamed).  Last year's values
    come from the project's values file.  ``only`` restricts to some department keys.
    Raises UserError when the project or the values file has problems.
    """
    import pandas as pd

    if by not in BY_OPTIONS:
        raise ValueError(f"by must be one of {BY_OPTIONS}")
    problems = Problems()
    inputs = load_collect_inputs(project_path, problems)
    project, tree, units = inputs.project, inputs.tree, inputs.units
    check_year(year, project, problems, project.pos.get("years", Pos(display_path(project.file))))
    values = read_values_file(project.values, problems)
    depts = departments(tree, by=by)
    if only:
        keys = {d.key for d in depts}
        from ..errors import did_you_mean

        for k in only:
            if k not in keys:
                problems.add(Pos("<command line>"), f"department '{k}' is not in the framework{did_you_mean(k, keys)}",
                             "unknown-department")
        depts = tuple(d for d in depts if d.key in set(only))
    problems.raise_if_errors()
    # beside the output folder, not in it: `evalkit run` replaces the output folder as a whole
    out = Path(out) if out is not None else project.output.parent / "collect" / str(year)
    codes = [str(u) for u in units.table["id"]]
    infos = []
    with staged_folder(out, protect=project.inputs().values()) as tmp:
        rows = []
        for dept in depts:
            prev = np.array([[values.value(u, year - 1, item.id) for item in dept.items] for u in codes],
                            dtype=np.float64).reshape(len(codes), len(dept.items))
            wb = build_workbook(dept, units=units, year=year, title=project.title, by=by, previous=prev, due=due,
                                framework=tree.root.id)
            name = f"{year}_{dept.key}.xlsx"
            save_workbook(wb, tmp / name)
            infos.append(TemplateInfo(out / name, dept, len(codes)))
            rows.append({"file": name, "department": dept.key, "name_zh": dept.name.zh, "name_en": dept.name.en,
                         "year": year, "indicators": " ".join(i.id for i in dept.items),
                         "n_indicators": len(dept.items), "n_units": len(codes)})
        write_csv(pd.DataFrame(rows, columns=["file", "department", "name_zh", "name_en", "year", "indicators",
                                              "n_indicators", "n_units"]), tmp / "templates.csv")
    return TemplatesSummary(out, tuple(infos), tuple(problems.warnings), inputs.project.lang)
