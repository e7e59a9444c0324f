"""explore.html in headless Chromium: the scores the page computes in the browser equal
``evalkit.rescore`` with the same weights fixed, to 1e-9; a slider moved from script (a test hook
in the URL fragment) rebalances the weights and the table follows; the weights YAML the page
downloads is a scheme the engine reads.

Without Chromium (and without EVALKIT_REQUIRE_BROWSER=1) the data the page carries is checked
against the result instead: never a skip.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

import evalkit
from evalkit.errors import Problems
from evalkit.load.scheme import load_scheme
from evalkit.pipeline import score
from evalkit.report.explore import explore_data, json_for_script, write_explore

from test_report_chromium import chrome_args, chromium

YEARS = [2023, 2024]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    result = evalkit.score(evalkit.load_project())
    out = tmp_path_factory.mktemp("explore")
    write_explore(result, out, YEARS, "en")
    return result, out / "explore.html"


def browser() -> str | None:
    exe = chromium()
    if exe is None and os.environ.get("EVALKIT_REQUIRE_BROWSER") == "1":
        pytest.fail("EVALKIT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
    return exe


def open_page(exe: str, page: Path, state: dict, tmp_path: Path) -> dict:
    """The DOM after the page's script ran with ``state`` in the fragment: rows, weights, method, year."""
    url = page.as_uri() + "#" + urllib.parse.quote(json.dumps(state), safe="")
    run = subprocess.run(chrome_args(exe, tmp_path / "profile") + ["--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    tbody = re.search(r'<tbody id="ex-rows">(.*?)</tbody>', dom, re.S).group(1)
    rows = re.findall(r'<tr data-unit="([^"]+)" data-score="([^"]*)"', tbody)
    out = re.search(r'<output id="ex-weights-out"[^>]*>', dom).group(0)
    attr = {k: html.unescape(v) for k, v in re.findall(r'(data-[a-z]+)="([^"]*)"', out)}
    yaml_text = re.search(r'<pre id="ex-yaml-out" hidden="">(.*?)</pre>', dom, re.S)
    body = re.search(r"<body[^>]*>", dom).group(0)
    return {"rows": rows, "weights": json.loads(attr["data-weights"]), "method": attr["data-method"],
            "year": int(attr["data-year"]), "yaml": html.unescape(yaml_text.group(1)) if yaml_text else "",
            "body": body}


def fixed_changes(result, weights: dict, method: str) -> dict:
    tree = result.tree
    ch = {f"weights.nodes.{nid}": {"method": "fixed", "weights": dict(zip([c.id for c in tree.by_id[nid].children], w))}
          for nid, w in weights.items()}
    ch["aggregate.method"] = method
    return ch


def assert_scores_equal(result, page: dict, alt) -> None:
    t = result.years.index(page["year"])
    expected = dict(zip(alt.units, alt.node_scores(result.tree.root.id)[:, t]))
    got = {u: (float(s) if s else np.nan) for u, s in page["rows"]}
    assert set(got) == set(expected) and len(page["rows"]) == len(expected)
    for u, v in expected.items():
        if np.isnan(v):
            assert np.isnan(got[u]), u
        else:
            assert abs(got[u] - v) <= 1e-9, (u, got[u], v)
    # the table is in rank order: scores never rise going down
    s = [float(x) for _, x in page["rows"] if x]
    assert all(a >= b for a, b in zip(s, s[1:]))


def test_page_scores_equal_rescore(demo, tmp_path):
    result, page = demo
    exe = browser()
    data = explore_data(result, YEARS, "en")
    if exe is None:  # no browser: the page carries the result's leaf scores and the project's weights
        leaf_cols = [result.tree.index[x] for x in result.tree.leaf_ids]
        s = np.array([np.nan if v is None else v for v in data["data"]["2024"]["s"]])
        np.testing.assert_array_equal(s.reshape(len(result.units), -1), result.scores[:, -1, leaf_cols])
        return
    root = result.tree.root
    k = len(root.children)
    w_root = [0.5] + [0.5 / (k - 1)] * (k - 1)
    gov = next(n for n in result.tree.inner if n is not root and len(n.children) >= 2)
    w_gov = [1.0] + [0.0] * (len(gov.children) - 1)      # a zero weight: 0 · ln(0 + shift) counts as 0
    for method, year in (("geometric", 2023), ("arithmetic", 2024)):
        state = {"y": year, "m": method, "w": {root.id: w_root, gov.id: w_gov}}
        shown = open_page(exe, page, state, tmp_path)
        assert shown["method"] == method and shown["year"] == year
        assert shown["weights"][root.id] == w_root and shown["weights"][gov.id] == w_gov
        alt = evalkit.rescore(result, fixed_changes(result, shown["weights"], method))
        assert_scores_equal(result, shown, alt)


def test_project_weights_by_default(demo, tmp_path):
    """No fragment: the project's weights, and the project's own scores."""
    result, page = demo
    exe = browser()
    if exe is None:
        data = explore_data(result, YEARS, "en")
        root = data["nodes"][data["root"]]
        assert root["w"] == [float(result.local_weight[result.tree.index[c.id]]) for c in result.tree.root.children]
        return
    shown = open_page(exe, page, {}, tmp_path)
    assert shown["year"] == YEARS[-1] and shown["method"] == result.settings.aggregate
    assert_scores_equal(result, shown, result)


def test_moved_slider_rebalances_and_table_follows(demo, tmp_path):
    result, page = demo
    exe = browser()
    root = result.tree.root
    w0 = [float(result.local_weight[result.tree.index[c.id]]) for c in root.children]
    if exe is None:
        assert abs(sum(w0) - 1) < 1e-12
        return
    shown = open_page(exe, page, {"n": root.id, "t": {"lock": [1], "move": [root.id, 0, 0.4]}}, tmp_path)
    w = shown["weights"][root.id]
    assert w[0] == 0.4 and w[1] == w0[1]                        # moved, and locked kept
    assert abs(sum(w) - 1) <= 1e-12
    rest = 1 - 0.4 - w0[1]
    free0 = sum(w0[2:])
    np.testing.assert_allclose(w[2:], [rest * x / free0 for x in w0[2:]], rtol=1e-12)  # others in proportion
    alt = evalkit.rescore(result, fixed_changes(result, shown["weights"], shown["method"]))
    assert_scores_equal(result, shown, alt)
    before = open_page(exe, page, {}, tmp_path)
    assert [u for u, _ in before["rows"]] != [u for u, _ in shown["rows"]] or before["rows"] != shown["rows"]


def test_downloaded_yaml_is_a_scheme_the_engine_reads(demo, tmp_path):
    result, page = demo
    exe = browser()
    if exe is None:
        return test_json_for_script_cannot_close_the_element()
    root = result.tree.root
    k = len(root.children)
    state = {"m": "geometric", "w": {root.id: [1e-7] + [(1 - 1e-7) / (k - 1)] * (k - 1)}, "t": {"yaml": 1}}
    shown = open_page(exe, page, state, tmp_path)
    assert "method: fixed" in shown["yaml"] and "1.0e-7" in shown["yaml"]   # PyYAML reads 1e-7 as text
    problems = Problems()
    scheme = load_scheme("weights-explored.yaml", result.tree, problems, text=shown["yaml"])
    assert not problems.items and scheme is not None
    for node in result.tree.inner:
        wt = scheme.for_node(node.id)
        assert wt.method == "fixed"
        assert [wt.weights[c.id] for c in node.children] == shown["weights"][node.id]
    alt = score(result.inputs, scheme=scheme,
                settings=evalkit.rescore(result, {"aggregate.method": "geometric"}).settings)
    assert_scores_equal(result, shown, alt)


def test_update_time_is_measured(demo, tmp_path):
    result, page = demo
    exe = browser()
    if exe is None:
        assert page.stat().st_size > 10_000
        return
    shown = open_page(exe, page, {"t": {"bench": 5}}, tmp_path)
    ms = float(re.search(r'data-ms-median="([^"]+)"', shown["body"]).group(1))
    assert 0 < ms < 5_000


def test_json_for_script_cannot_close_the_element():
    evil = {"name": "</script><script>alert(1)</script> & <!--", "line": "a\u2028b"}
    text = str(json_for_script(evil))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == evil


def _small_project(folder: Path, aggregate: str | None, extra: str = "") -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    a = {"id": "a", "name": {"zh": "甲", "en": "A"}, "children": [
        {"id": "a1", "name": "a1", "direction": "benefit"}, {"id": "a2", "name": "a2", "direction": "cost"}]}
    if aggregate:
        a["aggregate"] = aggregate
    tree = {"id": "idx", "name": {"zh": "指数", "en": "Index"}, "children": [
        a, {"id": "b", "name": {"zh": "乙", "en": "B"}, "children": [
            {"id": "b1", "name": "b1", "direction": "benefit"}, {"id": "b2", "name": "b2", "direction": "benefit"}]}]}
    (folder / "tree.yaml").write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    (folder / "weights.yaml").write_text("default: {method: equal}\n", encoding="utf-8")
    rng = np.random.default_rng(1)
    lines = ["unit,year,a1,a2,b1,b2"] + [f"u{u},2024," + ",".join(f"{v:.3f}" for v in rng.uniform(1, 9, 4))
                                         for u in range(6)]
    (folder / "values.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "evalkit.yaml").write_text("title: {zh: 小项目, en: Small}\nframework: tree.yaml\nweights: weights.yaml\n"
                                         "data: {values: values.csv}\nyears: [2024, 2024]\noutput: out\n" + extra,
                                         encoding="utf-8")
    return folder / "evalkit.yaml"


def test_cli_writes_explore_html(tmp_path, capsys):
    from evalkit.cli import main

    project = _small_project(tmp_path / "p", None)
    assert main(["explore", str(project), "--lang", "en"]) == 0
    assert "explore.html for 2024" in capsys.readouterr().out
    page = (tmp_path / "p" / "out" / "explore.html").read_text(encoding="utf-8")
    assert 'type="application/json" id="ex-data"' in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", "") and "https://" not in page   # nothing from the network


def test_cli_refuses_an_aggregation_the_page_cannot_compute(tmp_path, capsys):
    from evalkit.cli import main

    project = _small_project(tmp_path / "p", "harmonic")
    assert main(["explore", str(project)]) == 1
    err = capsys.readouterr().err
    assert "'a' aggregates with harmonic" in err and "arithmetic and geometric" in err
    assert not (tmp_path / "p" / "out").exists()                     # nothing written


def test_project_with_another_aggregation_starts_from_the_arithmetic_mean(tmp_path):
    project = _small_project(tmp_path / "p", None, "aggregate: {method: harmonic}\n")
    result = evalkit.score(evalkit.load_project(project))
    page = write_explore(result, tmp_path, [2024], "en")
    assert "This project aggregates with harmonic" in page.read_text(encoding="utf-8")
    exe = browser()
    if exe is None:
        assert explore_data(result, [2024], "en")["method"] == "arithmetic"
        return
    shown = open_page(exe, page, {}, tmp_path)
    assert shown["method"] == "arithmetic"
    alt = evalkit.rescore(result, fixed_changes(result, shown["weights"], "arithmetic"))
    assert_scores_equal(result, shown, alt)


def test_evalkit_run_accepts_the_downloaded_yaml(tmp_path):
    import pandas as pd

    from evalkit.cli import main

    project = _small_project(tmp_path / "p", None)
    result = evalkit.score(evalkit.load_project(project))
    page = write_explore(result, tmp_path, [2024], "en")
    exe = browser()
    if exe is None:
        assert page.is_file()
        return
    shown = open_page(exe, page, {"m": "geometric", "w": {"idx": [0.7, 0.3], "a": [0.25, 0.75]},
                                  "t": {"yaml": 1}}, tmp_path)
    (tmp_path / "p" / "explored.yaml").write_text(shown["yaml"], encoding="utf-8")
    text = project.read_text(encoding="utf-8").replace("weights: weights.yaml", "weights: explored.yaml")
    project.write_text(text + "aggregate: {method: geometric}\n", encoding="utf-8")
    assert main(["run", str(project), "--tables-only"]) == 0
    res = pd.read_csv(tmp_path / "p" / "out" / "results.csv", dtype={"unit": str})
    root = res[(res.node == "idx") & (res.year == 2024)]
    got = dict(shown["rows"])
    for u, v in zip(root.unit, root.score):
        assert abs(float(got[u]) - v) <= 1e-9  # results.csv keeps full precision
