"""evalkit.load.project and load_inputs: evalkit.yaml -> Project (paths resolved, defaults filled)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from evalkit.errors import Problems, UserError
from evalkit.load import load_inputs, load_project
from evalkit.project import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BASE = FIXTURES / "base"


@pytest.fixture
def project_dir(tmp_path):
    d = tmp_path / "p"
    shutil.copytree(BASE, d)
    return d


def _load(d: Path, text: str | None = None):
    if text is not None:
        (d / "evalkit.yaml").write_text(text, encoding="utf-8")
    problems = Problems()
    return load_project(d / "evalkit.yaml", problems), problems


MINIMAL = "framework: tree.yaml\nweights: scheme.yaml\ndata: {values: values.csv, units: units.csv}\n"


def test_defaults_are_filled(project_dir):
    p, problems = _load(project_dir, MINIMAL)
    assert not problems.items
    assert p.settings == Settings()
    assert p.settings.scale == (0.0, 100.0) and p.settings.normalize == "minmax" and p.settings.scope == "panel"
    assert p.years is None and p.grades == () and p.lang == "zh" and p.synthetic is False
    assert p.output == project_dir.resolve() / "out"
    assert p.framework == (project_dir / "tree.yaml").resolve()


def test_paths_are_relative_to_the_project_file(project_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (project_dir / "sub").mkdir()
    shutil.move(project_dir / "tree.yaml", project_dir / "sub" / "tree.yaml")
    p, problems = _load(project_dir, MINIMAL.replace("tree.yaml", "sub/tree.yaml") + "output: ../results\n")
    assert not problems.items
    assert p.framework == (project_dir / "sub" / "tree.yaml").resolve()
    assert p.output == (tmp_path / "results").resolve()


def test_a_folder_means_its_evalkit_yaml(project_dir):
    problems = Problems()
    p = load_project(project_dir, problems)
    assert not problems.items and p.file == (project_dir / "evalkit.yaml").resolve()


def test_base_settings(project_dir):
    p, problems = _load(project_dir)
    assert not problems.items
    assert p.years == (2020, 2022) and not p.editions
    assert p.title.zh == "测试项目"


def test_three_years_or_more_are_editions_and_grades_best_first(project_dir):
    p, problems = _load(project_dir, MINIMAL + "years: [2021, 2020, 2022]\ngrades: {C: 50, A: 85, B: 70}\n"
                        "report: {lang: en}\ndata2: 1\n".replace("data2: 1\n", ""))
    assert not problems.items
    assert p.years == (2020, 2021, 2022) and p.editions
    assert p.grades == (("A", 85.0), ("B", 70.0), ("C", 50.0))
    assert p.grade_of(72) == "B" and p.grade_of(10) == ""
    assert p.lang == "en"


@pytest.mark.parametrize("extra, code", [
    ("years: [2022, 2020]\n", "years-reversed"),
    ("years: [2020.5, 2022]\n", "bad-years"),
    ("years: []\n", "bad-years"),
    ("scale: [1, 1]\n", "bad-scale"),
    ("scale: [0, 50, 100]\n", "bad-pair"),
    ("normalize: {method: minmax, scope: city}\n", "bad-choice"),
    ("aggregate: {method: median}\n", "bad-choice"),
    ("aggregate: {min_share: 1.5}\n", "bad-min-share"),
    ("report: {lang: fr}\n", "bad-choice"),
    ("outptu: out\n", "unknown-key"),
    ("targets: nowhere.csv\n", "file-not-found"),
    ("framework: other.yaml\n", "duplicate-key"),
    ("prepare: {impute: {chain: [interpolate, guess]}}\n", "bad-choice"),
    ("prepare: {screen: {min_coverage_unit: 2}}\n", "bad-share"),
])
def test_project_problems(project_dir, extra, code):
    _, problems = _load(project_dir, MINIMAL + extra)
    assert code in [p.code for p in problems.errors]
    last = len((MINIMAL + extra).splitlines())
    assert all(p.pos.line == last and p.pos.col is not None for p in problems.errors)


def test_missing_required_keys_point_at_the_mapping(project_dir):
    _, problems = _load(project_dir, "title: x\ndata: {values: values.csv}\n")
    got = sorted((p.code, p.pos.line, p.pos.col, p.message.split(" (")[0]) for p in problems.errors)
    assert got == [("missing-key", 1, 1, "the project file has no 'framework'"),
                   ("missing-key", 1, 1, "the project file has no 'weights'")]  # units: optional


def test_missing_input_file_names_where_it_looked(project_dir):
    _, problems = _load(project_dir, MINIMAL.replace("tree.yaml", "trees.yaml"))
    (p,) = problems.errors
    assert p.code == "file-not-found" and (p.pos.line, p.pos.col) == (1, 12)
    assert "'trees.yaml' not found" in p.message


def test_load_inputs_on_the_base_fixture():
    inputs = load_inputs(BASE / "evalkit.yaml")
    assert inputs.panel.values.shape == (4, 3, 8)
    assert inputs.tree.leaf_ids[0] == "gov_online"
    assert inputs.scheme.for_node("gov").method == "fixed"
    assert np.isfinite(inputs.panel.values[:, :, 0]).all()


def test_load_inputs_raises_one_user_error_with_everything():
    with pytest.raises(UserError) as e:
        load_inputs(FIXTURES / "several" / "evalkit.yaml")
    problems = e.value.problems
    assert len(problems) == 5
    assert [p.pos.file.rsplit("/", 1)[-1] for p in problems] == \
        ["evalkit.yaml", "scheme.yaml", "tree.yaml", "values.csv", "values.csv"]
    assert len(e.value.lines()) == 5


def test_demo_project_writes_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problems = Problems()
    p = load_project(None, problems)
    assert not problems.errors
    assert p.bundled_demo and p.output == tmp_path / "out"
    assert p.synthetic is True
