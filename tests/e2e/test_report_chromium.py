"""A demo-like scorecard opened in headless Chromium: the page's text holds the
city's name, code, score and rank, and a screenshot is drawn.

Without Chromium (and without EVALKIT_REQUIRE_BROWSER=1) the same checks run on
the HTML with html.parser instead: never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evalkit.report import render_reports
from evalkit.report.sample import sample_input

UNIT = "320500"      # 苏州 (Jiangsu), not 宿州 341300
YEAR = 2024


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def chrome_args(exe: str, profile: Path) -> list[str]:
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"]


class Text(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    inp = sample_input(41, range(2022, YEAR + 1), seed=3)
    out = tmp_path_factory.mktemp("site")
    summary = render_reports(inp, out, years=[YEAR], lang="zh")
    assert summary.failures == []
    r = inp.results
    row = r[(r.unit == UNIT) & (r.year == YEAR) & (r.node == inp.tree.root.id)].iloc[0]
    return out, f"{row['score']:.1f}", str(int(row["rank"]))


def page_text(path: Path, tmp_path: Path) -> tuple[str, str]:
    """(text, how) — from Chromium's DOM when available, else from the HTML source."""
    exe = chromium()
    if exe is None:
        if os.environ.get("EVALKIT_REQUIRE_BROWSER") == "1":
            pytest.fail("EVALKIT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        return Text(path.read_text(encoding="utf-8")).text, "parser"
    dom = subprocess.run(chrome_args(exe, tmp_path / "profile") + ["--dump-dom", path.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    return Text(dom.stdout).text, "chromium"


def test_scorecard_text_in_browser(site, tmp_path):
    out, score, rank = site
    text, how = page_text(out / str(YEAR) / f"{UNIT}.html", tmp_path)
    assert "苏州" in text and "Suzhou" in text and UNIT in text, how
    assert score in text and f"{rank} / 41" in text, how
    assert "演示数据，非官方统计" in text
    assert "宿州" not in text.split("分领域表现")[0]        # the header names the right city


def test_overview_links_every_scorecard(site, tmp_path):
    out, score, rank = site
    text, how = page_text(out / str(YEAR) / "index.html", tmp_path)
    assert f"苏州 {UNIT}" in text and "宿州 341300" in text and "泰州 321200" in text and "台州 331000" in text
    html = (out / str(YEAR) / "index.html").read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert {p.name for p in (out / str(YEAR)).glob("*.html") if p.name != "index.html"} <= hrefs


def test_screenshot_is_drawn(site, tmp_path):
    out, _, _ = site
    exe = chromium()
    if exe is None:
        if os.environ.get("EVALKIT_REQUIRE_BROWSER") == "1":
            pytest.fail("EVALKIT_REQUIRE_BROWSER=1 but no chromium on PATH")
        # no browser: the charts at least parse as XML and carry their accessible names
        import xml.etree.ElementTree as ET
        html = (out / str(YEAR) / f"{UNIT}.html").read_text(encoding="utf-8")
        svgs = re.findall(r"<svg .*?</svg>", html, re.S)
        assert len(svgs) >= 8
        for s in svgs:
            assert ET.fromstring(s).get("role") == "img"
        return
    png = tmp_path / "shot.png"
    run = subprocess.run(chrome_args(exe, tmp_path / "profile") + [
        f"--screenshot={png}", "--window-size=1280,2000", "--hide-scrollbars",
        (out / str(YEAR) / f"{UNIT}.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000        # a real page, not a blank


def test_overview_sections_in_browser(site, tmp_path):
    """The overview as a reader sees it: provisional notice, movers and the rank-change chart."""
    out, _, _ = site
    text, how = page_text(out / str(YEAR) / "index.html", tmp_path)
    assert "进步最快的城市" in text and "名次变化" in text, how  # (no disparity table here: no region link)
    assert re.search(r"2024年数据中有 \d+ 个城市含初步数据", text), how
    assert re.search(r"\d+ 个城市至少有一项目标未完成", text), how
    html = (out / str(YEAR) / "index.html").read_text(encoding="utf-8")
    assert 'href="region.html"' not in html  # the sample has no disparity table, so no regional page
    assert 'class="chart slope"' in html


def test_scorecard_quality_and_provisional_marks_in_browser(site, tmp_path):
    out, _, _ = site
    inp = sample_input(41, range(2022, YEAR + 1), seed=3)
    w = inp.raw
    prov = str(w[(w.year == YEAR) & w.provisional.astype(bool)].unit.iloc[0])   # a city with provisional data
    text, how = page_text(out / str(YEAR) / f"{prov}.html", tmp_path)
    assert "分领域、分年份数据覆盖情况" in text and "2024年初步数据" in text and "筛除情况" in text, how
    html = (out / str(YEAR) / f"{prov}.html").read_text(encoding="utf-8")
    assert 'class="bar prov"' in html and 'class="prov-tag"' in html
