"""How full the printed scorecards are: every card of the demo laid out by WeasyPrint, in Chinese and English.

The printed card must fit four A4 pages with room to spare (a longer city name or one more obstacle must
not spill onto a fifth).  Prints, per language, the histogram of page counts, the fullest card with the
share of its last page's content area that is used, and how well the length estimate that
tests/e2e/test_print_pages.py uses to choose its cards ranks them (the fullest cards should be among its
first picks).  About 100 s of CPU for the 82 cards (layout only, no PDF is written).

Needs the PDF extra (WeasyPrint) and a CJK font.  Run: python benchmarks/bench_print_pages.py [jobs]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from evalkit.run import run_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from _printfit import content_height, fill, print_length  # noqa: E402  (the test's own estimate, checked here)

MAX_PAGES = 4
PICKS = 2   # cards per language the test lays out
PAGE_MM = 297 - 15 - 13   # A4 less the printed card's top and bottom margins (reports/style.css)


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def _layout(path: str) -> tuple[str, int, float, float]:
    import weasyprint

    doc = weasyprint.HTML(filename=path).render()
    return path, len(doc.pages), fill(doc.pages[-1]), content_height(doc.pages)


def _spearman(a: list[float], b: list[float]) -> float:
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=v.__getitem__)
        r = [0.0] * len(v)
        for k, i in enumerate(order):
            r[i] = float(k)
        return r

    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else float("nan")


def main(jobs: int = 2) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as d:
        for lang in ("zh", "en"):
            out = Path(d) / lang
            summary = run_project(None, out=str(out), lang=lang, jobs=jobs)
            folder = out / str(summary["years"][-1])
            cards = sorted(str(p) for p in folder.glob("*.html") if p.stem.isdigit())
            c0, t0 = _cpu(), time.perf_counter()
            with ProcessPoolExecutor(max_workers=jobs) as ex:
                laid = list(ex.map(_layout, cards))
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            # fullness: pages before the last plus the used share of the last
            full = {p: (n - 1) + f for p, n, f, _ in laid}
            height = {p: h for p, _, _, h in laid}
            hist = Counter(n for _, n, _, _ in laid)
            worst = max(full, key=full.get)
            n_w = next(n for p, n, _, _ in laid if p == worst)
            est = {p: print_length(Path(p).read_text(encoding="utf-8")) for p in cards}
            by_est = sorted(cards, key=est.get, reverse=True)
            longest = max(height, key=height.get)
            good = max(hist) <= MAX_PAGES
            ok &= good
            print(f"{lang}: {len(cards)} cards, pages {dict(sorted(hist.items()))}; fullest {Path(worst).stem}: "
                  f"{n_w} pages, {100 * (full[worst] - n_w + 1):.0f}% of the last page used; layout {wall:.1f} s "
                  f"wall, {cpu:.1f} s CPU (jobs {jobs})  {'OK' if good else 'TOO LONG'}")
            print("    five fullest: " + ", ".join(f"{Path(p).stem} {full[p]:.2f}"
                                                   for p in sorted(cards, key=full.get, reverse=True)[:5]))
            print(f"    content without the white space of page breaks: {min(height.values()):.1f}-"
                  f"{max(height.values()):.1f} mm (four pages hold {MAX_PAGES * PAGE_MM:.0f} mm); longest "
                  f"{Path(longest).stem}")
            print(f"    the test's estimate: Spearman {_spearman([est[p] for p in cards], [height[p] for p in cards]):.2f}"
                  f" with the content height; its {PICKS} picks " + ", ".join(f"{Path(p).stem} {height[p]:.0f} mm"
                                                                for p in by_est[:PICKS])
                  + f" (the longest {height[longest]:.0f} mm is its no. {by_est.index(longest) + 1}; the fullest "
                  f"card its no. {by_est.index(worst) + 1})")
    import os
    print(f"load average {os.getloadavg()[0]:.2f}")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(int(sys.argv[1]) if len(sys.argv) > 1 else 2) else 1)
