"""`evalkit validate` on the demo and on every broken fixture (tests/fixtures/*/).

Each fixture carries its expected problem lines (tests/fixtures/make_fixtures.py
explains the markers): ``# expect: LINE:COL: words`` at the top of a YAML file,
``LINE: words`` in a ``<file>.expect`` sibling of a data file.  stderr must hold
exactly those error lines, in order of file and line, and nothing may be written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from evalkit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# a broken fixture is a folder holding a project (other folders, e.g. reference/, are data for other tests)
BROKEN = sorted(p.name for p in FIXTURES.iterdir() if (p / "evalkit.yaml").is_file() and p.name != "base")
LINE_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.*)$")


@dataclass(frozen=True)
class Expect:
    file: str  # relative to FIXTURES, as printed when the working directory is FIXTURES
    line: int
    col: int | None
    words: tuple[str, ...]

    def matches(self, stderr_line: str) -> bool:
        m = LINE_RE.match(stderr_line)
        if not m or m["file"] != self.file or int(m["line"]) != self.line:
            return False
        if (int(m["col"]) if m["col"] else None) != self.col:
            return False
        return all(w in m["msg"] for w in self.words)


def expectations(name: str) -> list[Expect]:
    out = []
    for path in sorted((FIXTURES / name).iterdir()):
        if path.suffix == ".yaml":
            lines = [ln[len("# expect: "):] for ln in path.read_text(encoding="utf-8").splitlines()
                     if ln.startswith("# expect: ")]
            target = path.name
        elif path.suffix == ".expect":
            lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            target = path.name[: -len(".expect")]
        else:
            continue
        for text in lines:
            m = re.match(r"^(\d+)(?::(\d+))?: (.*)$", text)
            assert m, f"bad expectation {text!r} in {path}"
            out.append(Expect(f"{name}/{target}", int(m[1]), int(m[2]) if m[2] else None,
                              tuple(w.strip() for w in m[3].split(" ... "))))
    return sorted(out, key=lambda e: (e.file, e.line, e.col or 0))


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def problem_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln and not ln.startswith("evalkit: ") and " warning: " not in ln]


def check_output(name: str, code: int, stderr: str) -> None:
    assert code == 1, stderr
    assert "Traceback" not in stderr
    got = problem_lines(stderr)
    want = expectations(name)
    assert want, f"fixture {name} has no expectation"
    assert len(got) == len(want), f"expected {len(want)} problem lines, got:\n{stderr}"
    for e, line in zip(want, got):  # same order: sorted by file and line
        assert e.matches(line), f"expected {e}\n     got {line}"
    assert stderr.splitlines()[-1].startswith(f"evalkit: {len(want)} problem")


def test_every_listed_kind_has_a_fixture():
    required = {
        "yaml_syntax", "unknown_key", "duplicate_id", "duplicate_yaml_key", "children_and_direction",
        "neither_children_nor_direction", "bad_direction", "bad_stage", "target_without_value", "goalposts_reversed",
        "fixed_not_summing", "fixed_unknown_child", "judgment_unknown_child", "judgment_out_of_range",
        "judgment_twice", "judgment_missing_pair", "ahp_inconsistent", "values_unknown_indicator",
        "values_unknown_unit", "values_no_data", "values_not_a_number", "values_duplicate_row",
        "values_missing_column", "values_empty", "values_header_only", "values_undecodable", "years_reversed",
        "scale_reversed", "unit_id_dotdot", "unit_id_slash", "unit_id_reserved", "unit_id_case", "formula_syntax",
        "formula_unknown_name", "missing_project_key", "several",
    }
    assert required <= set(BROKEN)


def test_base_fixture_is_valid(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert main(["validate", "base"]) == 0
    out, err = capsys.readouterr()
    assert "检查通过：4 个单位，3 个年份（2020-2022），4 个节点下共 6 个指标" in out   # the project's language
    assert "Traceback" not in err
    assert main(["validate", "base", "--lang", "en"]) == 0
    out, _ = capsys.readouterr()
    assert "ok: 4 units, 3 years (2020-2022), 6 indicators under 4 nodes" in out


@pytest.mark.parametrize("name", BROKEN)
def test_broken_fixture_reports_its_problem(name, capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    before = listing(FIXTURES / name)
    code = main(["validate", name])
    _, err = capsys.readouterr()
    check_output(name, code, err)
    assert listing(FIXTURES / name) == before


@pytest.mark.parametrize("name", BROKEN)
def test_broken_fixture_run_writes_nothing(name, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(FIXTURES)
    before = listing(FIXTURES / name)
    out = tmp_path / "out"
    code = main(["run", name, "--out", str(out)])
    _, err = capsys.readouterr()
    check_output(name, code, err)
    assert not out.exists()
    assert listing(FIXTURES / name) == before  # no out/ beside the project either
    assert list(tmp_path.iterdir()) == []  # no temporary sibling left behind


def test_several_problems_are_all_reported_sorted(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert main(["validate", "several"]) == 1
    got = problem_lines(capsys.readouterr().err)
    files = [LINE_RE.match(ln)["file"] for ln in got]
    assert len(set(files)) == 4  # evalkit.yaml, scheme.yaml, tree.yaml, values.csv
    keys = [(m["file"], int(m["line"])) for m in map(LINE_RE.match, got)]
    assert keys == sorted(keys)


def test_ahp_inconsistency_names_node_and_judgment_lines(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert main(["validate", "ahp_inconsistent"]) == 1
    (line,) = problem_lines(capsys.readouterr().err)
    text = (FIXTURES / "ahp_inconsistent" / "scheme.yaml").read_text(encoding="utf-8").splitlines()
    judgments_line = next(i for i, t in enumerate(text, 1) if t.strip() == "judgments:")
    assert line.startswith(f"ahp_inconsistent/scheme.yaml:{judgments_line}:5: judgments at 'idx' are inconsistent")
    for i, t in enumerate(text, 1):
        if t.strip().startswith("- [") and "9]" in t:
            assert f"{t.strip()[2:]} (line {i})" in line


def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)


# one per file and kind of failure; every fixture runs in-process above (a subprocess costs ~1 s)
IN_SUBPROCESS = ("yaml_syntax", "ahp_inconsistent", "formula_syntax", "unit_id_case", "values_undecodable",
                 "values_no_data", "several")


def test_broken_fixtures_in_a_subprocess():
    """The real command line: exit 1, the located lines, no traceback (run in parallel to stay fast)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: (n, _subprocess(["validate", n], FIXTURES)), IN_SUBPROCESS))
    for name, r in results:
        check_output(name, r.returncode, r.stderr)
        assert r.stdout == ""
    assert not (FIXTURES / "out").exists()


def test_validate_demo_prints_coverage_summary(tmp_path):
    r = _subprocess(["validate"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("数据覆盖率")                         # the demo's language: Chinese throughout
    assert len(re.findall(r"^[\u4e00-\u9fff]+\s+\d+%", r.stdout, re.M)) == 6     # the six domains by name
    assert re.search(r"^政务服务\s+\d+%", r.stdout, re.M) and re.search(r"^跨域协同\s+\d+%", r.stdout, re.M)
    assert "检查通过：41 个单位，6 个年份（2019-2024），31 个节点下共 59 个指标" in r.stdout
    assert not re.search(r"[A-Za-z]{3,}", r.stdout)
    r = _subprocess(["validate", "--lang", "en"], tmp_path)
    assert "data coverage" in r.stdout
    for domain in ("gov", "transport", "health", "education", "environment"):
        assert re.search(rf"^{domain}\s+\d+%", r.stdout, re.M)
    assert "ok: 41 units, 6 years (2019-2024), 59 indicators" in r.stdout
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []  # validate writes nothing


def test_validate_missing_project_file(tmp_path):
    r = _subprocess(["validate", "nowhere.yaml"], tmp_path)
    assert r.returncode == 1
    assert "nowhere.yaml: file not found" in r.stderr
    assert "Traceback" not in r.stderr
