"""Zero handling of the geometric mean: `geometric_shift` in the project (aggregate:) and on a node.

shift 1 (default): exp(Σ w ln(s − lo + 1)) + lo − 1 (COINr-style, survives a child at lo);
shift 0: the plain weighted geometric mean (UNDP HDI), a child at lo gives lo.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import evalkit
from evalkit import aggregate as agg
from evalkit.errors import Problems, UserError
from evalkit.load.project import load_project
from evalkit.load.tree import load_tree

# ----------------------------------------------------------------------------- the function


def test_geometric_shift_zero_is_the_plain_weighted_geometric_mean():
    s = np.array([[[0.25, 1.0]], [[0.36, 0.81]]])  # 2 units × 1 year × 2 children on [0, 1]
    score, share = agg.geometric(s, np.array([0.5, 0.5]), lo=0.0, hi=1.0, shift=0.0)
    assert score[:, 0] == pytest.approx([0.5, 0.54], abs=1e-15)  # √(0.25·1), √(0.36·0.81)
    assert (share == 1).all()


def test_geometric_default_shift_one_moves_scores_onto_one_to_range_plus_one():
    s = np.array([[[0.25, 1.0]]])
    score, _ = agg.geometric(s, np.array([0.5, 0.5]), lo=0.0, hi=1.0)
    assert score[0, 0] == pytest.approx(math.sqrt(1.25 * 2.0) - 1.0, abs=1e-15)  # 0.5811...


def test_geometric_shift_zero_child_at_bottom_gives_bottom():
    s = np.array([[[0.0, 0.9, 0.8]]]) * 100 + 10  # scale [10, 110]: the first child sits at lo
    score, _ = agg.geometric(s, np.full(3, 1 / 3), lo=10.0, hi=110.0, shift=0.0)
    assert score[0, 0] == 10.0
    shifted, _ = agg.geometric(s, np.full(3, 1 / 3), lo=10.0, hi=110.0, shift=1.0)
    assert shifted[0, 0] == pytest.approx((1 * 91 * 81) ** (1 / 3) + 10 - 1, rel=1e-14)


def test_geometric_shift_zero_hdi_2022_norway_by_hand():
    # HDR 2023/24: Norway 2022, LE 83.393, EYS 18.7, MYS 13.06, GNIpc 69190 -> published HDI 0.966
    h = (83.393 - 20) / 65
    e = (min(18.7, 18) / 18 + 13.06 / 15) / 2
    i = (math.log(69190) - math.log(100)) / (math.log(75000) - math.log(100))
    s = np.array([[[h, e, i]]])
    score, _ = agg.geometric(s, np.full(3, 1 / 3), lo=0.0, hi=1.0, shift=0.0)
    assert score[0, 0] == pytest.approx((h * e * i) ** (1 / 3), abs=1e-15)
    assert round(score[0, 0], 3) == 0.966


# ----------------------------------------------------------------------------- loaders and pipeline

TREE = """\
id: idx
name: {zh: 指数, en: Index}
aggregate: geometric
%(root_shift)s
children:
  - id: a
    name: {zh: 甲, en: A}
    direction: benefit
    goalposts: [0, 10]
  - id: grp
    name: {zh: 组, en: Group}
    aggregate: geometric
    children:
      - id: b
        name: {zh: 乙, en: B}
        direction: benefit
        goalposts: [0, 10]
      - id: c
        name: {zh: 丙, en: C}
        direction: benefit
        goalposts: [0, 10]
"""
VALUES = "unit,year,a,b,c\nu1,2020,0,4,9\nu2,2020,5,10,2.5\n"
UNITS = "id,name_zh,name_en,group\nu1,一,One,g\nu2,二,Two,g\n"


def _project(tmp_path: Path, *, root_shift: str = "", aggregate: str = "{method: arithmetic}") -> Path:
    (tmp_path / "tree.yaml").write_text(TREE % {"root_shift": root_shift}, encoding="utf-8")
    (tmp_path / "weights.yaml").write_text("default: {method: equal}\n", encoding="utf-8")
    (tmp_path / "values.csv").write_text(VALUES, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "evalkit.yaml").write_text(
        "framework: tree.yaml\nweights: weights.yaml\ndata: {values: values.csv, units: units.csv}\n"
        f"normalize: {{method: goalpost}}\naggregate: {aggregate}\nscale: [0, 1]\n", encoding="utf-8")
    return tmp_path / "evalkit.yaml"


def _gmean(*v):
    return float(np.prod(v) ** (1 / len(v)))


def test_node_geometric_shift_overrides_the_project_default(tmp_path):
    r = evalkit.score(evalkit.load_project(_project(tmp_path, root_shift="geometric_shift: 0")))
    grp = r.node_scores("grp")[:, 0]
    # grp keeps the project's default shift 1; the root is a plain geometric mean
    assert grp == pytest.approx([math.sqrt(1.4 * 1.9) - 1, math.sqrt(2.0 * 1.25) - 1], abs=1e-14)
    assert r.node_scores("idx")[:, 0] == pytest.approx([0.0, _gmean(0.5, grp[1])], abs=1e-14)  # u1: a = 0
    params = {rec.target: rec.params for rec in r.log if rec.step == "weight+aggregate"}
    assert params["idx"]["geometric_shift"] == 0.0 and params["grp"]["geometric_shift"] == 1.0


def test_project_geometric_shift_applies_to_every_geometric_node(tmp_path):
    r = evalkit.score(evalkit.load_project(_project(
        tmp_path, aggregate="{method: arithmetic, geometric_shift: 0}")))
    assert r.settings.geometric_shift == 0.0
    assert r.node_scores("grp")[:, 0] == pytest.approx([_gmean(0.4, 0.9), _gmean(1.0, 0.25)], abs=1e-14)
    assert r.node_scores("idx")[0, 0] == 0.0


def test_rescore_changes_the_project_geometric_shift(tmp_path):
    r = evalkit.score(evalkit.load_project(_project(tmp_path)))
    r0 = evalkit.rescore(r, {"aggregate.geometric_shift": 0})
    (tmp_path / "fresh").mkdir()
    fresh = evalkit.score(evalkit.load_project(_project(tmp_path / "fresh",
                                                        aggregate="{method: arithmetic, geometric_shift: 0}")))
    np.testing.assert_allclose(r0.scores, fresh.scores, rtol=0, atol=1e-15)
    assert not np.allclose(r0.node_scores("grp"), r.node_scores("grp"))


def test_arithmetic_nodes_do_not_log_a_geometric_shift(tmp_path):
    tree = "".join(ln for ln in TREE.splitlines(keepends=True) if "aggregate: geometric" not in ln)
    p = _project(tmp_path)
    (tmp_path / "tree.yaml").write_text(tree % {"root_shift": ""}, encoding="utf-8")
    r = evalkit.score(evalkit.load_project(p))
    assert all("geometric_shift" not in rec.params for rec in r.log if rec.step == "weight+aggregate")


def test_min_share_zero_is_accepted_and_scores_from_any_present_child(tmp_path):
    p = _project(tmp_path, aggregate="{method: arithmetic, min_share: 0}")
    (tmp_path / "values.csv").write_text("unit,year,a,b,c\nu1,2020,0,4,\nu2,2020,5,10,2.5\n", encoding="utf-8")
    r = evalkit.score(evalkit.load_project(p))
    assert r.settings.min_share == 0.0
    assert r.node_scores("grp")[0, 0] == pytest.approx(0.4, abs=1e-15)  # b alone (c missing)


@pytest.mark.parametrize("value, code", [("-1", "bad-geometric-shift"), ("abc", "not-a-number")])
def test_project_geometric_shift_bad_value_is_located(tmp_path, value, code):
    p = _project(tmp_path, aggregate=f"{{method: arithmetic, geometric_shift: {value}}}")
    problems = Problems()
    load_project(p, problems)
    [e] = problems.errors
    assert e.code == code and e.pos.line == 5 and "geometric_shift" in e.message


def test_min_share_below_zero_is_refused(tmp_path):
    problems = Problems()
    load_project(_project(tmp_path, aggregate="{min_share: -0.5}"), problems)
    [e] = problems.errors
    assert e.code == "bad-min-share" and "[0, 1]" in e.message


def test_node_geometric_shift_is_read_and_checked(tmp_path):
    _project(tmp_path, root_shift="geometric_shift: 0")
    problems = Problems()
    tree = load_tree(tmp_path / "tree.yaml", problems)
    assert not problems.errors
    assert tree.root.geometric_shift == 0.0 and tree.by_id["grp"].geometric_shift is None

    _project(tmp_path, root_shift="geometric_shift: -2")
    problems = Problems()
    load_tree(tmp_path / "tree.yaml", problems)
    [e] = problems.errors
    assert (e.code, e.pos.line) == ("bad-geometric-shift", 4)


def test_geometric_shift_on_a_leaf_is_an_error(tmp_path):
    _project(tmp_path)
    text = (tmp_path / "tree.yaml").read_text(encoding="utf-8").replace(
        "    goalposts: [0, 10]\n  - id: grp", "    goalposts: [0, 10]\n    geometric_shift: 0\n  - id: grp")
    (tmp_path / "tree.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as e:
        evalkit.load_project(tmp_path / "evalkit.yaml")
    [p] = e.value.problems
    assert p.code == "group-key-on-leaf" and "'a'" in p.message
