"""Every numeric setting of the project file and the weight scheme has a plausible range, checked at
validation where the value stands; every settings section is checked like the rest (unknown keys,
duplicates, YAML tags, types); text that is no YAML character, an oversized number or a path the
system cannot open are located at their line and column, never an internal error."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.errors import Problems
from evalkit.load.project import BOUNDS, load_project
from evalkit.load.scheme import load_scheme
from evalkit.run import init_project

from tests.e2e._cli import run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return init_project(tmp_path_factory.mktemp("bounds") / "p")


@pytest.fixture
def proj(demo, tmp_path) -> Path:
    """A writable copy of the demo project file, its inputs shared (never modified)."""
    text = demo.read_text(encoding="utf-8")
    base = demo.parent
    for key in ("framework: ", "weights: ", "values: ", "units: ", "targets: ", "relations: "):
        text = text.replace(key, f"{key}{base}/", 1)
    p = tmp_path / "evalkit.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _errors(path: Path) -> list:
    problems = Problems()
    load_project(path, problems)
    return problems.errors


def _replace(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def test_demo_settings_are_within_the_bounds(proj):
    assert _errors(proj) == []


@pytest.mark.parametrize("old,new,needle", [
    ("scale: [0, 100]", "scale: [-1e308, 1e308]", "both ends must be in [-1e+09, 1e+09]"),
    ("scale: [0, 100]", "scale: [0, 1e-320]", "is too narrow"),
    ("grades: {A: 80", "grades: {A: 1e300", "grade A (a lower bound on the scale) must be in [0, 100]"),
    ("aggregate: {method: arithmetic}", "aggregate: {method: arithmetic, min_share: 2}", "min_share must be in [0, 1]"),
    ("aggregate: {method: arithmetic}", "aggregate: {method: arithmetic, geometric_shift: 1e300}",
     "must be in [0, 1e+06]"),
    ("treat: {skew: 2.0", "treat: {skew: 1e300", "skew must be in [0, 1000]"),
    ("winmax: 5", "winmax: 1e9", "winmax must be a whole number in [0, 1000]"),
    ("scale: [0, 100]", "scale: [0, 100]\nranks: {round: 400}",
     "ranks round (decimals) must be a whole number in [0, 15]"),
    ("years: [2019, 2024]", "years: [2019, 100000000]", "year must be a whole number in [1000, 9999]"),
    ("years: [2019, 2024]", "years: [-5, 2024]", "year must be a whole number in [1000, 9999]"),
    ("years: [2019, 2024]", "years: [1000, 9999]", "span 9000 years: at most 200 are allowed"),
])
def test_numeric_settings_out_of_range_are_located_and_name_the_range(proj, old, new, needle):
    text = _replace(proj, old, new)
    errs = _errors(proj)
    assert len(errs) == 1, [str(e) for e in errs]
    assert needle in errs[0].message
    assert errs[0].pos.line == _line_of(text, new.splitlines()[-1]) and errs[0].pos.col


@pytest.mark.parametrize("block,needle", [
    ("  draws: !foo 256\n", "YAML tag '!foo' is not supported"),
    ("  top: 3\n  top: 4\n", "key 'top' given twice in sensitivity"),
    ("  drawz: 256\n", "unknown key 'drawz' in sensitivity (did you mean 'draws'?)"),
    ("  draws: 1e12\n", "sensitivity.draws must be a whole number in [1, 100000]"),
    ("  draws: many\n", "is not a number"),
    ("  seed: -1\n", "sensitivity.seed must be a whole number in [0, 4294967295]"),
    ("  year: 100000000\n", "sensitivity.year must be a whole number in [1000, 9999]"),
    ("  bootstrap: 1e9\n", "sensitivity.bootstrap must be a whole number in [0, 100000]"),
    ("  normalize: [minmax, zscroe]\n", "did you mean 'zscore'?"),
    ("  impute: [maybe]\n", "must be true or false"),
])
def test_sensitivity_section_is_validated_where_each_value_stands(proj, block, needle):
    text = _replace(proj, "sensitivity:\n", "sensitivity:\n" + block)
    errs = _errors(proj)
    hits = [e for e in errs if needle in e.message]
    assert hits, [str(e) for e in errs]
    assert hits[-1].pos.line == _line_of(text, block.splitlines()[-1])


@pytest.mark.parametrize("old,new,needle", [
    ("judgments: {steps: 1}", "judgments: {steps: 50}", "sensitivity.judgments.steps must be a whole number in [0, 8]"),
    ("judgments: {steps: 1}", "judgments: {stepz: 1}", "did you mean 'steps'?"),
    ("noise: 0.2", "noise: 5", "sensitivity.weights.noise must be in [0, 1]"),
    ("noise: 0.2", "noise: {1: 0.2, 2: 7}", "noise at depth 2 must be in [0, 1]"),
    ("noise: 0.2", "noise: 0.2, concentration: 0", "concentration must be in (0, 1e+06]"),
])
def test_sensitivity_nested_settings_are_checked(proj, old, new, needle):
    text = _replace(proj, old, new)
    errs = _errors(proj)
    assert [needle in e.message for e in errs] == [True], [str(e) for e in errs]
    assert errs[0].pos.line == _line_of(text, new)


def test_validate_exits_1_on_a_tag_under_sensitivity(proj, tmp_path):
    _replace(proj, "sensitivity:\n", "sensitivity:\n  draws: !foo 256\n")
    r = run_cli("validate", str(proj), cwd=tmp_path)
    assert r.returncode == 1 and "YAML tag '!foo'" in r.stderr and "internal error" not in r.stderr


def test_the_sensitivity_settings_read_as_plain_yaml_would(proj):
    import yaml

    problems = Problems()
    project = load_project(proj, problems)
    raw = yaml.safe_load(proj.read_text(encoding="utf-8"))["sensitivity"]
    # same keys in the same order, same types: the manifest and the step keys record them
    assert json.dumps(project.settings.sensitivity) == json.dumps(raw)


def test_every_bound_names_a_nonempty_range():
    for key, rng in BOUNDS.items():
        assert rng.lo < rng.hi, key
        assert str(rng).startswith("in "), key


def test_years_beyond_the_calendar_stay_bounded_in_memory(proj, tmp_path):
    _replace(proj, "years: [2019, 2024]", "years: [2019, 100000000]")
    cap = 1536 * 1024 * 1024

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "validate", str(proj)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert r.returncode == 1, r.stderr
    assert "year must be a whole number in [1000, 9999], found 1e+08" in r.stderr


# --------------------------------------------------------------------------- weight schemes


@pytest.fixture
def scheme(demo, tmp_path) -> tuple[Path, str]:
    src = demo.parent / "weights" / "combined.yaml"
    return tmp_path / "w.yaml", src.read_text(encoding="utf-8")


def _scheme_errors(path: Path, text: str) -> list:
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    load_scheme(path, None, problems)
    return problems.errors


@pytest.mark.parametrize("value,needle", [
    ('"1' + "0" * 400 + '/1"', "is 403 characters long: write a number of at most 40 characters"),
    ('"1e400"', "must be a finite number"),
    ('"10000000000/1"', "is outside the 1-9 scale"),
    ('"1/10000000000"', "is outside the 1-9 scale"),
])
def test_oversized_ahp_judgments_are_located_errors(scheme, value, needle):
    path, text = scheme
    old = "[gov.input, gov.process, 1]"
    assert old in text
    new = text.replace(old, f"[gov.input, gov.process, {value}]", 1)
    errs = _scheme_errors(path, new)
    assert len(errs) == 1 and needle in errs[0].message, [str(e) for e in errs]
    assert errs[0].pos.line == _line_of(new, value)


def test_judgment_overflow_exits_1_from_the_cli(demo, tmp_path):
    proj = init_project(tmp_path / "q")
    w = proj.parent / "weights" / "combined.yaml"
    w.write_text(w.read_text(encoding="utf-8").replace("[gov.input, gov.process, 1]",
                                                       '[gov.input, gov.process, "1' + "0" * 400 + '/1"]'),
                 encoding="utf-8")
    r = run_cli("validate", str(proj), cwd=tmp_path)
    assert r.returncode == 1 and "internal error" not in r.stderr and "combined.yaml:" in r.stderr


@pytest.mark.parametrize("old,new,needle", [
    ("max_cr: 0.10", "max_cr: 1e300", "max_cr must be in (0, 1]"),
    ("max_cr: 0.10", "max_cr: 0", "max_cr must be in (0, 1]"),
])
def test_scheme_numbers_out_of_range(scheme, old, new, needle):
    path, text = scheme
    assert old in text
    new_text = text.replace(old, new, 1)
    errs = _scheme_errors(path, new_text)
    assert [needle in e.message for e in errs] == [True], [str(e) for e in errs]


# --------------------------------------------------------------------------- characters and paths


def test_control_character_is_located_at_its_line_and_column(proj):
    text = _replace(proj, "scale: [0, 100]", "scale: [0, 1\x07]")
    errs = _errors(proj)
    line = _line_of(text, "\x07")
    col = text.index("\x07") - text.rindex("\n", 0, text.index("\x07"))
    assert [(e.pos.line, e.pos.col) for e in errs] == [(line, col)]
    assert "U+0007 is not allowed" in errs[0].message


@pytest.mark.parametrize("key,old", [("values file", "values: "), ("output", "output: ")])
def test_too_long_path_is_located_at_its_key(proj, key, old):
    long = "数" * 100 + ".csv"  # 100 characters, 300 bytes: longer than a file name may be
    text = proj.read_text(encoding="utf-8")
    start = text.index(old) + len(old)
    end = text.index("\n", start)
    text = text[:start] + long + text[end:]
    proj.write_text(text, encoding="utf-8")
    errs = _errors(proj)
    assert len(errs) == 1 and errs[0].message.startswith(f"{key} '")
    assert "longer than the 255 bytes a file name may have" in errs[0].message
    assert errs[0].pos.line == _line_of(text, long)


def test_path_through_a_file_is_located(proj, tmp_path):
    (tmp_path / "afile").write_text("x")
    text = proj.read_text(encoding="utf-8")
    start = text.index("values: ") + len("values: ")
    text = text[:start] + "afile/values.csv" + text[text.index("\n", start):]
    proj.write_text(text, encoding="utf-8")
    errs = _errors(proj)
    assert len(errs) == 1 and "cannot be opened: Not a directory" in errs[0].message
    assert errs[0].pos.line == _line_of(text, "afile/")


# ----------------------------------------------------------------------- numbers in the indicator tree

@pytest.mark.parametrize("old,new,needle", [
    ("goalposts: [0, 6]", "goalposts: [-1e308, 1e308]", "goalposts of"),
    ("goalposts: [0, 6]", "goalposts: [0, 1e-320]", "too close"),
    ("target: [1.5, 3.0]", "target: [1.5, 1e300]", "target of"),
])
def test_tree_numbers_out_of_range_are_located(demo, tmp_path, old, new, needle):
    from evalkit.load.tree import load_tree

    src = demo.parent / "indicators" / "digital_governance.yaml"
    text = src.read_text(encoding="utf-8")
    assert old in text
    line = _line_of(text, old)
    path = tmp_path / "tree.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = Problems()
    load_tree(path, problems)
    hits = [p for p in problems.errors if needle in p.message]
    assert hits and len(hits) == len(problems.errors), [str(p) for p in problems.errors]
    assert {p.pos.line for p in hits} == {line}  # each end out of range is located on its own


def test_a_year_that_is_no_number_is_told_the_range_it_must_be_in(project, capsys):
    from evalkit.cli import main

    path = project / "evalkit.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("years: [2020, 2022]", "years: [2020, 20x22]"),
                    encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "evalkit.yaml:7:15: year '20x22' is not a number (write a whole number in [1000, 9999])" in err
