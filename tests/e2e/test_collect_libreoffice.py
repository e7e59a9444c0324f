"""The collection templates opened by LibreOffice (a test that never skips).

With soffice installed: a template is converted to PDF (and rendered to PNG with
pdftoppm), and a filled template saved again by LibreOffice must still merge with
its values intact.  With EVALKIT_REQUIRE_LIBREOFFICE=1 (CI) a missing soffice fails
the test; otherwise the workbook's package and XML are checked by reopening it with
zipfile and openpyxl (that check runs in every case).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from _cli import fill_template as fill
from _cli import run_cli as run

YEAR = 2024
EVALKIT = [sys.executable, "-m", "evalkit.cli"]


@pytest.fixture
def cwd(tmp_path) -> Path:
    assert run("init", "proj", cwd=tmp_path).returncode == 0
    vpath = tmp_path / "proj" / "data" / "values.csv"
    df = pd.read_csv(vpath, dtype=str, keep_default_na=False)
    df[df["year"] != str(YEAR)].to_csv(vpath, index=False, lineterminator="\n")
    r = run("collect", "templates", "proj", "--year", str(YEAR), "--out", "tpl", "--only", "municipal-finance-bureau",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return tmp_path


def _check_package(path: Path) -> None:
    """The xlsx package is a sound zip of well-formed XML parts that openpyxl reopens."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert "[Content_Types].xml" in names and "xl/workbook.xml" in names
        for n in names:
            if n.endswith((".xml", ".rels")):
                ElementTree.fromstring(z.read(n))
        wbxml = z.read("xl/workbook.xml").decode()
        assert 'state="veryHidden"' in wbxml and "lockStructure" in wbxml
    wb = openpyxl.load_workbook(path)
    assert wb["数据"].protection.sheet and len(wb["数据"].data_validations.dataValidation) == 1


def test_template_opens_in_libreoffice_and_its_resave_merges(cwd, tmp_path):
    book = cwd / "tpl" / f"{YEAR}_municipal-finance-bureau.xlsx"
    _check_package(book)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        assert os.environ.get("EVALKIT_REQUIRE_LIBREOFFICE") != "1", \
            "EVALKIT_REQUIRE_LIBREOFFICE=1 but soffice is not installed (apt-get install libreoffice-calc)"
        return  # the package check above is the fallback
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"

    def convert(src: Path, to: str, outdir: Path) -> Path:
        r = subprocess.run([soffice, profile, "--headless", "--norestore", "--convert-to", to, "--outdir",
                            str(outdir), str(src)], capture_output=True, text=True, timeout=180)
        out = outdir / (src.stem + "." + to.split(":")[0])
        assert r.returncode == 0 and out.is_file() and out.stat().st_size > 0, r.stdout + r.stderr
        return out

    pdf = convert(book, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm or os.environ.get("EVALKIT_REQUIRE_LIBREOFFICE") == "1":
        assert pdftoppm, "pdftoppm (poppler-utils) is needed to render the template"
        subprocess.run([pdftoppm, "-r", "50", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                       check=True, timeout=60)
        assert (tmp_path / "page-1.png").stat().st_size > 1000
    # a department fills the template and saves it with LibreOffice: it still merges, values intact
    filled = fill(book, out=tmp_path / "filled.xlsx")
    resaved = convert(tmp_path / "filled.xlsx", "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    r = run("collect", "merge", "proj", str(resaved), cwd=cwd)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(cwd / "proj" / "data" / "values.csv", dtype=str)
    got = df[(df["year"] == str(YEAR)) & (df["indicator"] == "gov_it_spend_share")]
    assert {u: float(v) for u, v in zip(got["unit"], got["value"])} == filled
