"""Fixes from review: blank rows, wide-form row counting, YAML aliases, unsafe output folders,
what-if paths, years without data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import evalkit
from evalkit.errors import Problems, UserError
from evalkit.load import load_tree
from evalkit.load.data import load_units, load_values
from evalkit.load.yamlnodes import compose
from evalkit.output import MARKER, check_target, staged_folder

BASE = Path(__file__).resolve().parents[1] / "fixtures" / "base"


def _load(tmp_path, text):
    p = Problems()
    tree, units = load_tree(BASE / "tree.yaml", p), load_units(BASE / "units.csv", p)
    path = tmp_path / "values.csv"
    path.write_text(text, encoding="utf-8")
    return load_values(path, tree, units, (2020, 2022), p), p


def test_blank_rows_are_skipped_and_later_rows_keep_their_spreadsheet_number(tmp_path):
    text = (BASE / "values.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    header, body = text[0], text[1:]
    bad = body[3].split(",")
    bad[3] = "n/a"
    lines = [header] + body[:2] + [",,,"] + body[2:3] + [",".join(bad)] + body[4:] + [",,,", ",,,"]
    panel, problems = _load(tmp_path, "\n".join(lines) + "\n")
    assert panel is None
    assert [(p.pos.line, p.code) for p in problems.errors] == [(6, "not-a-number")]  # header 1, blank row 4, bad row 6


def test_a_wide_row_with_an_unknown_unit_is_reported_once(tmp_path):
    p = Problems()
    tree, units = load_tree(BASE / "tree.yaml", p), load_units(BASE / "units.csv", p)
    cols = [leaf.id for leaf in tree.leaves if leaf.formula is None] + [v.id for v in tree.variables]
    rows = ["unit,year," + ",".join(cols)]
    for u in units.ids:
        for y in (2020, 2021, 2022):
            rows.append(f"{u},{y}," + ",".join("1" for _ in cols))
    rows.append("999999,2021," + ",".join("1" for _ in cols))
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    problems = Problems()
    assert load_values(path, tree, units, (2020, 2022), problems) is None
    assert [(e.pos.line, e.code) for e in problems.errors] == [(len(rows), "unknown-unit")]


def test_the_problem_count_includes_the_rows_behind_a_summary_line(tmp_path):
    text = (BASE / "values.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    header, body = text[0], text[1:]
    broken = []
    for line in body[:30]:
        cells = line.split(",")
        cells[3] = "x"
        broken.append(",".join(cells))
    _, problems = _load(tmp_path, "\n".join([header] + broken + body[30:]) + "\n")
    err = UserError(problems.items)
    assert err.n_errors == 30 and len(err.lines()) == 21


def test_yaml_anchors_and_aliases_are_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    problems = Problems()
    assert compose(path, problems) is None
    assert [p.code for p in problems.errors] == ["yaml-alias"]


@pytest.mark.parametrize("make, words", [
    (lambda d: (d / "f.txt").write_text("x") and d / "f.txt", "is a file"),
    (lambda d: (d / "other").mkdir() or (d / "other" / "mine.docx").write_text("x") and d / "other",
     "did not write"),
    (lambda d: d, "holds the project's input"),
])
def test_unsafe_output_folders_are_refused(tmp_path, monkeypatch, make, words):
    monkeypatch.chdir(tmp_path.parent)
    project_file = tmp_path / "evalkit.yaml"
    project_file.write_text("x", encoding="utf-8")
    target = make(tmp_path)
    with pytest.raises(UserError) as e:
        check_target(target, protect=[project_file])
    assert words in e.value.lines()[0]
    assert project_file.read_text() == "x"


def test_the_working_directory_is_never_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError):
        check_target(tmp_path)
    with pytest.raises(UserError):
        check_target(tmp_path.parent)


def test_a_folder_evalkit_made_is_replaced_and_marked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    with staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
    assert (out / MARKER).exists() and (out / "a.csv").exists()
    assert oct(out.stat().st_mode & 0o777) != oct(0o700)
    with staged_folder(out) as tmp:
        (tmp / "b.csv").write_text("2")
    assert not (out / "a.csv").exists() and (out / "b.csv").exists()
    with staged_folder(out, merge=True) as tmp:
        (tmp / "c.csv").write_text("3")
    assert (out / "b.csv").exists() and (out / "c.csv").exists()


def test_bad_what_if_paths_are_user_errors():
    r = evalkit.score(evalkit.load_project())
    for change in ({"weights": "foo"}, {"weights.nodes.nope.method": "ahp"}, {"scale": [1]}):
        with pytest.raises(UserError):
            evalkit.rescore(r, change)


def test_a_fixed_weight_of_a_dotted_child_can_be_set():
    r = evalkit.score(evalkit.load_project())
    alt = evalkit.rescore(r, {"weights.nodes.environment.weights.environment.input": 0.3,
                              "weights.nodes.environment.weights.environment.process": 0.0})
    k = r.tree.index["environment.input"]
    assert alt.local_weight[k] == pytest.approx(0.3)


def test_run_into_the_project_folder_is_refused_and_deletes_nothing(tmp_path):
    proj = tmp_path / "p"
    assert subprocess.run([sys.executable, "-m", "evalkit", "init", str(proj)], capture_output=True).returncode == 0
    before = sorted(p.name for p in proj.rglob("*"))
    r = subprocess.run([sys.executable, "-m", "evalkit", "run", "evalkit.yaml", "--out", "."], cwd=proj,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert sorted(p.name for p in proj.rglob("*")) == before
