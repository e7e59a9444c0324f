"""The variants' YAML keys: read into the model, and every mistake located with its fix."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from evalkit.errors import Problems
from evalkit.load.project import load_project
from evalkit.load.tree import load_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


from tests.unit.test_load_scheme import _load as _scheme, tree  # noqa: F401  (tree: the shared fixture)


def _project(tmp_path, extra: str):
    folder = tmp_path / "p"
    shutil.copytree(FIXTURES / "base", folder)
    path = folder / "evalkit.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("normalize: {method: minmax, scope: panel}\n", "")
                    + textwrap.dedent(extra), encoding="utf-8")
    problems = Problems()
    return load_project(path, problems), problems


def test_weighting_variants_are_read(tmp_path, tree):
    s, problems = _scheme(tmp_path, tree, """\
        default: {method: entropy, by: year, rescale: [0.002, 0.998]}
        nodes:
          gov: {method: critic, directional: false, by: year}
          transport: {method: entropy, variant: ratio}
          health: {method: bod, share: {he_beds: [0.2, 0.8]}}
          idx: {method: combined, subjective: {method: fixed, weights: {gov: 0.4, transport: 0.3, health: 0.3}},
                objective: {method: pca, by: year}, rule: linear}
        """)
    assert not problems.errors, [str(p) for p in problems.items]
    assert s.default.by == "year" and s.default.rescale == (0.002, 0.998)
    assert s.nodes["gov"].method == "critic" and not s.nodes["gov"].directional and s.nodes["gov"].by == "year"
    assert s.nodes["transport"].variant == "ratio"
    assert s.nodes["health"].share == {"he_beds": (0.2, 0.8), "he_online": (0.0, 1.0)}
    assert s.nodes["idx"].objective.method == "pca" and s.nodes["idx"].objective.by == "year"
    assert s.default.params()["by"] == "year"


def test_scope_in_a_weight_scheme_points_to_by_year(tmp_path, tree):
    _, problems = _scheme(tmp_path, tree, "default: {method: entropy, scope: year}\n")
    (p,) = problems.errors
    assert p.pos.line == 1 and p.pos.col == 28  # 1-based: the column of "scope"
    assert "per-year weights are `by: year`" in p.message and "did you mean" not in p.message


@pytest.mark.parametrize("text, code, fragment", [
    ("default: {method: entropy, by: years}\n", "bad-choice", "year"),
    ("default: {method: entropy, variant: ratio, shift: 0.01}\n", "key-not-for-variant", "raw values"),
    ("default: {method: entropy, rescale: [0.5, 0.1]}\n", "bad-rescale", "0 <= lo < hi"),
    ("default: {method: cv, directional: false}\n", "key-not-for-method", "directional"),
    ("nodes:\n  gov: {method: bod, share: [0.6, 0.9]}\n", "bad-share", "least shares sum to 1.2"),
    ("nodes:\n  gov: {method: bod, share: {gov_x: [0, 1]}}\n", "unknown-child", "not a child"),
    ("default: {method: bod}\n", "bad-choice", "bod"),
])
def test_variant_mistakes_are_located(tmp_path, tree, text, code, fragment):
    _, problems = _scheme(tmp_path, tree, text)
    assert problems.errors, text
    p = problems.errors[0]
    assert p.code == code and fragment in p.message, str(p)
    assert p.pos.line >= 1 and str(p).startswith(str(tmp_path / "scheme.yaml"))


def test_project_variant_settings_are_read(tmp_path):
    project, problems = _project(tmp_path, """\
        normalize: {method: zscore, ddof: 1, clip: null, mean: 10, sd: 2}
        aggregate: {method: topsis, normalize: minmax}
        """)
    assert not problems.errors, [str(p) for p in problems.items]
    s = project.settings
    assert (s.zscore_ddof, s.zscore_clip, s.zscore_mean_sd, s.topsis_normalize) == (1, None, (10.0, 2.0), "minmax")
    assert s.unbounded_leaves()
    project, problems = _project(tmp_path / "b", "normalize: {method: rank, ties: min}\n"
                                                 "aggregate: {method: power, p: 3}\n")
    assert not problems.errors and project.settings.ties == "min" and project.settings.power_p == 3.0


@pytest.mark.parametrize("extra, code", [
    ("normalize: {method: minmax, ties: min}\n", "key-not-for-method"),
    ("normalize: {method: zscore, ddof: 2}\n", "bad-ddof"),
    ("normalize: {method: zscore, clip: null}\n", "zscore-unbounded"),
    ("normalize: {method: zscore, mean: 10}\n", "zscore-mean-sd"),
    ("normalize: {method: zscore, mean: 10, sd: 0}\n", "bad-sd"),
    ("aggregate: {method: arithmetic, normalize: minmax}\n", "key-not-for-method"),
    ("aggregate: {method: topsis, normalize: sum}\n", "bad-choice"),
    ("aggregate: {method: power, p: 0}\n", "bad-power-p"),
])
def test_project_variant_mistakes_are_located(tmp_path, extra, code):
    _, problems = _project(tmp_path, extra)
    assert [p.code for p in problems.errors] == [code], [str(p) for p in problems.items]
    assert problems.errors[0].pos.line > 1


def test_node_aggregate_mapping(tmp_path):
    path = tmp_path / "tree.yaml"
    text = (FIXTURES / "base" / "tree.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("  - id: gov\n    name: {zh: 政务, en: Government}\n",
                                 "  - id: gov\n    name: {zh: 政务, en: Government}\n"
                                 "    aggregate: {method: topsis, normalize: none}\n", 1), encoding="utf-8")
    problems = Problems()
    t = load_tree(path, problems)
    assert not problems.errors and t.by_id["gov"].aggregate == "topsis"
    assert dict(t.by_id["gov"].aggregate_options) == {"normalize": "none"}
    path.write_text(text.replace("  - id: gov\n    name: {zh: 政务, en: Government}\n",
                                 "  - id: gov\n    name: {zh: 政务, en: Government}\n"
                                 "    aggregate: {method: geometric, p: 2}\n", 1), encoding="utf-8")
    problems = Problems()
    load_tree(path, problems)
    assert [p.code for p in problems.errors] == ["key-not-for-method"]


def test_by_in_the_projects_normalize_points_to_scope_and_the_scheme(tmp_path):
    _, problems = _project(tmp_path, "normalize: {method: minmax, by: year}\n")
    (p,) = problems.errors
    assert "`scope: year`" in p.message and "`by: year` in the weight scheme" in p.message
