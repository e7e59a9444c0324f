"""A half-collected year, replayed: templates for 2025, one department's workbook back, merge, run.

Before: the 2025 rows either stopped every run (outside years) or, with years
widened, 苏州 got a grade A from last year's values carried forward.  Now the
rows outside years are left out with one warning, and with years widened the
year is flagged as incomplete and every city shows "insufficient data".
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.collect import FIRST_ROW, SHEET_DATA, SHEET_META
from evalkit.run import init_project

from _cli import run_cli


def _fill_from_last_year(path: Path) -> int:
    """Fill every value cell of a returned template with the reference value beside it (last year's)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_DATA]
    cols, units = {}, []
    for row in wb[SHEET_META].iter_rows(values_only=True):
        if row[0] == "column" and row[2] == "value":
            cols[int(row[1])] = row[3]
        elif row[0] == "unit":
            units.append(str(row[1]))
    n = 0
    for r, _ in enumerate(units, FIRST_ROW):
        for c in cols:
            prev = ws.cell(r, c + 1).value
            ws.cell(r, c).value = float(prev) if prev is not None else 1.0
            n += 1
    wb.save(path)
    return n


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("half")
    proj = init_project(root / "proj")
    r = run_cli("collect", "templates", str(proj), "--year", "2025", cwd=root)
    assert r.returncode == 0, r.stderr
    book = next((root / "proj" / "collect" / "2025").glob("*data-bureau*.xlsx"))
    cells = _fill_from_last_year(book)
    r = run_cli("collect", "merge", str(proj), str(book), cwd=root)
    assert r.returncode == 0, r.stderr
    return root, proj, cells


def test_rows_of_a_year_outside_years_are_left_out_with_one_warning(collected):
    root, proj, cells = collected
    r = run_cli("validate", str(proj), cwd=root)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "2025" in ln]
    assert len(lines) == 1 and re.search(rf"values\.csv:\d+: 警告：属于 2025 年的数据行不在项目的年份（2019–2024）之内，"
                                         rf"已略去：{cells} 行", lines[0])           # in the project's language
    r = run_cli("run", str(proj), "--out", str(root / "out-a"), cwd=root)
    assert r.returncode == 0, r.stderr
    assert sorted(pd.read_csv(root / "out-a" / "results.csv")["year"].unique())[-1] == 2024


def test_a_widened_half_collected_year_is_insufficient_data_not_a_grade(collected):
    root, proj, _ = collected
    text = proj.read_text(encoding="utf-8")
    proj.write_text(re.sub(r"^years: \[2019, 2024\]", "years: [2019, 2025]", text, flags=re.M), encoding="utf-8")
    r = run_cli("validate", str(proj), cwd=root)
    assert r.returncode == 0 and "警告：2025 年：城市数据覆盖率中位数仅为" in r.stderr
    r = run_cli("run", str(proj), "--out", str(root / "out-b"), cwd=root)
    assert r.returncode == 0, r.stderr
    assert re.search(r"警告：2025 年：城市数据覆盖率中位数仅为 \d+%（低于 80%），该年数据似未收齐；"
                     r"41 个单位中 41 个数据不足", r.stderr)
    r = run_cli("validate", str(proj), "--lang", "en", cwd=root)
    assert re.search(r"warning: 2025: median coverage is \d+% \(below 80%\): the year looks incompletely collected; "
                     r"41 of 41 units have insufficient data", r.stderr)
    res = pd.read_csv(root / "out-b" / "results.csv", dtype={"unit": str}, keep_default_na=False)
    sz = res[(res["unit"] == "320500") & (res["year"] == 2025) & (res["node"] == "dgpi")].iloc[0]
    assert sz["score"] == "" and sz["rank"] == "" and sz["grade"] == ""
    assert float(sz["coverage"]) < 0.5 and float(sz["imputed_share"]) == 0  # nothing carried into a thin year
    last = res[(res["unit"] == "320500") & (res["year"] == 2024) & (res["node"] == "dgpi")].iloc[0]
    assert last["score"] != "" and float(last["coverage"]) > 0.9

    card = (root / "out-b" / "2025" / "320500.html").read_text(encoding="utf-8")
    assert 'class="banner banner-coverage"' in card and "2025年数据尚未收齐" in card
    top = card.index('id="insufficient"')
    assert top < card.index('id="headline"')
    assert "数据不足：本年度不评分、不排名、不定级" in card and "各领域覆盖率" in card and "缺少报送数据的领域" in card
    assert "不参与排名（数据不足）" in card
    assert 'id="radar-t"' not in card and 'id="dbars-t"' not in card   # no empty domain charts: the box explains
    overview = (root / "out-b" / "2025" / "index.html").read_text(encoding="utf-8")
    assert 'class="banner banner-coverage"' in overview
    assert "数据不足、未参与排名的城市（41 个）" in overview and 'data-kind="no-eligible"' in overview
    region = (root / "out-b" / "2025" / "region.html").read_text(encoding="utf-8")
    assert "2025年数据尚未收齐" in region
    # the years before are untouched by the banner
    r = run_cli("run", str(proj), "--out", str(root / "out-c"), "--year", "2024", cwd=root)
    assert r.returncode == 0
    card_2024 = (root / "out-c" / "2024" / "320500.html").read_text(encoding="utf-8")
    assert 'class="banner banner-coverage"' not in card_2024
    assert 'id="radar-t"' in card_2024 and 'id="dbars-t"' in card_2024
