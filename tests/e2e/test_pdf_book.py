"""`evalkit run --pdf`: scorecards of at most four A4 pages in the screen's CJK font, the overview, the
methods annex and the year's bound book with its outline — read back with poppler and pypdf."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evalkit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _tools() -> bool:
    if os.environ.get("EVALKIT_REQUIRE_PDF") == "1":
        return True
    try:
        import pypdf  # noqa: F401
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return all(shutil.which(t) for t in ("pdfinfo", "pdffonts", "pdftotext", "fc-list"))


def _run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    if not _tools():
        # without the PDF extra a user gets the clear error, and nothing is written
        folder = tmp_path_factory.mktemp("p") / "p"
        shutil.copytree(FIXTURES / "base", folder)
        assert main(["run", str(folder / "evalkit.yaml"), "--pdf", "--out", str(folder / "out")]) == 1
        assert not (folder / "out").exists()
        return None
    folder = tmp_path_factory.mktemp("p") / "p"
    shutil.copytree(FIXTURES / "base", folder)
    out = folder / "out"
    assert main(["run", str(folder / "evalkit.yaml"), "--pdf", "--jobs", "2", "--out", str(out)]) == 0
    year = max(int(d.name) for d in out.iterdir() if d.is_dir() and d.name.isdigit())
    return out / str(year), year


def test_scorecards_fit_four_pages_with_the_cjk_font_embedded(printed):
    if printed is None:
        return
    folder, _ = printed
    cards = sorted(p for p in folder.glob("*.pdf") if p.stem.isdigit())
    assert len(cards) == 4
    for card in cards:
        pages = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(card)))[1])
        assert 1 <= pages <= 4, (card.name, pages)
        assert "(A4)" in _run("pdfinfo", str(card))
        fonts = _run("pdffonts", str(card))
        assert re.search(r"Noto-Sans-CJK|NotoSansCJK|Source-Han-Sans|WenQuanYi", fonts), fonts
        assert "Serif" not in fonts, fonts                              # the header too is in the sans font


def test_the_chinese_card_speaks_to_readers(printed):
    if printed is None:
        return
    folder, _ = printed
    text = _run("pdftotext", str(folder / "320500.pdf"), "-")
    assert "苏州" in text and "综合得分" in text
    assert not re.search(r"(/[\w.-]+){2,}\.(ya?ml|csv|py)|site-packages|\.venv", text)   # no file-system paths
    assert not re.search(r"\w+=\S", text)                                              # no raw parameters
    # Latin words: only the synthetic-data stamp, the project's English title, the city's English name,
    # units of measurement and method acronyms are allowed
    allowed = {"Demonstration", "data", "not", "official", "statistics", "Test", "project", "Suzhou", "Jiangsu",
               "Anhui", "Taizhou", "Zhejiang", "min", "evalkit", "CR", "AHP", "DEA", "RI", "CRITIC", "TOPSIS", "PM"}
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - allowed
    assert not words, words


def test_overview_annex_and_book_with_outline(printed):
    if printed is None:
        return
    import pypdf

    folder, year = printed
    for name in ("index.pdf", "methods.pdf", f"book-{year}.pdf"):
        assert (folder / name).is_file(), name
    book = pypdf.PdfReader(str(folder / f"book-{year}.pdf"))
    top = [o for o in book.outline if not isinstance(o, list)]
    titles = [o.title for o in top]
    assert titles[0] == "总览" and titles[-1] == "方法说明（附件）"
    assert sum(t.startswith(("苏州", "宿州", "泰州", "台州")) for t in titles) == 4          # every card
    parts = ["index.pdf"] + [f"{u}.pdf" for u in ("320500", "341300", "321200", "331000")] + ["methods.pdf"]
    n_parts = sum(len(pypdf.PdfReader(str(folder / p)).pages) for p in parts if (folder / p).is_file())
    assert len(book.pages) > n_parts                                   # the cover and contents in front
    front = _run("pdftotext", "-f", "1", "-l", str(len(book.pages) - n_parts), str(folder / f"book-{year}.pdf"), "-")
    assert "目录" in front and "方法说明（附件）" in front
    # the contents' page numbers are where the parts start: the first city's page shows its name
    first_card = book.get_page_number(top[1].page) + 1 if len(top) > 1 else None
    assert first_card is not None
    page_text = _run("pdftotext", "-f", str(first_card), "-l", str(first_card), str(folder / f"book-{year}.pdf"), "-")
    assert top[1].title.split("（")[0].split(" ")[0] in page_text


def test_links_in_the_pdfs_are_relative_to_the_folder(printed):
    """A link opens the page beside the PDF wherever the folder is moved; it never names the temporary
    folder the run wrote (which made the PDFs differ from run to run)."""
    if printed is None:
        return
    import pypdf

    folder, year = printed
    uris = []
    for pdf in sorted(folder.glob("*.pdf")):
        for page in pypdf.PdfReader(str(pdf)).pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                if action is not None and "/URI" in action:
                    uris.append((pdf.name, str(action["/URI"])))
    assert ("320500.pdf", "methods.html") in uris                       # a card links the methods annex
    bad = [(name, uri) for name, uri in uris if ":" in uri or uri.startswith("/") or ".tmp-" in uri]
    assert not bad, bad
    for _, uri in uris:                                                 # and the page it names is there
        assert (folder / uri.split("#")[0]).resolve().is_file() or uri.startswith("#"), uri
