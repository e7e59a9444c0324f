"""results.xlsx printed by LibreOffice: every sheet set up for A4 landscape, fitted to the width, its
header rows on every page; the header text reads back from the PDF.  With EVALKIT_REQUIRE_LIBREOFFICE=1
(CI) a missing soffice fails the test instead of falling back to reading the workbook's settings."""

import os
import re
import shutil
import subprocess

from openpyxl import load_workbook

from evalkit.cli import main


def test_results_xlsx_prints_with_its_header(tmp_path, project):
    folder = project
    out = folder / "out"
    assert main(["run", str(folder / "evalkit.yaml"), "--tables-only", "--out", str(out)]) == 0
    book = out / "results.xlsx"
    wb = load_workbook(book)
    assert wb.sheetnames[:2] == ["综合指数", "领域"]
    for ws in wb.worksheets:                         # the settings LibreOffice and Excel print by
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows and ws.auto_filter.ref, ws.title
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        assert os.environ.get("EVALKIT_REQUIRE_LIBREOFFICE") != "1", \
            "EVALKIT_REQUIRE_LIBREOFFICE=1 but soffice is not installed (apt-get install libreoffice-calc)"
        return  # the settings checked above are the fallback
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    r = subprocess.run([soffice, profile, "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                        str(tmp_path / "pdf"), str(book)], capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "pdf" / "results.pdf"
    assert r.returncode == 0 and pdf.is_file(), r.stdout + r.stderr
    pdfinfo, pdftotext = shutil.which("pdfinfo"), shutil.which("pdftotext")
    if not (pdfinfo and pdftotext):
        assert os.environ.get("EVALKIT_REQUIRE_LIBREOFFICE") != "1", "pdfinfo/pdftotext (poppler-utils) needed"
        assert pdf.read_bytes()[:5] == b"%PDF-"
        return
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    # seven sheets of a handful of rows, each fitted to the page width: one page each, a few more at most
    assert len(wb.sheetnames) <= pages <= 2 * len(wb.sheetnames), pages
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert w > h                                                        # landscape
    text = subprocess.run([pdftotext, "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert "代码" in lines[0] or "代码" in lines[1]                     # the header on top of the first page
    assert any("得分" in ln and "排名" in ln for ln in lines[:4])
    assert "苏州" in text and "320500" in text
