"""`evalkit sensitivity` and `evalkit compare` end to end: files, columns, pages, exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.load.project import demo_project_path

ROBUSTNESS_COLUMNS = ["unit", "year", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "p_top5", "p_bottom5"]
COMPARE_COLUMNS = ["unit", "year", "node", "score_a", "score_b", "score_shift", "rank_a", "rank_b", "rank_shift"]
DEMO = demo_project_path()
ROOT = DEMO.parent.parent.parent   # the checkout (or the bundled tree): weights/ lives there


def _evalkit(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)


class _Page(HTMLParser):
    """Collects the text, the tags seen and whether anything points outside the page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href") and v and re.match(r"(https?:)?//", v):
                self.external.append(v)

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> tuple[_Page, str]:
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    page.close()
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)  # every chart is well-formed XML
    return page, html


def _units() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "demo" / "units.csv", dtype=str)


@pytest.fixture(scope="module")
def sensitivity_out(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("sens") / "out"
    env_cwd = out.parent
    r = _evalkit(["sensitivity", "--draws", "64", "--seed", "1", "--out", str(out)], env_cwd)
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def test_sensitivity_writes_robustness_sobol_and_page(sensitivity_out):
    out, stdout = sensitivity_out
    rob = pd.read_csv(out / "robustness.csv", dtype={"unit": str})
    assert list(rob.columns[:8]) == ROBUSTNESS_COLUMNS
    assert len(rob) == 41 and (rob["year"] == 2024).all()
    assert (rob["rank_p05"] <= rob["median_rank"]).all() and (rob["median_rank"] <= rob["rank_p95"]).all()
    sob = pd.read_csv(out / "sobol.csv")
    assert list(sob["factor"]) == ["weights", "judgments", "normalize", "aggregate", "weighting", "impute"]
    assert {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"} <= set(sob.columns)
    assert "64 x" not in stdout and "共计算 512 次" in stdout  # 64 base samples x (6 factors + 2), in the demo's language
    assert "一阶敏感度" in stdout and "evaluations" not in stdout
    assert (out / "2024" / "robustness.html").is_file()


def test_robustness_page_parses_and_names_every_city_with_its_code(sensitivity_out):
    out, _ = sensitivity_out
    page, html = _parse(out / "2024" / "robustness.html")
    text = "".join(page.text)
    assert not page.external and "script" not in page.tags
    assert "<style>" in html and "svg" in page.tags
    for r in _units().itertuples():
        assert f"{r.name_zh} {r.id}" in text, r.id
    # 苏州 320500 and 宿州 341300 are different rows of the table
    assert 'data-unit="320500"' in html and 'data-unit="341300"' in html
    assert "演示数据" in text  # synthetic stamp
    assert "90%" in text and "缺失值插补" in text  # reading + plain-language factor names


def test_scorecards_of_the_year_show_the_rank_interval(sensitivity_out):
    out, _ = sensitivity_out
    rob = pd.read_csv(out / "robustness.csv", dtype={"unit": str}).set_index("unit")
    page, html = _parse(out / "2024" / "320500.html")
    assert 'id="robustness"' in html
    r = rob.loc["320500"]
    lo, hi = int(round(r.rank_p05)), int(round(r.rank_p95))
    assert f"介于第 {lo} 至第 {hi} 名之间" in "".join(page.text)


def test_compare_two_schemes_writes_compare_csv_and_page(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(DEMO), "--weights", str(ROOT / "weights" / "equal.yaml"), "--weights",
                 str(ROOT / "weights" / "entropy.yaml"), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "compare.csv", dtype={"unit": str})
    assert list(table.columns[:9]) == COMPARE_COLUMNS
    assert (table["rank_shift"] == table["rank_b"] - table["rank_a"]).all()
    corr = pd.read_csv(out / "compare-correlations.csv")
    assert {"year", "node", "spearman", "kendall"} <= set(corr.columns)
    page, html = _parse(out / "compare.html")
    text = "".join(page.text)
    assert "equal.yaml" in text and "entropy.yaml" in text
    for r_ in _units().itertuples():
        assert f"{r_.name_zh} {r_.id}" in text
    # the shift table is sorted by absolute rank shift of the composite
    root_2024 = table[(table.node == "dgpi") & (table.year == 2024)]
    first = html.index('data-unit="', html.index('id="shifts"'))
    first_unit = html[first + 11:html.index('"', first + 11)]
    assert abs(root_2024.set_index("unit").loc[first_unit, "rank_shift"]) == root_2024["rank_shift"].abs().max()


def test_compare_with_a_setting(tmp_path, capsys):
    out = tmp_path / "z"
    assert main(["compare", str(DEMO), "--set", "normalize.method=zscore", "--out", str(out)]) == 0
    assert "Spearman" in capsys.readouterr().out
    assert (out / "compare.csv").is_file() and (out / "compare.html").is_file()
    assert "zscore" in (out / "compare.html").read_text(encoding="utf-8")


def test_compare_with_a_misspelt_setting_exits_1_with_did_you_mean(tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["compare", str(DEMO), "--set", "normalize.method=zcore", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "<command line>" in err and "'zcore'" in err and "did you mean 'zscore'" in err
    assert "Traceback" not in err
    assert not out.exists()
