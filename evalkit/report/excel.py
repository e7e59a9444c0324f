"""results.xlsx: one sheet per tree level, the weights (with CR and RI table), the raw values and their flags.

Layout of a level sheet (named by the level: 综合指数, 领域, 环节, 指标): one row per unit-year (unit id,
name, province, year), then for each node of the level three columns, score, rank and rank within the
province, under a header cell naming the node (the index's sheet adds the grade); two header rows are
frozen, and the id columns. Every sheet is set up to print (landscape A4, fitted to the page width, the
header rows repeated) and carries an autofilter on its last header row.
A sheet that would exceed Excel's limits (16,384 columns, 1,048,576 rows) is
split into numbered sheets of the same layout ("Level 3 (1)", "Level 3 (2)" ...),
each with the id columns and header rows.  Every text cell is neutralised
against formula injection (:func:`evalkit.output.safe_text`); the saved bytes
are reproducible (:func:`evalkit.output.save_workbook`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..output import Styled, safe_text, save_workbook, streaming_workbook
from .context import RI_TABLES, prepared
from .context.methods import method_word
from ..i18n import t
from .inputs import ReportInput


def _floats(a: np.ndarray) -> list:
    """``a`` as nested lists of Python floats, None where a value is missing or not finite."""
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


def _ints(a: np.ndarray) -> list:
    """``a`` (whole numbers stored as floats: ranks) as nested lists of Python ints, None where missing."""
    good = np.isfinite(a)
    out = np.where(good, a, 0).astype(np.int64).astype(object)
    out[~good] = None
    return out.tolist()


def _cell(v):
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return safe_text(v)


MAX_COLS = 16_384      # Excel's limits of a sheet
MAX_ROWS = 1_048_576


def _parts(n: int, size: int) -> list[range]:
    """``range(n)`` cut into consecutive pieces of at most ``size`` (one empty piece when n = 0)."""
    return [range(i, min(n, i + size)) for i in range(0, n, size)] or [range(0)]


def _sheet_names(base: str, n: int, taken: set[str]) -> list[str]:
    """``n`` distinct sheet names (Excel: at most 31 characters): ``base``, or ``base (1)`` … ``base (n)``."""
    names = []
    for k in range(1, n + 1):
        suffix = f" ({k})" if n > 1 else ""
        name = base[:31 - len(suffix)] + suffix
        while name in taken:
            suffix = f" ({k}.{len(taken)})"
            name = base[:31 - len(suffix)] + suffix
        taken.add(name)
        names.append(name)
    return names


def level_name(tree, depth: int, level, lang: str) -> str:
    """A level's sheet name from what its nodes are: the index, the domains, the stages, the indicators
    (``综合指数``, ``领域``, ``环节``, ``指标``); a level of mixed kinds by its depth (``第2层``)."""
    if depth == 0:
        return t("x_level_index", lang)
    if all(n.is_leaf for n in level):
        return t("x_level_indicators", lang)
    if depth == 1:
        return t("x_level_domains", lang)
    if all(getattr(n, "stage", None) for n in level):
        return t("x_level_stages", lang)
    return t("x_level", lang, n=depth)


def print_setup(ws, *, head_rows: int, n_cols: int, n_rows: int, filter_row: int | None = None) -> None:
    """Ready to print and filter: landscape A4 fitted to the page width, the header rows repeated on every
    page, an autofilter on the last header row over the data, the first header row tall enough for two
    lines (its names wrap) so that it never runs into the second."""
    from openpyxl.utils import get_column_letter

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9          # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0        # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.print_title_rows = f"1:{head_rows}"
    last = get_column_letter(max(n_cols, 1))
    row = filter_row or head_rows
    ws.auto_filter.ref = f"A{row}:{last}{row + max(n_rows, 1)}"
    if head_rows > 1:
        ws.row_dimensions[1].height = 30


MAX_ROWS_ALL_YEARS = 2000  # unit-years; above it the workbook holds the report years only (results.csv has all)


def write_results_xlsx(inp: ReportInput, path: Path, *, lang: str = "zh", years: list[int] | None = None) -> Path:
    """Write results.xlsx (openpyxl, write-only mode: rows are streamed) and return its path.

    Every year is included while units × years ≤ ``MAX_ROWS_ALL_YEARS``; a larger
    panel (the HDI's 195 countries × 33 years) gets the report ``years`` only,
    so that writing a spreadsheet does not dominate the run; results.csv always
    holds every year.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    p = prepared(inp)
    tree = p.tree
    shown = [(yi, y) for yi, y in enumerate(p.years)
             if years is None or len(p.units) * len(p.years) <= MAX_ROWS_ALL_YEARS or y in years]
    wb = streaming_workbook()
    head_font = Font(bold=True, color="1F3B5A")
    head_fill = PatternFill("solid", fgColor="EEF1F5")
    thin = Border(bottom=Side(style="thin", color="1F3B5A"))
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    protos: dict[str, WriteOnlyCell] = {}  # one styled cell per kind, its style shared (setting one is slow)

    def style(ws, kind: str):
        proto = protos.get(kind)
        if proto is None:
            proto = protos[kind] = WriteOnlyCell(ws)
            if kind.startswith("head"):
                proto.font, proto.fill, proto.alignment = head_font, head_fill, center
                if kind == "head_last":
                    proto.border = thin
            else:
                proto.number_format = kind
        return proto._style

    def styled(ws, v, kind: str) -> Styled:
        return Styled(v, style(ws, kind))

    def header(ws, values, *, last: bool = True) -> list:
        kind = "head_last" if last else "head"
        return [styled(ws, safe_text(v) if v is not None else None, kind) for v in values]

    def number(ws, v, fmt: str):
        return styled(ws, v, fmt)

    def text(values) -> list:
        return [safe_text(v) for v in values]

    id_heads = [t("code", lang), t("unit", lang), t("province", lang), t("year", lang)]
    n_id = len(id_heads)
    # (unit index, year index, year) of every row, in unit then year order; cut to fit a sheet's rows
    row_keys = [(ui, yi, year) for ui in range(len(p.units)) for yi, year in shown]
    row_parts = _parts(len(row_keys), MAX_ROWS - 2)
    taken: set[str] = set()
    # per node: score, rank, rank within the province; the index's sheet also the grade
    per = 3
    for depth, level in enumerate(tree.levels):
        graded = depth == 0 and bool(p.grades)
        col_parts = _parts(len(level), (MAX_COLS - n_id - 1) // per)
        names = iter(_sheet_names(level_name(tree, depth, level, lang), len(col_parts) * len(row_parts), taken))
        for cols in col_parts:
            nodes = [level[k] for k in cols]
            idx = [p.nidx[n.id] for n in nodes]
            for rows in row_parts:
                ws = wb.create_sheet(next(names))
                for c, wdt in enumerate([10, 14, 10, 7] + [11] * (per * len(nodes)) + ([8] if graded else []),
                                        start=1):
                    ws.column_dimensions[get_column_letter(c)].width = wdt
                ws.freeze_panes = f"{get_column_letter(n_id + 1)}3"
                row1 = id_heads + [x for n in nodes for x in (f"{n.name.get(lang)} ({n.id})", None, None)] \
                    + ([t("grade", lang)] if graded else [])
                row2 = id_heads + [x for _ in nodes for x in (t("score", lang), t("rank", lang),
                                                              t("x_group_rank", lang))] \
                    + ([t("grade", lang)] if graded else [])
                # before the first row: a write-only sheet writes its properties with it
                print_setup(ws, head_rows=2, n_cols=len(row1), n_rows=len(rows))
                ws.append(header(ws, row1, last=False))
                ws.append(header(ws, row2))
                two = style(ws, "0.00")
                scores, ranks, granks = _floats(p.score[:, :, idx]), _ints(p.rank[:, :, idx]), _ints(p.grank[:, :, idx])
                for r in rows:
                    ui, yi, year = row_keys[r]
                    info = p.units[ui]
                    row = text([info.id, info.name(lang), info.group_name(lang)]) + [year]
                    for s, rk, gr in zip(scores[ui][yi], ranks[ui][yi], granks[ui][yi]):
                        row += [Styled(s, two), rk, gr]
                    if graded:
                        row.append(safe_text(p.grade[ui, yi]) or None)
                    ws.append(row)
                assert len(row1) == n_id + per * len(nodes) + graded <= MAX_COLS

    # weights: a row per node (cut to fit a sheet's rows), the RI tables used under the last part;
    # per-year weights (by: year): one block of rows a year, with the year in a last column
    blocks = sorted(p.weights_by_year.items()) if p.weights_by_year else [(None, p.weights)]
    rows_w = [(year, n) for year, _ in blocks for n in tree.root.walk()]
    weights_of = dict(blocks)
    weight_parts = _parts(len(rows_w), MAX_ROWS - 1 - 4 * len(RI_TABLES))
    used_ri: list[str] = []
    for part, sheet in zip(weight_parts, _sheet_names(t("x_weights", lang), len(weight_parts), taken)):
        ws = wb.create_sheet(sheet)
        for c, wdt in zip("ABCDEFGHI", (20, 40, 16, 14, 12, 12, 10, 16, 8)):
            ws.column_dimensions[c].width = wdt
        ws.freeze_panes = "A2"
        print_setup(ws, head_rows=1, n_cols=8 + bool(p.weights_by_year), n_rows=len(part))
        ws.append(header(ws, [t("m_node", lang), t("x_name", lang), t("m_parent", lang), t("m_method", lang),
                              t("m_local", lang), t("m_global", lang), "CR", t("m_ri", lang)]
                         + ([t("year", lang)] if p.weights_by_year else [])))
        for year, n in (rows_w[k] for k in part):
            w = weights_of[year].get(n.id, {})
            ri = w.get("ri_table")
            ri = "" if ri is None or (isinstance(ri, float) and math.isnan(ri)) else str(ri)
            if ri and ri not in used_ri:
                used_ri.append(ri)
            ws.append(text([n.id, "    " * tree.depth[n.id] + n.name.get(lang), tree.parent.get(n.id) or "",
                            method_word(str(_cell(w.get("method"))), lang) if _cell(w.get("method")) else ""])
                      + [number(ws, _cell(w.get("local_weight")), "0.0000"),
                         number(ws, _cell(w.get("global_weight")), "0.0000"), number(ws, _cell(w.get("cr")), "0.0000"),
                         safe_text(ri)] + ([year] if year is not None else []))
    for name in used_ri or ["cn_textbook"]:
        if name not in RI_TABLES:
            continue
        ws.append([])
        ws.append(header(ws, [t("m_ri_table", lang, name=name)], last=False))
        ws.append(header(ws, [t("x_n", lang)] + list(range(1, len(RI_TABLES[name]) + 1)), last=False))
        ws.append(header(ws, ["RI"], last=False) + list(RI_TABLES[name]))

    # raw values, wide: a row per unit-year, a column per indicator (what Excel users filter and chart);
    # flags in a second sheet of the same layout, written only where a cell is flagged
    flag_text = {"imp": t("x_imputed", lang), "trt": t("x_treated", lang), "prov": t("x_provisional", lang)}
    leaf_parts = _parts(len(p.leaves), MAX_COLS - n_id)
    for sheet, kind in ((t("x_raw", lang), "value"), (t("x_flags", lang), "flags")):
        names = iter(_sheet_names(sheet, len(leaf_parts) * len(row_parts), taken))
        for cols in leaf_parts:
            leaves = [p.leaves[j] for j in cols]
            for rows in row_parts:
                ws = wb.create_sheet(next(names))
                for c, wdt in enumerate([10, 14, 10, 7] + [14] * len(leaves), start=1):
                    ws.column_dimensions[get_column_letter(c)].width = wdt
                ws.freeze_panes = f"{get_column_letter(n_id + 1)}3"
                print_setup(ws, head_rows=2, n_cols=n_id + len(leaves), n_rows=len(rows))
                ws.append(header(ws, id_heads + [n.name.get(lang) for n in leaves], last=False))
                ws.append(header(ws, id_heads + [f"{n.unit_for(lang) or '—'} · {n.id}" for n in leaves]))
                if kind == "value":
                    values = _floats(p.raw[:, :, cols.start:cols.stop])
                else:  # the flags of a cell as one code 0-7, its text looked up
                    words = np.array([", ".join(flag_text[k] for k, bit in (("imp", 1), ("trt", 2), ("prov", 4))
                                                if code & bit) or None for code in range(8)], dtype=object)
                    sl = slice(cols.start, cols.stop)
                    values = words[p.f_imp[:, :, sl] * 1 + p.f_trt[:, :, sl] * 2 + p.f_prov[:, :, sl] * 4].tolist()
                for r in rows:
                    ui, yi, year = row_keys[r]
                    info = p.units[ui]
                    ws.append(text([info.id, info.name(lang), info.group_name(lang)]) + [year] + values[ui][yi])
    return save_workbook(wb, Path(path))
