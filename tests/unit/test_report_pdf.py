"""The PDF step's speed-ups keep its results: the HTML tokenizer's mended pattern cache gives the same
patterns and the same document trees, the garbage collector is paused only while a page is written, and
the page counts of the conversion reach the book and the progress bar (pages, then the book)."""

from __future__ import annotations

import gc
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from evalkit.report import pdf



def _tokenizer():
    import tinyhtml5
    from tinyhtml5 import inputstream

    return tinyhtml5, inputstream


def _pattern(characters, opposite: bool) -> re.Pattern:
    """The pattern tinyhtml5's ``chars_until`` means: a run of ``characters`` (``opposite``) or of any
    other characters, written here from its docstring, independently of both caches."""
    body = "".join(re.escape(c) for c in sorted(characters))
    return re.compile(f"[{body}]+" if opposite else f"[^{body}]+")


KEYS = [(frozenset(" \t\n\x0c\r"), True), (("&", "<", "\u0000"), False), (("<", "\u0000"), False),
        ("\u0000", False), (frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), True),
        (('"', "&", "\u0000"), False), (">", False), ("]", False)]


@given(st.sampled_from(KEYS), st.text(alphabet=st.sampled_from(list("ab <>&\"'-]\t\n\x00é中")), max_size=40))
@settings(max_examples=200, deadline=None)
def test_mended_cache_builds_the_pattern_chars_until_means(key, text):
    cache = pdf._UntilRegex()
    got = cache[key]
    assert key in cache and cache[key] is got          # stored under the lookup's own key: the next lookup hits
    want = _pattern(*key)
    for start in range(len(text) + 1):
        a, b = got.match(text, start), want.match(text, start)
        assert (a and a.group()) == (b and b.group()), (key, text, start)


def _tree(html: str, cache: dict) -> bytes:
    tinyhtml5, inputstream = _tokenizer()
    saved = inputstream.characters_until_regex
    inputstream.characters_until_regex = cache
    try:
        return ET.tostring(tinyhtml5.parse(html, namespace_html_elements=False))
    finally:
        inputstream.characters_until_regex = saved


PIECES = ["<p class='a b'>", "</p>", "<td data-x=\"1 2\">", "中文 text", "&amp;", "&nbsp;", "<br>", "<!-- c -->",
          "<svg viewBox='0 0 1 1'><path d='M0 0L1 1'/></svg>", "<style>p>a{color:red}</style>", " ", "\n",
          "<a href=x.html>", "</a>", "<table><tr><th scope=row>x</th></tr></table>", "]]>", "<", "&"]


@given(st.lists(st.sampled_from(PIECES), max_size=25))
@settings(max_examples=150, deadline=None)
def test_mended_cache_parses_to_the_same_tree(pieces):
    html = "<!DOCTYPE html><html><head><meta charset=utf-8><title>t</title></head><body>" + "".join(pieces)
    # a plain dict is the cache as tinyhtml5 ships it (every lookup misses and builds the pattern again)
    assert _tree(html, pdf._UntilRegex()) == _tree(html, {})


def test_the_mend_is_applied_once_and_only_to_the_mistake():
    _, inputstream = _tokenizer()
    saved = inputstream.characters_until_regex
    try:
        inputstream.characters_until_regex = {}
        pdf._parser_cache()
        mended = inputstream.characters_until_regex
        assert isinstance(mended, pdf._UntilRegex)
        pdf._parser_cache()
        assert inputstream.characters_until_regex is mended          # not replaced again
        mended.clear()
        # after a parse the cache holds the patterns under their characters: lookups hit from then on
        tinyhtml5, _ = _tokenizer()
        tinyhtml5.parse("<p a=b>x &amp; y</p>")
        keys = set(mended)
        assert keys and all(not isinstance(k[0], re.Pattern) for k in keys)
        tinyhtml5.parse("<p a=b>x &amp; y</p>")
        assert set(mended) == keys
    finally:
        inputstream.characters_until_regex = saved


def test_collector_paused_inside_and_restored_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with pdf._collect_after():
            assert not gc.isenabled()
            raise ValueError("a page failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with pdf._collect_after():   # a caller that had it off keeps it off
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_page_counts_reach_the_book_and_the_progress_bar_ends_after_it(monkeypatch, tmp_path):
    folder = tmp_path / "2024"
    folder.mkdir()
    for name in ("index", "region", "310000", "320100", "methods"):
        (folder / f"{name}.html").write_text(f"<p>{name}</p>", encoding="utf-8")
    pages = {"index": 3, "region": 2, "310000": 4, "320100": 5, "methods": 6}

    def fake_page(html: str):
        src = Path(html)
        src.with_suffix(".pdf").write_bytes(b"%PDF-")
        return str(src.with_suffix(".pdf")), pages[src.stem]

    bound = {}

    def fake_bind(path, parts, *, cover_html, counts=None):
        bound.update(titles=[t for t, _ in parts], counts=list(counts), cover=cover_html([3, 6, 8, 12, 17]))
        path.write_bytes(b"%PDF-")
        return path

    monkeypatch.setattr(pdf, "check_pdf_support", lambda: None)
    monkeypatch.setattr(pdf, "_page_pdf", fake_page)
    monkeypatch.setattr(pdf, "bind_book", fake_bind)
    steps = []
    files = pdf.write_pdfs(tmp_path, [2024], ["310000", "320100"], "zh", progress=lambda d, t: steps.append((d, t)),
                           book=lambda y, parts, firsts: f"{y}:{len(parts)}:{firsts}",
                           labels={"310000": "上海", "320100": "南京"},
                           part_names={"overview": "总览", "region": "区域", "methods": "附录"})
    # the book's parts in reading order, with the page counts the conversion returned
    assert bound["titles"] == ["总览", "区域", "上海", "南京", "附录"]
    assert bound["counts"] == [3, 2, 4, 5, 6]
    assert bound["cover"] == "2024:5:[3, 6, 8, 12, 17]"
    # one step a page, the book the last one: the bar is full only when the book is written
    assert steps == [(k, 6) for k in range(1, 7)]
    assert files[-1] == folder / "book-2024.pdf" and len(files) == 6
