"""The explorer's JS engine (reports/explore_engine.js) against evalkit.aggregate, in Chromium.

Many random nodes at once — gaps, zero weights, a present share exactly at min_share, every
child missing, one child, a scale other than [0, 100], geometric shifts 0 and 1 — are scored by
the page's ``EK.aggregate`` in headless Chromium (Node.js when there is no browser) and by
``arithmetic`` / ``geometric`` of evalkit/aggregate.py; the two agree to 1e-12 of the scale.
``EK.ranks`` agrees with the pipeline's ``rank_min`` (ties share the best rank) and
``EK.rebalance`` keeps the weights summing to 1 with the locked ones unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from evalkit import aggregate as agg
from evalkit.pipeline import rank_min
from evalkit.report.templates import templates_dir

from test_report_chromium import chrome_args, chromium

DRIVER = """
var cases = JSON.parse(INPUT);
var out = cases.map(function (c) {
  var S = c.s.map(function (v) { return v === null ? NaN : v; });
  var r = EK.aggregate(c.method, Float64Array.from(S), c.U, c.k, c.w, c.lo, c.min_share, c.shift);
  return Array.from(r).map(function (v) { return v === v ? v : null; });
});
var ranks = cases.map(function (c) {
  var s = Float64Array.from(c.rank_s.map(function (v) { return v === null ? NaN : v; }));
  return Array.from(EK.ranks(s, null)).map(function (v) { return v === v ? v : null; });
});
var reb = cases.map(function (c) { return EK.rebalance(c.w, 0, c.move, c.locked); });
var RESULT = JSON.stringify({scores: out, ranks: ranks, rebalanced: reb});
"""


def make_cases(seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(120):
        U, k = int(rng.integers(1, 30)), int(rng.integers(1, 7))
        lo, hi = (0.0, 100.0) if i % 3 else (-5.0, 2.5)
        s = rng.uniform(lo, hi, size=(U, k))
        s[rng.random(s.shape) < 0.25] = np.nan
        if i % 5 == 0:
            s[0, :] = np.nan                            # every child missing
        if i % 7 == 0:
            s[rng.random(s.shape) < 0.3] = lo           # children at the bottom of the scale
        w = rng.dirichlet(np.ones(k))
        if k > 2 and i % 4 == 0:
            w[1] = 0.0
            w = w / w.sum()
        if k == 3 and i % 2 == 0:
            w = np.array([1 / 3, 1 / 3, 1 / 3])         # one child missing: share 2/3 = min_share
            s[:, 0] = np.nan
        cases.append({"U": U, "k": k, "s": [None if np.isnan(v) else float(v) for v in s.ravel()],
                      "w": [float(x) for x in w], "lo": lo, "hi": hi,
                      "min_share": [2 / 3, 0.5, 0.0, 1.0][i % 4], "shift": [1.0, 0.0, 0.5][i % 3],
                      "method": "geometric" if i % 2 else "arithmetic",
                      "rank_s": [None if np.isnan(v) else float(round(v)) for v in s[:, 0]],
                      "move": float(rng.uniform(-0.2, 1.2)), "locked": [bool(x) for x in rng.random(k) < 0.3]})
    return cases


def run_engine(cases: list[dict], tmp_path: Path) -> dict:
    engine = (templates_dir() / "explore_engine.js").read_text(encoding="utf-8")
    payload = json.dumps(json.dumps(cases))
    exe = chromium()
    if exe is not None:
        page = tmp_path / "engine.html"
        page.write_text("<!DOCTYPE html><html><body><pre id='out'></pre><script>" + engine + "\nvar INPUT = "
                        + payload + ";\n" + DRIVER + "\ndocument.getElementById('out').textContent = RESULT;"
                        "</script></body></html>", encoding="utf-8")
        run = subprocess.run(chrome_args(exe, tmp_path / "profile") + ["--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        text = run.stdout.split("<pre id=\"out\">")[1].split("</pre>")[0]
        import html

        return json.loads(html.unescape(text))
    if os.environ.get("EVALKIT_REQUIRE_BROWSER") == "1":
        pytest.fail("EVALKIT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
    node = shutil.which("node") or shutil.which("nodejs")
    assert node is not None, "neither chromium nor node on PATH: the page's engine cannot be run"
    script = tmp_path / "engine.js"
    script.write_text(engine + "\nvar INPUT = " + payload + ";\n" + DRIVER + "\nprocess.stdout.write(RESULT);",
                      encoding="utf-8")
    run = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def test_js_engine_equals_the_python_engine(tmp_path):
    cases = make_cases()
    got = run_engine(cases, tmp_path)
    n_nan = n_num = 0
    for c, js, jr, jw in zip(cases, got["scores"], got["ranks"], got["rebalanced"]):
        s = np.array([np.nan if v is None else v for v in c["s"]]).reshape(c["U"], 1, c["k"])
        w = np.array(c["w"])
        if c["method"] == "arithmetic":
            want, _ = agg.arithmetic(s, w, min_share=c["min_share"])
        else:
            want, _ = agg.geometric(s, w, lo=c["lo"], hi=c["hi"], min_share=c["min_share"], shift=c["shift"])
        want = want[:, 0]
        js = np.array([np.nan if v is None else v for v in js])
        np.testing.assert_array_equal(np.isnan(js), np.isnan(want))
        np.testing.assert_allclose(js[~np.isnan(want)], want[~np.isnan(want)], rtol=0,
                                   atol=1e-12 * (c["hi"] - c["lo"]))
        n_nan += int(np.isnan(want).sum())
        n_num += int((~np.isnan(want)).sum())
        # ranks: ties share the best rank, NaN unranked
        rs = np.array([np.nan if v is None else v for v in c["rank_s"]])
        want_r = rank_min(rs[:, None], axis=0)[:, 0]
        jr = np.array([np.nan if v is None else v for v in jr])
        np.testing.assert_array_equal(jr, want_r)
        # rebalance: sums to 1, locked children (other than the moved one) unchanged, none negative
        jw = np.array(jw)
        assert abs(jw.sum() - 1) <= 1e-12 and (jw >= 0).all()
        for q in range(1, c["k"]):
            if c["locked"][q]:
                assert jw[q] == w[q]
    assert n_nan > 20 and n_num > 500  # both kinds of cells were exercised
