"""The relations file, relation types and from_network indicators: loading, checks, scoring, tables."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import yaml

import evalkit
from evalkit.analysis.tables import all_tables
from evalkit.errors import UserError
from evalkit.load import load_inputs
from evalkit.panel import IMPUTED

from _projects import leaf, node, write_project

ROOT = Path(__file__).resolve().parents[2]
UNITS = ["A", "B", "C", "D"]
GROUPS = ["P", "P", "Q", "Q"]
YEARS = [2020, 2021, 2022]
RELATIONS = {
    "data_sharing": {"name": {"zh": "数据共享", "en": "Data sharing"}, "directed": True,
                     "unit": {"zh": "次", "en": "exchanges"}},
    "agreements": {"name": {"zh": "合作协议", "en": "Agreements"}, "directed": False},
}
GOOD = """from,to,year,relation,value
A,B,2020,data_sharing,3
B,C,2020,data_sharing,1
C,A,2020,data_sharing,2
A,B,2021,data_sharing,4
B,A,2021,data_sharing,1
C,D,2021,data_sharing,0
A,B,2022,data_sharing,5
A,C,2022,data_sharing,2
A,B,2021,agreements,1
C,B,2021,agreements,2
B,D,2022,agreements,1
"""


def _tree(extra_leaves=()):
    return node("idx",
                node("dom", leaf("x1"), leaf("x2")),
                node("collab",
                     leaf("ds_strength", from_network={"relation": "data_sharing", "measure": "strength"}),
                     leaf("ag_degree", from_network={"relation": "agreements", "measure": "degree"}),
                     *extra_leaves))


def _project(tmp_path: Path, relations_csv: str = GOOD, *, tree=None, relations=RELATIONS,
             data_relations: str | None = "relations.csv", encoding: str = "utf-8") -> Path:
    tree = tree or _tree()
    rng = np.random.default_rng(0)
    values = np.full((4, 3, len(_leaf_ids(tree))), np.nan)
    values[:, :, :2] = rng.random((4, 3, 2)) * 10
    data = {"values": "values.csv", "units": "units.csv"}
    if data_relations:
        data["relations"] = data_relations
    extra = {"relations": relations} if relations is not None else {}
    path = write_project(tmp_path, tree=tree, values=values, units=UNITS, years=YEARS, groups=GROUPS,
                         data=data, **extra)
    (tmp_path / "relations.csv").write_bytes(relations_csv.encode(encoding))
    return path


def _leaf_ids(tree):
    return [tree["id"]] if "children" not in tree else [i for c in tree["children"] for i in _leaf_ids(c)]


def _errors(path: Path) -> list[str]:
    """The problem lines, with the project folder cut from the file names."""
    with pytest.raises(UserError) as e:
        load_inputs(path)
    return [ln.replace(f"{path.parent}/", "") for ln in e.value.lines()]


# --------------------------------------------------------------------------- loading


def test_relations_load_into_weight_matrices(tmp_path):
    inputs = load_inputs(_project(tmp_path))
    rel = inputs.relations
    assert rel.ids == ("data_sharing", "agreements")
    ds, ag = rel.weights
    assert ds[0, 0, 1] == 3 and ds[0, 1, 0] == 0 and ds[1, 1, 0] == 1  # directed: order kept
    assert ag[1, 2, 1] == ag[1, 1, 2] == 2  # undirected: symmetric
    # agreements have no row in 2020: not observed; data sharing in 2021 has a 0 row (C -> D): observed
    np.testing.assert_array_equal(rel.observed, [[True, True, True], [False, True, True]])


def test_network_indicators_fill_the_panel_from_the_measures(tmp_path):
    inputs = load_inputs(_project(tmp_path))
    panel = inputs.panel
    s = panel.values[:, :, panel.column("ds_strength")]
    for t, year in enumerate(YEARS):
        g = nx.DiGraph()
        g.add_nodes_from(UNITS)
        for line in GOOD.splitlines()[1:]:
            a, b, y, rel, v = line.split(",")
            if rel == "data_sharing" and int(y) == year and float(v) > 0:
                g.add_edge(a, b, weight=float(v))
        np.testing.assert_allclose(s[:, t], [g.degree(u, weight="weight") for u in UNITS])
    d = panel.values[:, :, panel.column("ag_degree")]
    assert np.isnan(d[:, 0]).all()  # 2020 not observed: missing, not zero
    np.testing.assert_array_equal(d[:, 1], [1, 2, 1, 0])  # D has no agreement in 2021: 0
    np.testing.assert_array_equal(d[:, 2], [0, 1, 0, 1])


def test_a_network_indicator_scores_like_any_other(tmp_path):
    path = _project(tmp_path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["prepare"] = {"impute": {"chain": ["carry"]}}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = evalkit.score(load_inputs(path))
    j = result.tree.leaf_ids.index("ag_degree")
    assert (result.prepared.flags[:, 0, j] & IMPUTED).all()  # the unobserved year is imputed and flagged
    np.testing.assert_array_equal(result.prepared.x[:, 0, j], result.prepared.x[:, 1, j])
    collab = result.node_scores("collab")
    assert np.isfinite(collab).all()
    # equal weights: the collaboration score is the mean of its two min-max z scores on the scale
    z = result.z[:, :, [result.tree.leaf_ids.index("ds_strength"), j]]
    np.testing.assert_allclose(collab, 100 * z.mean(axis=2))
    steps = [s.step for s in result.log]
    assert steps[:2] == ["network", "prepare"]
    net = result.log[0].params
    assert net["relations"]["agreements"]["years"] == [2021, 2022]
    assert net["indicators"]["ds_strength"] == {"relation": "data_sharing", "measure": "strength"}


def test_tables_of_a_project_with_relations(tmp_path):
    result = evalkit.score(load_inputs(_project(tmp_path)))
    tables = all_tables(result)
    net, units = tables["network"], tables["network-units"]
    assert list(net.columns[:3]) == ["relation", "directed", "year"]
    assert len(net) == 3 + 2  # observed relation-years only
    row = net[(net.relation == "data_sharing") & (net.year == 2020)].iloc[0]
    assert row.ties == 3 and row.density == pytest.approx(3 / 12) and row.weight == 6
    # cross-border: B -> C (1) and C -> A (2) cross P/Q, A -> B (3) does not
    assert row.cross_share == pytest.approx(3 / 6)
    assert row.components == 2 and row.isolates == 1
    assert list(units.columns[:3]) == ["unit", "year", "relation"]
    assert len(units) == 4 * 5
    a20 = units[(units.unit == "A") & (units.year == 2020) & (units.relation == "data_sharing")].iloc[0]
    assert (a20.strength_out, a20.strength_in, a20.cross_strength) == (3, 2, 2)


def test_encodings_bom_and_gb18030(tmp_path):
    csv = GOOD.replace("from,to", "from,to", 1) + "A,B,2020,agreements,1\n"
    for enc in ("utf-8-sig", "gb18030"):
        folder = tmp_path / enc
        rel = load_inputs(_project(folder, csv, encoding=enc)).relations
        assert rel.weights[1, 0, 0, 1] == 1


def test_no_relations_no_network(tmp_path):
    tree = node("idx", node("dom", leaf("x1"), leaf("x2")))
    path = write_project(tmp_path, tree=tree, values=np.random.default_rng(1).random((4, 3, 2)), units=UNITS,
                         years=YEARS)
    inputs = load_inputs(path)
    assert inputs.relations is None and "relations" not in inputs.project.inputs()
    result = evalkit.score(inputs)
    assert "network" not in [s.step for s in result.log]
    assert not {"network", "network-units"} & set(all_tables(result))


# --------------------------------------------------------------------------- problems


def test_every_broken_row_is_located(tmp_path):
    bad = """from,to,year,relation,value
A,B,2020,data_sharing,3
A,Z,2020,data_sharing,1
A,A,2020,data_sharing,1
A,B,2019,data_sharing,1
A,B,20x,data_sharing,1
A,B,2021,data_sharin,1
A,B,2021,data_sharing,-2
A,B,2021,data_sharing,lots
A,B,2021,data_sharing,
A,B,2020,data_sharing,7
C,B,2021,agreements,1
B,C,2021,agreements,1
"""
    lines = _errors(_project(tmp_path, bad))
    got = [ln for ln in lines if ln.startswith("relations.csv:")]
    want = [
        ("relations.csv:3:", "to unit 'Z' is not in the units file"),
        ("relations.csv:4:", "is tied to itself"),
        ("relations.csv:5:", "year 2019 is outside the project's years [2020, 2022]"),
        ("relations.csv:6:", "year '20x' is not a whole number"),
        ("relations.csv:7:", "relation 'data_sharin' is not declared under relations: in the project file "
                             "(did you mean 'data_sharing'?)"),
        ("relations.csv:8:", "value -2 is negative"),
        ("relations.csv:9:", "value 'lots' is not a number"),
        ("relations.csv:10:", "the tie has no value"),
        ("relations.csv:11:", "is given twice (first at row 2)"),
        ("relations.csv:13:", "is given twice (first at row 12) (agreements is undirected"),
    ]
    assert len(got) == len(want), got
    for (where, words) in want:
        assert any(ln.startswith(where) and words in ln for ln in got), (where, words, got)


def test_missing_columns(tmp_path):
    lines = _errors(_project(tmp_path, "from,to,year,value\nA,B,2020,1\n"))
    assert lines[0].startswith("relations.csv:1: the relations file lacks column relation")


@pytest.mark.parametrize("change,words", [
    (dict(relations=None), "data.relations is given but no relation is declared"),
    (dict(data_relations=None), "relations are declared but data has no relations file"),
])
def test_relations_and_their_declaration_go_together(tmp_path, change, words):
    tree = node("idx", node("dom", leaf("x1"), leaf("x2")))
    lines = _errors(_project(tmp_path, tree=tree, **change))
    assert any(words in ln and ln.startswith("evalkit.yaml:") for ln in lines), lines


def _line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in t)


def test_an_undeclared_relation_in_the_tree_is_located(tmp_path):
    tree = _tree([leaf("bad_rel", from_network={"relation": "trade", "measure": "strength"})])
    lines = _errors(_project(tmp_path, tree=tree))
    line = _line_of(tmp_path / "tree.yaml", "relation: trade")
    assert any(ln.startswith(f"tree.yaml:{line}:") and "names relation 'trade', which the project does not "
               "declare" in ln for ln in lines), lines


def test_an_unknown_measure_is_located(tmp_path):
    tree = _tree([leaf("bad_measure", from_network={"relation": "agreements", "measure": "strenght"})])
    lines = _errors(_project(tmp_path, tree=tree))
    line = _line_of(tmp_path / "tree.yaml", "measure: strenght")
    assert any(ln.startswith(f"tree.yaml:{line}:") and "did you mean 'strength'" in ln for ln in lines), lines


def test_from_network_without_relations(tmp_path):
    lines = _errors(_project(tmp_path, relations=None, data_relations=None))
    assert any("takes its values from relation 'data_sharing', but the project has no relations" in ln
               for ln in lines), lines


def test_a_network_indicator_in_the_values_file_is_refused(tmp_path):
    path = _project(tmp_path)
    with open(tmp_path / "values.csv", "a", encoding="utf-8") as f:
        f.write("A,2020,ds_strength,3\n")
    lines = _errors(path)
    assert any(ln.startswith("values.csv:") and "takes its values from the relations file" in ln
               for ln in lines), lines


# --------------------------------------------------------------------------- the demo's 跨域协同 domain


def test_the_demo_scores_the_collaboration_domain():
    result = evalkit.score(evalkit.load_project(None))
    collab = result.node_scores("collab")
    assert collab.shape == (41, 6) and np.isfinite(collab).all()
    root = result.node_scores("dgpi")
    assert np.isfinite(root).all() and ((0 <= root) & (root <= 100)).all()
    # cross-province services start in 2020: their 2019 is missing in the data, then imputed and flagged
    j = result.tree.leaf_ids.index("collab_services_handled")
    assert np.isnan(result.prepared.x_raw[:, 0, j]).all()
    assert (result.prepared.flags[:, 0, j] & IMPUTED).all()
    tables = all_tables(result)
    assert set(tables["network"].relation) == {"data_sharing", "cross_province_services", "joint_agreements"}
    assert 2019 not in set(tables["network"].query("relation == 'cross_province_services'").year)
    # the synthetic calibration: Shanghai, the hub, leads; Anhui's cities trail on average (2024)
    units = list(result.units)
    assert int(np.argmax(collab[:, -1])) == units.index("310000")
    groups = np.array([u[:2] for u in units])
    assert collab[groups == "34", -1].mean() < min(collab[groups == g, -1].mean() for g in ("32", "33"))


def test_the_demo_collaboration_domain_mixes_values_and_network_leaves():
    tree = yaml.safe_load((ROOT / "indicators" / "digital_governance.yaml").read_text(encoding="utf-8"))
    collab = tree["children"][-1]
    assert collab["id"] == "collab" and collab["name"]["zh"] == "跨域协同"
    assert [s["stage"] for s in collab["children"]] == ["input", "process", "output", "outcome"]
    leaves = [leaf for s in collab["children"] for leaf in s["children"]]
    network = {leaf["id"] for leaf in leaves if "from_network" in leaf}
    valued = {leaf["id"] for leaf in leaves} - network
    assert len(network) == 5 and len(valued) == 5
    with open(ROOT / "data" / "demo" / "values.csv", encoding="utf-8") as f:
        in_file = {line.split(",")[2] for line in f}
    assert valued <= in_file and not network & in_file


def test_network_indicators_are_not_collected(tmp_path):
    from evalkit.collect import collectable

    items = collectable(load_inputs(_project(tmp_path)).tree)
    assert [i.id for i in items] == ["x1", "x2"]


def test_a_network_indicator_of_a_relation_without_rows(tmp_path):
    only_ds = "\n".join(ln for ln in GOOD.splitlines() if "agreements" not in ln) + "\n"
    lines = _errors(_project(tmp_path, only_ds))
    line = _line_of(tmp_path / "tree.yaml", "relation: agreements")
    assert any(ln.startswith(f"tree.yaml:{line}:") and "which has no row in the relations file" in ln
               for ln in lines), lines


def test_a_workbook_and_the_row_order_give_the_same_ties(tmp_path):
    import pandas as pd

    csv_inputs = load_inputs(_project(tmp_path / "csv"))
    folder = tmp_path / "xlsx"
    path = _project(folder)
    rows = pd.read_csv(folder / "relations.csv", dtype=str).iloc[::-1]  # reversed row order
    rows.to_excel(folder / "relations.xlsx", index=False)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["data"]["relations"] = "relations.xlsx"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    xlsx_inputs = load_inputs(path)
    np.testing.assert_array_equal(xlsx_inputs.relations.weights, csv_inputs.relations.weights)
    np.testing.assert_array_equal(xlsx_inputs.panel.values, csv_inputs.panel.values)
    # a broken cell in the workbook is located by its spreadsheet row
    rows.iloc[2, 4] = "-1"
    rows.to_excel(folder / "relations.xlsx", index=False)
    lines = _errors(path)
    assert any(ln.startswith("relations.xlsx:4:") and "negative" in ln for ln in lines), lines


def test_init_copies_the_demo_relations_file(tmp_path):
    from evalkit.run import init_project

    proj = init_project(tmp_path / "p")
    copied = tmp_path / "p" / "data" / "relations.csv"
    assert copied.read_bytes() == (ROOT / "data" / "demo" / "relations.csv").read_bytes()
    assert "  relations: data/relations.csv" in proj.read_text(encoding="utf-8").splitlines()
    inputs = evalkit.load_project(proj)  # the copy loads on its own, network leaves included
    assert "collab_data_exchange" in inputs.tree.leaf_ids
