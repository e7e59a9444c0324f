"""How long a printed scorecard is: an estimate from its HTML (to choose which cards to lay out) and the
used share of a laid-out page (WeasyPrint's boxes).

Laying out a card takes more than a second, so the page-count test lays out only the cards whose printed
content is longest.  Every card has the same sections, charts and headings; what varies is the text: chain
readings, names that wrap, the rows of the obstacle, target and partner tables.  ``print_length`` counts
the characters the printed card shows (CJK characters twice, as they are about twice as wide), leaving out
what the print style sheet (reports/style.css, ``@media print``) hides.  benchmarks/bench_print_pages.py
lays out every card and reports how well this ranks them: on the demo the printed content of the cards
differs by less than 2 % (each printed table has at most a fixed number of rows), so the first picks
are within a few millimetres of the longest card, far less than the room the test demands.
"""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser
from typing import Any

# what the printed card does not show (reports/style.css, @media print)
HIDDEN_CLASSES = {"screen-only", "stamp", "quality", "nav", "page-nav", "links", "nw-position"}
HIDDEN_TAGS = {"head", "style", "script", "svg", "title"}
ROW_LIMITS = {"attainment": 5, "partners": 3}   # rows each table of these sections prints
VOID = {"br", "img", "meta", "link", "hr", "input", "col", "wbr", "source"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text if not c.isspace())


class _Printed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []   # (tag, hidden)
        self.section = ""
        self.rows = 0
        self.length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        hidden = bool(self.stack and self.stack[-1][1]) or tag in HIDDEN_TAGS or bool(classes & HIDDEN_CLASSES)
        if tag == "section":
            self.section = a.get("id") or ""
            hidden = hidden or self.section == "quality"
        if tag == "tbody":
            self.rows = 0
        if tag == "tr" and not hidden and self.section in ROW_LIMITS and self._in("tbody"):
            self.rows += 1
            hidden = self.rows > ROW_LIMITS[self.section]
        if tag == "table" and self.section == "trends":
            hidden = True   # the chart carries the years in print
        if tag == "p" and self.section == "partners" and "note" in classes:
            hidden = True
        self.stack.append((tag, hidden))

    def _in(self, tag: str) -> bool:
        return any(t == tag for t, _ in self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]):
            self.length += _width(data)


def print_length(html: str) -> int:
    """Width-weighted characters of text the printed scorecard shows."""
    p = _Printed()
    p.feed(html)
    p.close()
    return p.length


def fill(page: Any) -> float:
    """The share of a laid-out page's content area (inside the margins) its content reaches down to
    (a WeasyPrint ``Page``; its box tree is private API, so this is for tests and benchmarks only)."""
    from weasyprint.formatting_structure import boxes

    def bottom(box: Any) -> float:
        low = 0.0
        for child in getattr(box, "children", None) or []:
            if isinstance(child, boxes.MarginBox):   # the page number and stamp in the margins
                continue
            if getattr(child, "position_y", None) is not None and getattr(child, "height", None) is not None:
                low = max(low, child.position_y + child.margin_height())
            low = max(low, bottom(child))
        return low

    box = page._page_box
    top = box.content_box_y()
    return max(0.0, (bottom(box) - top) / box.height)


def content_height(pages: list[Any]) -> float:
    """The height of the printed content in mm, the white space left by page breaks not counted: the sum,
    over the pages, of the blocks of the page's ``div.page`` (headings, sections, notes, footer)."""
    total = 0.0

    def find(box: Any) -> Any:
        el = getattr(box, "element", None)
        if el is not None and el.tag == "div" and "page" in (el.get("class") or "").split():
            return box
        for child in getattr(box, "children", None) or []:
            got = find(child)
            if got is not None:
                return got
        return None

    for page in pages:
        div = find(page._page_box)
        if div is not None:
            total += sum(c.margin_height() for c in div.children if getattr(c, "height", None) is not None)
    return total * 25.4 / 96


def overflow(page: Any) -> float:
    """How far (CSS px) the page's widest box reaches past its right margin (0 when everything is inside)."""
    box = page._page_box
    right = box.margin_width() - box.margin_right
    worst = 0.0

    def walk(b: Any) -> None:
        nonlocal worst
        if hasattr(b, "margin_width") and b is not box:
            worst = max(worst, b.position_x + b.margin_width() - b.margin_right - right)
        for child in getattr(b, "children", None) or ():
            walk(child)

    for child in box.children:
        walk(child)
    return worst
