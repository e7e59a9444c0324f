"""The repository's own documentation is what its files cite, and every citation can be followed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = ROOT / "docs" / "methods.md"
ANCHORS = ("minmax zscore rank goalpost maxratio target entropy critic cv ahp combined pca bod equal-fixed "
           "arithmetic geometric harmonic power-mean topsis copeland weighted-proportions screening imputation "
           "outlier-treatment derived coverage coordination obstacle theil dagum convergence dea malmquist "
           "kernel-density spatial-autocorrelation attainment sensitivity plan network").split()
SCANNED = ("evalkit", "tests", "indicators", "weights", "examples", "reports", "benchmarks", "docs", "data")
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".j2", ".css", ".txt", ".toml"}


def _text_files():
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                yield path
    for name in ("README.md", "CONTRIBUTING.md", "pyproject.toml"):
        yield ROOT / name


def _defined_anchors() -> list[str]:
    return re.findall(r'<a id="([a-z0-9-]+)"></a>', METHODS.read_text(encoding="utf-8"))


def test_every_method_section_has_its_anchor_once():
    defined = _defined_anchors()
    assert sorted(defined) == sorted(set(defined)), "an anchor is defined twice"
    assert set(ANCHORS) <= set(defined), sorted(set(ANCHORS) - set(defined))


def test_every_cited_section_exists():
    defined = set(_defined_anchors())
    cite = re.compile(r"docs/methods\.md#([a-z0-9-]+)")
    bad = [f"{p.relative_to(ROOT)}: #{a}" for p in _text_files()
           for a in cite.findall(p.read_text(encoding="utf-8", errors="replace")) if a not in defined]
    assert not bad, bad


def test_links_inside_the_methods_document_resolve():
    defined = set(_defined_anchors())
    links = re.findall(r"\]\(#([a-z0-9-]+)\)", METHODS.read_text(encoding="utf-8"))
    assert links and not sorted(set(links) - defined)


def test_no_citation_of_documents_outside_the_repository():
    gone = ("SPEC" + ".md", "METHODS" + ".md", "STYLE" + ".md", "HELPERS" + ".md")
    bad = [f"{p.relative_to(ROOT)}: {g}" for p in _text_files()
           for g in gone if g in p.read_text(encoding="utf-8", errors="replace")]
    assert not bad, bad
