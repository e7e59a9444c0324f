"""`evalkit collect templates|merge|status` in a subprocess; the templates opened by LibreOffice.

The LibreOffice test never skips: with soffice installed it converts a template
to PDF (and a filled one back to XLSX, which must merge); with
EVALKIT_REQUIRE_LIBREOFFICE=1 (CI) a missing soffice fails the test; otherwise it
checks the workbook's package and XML by reopening it with zipfile and openpyxl.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _cli import fill_template as fill
from _cli import run_cli as run

YEAR = 2024
EVALKIT = [sys.executable, "-m", "evalkit.cli"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """cwd with a demo project (2024 removed from its values) and its 2024 templates in ./tpl."""
    root = tmp_path_factory.mktemp("cli")
    assert run("init", "proj", cwd=root).returncode == 0
    vpath = root / "proj" / "data" / "values.csv"
    df = pd.read_csv(vpath, dtype=str, keep_default_na=False)
    df[df["year"] != str(YEAR)].to_csv(vpath, index=False, lineterminator="\n")
    r = run("collect", "templates", "proj", "--year", str(YEAR), "--out", "tpl", "--due", "2025-03-31", cwd=root)
    assert r.returncode == 0, r.stderr
    # in the project's language (zh); 跨域协同 adds the healthcare security bureau
    assert r.stdout.startswith(f"已写入 {YEAR} 年的 12 份采集模板，位于 tpl：\n")
    assert f"  {YEAR}_municipal-finance-bureau.xlsx  市财政局：1 个指标 × 41 个城市" in r.stdout
    return root


@pytest.fixture
def cwd(work, tmp_path) -> Path:
    shutil.copytree(work / "proj", tmp_path / "proj")
    shutil.copytree(work / "tpl", tmp_path / "tpl")
    return tmp_path


def test_cli_templates_merge_status_round_trip(cwd):
    book = Path("tpl") / f"{YEAR}_municipal-finance-bureau.xlsx"
    filled = fill(cwd / book)
    r = run("collect", "merge", "proj", str(book), "--dry-run", "--lang", "en", cwd=cwd)
    assert r.stdout.strip() == "checked 1 workbooks: 41 added, 0 filled, 0 changed, 0 unchanged; nothing written (--dry-run)"
    r = run("collect", "merge", "proj", str(book), cwd=cwd, subprocess_=True)  # the real console entry
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("已将 1 份工作簿合并至 proj/data/values.csv：新增 41，补填 0，修改 0，未变 0；"
                                "修改过的数值列于 proj/data/merge-conflicts.csv")
    df = pd.read_csv(cwd / "proj" / "data" / "values.csv", dtype=str)
    got = df[(df["year"] == str(YEAR)) & (df["indicator"] == "gov_it_spend_share")]
    assert {u: float(v) for u, v in zip(got["unit"], got["value"])} == filled
    r = run("collect", "status", "proj", "--year", str(YEAR), "--out", "st", cwd=cwd)
    assert r.returncode == 0, r.stderr
    # the project's language (zh) throughout: no English words on the terminal
    assert "市财政局 (municipal-finance-bureau)：已报齐（1 个指标）" in r.stdout
    assert "市统计局 (municipal-statistics-bureau)：待报 41 个数值（共 41 个）" in r.stdout
    assert r.stdout.rstrip().endswith(f"已写入 st/collect-status-{YEAR}.csv")
    assert not any(w in r.stdout for w in ("owes", "complete", "wrote", "values given"))
    r = run("collect", "status", "proj", "--year", str(YEAR), "--out", "st", "--lang", "en", cwd=cwd)
    assert "Municipal finance bureau (municipal-finance-bureau): complete (1 indicators)" in r.stdout
    assert r.stdout.rstrip().endswith(f"wrote st/collect-status-{YEAR}.csv")
    st = pd.read_csv(cwd / "st" / f"collect-status-{YEAR}.csv", dtype=str, keep_default_na=False)
    assert list(st.columns) == ["department", "department_zh", "department_en", "indicator", "name_zh", "name_en",
                                "given", "owed", "total", "owed_units"]
    row = st[st["indicator"] == "population"].iloc[0]
    assert (row["owed"], row["total"]) == ("41", "41") and row["owed_units"].split()[:2] == ["310000", "320100"]


def test_cli_merge_errors_exit_1_each_located_nothing_written(cwd):
    book = Path("tpl") / f"{YEAR}_municipal-statistics-bureau.xlsx"
    fill(cwd / book)
    wb = openpyxl.load_workbook(cwd / book)
    wb["数据"]["C5"] = "n/a"
    wb["数据"]["C6"] = -3
    wb.save(cwd / book)
    vpath = cwd / "proj" / "data" / "values.csv"
    before = vpath.read_bytes()
    r = run("collect", "merge", "proj", str(book), cwd=cwd)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines[0] == (f"{book}!数据!C5: value 'n/a' for 无锡 320200 / 2024 / population is not a number: write "
                        "numbers only (no units, no remarks); leave missing values empty")
    assert lines[1].startswith(f"{book}!数据!C6: value -3 for 徐州 320300 / 2024 / population is outside the "
                               "plausible range [0, ∞]")
    assert lines[-1] == "evalkit: 2 problems found; nothing was written"
    assert vpath.read_bytes() == before and "Traceback" not in r.stderr


def test_cli_merge_strict_jump_and_bad_command_lines(cwd):
    book = Path("tpl") / f"{YEAR}_municipal-statistics-bureau.xlsx"
    fill(cwd / book, value=1.0)  # population 1: far below last year's
    r = run("collect", "merge", "proj", str(book), "--strict", "--dry-run", cwd=cwd)
    assert r.returncode == 1 and r.stderr.count("(more than a factor 3): check it") == 20
    assert "... and 21 more problems of the kind 'jump'" in r.stderr
    r = run("collect", "merge", "proj", str(book), "--max-jump", "1e9", "--dry-run", cwd=cwd)
    assert r.returncode == 0 and "未写入任何文件（--dry-run）" in r.stdout
    assert run("collect", "merge", "proj", str(book), "--max-jump", "1", cwd=cwd).returncode == 2
    assert run("collect", "templates", "proj", cwd=cwd).returncode == 2  # --year is required
    assert run("collect", cwd=cwd).returncode == 2
    r = run("collect", "merge", "proj", "nope.xlsx", cwd=cwd)
    assert r.returncode == 1 and r.stderr.strip() == "evalkit: no such file: nope.xlsx"
    from evalkit.load.project import demo_project_path

    r = run("collect", "merge", str(demo_project_path()), str(book), cwd=cwd)
    assert r.returncode == 1 and "--into" in r.stderr  # the installation's demo values are never rewritten
    r = run("collect", "templates", "proj", "--year", "2030", "--only", "municipal-finance-bureau", "--out", "t2",
            "--debug", cwd=cwd)
    assert r.returncode == 0 and "警告：2030 年不在项目的年份 [2019, 2024] 之内" in r.stderr
    shown = sorted(p.name for p in (cwd / "t2").iterdir() if not p.name.startswith("."))  # .evalkit-output marker
    assert shown == ["2030_municipal-finance-bureau.xlsx", "templates.csv"]
