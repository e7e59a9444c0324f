"""evalkit.from_frames (DataFrames and dicts in), evalkit.sensitivity, and `evalkit import table`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import evalkit
from evalkit.cli import main
from evalkit.errors import Problems, UserError
from evalkit.importers.table import import_table
from evalkit.load.scheme import load_scheme
from evalkit.load.tree import load_tree

TREE = {"id": "idx", "name": {"zh": "指数", "en": "Index"}, "children": [
    {"id": "a", "name": {"zh": "甲", "en": "A"}, "children": [
        {"id": "a1", "name": {"zh": "a1", "en": "a1"}, "direction": "benefit"},
        {"id": "a2", "name": {"zh": "a2", "en": "a2"}, "direction": "cost"}]},
    {"id": "b", "name": {"zh": "乙", "en": "B"}, "children": [
        {"id": "b1", "name": {"zh": "b1", "en": "b1"}, "direction": "benefit"},
        {"id": "b2", "name": {"zh": "b2", "en": "b2"}, "direction": "benefit"}]}]}
WEIGHTS = {"default": {"method": "entropy"}, "nodes": {"idx": {"method": "fixed", "weights": {"a": 0.4, "b": 0.6}}}}
UNITS = ["北京市", "上海市", "江苏省", "浙江省", "安徽省"]


def _frame(seed=0):
    rng = np.random.default_rng(seed)
    n = len(UNITS) * 2
    return pd.DataFrame({"省份": UNITS * 2, "时间": [2022] * 5 + [2023] * 5,
                         **{k: rng.uniform(1, 9, n) for k in ("a1", "a2", "b1", "b2")}})


def test_from_frames_gives_the_same_result_as_the_files(tmp_path):
    df = _frame()
    r1 = evalkit.score(evalkit.from_frames(df, TREE, WEIGHTS, columns={"unit": "省份", "year": "时间"},
                                           grades={"A": 60, "B": 0}))
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(TREE, allow_unicode=True), encoding="utf-8")
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(WEIGHTS), encoding="utf-8")
    df.to_csv(tmp_path / "v.csv", index=False)
    (tmp_path / "evalkit.yaml").write_text("framework: t.yaml\nweights: w.yaml\ndata: {values: v.csv, columns: "
                                           "{unit: 省份, year: 时间}}\ngrades: {A: 60, B: 0}\n", encoding="utf-8")
    r2 = evalkit.score(evalkit.load_project(tmp_path / "evalkit.yaml"))
    f1, f2 = r1.to_frame(), r2.to_frame()
    pd.testing.assert_frame_equal(f1, f2, rtol=1e-12)
    assert "coverage" in f1.columns and (f1["coverage"] == 1).all()
    # a tree and weights given as YAML files work as well
    r3 = evalkit.score(evalkit.from_frames(df, tmp_path / "t.yaml", tmp_path / "w.yaml",
                                           columns={"unit": "省份", "year": "时间"}))
    np.testing.assert_allclose(r3.scores, r1.scores)


def test_from_frames_messages_name_the_frame_row_and_the_yaml_line():
    df = _frame().astype({"a1": object})
    df.loc[7, "a1"] = "n/a"
    df.loc[3, "省份"] = "a/b"
    with pytest.raises(UserError) as e:
        evalkit.from_frames(df, TREE, WEIGHTS, columns={"unit": "省份", "year": "时间"})
    lines = e.value.lines()
    assert "values[row 3]: unit id 'a/b' holds '/'" in lines[0]
    with pytest.raises(UserError) as e:
        evalkit.from_frames(df.drop(index=3), TREE, WEIGHTS, columns={"unit": "省份", "year": "时间"})
    assert e.value.lines()[0].startswith("values[row 6]: value 'n/a' for 江苏省 / 2023 / a1 is not a number")
    bad = {**TREE, "children": [*TREE["children"], {"id": "c", "name": "c"}]}
    with pytest.raises(UserError) as e:
        evalkit.from_frames(_frame(), bad, WEIGHTS, columns={"unit": "省份", "year": "时间"})
    assert any(line.startswith("tree:") and "node 'c' has neither children nor a direction" in line
               for line in e.value.lines())
    with pytest.raises(UserError) as e:
        evalkit.from_frames(_frame(), TREE, WEIGHTS, columns={"unit": "省份", "year": "时间"},
                            normalize={"method": "minmaxx"})
    assert e.value.lines()[0].startswith("settings:") and "minmaxx" in e.value.lines()[0]


def test_from_frames_takes_a_units_frame_and_checks_it():
    units = pd.DataFrame({"id": UNITS, "name_zh": UNITS, "name_en": ["Beijing", "Shanghai", "Jiangsu", "Zhejiang",
                                                                      "Anhui"],
                          "group": ["north", "east", "east", "east", "east"]})
    r = evalkit.score(evalkit.from_frames(_frame(), TREE, WEIGHTS, units, columns={"unit": "省份", "year": "时间"}))
    assert r.inputs.units.label("上海市", "en") == "Shanghai 上海市"
    with pytest.raises(UserError) as e:
        evalkit.from_frames(_frame(), TREE, WEIGHTS, units.assign(group=["", "e", "e", "e", "e"]),
                            columns={"unit": "省份", "year": "时间"})
    assert e.value.lines()[0].startswith("units[row 0]: unit 北京市 北京市 has no group")


def test_sensitivity_is_public_api():
    r = evalkit.score(evalkit.from_frames(_frame(), TREE, WEIGHTS, columns={"unit": "省份", "year": "时间"},
                                          sensitivity={"weights": {"noise": 0.2}}))
    out = evalkit.sensitivity(r, draws=16, seed=3)
    assert set(out.robustness["unit"]) == set(UNITS)
    lo, hi = out.robustness["rank_p05"], out.robustness["rank_p95"]
    assert ((lo >= 1) & (hi <= len(UNITS)) & (lo <= hi)).all()
    assert "S1" in out.sobol.columns
    again = evalkit.sensitivity(r, draws=16, seed=3)
    pd.testing.assert_frame_equal(out.robustness, again.robustness)  # same seed, same numbers


# --------------------------------------------------------------------------- import table

TABLE = """指标代码,指标名称,英文名称,上级,方向,单位,权重,来源
DE,数字经济发展指数,Digital economy index,,,,,
A,数字基础设施,Infrastructure,DE,,,40,
B,数字产业化,,DE,,,60,
A1,互联网宽带接入端口,Broadband ports,A,正向,万个,0.5,工信部
A2,移动电话普及率,Mobile phones,A,benefit,部/百人,0.5,
B1,电信业务总量,Telecom business,B,正向,亿元,,
B2,单位GDP能耗,Energy per GDP,B,负向,吨标煤/万元,,
"""


def test_import_table_builds_a_tree_and_weights_an_office_can_edit(tmp_path, capsys):
    (tmp_path / "ind.csv").write_text(TABLE, encoding="utf-8")
    assert main(["import", "table", str(tmp_path / "ind.csv"), str(tmp_path / "def")]) == 0
    out = capsys.readouterr().out
    assert "4 indicators under 3 groups; fixed weights at DE, A; every other group: entropy" in out
    assert "1 node(s) had no English name" in out
    problems = Problems()
    tree = load_tree(tmp_path / "def" / "tree.yaml", problems)
    scheme = load_scheme(tmp_path / "def" / "weights.yaml", tree, problems)
    assert not problems.items
    assert tree.root.id == "DE" and [n.id for n in tree.leaves] == ["A1", "A2", "B1", "B2"]
    assert {n.id: n.direction for n in tree.leaves} == {"A1": "benefit", "A2": "benefit", "B1": "benefit",
                                                        "B2": "cost"}
    assert tree.by_id["B"].name.en == "数字产业化" and tree.by_id["A1"].unit == "万个"
    assert scheme.for_node("DE").method == "fixed" and dict(scheme.for_node("DE").weights) == {"A": 0.4, "B": 0.6}
    assert scheme.for_node("B").method == "entropy"
    # the definitions score a values frame straight away
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"unit": list("pqrst"), "year": 2023, **{k: rng.uniform(1, 9, 5) for k in
                                                                ("A1", "A2", "B1", "B2")}})
    r = evalkit.score(evalkit.from_frames(df, tmp_path / "def" / "tree.yaml", tmp_path / "def" / "weights.yaml"))
    assert np.isfinite(r.node_scores("DE")).all()
    assert main(["import", "table", str(tmp_path / "ind.csv"), str(tmp_path / "def")]) == 1  # no overwrite


@pytest.mark.parametrize("edit, expect", [
    (lambda t: t.replace("B1,电信业务总量,Telecom business,B,", "B1,电信业务总量,Telecom business,C,"),
     "ind.csv:7: parent 'C' of B1 is not an id of the table"),
    (lambda t: t.replace("B2,单位GDP能耗,Energy per GDP,B,负向", "B2,单位GDP能耗,Energy per GDP,B,"),
     "ind.csv:8: indicator B2 needs a direction: benefit or cost"),
    (lambda t: t.replace(",0.5,工信部", ",0.6,工信部"),
     "ind.csv:5: the weights of the children of A (rows 5, 6) sum to 1.1, not 1 (or 100)"),
    (lambda t: t.replace("A2,移动电话普及率,Mobile phones,A,benefit,部/百人,0.5,", "A2,移动电话普及率,Mobile phones,A,"
                         "benefit,部/百人,,"), "ind.csv:6: A2 has no weight while other children of A have one"),
    (lambda t: t.replace("A,数字基础设施,Infrastructure,DE,,", "A,数字基础设施,Infrastructure,DE,正向,"),
     "ind.csv:3: A is a group (the parent of row 5, row 6) and has direction '正向'"),
    (lambda t: t + "A1,重复,Dup,A,正向,,,\n", "ind.csv:9: id 'A1' is given twice (first at row 5)"),
    (lambda t: t.replace("指标代码", "编号X"), "ind.csv:1: the indicator table has no id column"),
])
def test_import_table_problems_are_located_by_row(tmp_path, capsys, edit, expect):
    (tmp_path / "ind.csv").write_text(edit(TABLE), encoding="utf-8")
    assert main(["import", "table", str(tmp_path / "ind.csv"), str(tmp_path / "def")]) == 1
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err
    assert not (tmp_path / "def").exists()  # nothing written
    with pytest.raises(UserError):
        import_table(tmp_path / "ind.csv", tmp_path / "def")


def test_import_table_reads_a_workbook_with_percent_weights(tmp_path):
    import io

    df = pd.read_csv(io.StringIO(TABLE), dtype=str, keep_default_na=False)
    df.to_excel(tmp_path / "ind.xlsx", index=False)
    s = import_table(tmp_path / "ind.xlsx", tmp_path / "def", default="equal")
    assert s.fixed_nodes == ("DE", "A") and s.n_indicators == 4
    scheme = yaml.safe_load((tmp_path / "def" / "weights.yaml").read_text(encoding="utf-8"))
    assert scheme["default"] == {"method": "equal"}
    assert scheme["nodes"]["DE"]["weights"] == {"A": 0.4, "B": 0.6}  # 40 and 60 read as percentages
