"""The pipeline on small projects written to a temp dir: hand-worked numbers, the
entropy vectors end to end, missing values, output columns and edge cases.

Source: docs/methods.md (entropy, ahp, combined); docs/architecture.md ("The step log and
what-if"); docs/methods.md#entropy, panel and hierarchical use (vectors/entropy_panel.json,
vectors/entropy_hierarchical.json).
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _projects import leaf, load, node

import evalkit
from evalkit.errors import UserError
from evalkit.output import write_csv

VECTORS = Path(__file__).resolve().parents[1] / "vectors"

RESULTS_COLUMNS = ["unit", "year", "node", "score", "rank", "group_rank"]
WEIGHTS_COLUMNS = ["node", "parent", "method", "local_weight", "global_weight", "cr", "ri_table", "year"]


def vector(name: str) -> dict:
    with open(VECTORS / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)["cases"][0]


def score_of(r, unit: str, year: int, node_id: str) -> float:
    return float(r.scores[r.units.index(unit), r.years.index(year), r.tree.index[node_id]])


def weights_by_node(r) -> pd.DataFrame:
    return r.weights_frame().set_index("node")


# =========================================================================== hand-worked project
#
# idx = 0.6 A + 0.4 B;  A = 0.75 a1 + 0.25 a2 (a2 a cost);  B = equal(b1, b2)
# units u1, u2 (group G1), u3 (group G2); years 2020, 2021; minmax over the panel, scale 0-100.
#
#            a1 (0..10)   a2 cost (20..60)   b1 (1..5)   b2 (100..500)
# u1 2020        0             20                1           100
# u1 2021       10             40                2           200
# u2 2020        5             40                3           300
# u2 2021        5             20                4           500
# u3 2020       10             60                5           500
# u3 2021        0             20                1           100
#
# z: a1 = x/10, a2 = (60 - x)/40, b1 = (x - 1)/4, b2 = (x - 100)/400.

HAND_TREE = node("idx", node("A", leaf("a1"), leaf("a2", "cost")), node("B", leaf("b1"), leaf("b2")))
HAND_X = np.array([
    [[0, 20, 1, 100], [10, 40, 2, 200]],
    [[5, 40, 3, 300], [5, 20, 4, 500]],
    [[10, 60, 5, 500], [0, 20, 1, 100]],
], dtype=float)
HAND_SCHEME = {
    "default": {"method": "equal"},
    "nodes": {
        "idx": {"method": "fixed", "weights": {"A": 0.6, "B": 0.4}},
        "A": {"method": "fixed", "weights": {"a1": 0.75, "a2": 0.25}},
    },
}
# expected scores on 0-100, [unit][year] per node
HAND_SCORES = {
    "a1": [[0, 100], [50, 50], [100, 0]],
    "a2": [[100, 50], [50, 100], [0, 100]],
    "b1": [[0, 25], [50, 75], [100, 0]],
    "b2": [[0, 25], [50, 100], [100, 0]],
    "A": [[25, 87.5], [50, 62.5], [75, 25]],  # 0.75 a1 + 0.25 a2
    "B": [[0, 25], [50, 87.5], [100, 0]],  # (b1 + b2) / 2
    "idx": [[15, 62.5], [50, 72.5], [85, 15]],  # 0.6 A + 0.4 B
}


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    inputs = load(tmp_path_factory.mktemp("hand"), tree=HAND_TREE, values=HAND_X, units=["u1", "u2", "u3"],
                  years=[2020, 2021], scheme=HAND_SCHEME, groups=["G1", "G1", "G2"],
                  grades={"A": 80, "B": 60, "C": 0})
    return evalkit.score(inputs)


@pytest.mark.parametrize("node_id", list(HAND_SCORES))
def test_hand_worked_score_of_every_node(hand, node_id):
    got = hand.node_scores(node_id)
    np.testing.assert_allclose(got, np.array(HAND_SCORES[node_id], float), rtol=0, atol=1e-9)


def test_hand_worked_node_axis_is_post_order(hand):
    assert hand.node_ids == ("a1", "a2", "A", "b1", "b2", "B", "idx")
    assert hand.scores.shape == (3, 2, 7)


def test_hand_worked_local_and_global_weights(hand):
    wf = weights_by_node(hand)
    local = {"idx": 1, "A": 0.6, "B": 0.4, "a1": 0.75, "a2": 0.25, "b1": 0.5, "b2": 0.5}
    glob = {"idx": 1, "A": 0.6, "B": 0.4, "a1": 0.45, "a2": 0.15, "b1": 0.2, "b2": 0.2}
    for nid, lw in local.items():
        assert wf.loc[nid, "local_weight"] == pytest.approx(lw, abs=1e-12)
        assert wf.loc[nid, "global_weight"] == pytest.approx(glob[nid], abs=1e-12)
        k = hand.tree.index[nid]
        assert hand.local_weight[k] == pytest.approx(lw, abs=1e-12)
        assert hand.global_weight[k] == pytest.approx(glob[nid], abs=1e-12)
    assert wf.loc["A", "method"] == "fixed" and wf.loc["b1", "method"] == "equal"
    # the global weights of the leaves sum to 1
    assert sum(glob[i] for i in ("a1", "a2", "b1", "b2")) == pytest.approx(1.0)


def test_hand_worked_ranks_with_ties(hand):
    ranks = hand.ranks()
    idx, a2 = hand.tree.index["idx"], hand.tree.index["a2"]
    # idx 2020: 15, 50, 85 -> 3, 2, 1; 2021: 62.5, 72.5, 15 -> 2, 1, 3
    assert ranks[:, 0, idx].tolist() == [3, 2, 1]
    assert ranks[:, 1, idx].tolist() == [2, 1, 3]
    # a2 2021: 50, 100, 100 -> the tie shares the best rank: 3, 1, 1
    assert ranks[:, 1, a2].tolist() == [3, 1, 1]


def test_hand_worked_group_ranks(hand):
    g = hand.ranks(by="group")
    idx, a2 = hand.tree.index["idx"], hand.tree.index["a2"]
    # G1 = {u1, u2}; G2 = {u3} is always first in its group
    assert g[:, 0, idx].tolist() == [2, 1, 1]
    assert g[:, 1, idx].tolist() == [2, 1, 1]
    assert g[:, 1, a2].tolist() == [2, 1, 1]
    df = hand.to_frame().set_index(["unit", "year", "node"])
    assert df.loc[("u3", 2020, "idx"), "rank"] == 1 and df.loc[("u3", 2021, "idx"), "group_rank"] == 1
    assert df.loc[("u1", 2021, "idx"), "group_rank"] == 2


def test_hand_worked_grades(hand):
    df = hand.to_frame().set_index(["unit", "year", "node"])
    # A >= 80, B >= 60, C >= 0
    assert [df.loc[(u, 2020, "idx"), "grade"] for u in ("u1", "u2", "u3")] == ["C", "C", "A"]
    assert [df.loc[(u, 2021, "idx"), "grade"] for u in ("u1", "u2", "u3")] == ["B", "B", "C"]
    assert df.loc[("u1", 2021, "A"), "grade"] == "A"  # 87.5


def test_hand_worked_results_frame_has_every_unit_year_node(hand):
    df = hand.to_frame()
    assert len(df) == 3 * 2 * 7
    assert not df.duplicated(["unit", "year", "node"]).any()
    row = df[(df.unit == "u2") & (df.year == 2021) & (df.node == "idx")].iloc[0]
    assert row.score == pytest.approx(72.5, abs=1e-9) and row["rank"] == 1


def test_ranks_ties_share_the_best_rank_1_2_2_4(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"))
    x = np.array([[[10, 1]], [[5, 1]], [[5, 1]], [[0, 1]]], float)  # b constant: a decides
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=["p", "q", "r", "s"], years=[2020]))
    for nid in ("a", "idx"):
        assert r.ranks()[:, 0, r.tree.index[nid]].tolist() == [1, 2, 2, 4]
    df = r.to_frame()
    assert df[df.node == "idx"]["rank"].tolist() == [1, 2, 2, 4]


# =========================================================================== vectors end to end

DOMAINS = ["G", "T", "H", "E", "V"]


def _hier_project(tmp_path, *, root_scheme=None, flat=False):
    c = vector("entropy_hierarchical")
    inds = c["inputs"]["indicators"]
    codes = [i["code"] for i in inds]
    direction = {i["code"]: ("benefit" if i["direction"] == "+" else "cost") for i in inds}
    if flat:
        tree = node("idx", *(leaf(code, direction[code]) for code in codes))
    else:
        tree = node("idx", *(node(d, *(leaf(code, direction[code]) for code in codes if code[0] == d))
                             for d in DOMAINS))
    x = np.array(c["inputs"]["X"], float)[:, None, :]  # 8 cities x 1 year x 10 indicators
    scheme = {"default": {"method": "entropy"}}
    if root_scheme:
        scheme["nodes"] = {"idx": root_scheme}
    units = [f"c{i}" for i in range(8)]
    groups = c["inputs"]["province"]
    inputs = load(tmp_path, tree=tree, values=x, units=units, years=[2023], scheme=scheme, groups=groups,
                  scale=[0, 1])
    return c, evalkit.score(inputs)


def test_entropy_hierarchical_two_stage_end_to_end(tmp_path):
    c, r = _hier_project(tmp_path)
    tol = c["tolerance"]["abs"]
    exp = c["expected"]["two_stage"]
    codes = [i["code"] for i in c["inputs"]["indicators"]]
    wf = weights_by_node(r)
    np.testing.assert_allclose(wf.loc[codes, "local_weight"], exp["w_local_within_domain"], rtol=0, atol=tol)
    np.testing.assert_allclose(wf.loc[DOMAINS, "local_weight"], exp["w_domain"], rtol=0, atol=tol)
    np.testing.assert_allclose(wf.loc[codes, "global_weight"], exp["w_global"], rtol=0, atol=tol)
    np.testing.assert_allclose(wf.loc[DOMAINS, "global_weight"], exp["w_domain"], rtol=0, atol=tol)
    # domain scores U (scale [0, 1]): one year
    u = np.stack([r.node_scores(d)[:, 0] for d in DOMAINS], axis=1)
    np.testing.assert_allclose(u, np.array(exp["U_domain_scores"]), rtol=0, atol=tol)
    assert set(wf.loc[codes + DOMAINS, "method"]) == {"entropy"}
    # the root: weights from the re-standardised U, applied to U itself
    np.testing.assert_allclose(r.node_scores("idx")[:, 0], u @ np.array(exp["w_domain"]), rtol=0, atol=tol)


def test_entropy_hierarchical_flat_scheme_end_to_end(tmp_path):
    c, r = _hier_project(tmp_path, flat=True)
    tol = c["tolerance"]["abs"]
    codes = [i["code"] for i in c["inputs"]["indicators"]]
    wf = weights_by_node(r)
    np.testing.assert_allclose(wf.loc[codes, "global_weight"], c["expected"]["flat"]["w_indicator"], rtol=0,
                               atol=tol)


def test_entropy_hierarchical_flat_weights_as_a_tree_with_domain_sums(tmp_path):
    """The flat scheme expressed on the domain tree: fixed root weights = sums of the flat w_j,
    entropy within domains (the identity of docs/methods.md#entropy, hierarchical use) gives the flat global weights."""
    c = vector("entropy_hierarchical")
    flat = c["expected"]["flat"]
    ws = flat["w_domain_sum"]
    root = {"method": "fixed", "weights": {d: w for d, w in zip(DOMAINS, ws)}}
    c, r = _hier_project(tmp_path, root_scheme=root)
    codes = [i["code"] for i in c["inputs"]["indicators"]]
    wf = weights_by_node(r)
    tol = c["tolerance"]["abs"]
    np.testing.assert_allclose(wf.loc[codes, "local_weight"], flat["w_local_within_domain"], rtol=0, atol=tol)
    np.testing.assert_allclose(wf.loc[codes, "global_weight"], flat["w_indicator"], rtol=0, atol=tol)


@pytest.mark.parametrize("variant", ["zero_convention", "shift_1e-4"])
def test_entropy_panel_end_to_end(tmp_path, variant):
    c = vector("entropy_panel")
    inp = c["inputs"]
    dirs = ["benefit" if d == "+" else "cost" for d in inp["directions"]]
    tree = node("idx", *(leaf(code, d) for code, d in zip(inp["indicators"], dirs)))
    x = np.transpose(np.array(inp["X_year_city_indicator"], float), (1, 0, 2))  # -> city x year x indicator
    root = {"method": "entropy"} if variant == "zero_convention" else {"method": "entropy", "shift": 0.0001}
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=[f"c{i}" for i in range(8)],
                           years=inp["years"], scheme={"default": root}))
    exp = c["expected"][variant]
    tol = c["tolerance"]["abs"]
    wf = weights_by_node(r)
    np.testing.assert_allclose(wf.loc[inp["indicators"], "local_weight"], exp["w"], rtol=0, atol=tol)
    np.testing.assert_allclose(r.weighting["idx"].details["e"], exp["e"], rtol=0, atol=tol)
    np.testing.assert_allclose(r.weighting["idx"].details["d"], exp["d"], rtol=0, atol=tol)
    # panel scores per year: year x city in the vector; scores rise from year to year
    got = r.node_scores("idx").T
    np.testing.assert_allclose(got, np.array(exp["score_0_100"]), rtol=0, atol=1e-9)
    assert (np.diff(got, axis=0) > 0).all()
    # leaf scores are the panel min-max z (year-major rows in the vector)
    z = np.array(c["expected"]["Z_flat_rows_year_major"]).reshape(3, 8, 5).transpose(1, 0, 2)
    np.testing.assert_allclose(r.z, z, rtol=0, atol=tol)


# =========================================================================== missing values

MISS_TREE = node("idx", node("A", leaf("a1"), leaf("a2"), leaf("a3")), node("B", leaf("b1")))


def _miss_values():
    x = np.array([
        [[0, 0, 0, 0]],
        [[10, 10, 10, 10]],
        [[4, 6, np.nan, 5]],  # one of three equal children missing: share 2/3 passes
        [[4, np.nan, np.nan, 5]],  # two missing: share 1/3 -> A missing
    ], float)
    return x


def test_missing_child_is_left_out_and_weights_renormalised(tmp_path):
    r = evalkit.score(load(tmp_path, tree=MISS_TREE, values=_miss_values(), units=list("pqrs"), years=[2020]))
    a = r.tree.index["A"]
    assert r.scores[2, 0, a] == pytest.approx(50.0)  # (40 + 60) / 2
    assert r.present_share[2, 0, a] == pytest.approx(2 / 3)
    assert r.present_share[1, 0, a] == pytest.approx(1.0)
    assert r.present_share[2, 0, r.tree.index["a3"]] == 0
    assert np.isnan(r.scores[2, 0, r.tree.index["a3"]])


def test_missing_below_two_thirds_share_makes_the_node_missing(tmp_path):
    r = evalkit.score(load(tmp_path, tree=MISS_TREE, values=_miss_values(), units=list("pqrs"), years=[2020]))
    a, idx = r.tree.index["A"], r.tree.index["idx"]
    assert np.isnan(r.scores[3, 0, a])
    assert r.present_share[3, 0, a] == pytest.approx(1 / 3)
    # at the root A is missing (half the weight): the root is missing too, and has no rank
    assert np.isnan(r.scores[3, 0, idx])
    assert r.present_share[3, 0, idx] == pytest.approx(0.5)
    assert np.isnan(r.ranks()[3, 0, idx])
    df = r.to_frame().set_index(["unit", "node"])
    assert pd.isna(df.loc[("s", "idx"), "rank"]) and pd.isna(df.loc[("s", "idx"), "score"])
    assert df.loc[("r", "idx"), "rank"] == 2
    # B is present: the unit is still scored there
    assert r.scores[3, 0, r.tree.index["B"]] == pytest.approx(50.0)


def test_missing_min_share_is_configurable(tmp_path):
    r = evalkit.score(load(tmp_path, tree=MISS_TREE, values=_miss_values(), units=list("pqrs"), years=[2020],
                           aggregate={"method": "arithmetic", "min_share": 0.3}))
    a, idx = r.tree.index["A"], r.tree.index["idx"]
    assert r.scores[3, 0, a] == pytest.approx(40.0)  # a1 alone
    assert r.scores[3, 0, idx] == pytest.approx(45.0)  # (40 + 50) / 2


def test_imputed_share_and_provisional_columns(tmp_path):
    tree = node("idx", node("A", leaf("a1"), leaf("a2")), node("B", leaf("b1"), leaf("b2")))
    x = np.array([[[0, 0, 0, 0], [2, 2, 2, 2]], [[10, 10, 10, 10], [np.nan, 8, 8, 8]],
                  [[5, 5, 5, 5], [6, 6, 6, 6]]], float)
    status = np.full(x.shape, "", dtype=object)
    status[2, 1, 3] = "provisional"  # u2 2021 b2
    scheme = {"default": {"method": "equal"}, "nodes": {"idx": {"method": "fixed", "weights": {"A": 0.8, "B": 0.2}}}}
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=["u0", "u1", "u2"], years=[2020, 2021],
                           scheme=scheme, status=status, prepare={"impute": {"chain": ["carry"]}}))
    df = r.to_frame().set_index(["unit", "year", "node"])
    # u1 2021 a1 carried forward from 2020 (10): imputed
    assert r.prepared.x[1, 1, 0] == 10
    assert df.loc[("u1", 2021, "a1"), "imputed_share"] == 1.0
    assert df.loc[("u1", 2021, "a2"), "imputed_share"] == 0.0
    assert df.loc[("u1", 2021, "A"), "imputed_share"] == pytest.approx(0.5)  # 0.4 of 0.8
    assert df.loc[("u1", 2021, "idx"), "imputed_share"] == pytest.approx(0.4)
    assert df.loc[("u1", 2020, "idx"), "imputed_share"] == 0.0
    assert df.loc[("u1", 2021, "B"), "imputed_share"] == 0.0
    # provisional: the cell, its parent and the root; nothing else
    prov = df["provisional"]
    assert set(prov[prov].index) == {("u2", 2021, "b2"), ("u2", 2021, "B"), ("u2", 2021, "idx")}
    assert df["provisional"].dtype == bool


# =========================================================================== output columns


def test_results_csv_columns_as_spec(hand, tmp_path):
    write_csv(hand.to_frame(), tmp_path / "results.csv")
    raw = (tmp_path / "results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfunit,")  # UTF-8 with a BOM, for Excel on Chinese Windows
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:6] == RESULTS_COLUMNS
    assert header[6:] == ["grade", "imputed_share", "provisional", "coverage"]
    back = pd.read_csv(tmp_path / "results.csv", dtype={"unit": str})
    # round-trip exact scores; ranks from the scores as written
    np.testing.assert_array_equal(back["score"].to_numpy(), hand.to_frame()["score"].to_numpy())
    assert back["rank"].tolist() == hand.to_frame()["rank"].tolist()


def test_results_without_grades_have_no_grade_column(tmp_path):
    r = evalkit.score(load(tmp_path, tree=HAND_TREE, values=HAND_X, units=["u1", "u2", "u3"], years=[2020, 2021]))
    assert list(r.to_frame().columns) == RESULTS_COLUMNS + ["imputed_share", "provisional", "coverage"]


AHP_SCHEME = {
    "default": {"method": "entropy"},
    "nodes": {
        "idx": {"method": "ahp", "judgments": [["A", "B", 3]]},
        "A": {"method": "combined", "subjective": {"method": "ahp", "judgments": [["a1", "a2", 2]]},
              "objective": {"method": "entropy"}, "rule": "linear", "alpha": 0.5},
    },
}


def test_weights_csv_columns_and_rows_as_spec(tmp_path):
    r = evalkit.score(load(tmp_path / "p", tree=HAND_TREE, values=HAND_X, units=["u1", "u2", "u3"],
                           years=[2020, 2021], scheme=AHP_SCHEME))
    write_csv(r.weights_frame(), tmp_path / "weights.csv")
    text = (tmp_path / "weights.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[0].split(",") == WEIGHTS_COLUMNS
    back = pd.read_csv(tmp_path / "weights.csv", keep_default_na=False, dtype=str).set_index("node")
    assert list(back.index) == ["idx", "A", "a1", "a2", "B", "b1", "b2"]  # one row per node, tree order
    # the root: empty parent and method, weights 1, no cr
    root = back.loc["idx"]
    assert (root.parent, root.method, root.cr, root.ri_table) == ("", "", "", "")
    assert float(root.local_weight) == 1.0 and float(root.global_weight) == 1.0
    # AHP-derived rows carry the parent's CR and table, repeated on each sibling
    for nid in ("A", "B"):
        assert back.loc[nid, "method"] == "ahp"
        assert back.loc[nid, "ri_table"] == "cn_textbook"
        assert float(back.loc[nid, "cr"]) == pytest.approx(0.0, abs=1e-12)  # n = 2: always consistent
    assert float(back.loc["A", "local_weight"]) == pytest.approx(0.75)
    # combined: combined:<rule>, the CR of its subjective AHP part
    for nid in ("a1", "a2"):
        assert back.loc[nid, "method"] == "combined:linear"
        assert back.loc[nid, "ri_table"] == "cn_textbook"
        assert back.loc[nid, "cr"] != ""
    # entropy rows: no cr, no table
    for nid in ("b1", "b2"):
        assert (back.loc[nid, "method"], back.loc[nid, "cr"], back.loc[nid, "ri_table"]) == ("entropy", "", "")
    # numbers round-trip exact
    assert float(back.loc["b1", "global_weight"]) == r.global_weight[r.tree.index["b1"]]


# =========================================================================== edge cases


def test_constant_indicator_warns_and_gets_the_middle_of_the_scale(tmp_path):
    tree = node("idx", leaf("a"), leaf("k"))
    x = np.array([[[1, 7], [2, 7]], [[3, 7], [4, 7]]], float)
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=["p", "q"], years=[2020, 2021],
                           scheme={"default": {"method": "entropy"}}))
    assert np.all(r.node_scores("k") == 50.0)
    warns = [p for p in r.notes if p.code == "constant-indicator"]
    assert len(warns) == 1 and "'k'" in warns[0].message and warns[0].severity == "warning"
    assert warns[0].pos.file.endswith("tree.yaml") and warns[0].pos.line > 1
    # entropy: a constant child has d = 0, so weight 0; the root is the other child
    assert r.local_weight[r.tree.index["k"]] == 0.0
    np.testing.assert_allclose(r.node_scores("idx"), r.node_scores("a"), atol=1e-12)


def test_constant_indicator_on_another_scale_gets_its_middle(tmp_path):
    tree = node("idx", leaf("a"), leaf("k"))
    x = np.array([[[1, 7]], [[3, 7]]], float)
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=["p", "q"], years=[2020], scale=[1, 5]))
    assert np.all(r.node_scores("k") == 3.0)
    assert r.node_scores("idx").tolist() == [[2.0], [4.0]]


def test_all_missing_unit(tmp_path):
    x = HAND_X.copy()
    x = np.concatenate([x, np.full((1, 2, 4), np.nan)], axis=0)
    r = evalkit.score(load(tmp_path, tree=HAND_TREE, values=x, units=["u1", "u2", "u3", "u4"],
                           years=[2020, 2021], scheme=HAND_SCHEME))
    assert np.isnan(r.scores[3]).all()
    assert np.isnan(r.ranks()[3]).all() and np.isnan(r.ranks(by="group")[3]).all()
    # the others are scored as without it
    np.testing.assert_allclose(r.node_scores("idx")[:3], HAND_SCORES["idx"], atol=1e-9)
    assert r.ranks()[:3, 0, r.tree.index["idx"]].tolist() == [3, 2, 1]
    df = r.to_frame()
    assert df[df.unit == "u4"]["rank"].isna().all()
    assert (df[df.unit == "u4"]["imputed_share"] == 0).all()


def test_all_missing_unit_is_left_out_of_entropy_weights(tmp_path):
    x = np.concatenate([HAND_X, np.full((1, 2, 4), np.nan)], axis=0)
    scheme = {"default": {"method": "entropy"}}
    with_gap = evalkit.score(load(tmp_path / "a", tree=HAND_TREE, values=x, units=["u1", "u2", "u3", "u4"],
                                  years=[2020, 2021], scheme=scheme))
    without = evalkit.score(load(tmp_path / "b", tree=HAND_TREE, values=HAND_X, units=["u1", "u2", "u3"],
                                 years=[2020, 2021], scheme=scheme))
    np.testing.assert_allclose(with_gap.local_weight, without.local_weight, rtol=0, atol=1e-12)
    np.testing.assert_allclose(with_gap.scores[:3], without.scores, rtol=0, atol=1e-9)


def test_single_unit(tmp_path):
    tree = node("idx", leaf("a"), leaf("b", "cost"))
    x = np.array([[[1, 10], [3, 5]]], float)  # one unit, two years: minmax over the panel still varies
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=["solo"], years=[2020, 2021],
                           scheme={"default": {"method": "entropy"}}))
    assert r.node_scores("a").tolist() == [[0.0, 100.0]]
    assert r.node_scores("b").tolist() == [[0.0, 100.0]]
    np.testing.assert_allclose(r.local_weight[[r.tree.index["a"], r.tree.index["b"]]], [0.5, 0.5])
    np.testing.assert_allclose(r.node_scores("idx"), [[0.0, 100.0]], atol=1e-9)
    assert (r.ranks() == 1).all()


def test_single_unit_single_year_is_constant_everywhere(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"))
    r = evalkit.score(load(tmp_path, tree=tree, values=np.array([[[1.0, 2.0]]]), units=["solo"], years=[2020],
                           scheme={"default": {"method": "entropy"}}))
    assert np.all(r.scores == 50.0)
    assert {p.code for p in r.notes} == {"constant-indicator"}
    np.testing.assert_allclose(r.local_weight, 1.0 / np.array([2, 2, 1]))  # all constant: equal weights


def test_single_year(tmp_path):
    r = evalkit.score(load(tmp_path, tree=HAND_TREE, values=HAND_X[:, :1], units=["u1", "u2", "u3"],
                           years=[2020], scheme=HAND_SCHEME))
    # 2020 alone: a1 0, 5, 10; a2 20, 40, 60 (cost); b1 1, 3, 5; b2 100, 300, 500
    np.testing.assert_allclose(r.node_scores("A")[:, 0], [25, 50, 75], atol=1e-9)
    np.testing.assert_allclose(r.node_scores("idx")[:, 0], [15, 50, 85], atol=1e-9)
    assert r.years == (2020,)


@pytest.mark.parametrize("method", ["equal", "entropy", "critic", "cv"])
def test_node_with_one_child(tmp_path, method):
    tree = node("idx", node("solo", leaf("a")), leaf("b"))
    x = np.array([[[1, 4]], [[2, 6]], [[4, 5]]], float)
    r = evalkit.score(load(tmp_path, tree=tree, values=x, units=["p", "q", "r"], years=[2020],
                           scheme={"default": {"method": method}}))
    assert r.local_weight[r.tree.index["a"]] == pytest.approx(1.0)
    np.testing.assert_allclose(r.node_scores("solo"), r.node_scores("a"), atol=1e-12)


def _flat(n: int) -> dict:
    return node("idx", *(leaf(f"k{i:02d}") for i in range(n)))


def _flat_values(n: int, units: int = 3) -> np.ndarray:
    rng = np.random.default_rng(n)
    return rng.uniform(0, 100, size=(units, 1, n))


def test_ahp_with_one_child(tmp_path):
    r = evalkit.score(load(tmp_path, tree=node("idx", node("only", leaf("a"), leaf("b"))), values=_flat_values(2),
                           units=list("pqr"), years=[2020],
                           scheme={"default": {"method": "equal"},
                                   "nodes": {"idx": {"method": "ahp", "judgments": []}}}))
    nw = r.weighting["idx"]
    assert nw.w.tolist() == [1.0] and nw.cr == 0.0 and nw.ri_table == "cn_textbook"
    np.testing.assert_allclose(r.node_scores("idx"), r.node_scores("only"), atol=1e-12)


def test_ahp_with_two_children(tmp_path):
    r = evalkit.score(load(tmp_path, tree=_flat(2), values=_flat_values(2), units=list("pqr"), years=[2020],
                           scheme={"nodes": {"idx": {"method": "ahp", "judgments": [["k01", "k00", 3]]}}}))
    nw = r.weighting["idx"]
    np.testing.assert_allclose(nw.w, [0.25, 0.75], atol=1e-12)
    assert nw.cr == pytest.approx(0.0, abs=1e-12)
    assert nw.lambda_max == pytest.approx(2.0)


def test_ahp_with_fifteen_children(tmp_path):
    """A consistent 15 x 15 matrix a_ij = v_i / v_j with v_i = (i + 2)/2 in 1..8: w ∝ v, CR 0, RI 1.59."""
    n = 15
    v = [Fraction(i + 2, 2) for i in range(n)]
    judg = [[f"k{i:02d}", f"k{j:02d}", str(v[i] / v[j])] for i in range(n) for j in range(i + 1, n)]
    r = evalkit.score(load(tmp_path, tree=_flat(n), values=_flat_values(n), units=list("pqr"), years=[2020],
                           scheme={"nodes": {"idx": {"method": "ahp", "judgments": judg}}}))
    nw = r.weighting["idx"]
    vv = np.array([float(x) for x in v])
    np.testing.assert_allclose(nw.w, vv / vv.sum(), atol=1e-9)
    assert nw.cr == pytest.approx(0.0, abs=1e-9)
    assert nw.lambda_max == pytest.approx(15.0, abs=1e-9)
    assert len(r.weights_frame()) == 16


INCONSISTENT = [["a", "b", 9], ["b", "c", 9], ["c", "a", 9]]


def test_inconsistent_ahp_is_a_user_error_naming_the_node_and_judgments(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    inputs = load(tmp_path, tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
                  scheme={"nodes": {"idx": {"method": "ahp", "judgments": INCONSISTENT}}})
    with pytest.raises(UserError) as ei:
        evalkit.score(inputs)
    problems = ei.value.problems
    assert len(problems) == 1
    p = problems[0]
    assert p.code == "ahp-inconsistent" and p.severity == "error"
    assert "'idx'" in p.message and "CR" in p.message and "cn_textbook" in p.message
    assert p.pos.file.endswith("scheme.yaml")
    # the judgments most out of line, each with its line in scheme.yaml
    lines = (tmp_path / "scheme.yaml").read_text(encoding="utf-8").splitlines()
    assert "[a, b, 9] (line" in p.message
    named = re.findall(r"(\[[^\]]+\]) \(line (\d+)\)", p.message)
    assert len(named) == 3  # a cycle: all three are equally out of line
    for text, line in named:
        assert lines[int(line) - 1].strip() == f"- {text}"


def test_ahp_max_cr_equal_passes(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    judg = [["a", "b", 2], ["b", "c", 2], ["a", "c", 2]]
    inputs = load(tmp_path / "one", tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
                  scheme={"nodes": {"idx": {"method": "ahp", "judgments": judg}}})
    cr = evalkit.score(inputs).weighting["idx"].cr
    assert 0 < cr < 0.1
    inputs = load(tmp_path / "two", tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
                  scheme={"ahp": {"max_cr": float(cr)},
                          "nodes": {"idx": {"method": "ahp", "judgments": judg}}})
    assert evalkit.score(inputs).weighting["idx"].cr == cr


GOOD = [["a", "b", 2], ["b", "c", 2], ["a", "c", 4]]
FLAT = [["a", "b", 1], ["b", "c", 1], ["a", "c", 1]]


def test_group_ahp_reports_each_experts_cr(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    experts = [{"name": "wang", "judgments": GOOD}, {"name": "li", "judgments": FLAT}]
    r = evalkit.score(load(tmp_path, tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
                           scheme={"nodes": {"idx": {"method": "ahp", "experts": experts}}}))
    nw = r.weighting["idx"]
    got = {e["expert"]: e for e in nw.details["experts"]}
    assert set(got) == {"wang", "li"}
    assert got["wang"]["cr"] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(got["wang"]["weights"], [4 / 7, 2 / 7, 1 / 7], atol=1e-12)
    # the group matrix is the element-wise geometric mean: a_ab = √2, a_bc = √2, a_ac = 2: consistent
    v = np.array([2.0, np.sqrt(2), 1.0])
    np.testing.assert_allclose(nw.w, v / v.sum(), atol=1e-12)
    assert nw.cr == pytest.approx(0.0, abs=1e-12)
    assert not r.notes


def test_group_ahp_inconsistent_expert_is_a_warning_naming_the_expert(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    bad = [["a", "b", 3], ["b", "c", 3], ["c", "a", 3]]
    experts = [{"name": "zhao", "judgments": bad}, {"name": "qian", "judgments": FLAT},
               {"name": "sun", "judgments": FLAT}, {"name": "zhou", "judgments": FLAT}]
    r = evalkit.score(load(tmp_path, tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
                           scheme={"nodes": {"idx": {"method": "ahp", "experts": experts}}}))
    nw = r.weighting["idx"]
    crs = {e["expert"]: e["cr"] for e in nw.details["experts"]}
    assert crs["zhao"] > 0.1 and crs["qian"] == pytest.approx(0.0, abs=1e-12)
    assert nw.cr <= 0.1  # the group matrix passes
    warns = [p for p in r.notes if p.code == "expert-inconsistent"]
    assert len(warns) == 1 and warns[0].severity == "warning"
    assert "'zhao'" in warns[0].message and "'idx'" in warns[0].message
    assert warns[0].pos.file.endswith("scheme.yaml")


def _entropy_weights(z: np.ndarray) -> np.ndarray:
    """Entropy (docs/methods.md#entropy) on an (n_obs, k) matrix of z (no missing, none constant)."""
    p = z / z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(z.shape[0])
    d = 1 - e
    return d / d.sum()


COMBINE_X = np.array([[[1, 10, 3]], [[2, 30, 9]], [[4, 20, 4]], [[9, 15, 5]], [[3, 12, 7]]], float)


@pytest.mark.parametrize("rule", ["mdi", "multiplicative", "linear", "game_theory"])
def test_combined_weights_with_each_rule(tmp_path, rule):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    judg = [["a", "b", 2], ["a", "c", 4], ["b", "c", 2]]  # s = (4, 2, 1)/7
    entry = {"method": "combined", "subjective": {"method": "ahp", "judgments": judg},
             "objective": {"method": "entropy"}, "rule": rule}
    if rule == "linear":
        entry["alpha"] = 0.3
    r = evalkit.score(load(tmp_path, tree=tree, values=COMBINE_X, units=list("pqrst"), years=[2020],
                           scheme={"nodes": {"idx": entry}}))
    x = COMBINE_X[:, 0, :]
    z = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    s = np.array([4, 2, 1]) / 7
    o = _entropy_weights(z)
    if rule == "mdi":
        w = np.sqrt(s * o) / np.sqrt(s * o).sum()
    elif rule == "multiplicative":
        w = s * o / (s * o).sum()
    elif rule == "linear":
        w = 0.3 * s + 0.7 * o
    else:
        W = np.stack([s, o])
        a = np.linalg.solve(W @ W.T, np.diag(W @ W.T))
        a = np.abs(a) / np.abs(a).sum()
        w = a @ W
    nw = r.weighting["idx"]
    np.testing.assert_allclose(nw.w, w, atol=1e-9)
    assert nw.method == f"combined:{rule}"
    assert nw.cr == pytest.approx(0.0, abs=1e-12) and nw.ri_table == "cn_textbook"
    np.testing.assert_allclose(nw.details["objective"], o, atol=1e-12)
    assert set(r.weights_frame().set_index("node").loc[["a", "b", "c"], "method"]) == {f"combined:{rule}"}
    np.testing.assert_allclose(r.node_scores("idx")[:, 0], 100 * z @ w, atol=1e-9)


def test_combined_with_fixed_subjective_has_no_cr(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    entry = {"method": "combined", "subjective": {"method": "fixed", "weights": {"a": 0.5, "b": 0.25, "c": 0.25}},
             "objective": {"method": "entropy"}}
    r = evalkit.score(load(tmp_path, tree=tree, values=COMBINE_X, units=list("pqrst"), years=[2020],
                           scheme={"nodes": {"idx": entry}}))
    wf = r.weights_frame().set_index("node")
    assert set(wf.loc[["a", "b", "c"], "method"]) == {"combined:mdi"}  # mdi is the default rule
    assert wf.loc[["a", "b", "c"], "cr"].isna().all() and set(wf.loc[["a", "b", "c"], "ri_table"]) == {""}


def test_ahp_incomplete_judgments_are_estimated_when_complete_false(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    judg = [["a", "b", 2], ["b", "c", 2]]  # (a, c) missing: Harker's completion gives the consistent 4
    r = evalkit.score(load(tmp_path, tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
                           scheme={"nodes": {"idx": {"method": "ahp", "judgments": judg, "complete": False}}}))
    nw = r.weighting["idx"]
    np.testing.assert_allclose(nw.w, [4 / 7, 2 / 7, 1 / 7], atol=1e-9)
    assert nw.cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_incomplete_judgments_are_an_error_by_default(tmp_path):
    tree = node("idx", leaf("a"), leaf("b"), leaf("c"))
    with pytest.raises(UserError) as ei:
        load(tmp_path, tree=tree, values=_flat_values(3), units=list("pqr"), years=[2020],
             scheme={"nodes": {"idx": {"method": "ahp", "judgments": [["a", "b", 2], ["b", "c", 2]]}}})
    assert any("complete: false" in p.message or "missing" in p.message for p in ei.value.problems)


# =========================================================================== step log and what-if basics


def test_step_log_records_every_node_once(hand):
    steps = [(s.step, s.target) for s in hand.log]
    assert steps[:2] == [("prepare", "*"), ("normalise", "*")]
    assert [t for s, t in steps[2:-1]] == ["A", "B", "idx"]  # bottom-up, inner nodes only
    assert steps[-1] == ("coverage", "*")
    assert len({s.key for s in hand.log}) == len(hand.log)
    json.dumps([dict(s.params) for s in hand.log])  # JSON-able
    assert set(hand.computed) == {"A", "B", "idx"}


def test_rescore_one_node_recomputes_it_and_its_ancestors(hand):
    alt = evalkit.rescore(hand, {"weights.nodes.B.method": "fixed", "weights.nodes.B.weights": {"b1": 0.2,
                                                                                                  "b2": 0.8}})
    assert set(alt.computed) == {"B", "idx"}
    # B = 0.2 b1 + 0.8 b2
    np.testing.assert_allclose(alt.node_scores("B"), [[0, 25], [50, 95], [100, 0]], atol=1e-9)
    np.testing.assert_array_equal(alt.node_scores("A"), hand.node_scores("A"))
    assert evalkit.rescore(hand, {}).computed == ()
