"""`evalkit plan` on the command line, and provisional values reaching results.csv.

Most calls run ``evalkit.cli.main`` in-process (same code path, faster); one
runs a real subprocess.  A tiny project in a temp dir covers the exit codes
and messages; the bundled demo covers the terminal table, the CSV, the page
and the "other files are kept" promise.

Source: README.md "Command line" (plan, exit codes, the outputs table: results.csv
``provisional``); issue "Full-cycle performance management".
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _projects import leaf, node, write_project  # noqa: E402

from _cli import run_cli  # noqa: E402

EVALKIT = [sys.executable, "-m", "evalkit.cli"]
PLAN_COLUMNS = ["indicator", "current", "needed", "change", "measure"]
UNITS = ["u1", "u2", "u3", "u4", "u5"]
YEARS = [2023, 2024]


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    r = run_cli(*args, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


def tiny(folder: Path, **leaf_extra) -> Path:
    rng = np.random.default_rng(7)
    base = np.array([30.0, 20.0, 50.0, 70.0, 90.0])
    x = base[:, None, None] + rng.uniform(0, 5, size=(5, 2, 3))
    x[:, :, 1] = 100 - x[:, :, 1]
    tree = node("idx", node("A", leaf("a1", unit="%", **leaf_extra), leaf("a2", "cost", unit="天", **leaf_extra)),
                node("B", leaf("b1", unit="个", **leaf_extra)))
    return write_project(folder, tree=tree, values=x, units=UNITS, years=YEARS, report={"lang": "en"})


def test_plan_on_the_demo_writes_csv_and_page_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, stdout, stderr = run("plan", "--unit", "341300", "--year", "2024", "--rank", "20", "--report",
                               "--out", str(out), "--lang", "en", cwd=tmp_path)
    assert code == 0, stderr
    assert "Suzhou (Anhui) 341300 2024" in stdout and "rank 20" in stdout
    assert re.search(r"indicator\s+name\s+current\s+needed\s+change\s+measure", stdout)
    df = pd.read_csv(out / "plan-341300-2024.csv", dtype={"measure": str})
    assert list(df.columns) == PLAN_COLUMNS and len(df) > 0
    assert np.allclose(df["needed"] - df["current"], df["change"])
    page = (out / "2024" / "plan-341300.html").read_text(encoding="utf-8")
    assert "<style>" in page and "341300" in page and "demonstration data" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # self-contained
    assert (out / "keep.txt").read_text() == "mine"


def test_plan_subprocess_already_at_goal(tmp_path):
    proj = tiny(tmp_path / "p")
    r = subprocess.run(EVALKIT + ["plan", str(proj), "--unit", "u5", "--year", "2024", "--rank", "1"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert "Already at or above the goal" in r.stdout
    assert list(pd.read_csv(tmp_path / "p" / "out" / "plan-u5-2024.csv").columns) == PLAN_COLUMNS


def test_plan_csv_values_reach_the_rank_when_scored_again(tmp_path):
    proj = tiny(tmp_path / "p")
    code, _, stderr = run("plan", str(proj), "--unit", "u1", "--year", "2024", "--rank", "2", cwd=tmp_path)
    assert code == 0, stderr
    plan = pd.read_csv(tmp_path / "p" / "out" / "plan-u1-2024.csv")
    values = pd.read_csv(tmp_path / "p" / "values.csv", dtype={"unit": str})
    for _, row in plan.iterrows():
        m = (values["unit"] == "u1") & (values["year"] == 2024) & (values["indicator"] == row["indicator"])
        values.loc[m, "value"] = row["needed"]
    values.to_csv(tmp_path / "p" / "values.csv", index=False)
    code, _, stderr = run("run", str(proj), "--out", str(tmp_path / "rerun"), cwd=tmp_path)
    assert code == 0, stderr
    res = pd.read_csv(tmp_path / "rerun" / "results.csv", dtype={"unit": str})
    row = res[(res.unit == "u1") & (res.year == 2024) & (res.node == "idx")].iloc[0]
    assert row["rank"] == 2


def test_plan_unreachable_is_exit_0_with_header_only_csv(tmp_path):
    proj = tiny(tmp_path / "p", max_change=0.01)
    code, stdout, stderr = run("plan", str(proj), "--unit", "u1", "--year", "2024", "--rank", "1", cwd=tmp_path)
    assert code == 0, stderr
    assert "Unreachable under these bounds" in stdout
    raw = (tmp_path / "p" / "out" / "plan-u1-2024.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, like every CSV evalkit writes
    text = raw.decode("utf-8-sig")
    assert text == ",".join(PLAN_COLUMNS) + "\n"


def test_plan_bad_arguments_exit_1_with_messages(tmp_path):
    proj = str(tiny(tmp_path / "p"))
    cases = [
        (["--unit", "u1x", "--year", "2024", "--rank", "1"], "unknown unit 'u1x' (did you mean u1 城市u1 City u1"),
        (["--unit", "zz", "--year", "2024", "--rank", "1"], "unknown unit 'zz'; units: u1 城市u1 City u1, u2 "),
        (["--unit", "City u3", "--year", "2024", "--rank", "1"], "units are given by id: u3 城市u3 City u3"),
        (["--unit", "u1", "--year", "2030", "--rank", "1"], "year 2030 is not in the data (years: 2023, 2024)"),
        (["--unit", "u1", "--year", "2024", "--rank", "0"], "rank 0 is outside 1..5"),
        (["--unit", "u1", "--year", "2024", "--rank", "6"], "rank 6 is outside 1..5"),
        (["--unit", "u1", "--year", "2024", "--score", "120"], "score 120 is outside the scale [0, 100]"),
        (["--unit", "u1", "--year", "2024", "--score", "-5"], "score -5 is outside the scale [0, 100]"),
    ]
    for args, message in cases:
        code, _, stderr = run("plan", proj, *args, cwd=tmp_path)
        assert code == 1, (args, stderr)
        assert message in stderr, (args, stderr)
        assert "Traceback" not in stderr
    assert not (tmp_path / "p" / "out").exists()  # nothing written on a bad request


def test_plan_rank_and_score_together_or_neither_is_a_command_line_error(tmp_path):
    proj = str(tiny(tmp_path / "p"))
    code, _, stderr = run("plan", proj, "--unit", "u1", "--year", "2024", "--rank", "1", "--score", "50",
                          cwd=tmp_path)
    assert code == 2 and "not allowed with argument" in stderr
    code, _, stderr = run("plan", proj, "--unit", "u1", "--year", "2024", cwd=tmp_path)
    assert code == 2 and "one of the arguments --rank --score is required" in stderr


def test_provisional_rows_reach_results_csv(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.uniform(10, 90, size=(5, 2, 3))
    status = np.full(x.shape, "", dtype=object)
    status[2, 1, 0] = "provisional"  # u3 2024 a1
    status[4, 1, 2] = "provisional"  # u5 2024 b1
    tree = node("idx", node("A", leaf("a1"), leaf("a2")), node("B", leaf("b1")))
    proj = write_project(tmp_path / "p", tree=tree, values=x, units=UNITS, years=YEARS, status=status)
    code, _, stderr = run("run", str(proj), cwd=tmp_path)
    assert code == 0, stderr
    res = pd.read_csv(tmp_path / "p" / "out" / "results.csv", dtype={"unit": str})
    prov = {(r.unit, r.year, r.node) for r in res.itertuples() if r.provisional}
    assert prov == {("u3", 2024, "a1"), ("u3", 2024, "A"), ("u3", 2024, "idx"),
                    ("u5", 2024, "b1"), ("u5", 2024, "B"), ("u5", 2024, "idx")}
