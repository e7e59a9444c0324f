"""evalkit.load.tree: indicator tree YAML -> Tree, every problem located."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evalkit.errors import Problems
from evalkit.load.tree import load_tree
from evalkit.tree import Names

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load(tmp_path: Path, text: str):
    path = tmp_path / "tree.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    problems = Problems()
    tree = load_tree(path, problems)
    return tree, problems


def _codes(problems: Problems) -> list[str]:
    return [p.code for p in problems.errors]


DEEP = """\
id: root
name: {zh: 总, en: Root}
children:
  - id: a
    name: {zh: 甲, en: A}
    stage: input
    children:
      - id: a.1
        name: {zh: 甲一, en: A1}
        children:
          - id: a.1.x
            name: {zh: 甲一X, en: A1x}
            stage: output
            children:
              - id: leaf_deep
                name: {zh: 深, en: Deep}
                direction: benefit
          - id: leaf_inherits
            name: 继承
            direction: cost
  - id: b
    name: {zh: 乙, en: B}
    aggregate: geometric
    children:
      - id: 0123
        name: {zh: 前导零, en: Leading zero}
        direction: target
        target: 1.0
      - id: b_interval
        name: {zh: 区间, en: Interval}
        direction: target
        target: [0.9, 1.1]
        goalposts: [0, 2]
        unit: "%"
        source: {zh: 市统计局, en: Statistics bureau}
"""


def test_tree_of_any_depth_keeps_leaf_order_and_indexes(tmp_path):
    tree, problems = _load(tmp_path, DEEP)
    assert not problems.items
    assert tree.leaf_ids == ("leaf_deep", "leaf_inherits", "0123", "b_interval")
    assert tree.depth["leaf_deep"] == 4
    assert tree.parent["leaf_deep"] == "a.1.x"
    assert tree.ancestors("leaf_deep") == ["a.1.x", "a.1", "a", "root"]
    assert [n.id for n in tree.nodes][-1] == "root"  # post-order: root last
    assert tree.domain_of("leaf_deep") == "a"


def test_stage_is_inherited_and_can_be_overridden(tmp_path):
    tree, _ = _load(tmp_path, DEEP)
    by = tree.by_id
    assert by["a"].stage == "input"
    assert by["a.1"].stage == "input"
    assert by["leaf_inherits"].stage == "input"
    assert by["a.1.x"].stage == "output"
    assert by["leaf_deep"].stage == "output"
    assert by["b"].stage is None and by["0123"].stage is None


def test_point_target_is_stored_as_a_pair_and_interval_as_given(tmp_path):
    tree, _ = _load(tmp_path, DEEP)
    assert tree.by_id["0123"].target == (1.0, 1.0)
    assert tree.by_id["b_interval"].target == (0.9, 1.1)
    assert tree.by_id["b_interval"].goalposts == (0.0, 2.0)


def test_names_as_plain_string_serve_both_languages(tmp_path):
    tree, _ = _load(tmp_path, DEEP)
    assert tree.by_id["leaf_inherits"].name == Names("继承", "继承")
    assert tree.by_id["a"].name == Names("甲", "A")


def test_ids_with_leading_zeros_stay_text(tmp_path):
    tree, _ = _load(tmp_path, DEEP)
    assert "0123" in tree.by_id  # YAML 1.1 would read 83


def test_other_leaf_fields(tmp_path):
    tree, _ = _load(tmp_path, DEEP)
    leaf = tree.by_id["b_interval"]
    assert leaf.unit == "%"
    assert leaf.source == Names("市统计局", "Statistics bureau")
    assert tree.by_id["b"].aggregate == "geometric"
    assert leaf.direction == "target"


def test_positions_are_one_based_line_and_column(tmp_path):
    tree, _ = _load(tmp_path, DEEP)
    pos = tree.by_id["leaf_deep"].pos
    assert (pos.line, pos.col) == (15, 17)  # the "id:" of the mapping
    assert pos.file.endswith("tree.yaml")


def test_base_fixture_with_variables_and_formula():
    problems = Problems()
    tree = load_tree(FIXTURES / "base" / "tree.yaml", problems)
    assert not problems.items
    assert [v.id for v in tree.variables] == ["beds", "pop"]
    assert tree.variables[0].unit == "张"
    assert [n.id for n in tree.derived] == ["he_beds"]
    assert tree.by_id["he_beds"].formula == "beds / pop * 10000"
    assert tree.by_id["gov_online"].stage == "output"
    assert tree.by_id["tr_signal"].stage == "outcome"  # inherited from transport


def test_numbers_in_yaml_1_2_forms(tmp_path):
    tree, problems = _load(tmp_path, """\
        id: r
        name: R
        children:
          - {id: x, name: X, direction: target, target: 1e-4}
        """)
    assert not problems.items
    assert tree.by_id["x"].target == (1e-4, 1e-4)  # safe_load would read the string '1e-4'


@pytest.mark.parametrize("snippet, code", [
    ("  - {id: x, name: X, direction: target, target: [2, 1]}", "bad-interval"),
    ("  - {id: x, name: X, direction: cost, target: 1}", "target-not-target"),
    ("  - {id: x, name: X, direction: target, target: abc}", "not-a-number"),
    ("  - {id: x, name: X, direction: benefit, goalposts: [1, 2, 3]}", "bad-pair"),
    ("  - {id: x, name: X, direction: benefit, plan_cost: 0}", "bad-plan-cost"),
    ("  - {id: x, name: X, direction: benefit, aggregate: median}", "bad-choice"),
    ("  - {id: x, name: {zh: 甲}, direction: benefit}", "missing-key"),
    ("  - {id: 'x y', name: X, direction: benefit}", "bad-id"),
    ("  - {name: X, direction: benefit}", "missing-key"),
    ("  - {id: g, name: G, unit: '%', children: [{id: x, name: X, direction: benefit}]}", "leaf-key-on-group"),
    ("  - {id: g, name: G, children: []}", "no-children"),
    ("  - <<: {id: x}\n    name: X\n    direction: benefit", "merge-key"),
    ("  - just a string", "not-a-mapping"),
])
def test_node_problems(tmp_path, snippet, code):
    _, problems = _load(tmp_path, "id: r\nname: R\nchildren:\n" + snippet + "\n  - {id: ok, name: OK, direction: cost}\n")
    assert code in _codes(problems)
    for p in problems.errors:
        assert p.pos.line >= 4 and p.pos.col is not None


def test_root_without_children_is_refused(tmp_path):
    _, problems = _load(tmp_path, "id: r\nname: R\ndirection: benefit\n")
    assert _codes(problems) == ["root-is-leaf"]


def test_all_problems_are_collected_not_only_the_first(tmp_path):
    _, problems = _load(tmp_path, """\
        id: r
        name: R
        children:
          - {id: a, name: A, direction: sideways}
          - {id: b, name: B, direction: benefit, wieght: 2}
          - {id: a, name: C, direction: cost}
        """)
    assert sorted(_codes(problems)) == ["bad-choice", "duplicate-id", "unknown-key"]
    assert sorted(p.pos.line for p in problems.errors) == [4, 5, 6]


def test_empty_and_undecodable_files(tmp_path):
    _, problems = _load(tmp_path, "")
    assert _codes(problems) == ["empty-file"]
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"id: r\nname: \xff\n")
    problems = Problems()
    assert load_tree(path, problems) is None
    assert [(p.code, p.pos.line) for p in problems.errors] == [("not-utf8", 2)]


def test_missing_file(tmp_path):
    problems = Problems()
    assert load_tree(tmp_path / "nope.yaml", problems) is None
    assert _codes(problems) == ["file-not-found"]


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "tree.yaml"
    path.write_bytes(textwrap.dedent(DEEP).encode("utf-8-sig"))
    problems = Problems()
    assert load_tree(path, problems) is not None
    assert not problems.items
