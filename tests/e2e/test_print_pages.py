"""The printed demo scorecards: at most four A4 pages with room to spare, in Chinese and in English.

Laying out all 82 cards of the demo takes about 100 s of CPU (benchmarks/bench_print_pages.py does it and
prints the histogram of page counts).  Here the demo is rendered in both languages and, per language, the
cards whose printed content is longest (``_printfit.print_length``: the text the print style sheet shows)
are laid out twice: on A4, where they take at most four pages, and on pages ``ROOM_MM`` shorter, where
they must still fit four — so a longer city name, one more obstacle or a longer chain reading does not
spill onto a fifth page.  The condensed indicator table is checked against an independent calculation
from results.csv.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from evalkit.run import run_project

from _printfit import overflow, print_length

MAX_PAGES = 4
PICKS = 2           # cards laid out per language (about 1.2 s of CPU each, twice)
ROOM_MM = 20        # every page this much shorter: 80 mm of room over four pages
A4_PX = (210 / 25.4 * 96, 297 / 25.4 * 96)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folders = {}
    for lang in ("zh", "en"):
        out = tmp_path_factory.mktemp(f"print-{lang}") / "out"
        summary = run_project(None, out=str(out), lang=lang)
        folders[lang] = out / str(summary["years"][-1])
    return folders


def _longest(folder: Path, k: int) -> list[Path]:
    cards = [p for p in folder.glob("*.html") if p.stem.isdigit()]
    assert len(cards) == 41
    return sorted(cards, key=lambda p: (print_length(p.read_text(encoding="utf-8")), p.name), reverse=True)[:k]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_longest_cards_fit_four_a4_pages_with_room_to_spare(demo, lang):
    import weasyprint

    shorter = weasyprint.CSS(string=f"@page {{ margin-bottom: {13 + ROOM_MM}mm !important; }}")
    for card in _longest(demo[lang], PICKS):
        doc = weasyprint.HTML(filename=str(card)).render()
        assert 1 <= len(doc.pages) <= MAX_PAGES, (lang, card.name, len(doc.pages))
        assert all(abs(p.width - A4_PX[0]) < 1 and abs(p.height - A4_PX[1]) < 1 for p in doc.pages)
        tight = weasyprint.HTML(filename=str(card)).render(stylesheets=[shorter])
        assert len(tight.pages) <= MAX_PAGES, (lang, card.name, f"{len(tight.pages)} pages {ROOM_MM} mm shorter")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_is_printed_beyond_the_page_width(demo, lang):
    """The overview (its league table of six domains, its slope chart), the regional page and the longest card
    stay within the A4 page's margins."""
    import weasyprint

    for page in ("index.html", "region.html", _longest(demo[lang], 1)[0].name):
        doc = weasyprint.HTML(filename=str(demo[lang] / page)).render()
        worst = max(overflow(p) for p in doc.pages)
        assert worst <= 1, (lang, page, f"{worst:.0f} px past the right margin")


def test_the_estimate_sees_what_print_hides():
    short = '<section id="headline"><p>ab</p></section>'
    assert print_length(short) == 2
    # screen-only rows, the data-quality section, the sixth target and the fourth partner are not printed
    assert print_length(short + '<table><tbody><tr class="screen-only"><th>xxxx</th></tr></tbody></table>') == 2
    assert print_length(short + '<section class="quality" id="quality"><p>xxxx</p></section>') == 2
    rows = "".join(f"<tr><td>{c}</td></tr>" for c in "abcdef")
    assert print_length(f'<section id="attainment"><table><tbody>{rows}</tbody></table></section>') == 5
    assert print_length(f'<section id="partners"><table><tbody>{rows}</tbody></table>'
                        f'<table><tbody>{rows}</tbody></table></section>') == 6
    assert print_length("<p>城市ab</p>") == 6                                 # CJK characters count twice


def test_the_printed_indicator_table_keeps_each_domains_extremes(demo):
    """Per domain the indicator furthest above the all-cities average and the two furthest below print;
    the screen keeps every row.  Recomputed from results.csv (leaf scores of every city)."""
    folder = demo["zh"]
    res = pd.read_csv(folder.parent / "results.csv", dtype={"unit": str})
    year = int(folder.name)
    cur = res[res["year"] == year].pivot(index="unit", columns="node", values="score")
    for unit in ("330800", "320500", "340100"):
        html = (folder / f"{unit}.html").read_text(encoding="utf-8")
        table = html[html.index('class="data indicators-table"'):]
        table = table[:table.index("</table>")]
        blocks = re.findall(r'<tbody class="domain-block">(.*?)</tbody>', table, re.S)
        assert len(blocks) == 6
        n_rows = 0
        for block in blocks:
            rows = re.findall(r'<tr( class="screen-only")?><th scope="row" class="ind-name">.*?'
                              r'data-node="([^"]+)" data-kind="score"', block, re.S)
            n_rows += len(rows)
            ids = [i for _, i in rows]
            gap = (cur.loc[unit, ids] - cur[ids].mean(axis=0)).dropna().sort_values(kind="stable")
            expected = set(gap.index[:2]) | set(gap.index[2:][-1:])
            assert {i for hidden, i in rows if not hidden} == expected, (unit, ids)
        assert n_rows == 59                                                   # the screen: every indicator
        assert re.search(r'<p class="note print-only">[^<]*全部 59 项指标', html)   # says where the rest is
