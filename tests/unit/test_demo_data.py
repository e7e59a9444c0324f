"""Checks of the bundled demo: indicator tree, weight schemes, synthetic data and its generator.

Pure pandas/yaml/numpy: no evalkit imports, so these hold whatever the engine does.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
TREE_FILE = ROOT / "indicators" / "digital_governance.yaml"
YEARS = list(range(2019, 2025))
DOMAINS = ["gov", "transport", "health", "education", "environment", "collab"]
STAGES = ["input", "process", "output", "outcome"]
RI = {3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24}


def _nodes(node):
    yield node
    for child in node.get("children", []):
        yield from _nodes(child)


@pytest.fixture(scope="module")
def tree():
    with open(TREE_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def leaves(tree):
    return [n for n in _nodes(tree) if "children" not in n]


@pytest.fixture(scope="module")
def raw_ids(tree, leaves):
    """Ids expected in values.csv: leaves neither derived nor network measures (tree order), then the variables."""
    return ([l["id"] for l in leaves if "formula" not in l and "from_network" not in l]
            + [v["id"] for v in tree["variables"]])


@pytest.fixture(scope="module")
def units():
    return pd.read_csv(DEMO / "units.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def values():
    return pd.read_csv(DEMO / "values.csv", dtype={"unit": str})


@pytest.fixture(scope="module")
def targets():
    return pd.read_csv(DEMO / "targets.csv", dtype={"unit": str})


# ---------------------------------------------------------------- indicator tree


def test_tree_shape_domains_and_stages(tree, leaves):
    assert tree["id"] == "dgpi"
    assert [d["id"] for d in tree["children"]] == DOMAINS
    for d in tree["children"]:
        assert [s["id"] for s in d["children"]] == [f"{d['id']}.{s}" for s in STAGES]
        for s, stage in zip(d["children"], STAGES):
            assert s["stage"] == stage
            assert 2 <= len(s["children"]) <= 3
            assert all("children" not in leaf for leaf in s["children"])
    assert len(leaves) >= 40


def test_all_ids_unique_and_snake_case(tree, leaves):
    ids = [n["id"] for n in _nodes(tree)] + [v["id"] for v in tree["variables"]]
    assert len(ids) == len(set(ids))
    for leaf in leaves:
        assert leaf["id"].isascii() and leaf["id"] == leaf["id"].lower()
        assert all(c.isalnum() or c == "_" for c in leaf["id"])


def test_leaves_are_fully_described(leaves):
    for leaf in leaves:
        assert leaf["direction"] in ("benefit", "cost", "target"), leaf["id"]
        # network measures such as PageRank are pure numbers; every other leaf has a unit
        assert leaf.get("unit") or "from_network" in leaf, leaf["id"]
        for key in ("name", "source", "description"):
            assert leaf[key]["zh"] and leaf[key]["en"], (leaf["id"], key)
        if "goalposts" in leaf:
            lo, hi = leaf["goalposts"]
            assert lo < hi, leaf["id"]


def test_cost_and_target_indicators(leaves):
    assert sum(l["direction"] == "cost" for l in leaves) >= 8
    tgt = [l for l in leaves if l["direction"] == "target"]
    assert len(tgt) >= 1
    for l in tgt:
        lo, hi = l["target"] if isinstance(l["target"], list) else (l["target"], l["target"])
        assert lo <= hi


def test_one_derived_indicator_uses_declared_variables(tree, leaves):
    derived = [l for l in leaves if "formula" in l]
    assert [l["id"] for l in derived] == ["hospital_beds_per_10k"]
    var_ids = {v["id"] for v in tree["variables"]}
    assert var_ids == {"hospital_beds", "population"}
    for v in tree["variables"]:
        assert v["name"]["zh"] and v["name"]["en"] and v["unit"] and v["source"]["zh"]
    names = set(derived[0]["formula"].replace("*", " ").replace("/", " ").split()) - {"10000"}
    assert names == var_ids


# ---------------------------------------------------------------- units


def test_41_units_by_province(units):
    assert list(units.columns) == ["id", "name_zh", "name_en", "group", "group_zh", "group_en", "lat", "lon"]
    assert len(units) == 41 and units["id"].is_unique
    # city centres inside the Yangtze River Delta's bounding box, given to 2 decimals
    lat, lon = units["lat"].astype(float), units["lon"].astype(float)
    assert lat.between(27.5, 35.5).all() and lon.between(115.0, 123.0).all()
    assert all(len(v.split(".")[1]) == 2 for v in units["lat"]) and all(len(v.split(".")[1]) == 2 for v in units["lon"])
    shanghai = units.set_index("id").loc["310000"]
    assert (shanghai["lat"], shanghai["lon"]) == ("31.23", "121.47")
    counts = units["group"].value_counts().to_dict()
    assert counts == {"Shanghai": 1, "Jiangsu": 13, "Zhejiang": 11, "Anhui": 16}
    # order: Shanghai, Jiangsu, Zhejiang, Anhui, each by code
    order = {"Shanghai": 0, "Jiangsu": 1, "Zhejiang": 2, "Anhui": 3}
    key = list(zip(units["group"].map(order), units["id"]))
    assert key == sorted(key)
    assert (units["group"] == units["group_en"]).all()
    assert units["name_en"].is_unique


def test_same_name_cities_distinct(units):
    u = units.set_index("id")
    pairs = {"320500": ("苏州", "Jiangsu"), "341300": ("宿州", "Anhui"),
             "321200": ("泰州", "Jiangsu"), "331000": ("台州", "Zhejiang")}
    for code, (zh, prov) in pairs.items():
        assert u.loc[code, "name_zh"] == zh
        assert u.loc[code, "group"] == prov
    assert u.loc["320500", "name_en"] != u.loc["341300", "name_en"]
    assert u.loc["321200", "name_en"] != u.loc["331000", "name_en"]
    assert u.loc["320500", "name_en"].startswith("Suzhou") and u.loc["341300", "name_en"].startswith("Suzhou")
    assert u.loc["321200", "name_en"].startswith("Taizhou") and u.loc["331000", "name_en"].startswith("Taizhou")


# ---------------------------------------------------------------- values


def test_values_file_format():
    raw = (DEMO / "values.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw and raw.endswith(b"\n")
    assert raw.split(b"\n", 1)[0] == b"unit,year,indicator,value"


def test_values_sorted(values, units, raw_ids):
    uo = {u: i for i, u in enumerate(units["id"])}
    io = {x: i for i, x in enumerate(raw_ids)}
    key = list(zip(values["unit"].map(uo), values["year"], values["indicator"].map(io)))
    assert key == sorted(key)
    assert not values.duplicated(["unit", "year", "indicator"]).any()


def test_every_raw_indicator_every_year(values, units, raw_ids):
    assert set(values["unit"]) == set(units["id"])
    assert set(values["indicator"]) == set(raw_ids)
    assert sorted(values["year"].unique()) == YEARS
    have = values.dropna(subset=["value"]).groupby("year")["indicator"].apply(set)
    for year in YEARS:
        assert have[year] == set(raw_ids), year


def test_missing_share(values, raw_ids):
    expected = 41 * len(YEARS) * len(raw_ids)
    present = values["value"].notna().sum()
    share = 1 - present / expected
    assert 0.01 <= share <= 0.06
    assert values["value"].isna().sum() >= 1          # some rows with an empty value
    assert len(values) < expected                     # and some rows omitted


def test_physical_bounds(values, targets, leaves):
    unit_of = {l["id"]: l.get("unit") for l in leaves}
    pct = [i for i, u in unit_of.items() if u == "%"]
    v = values.dropna(subset=["value"])
    assert (v["value"] >= 0).all()
    p = v[v["indicator"].isin(pct)]["value"]
    assert len(p) > 0 and p.between(0, 100).all()
    t = targets[targets["indicator"].isin(pct)]["target"]
    assert t.between(0, 100).all() and (targets["target"] >= 0).all()


def test_derived_inputs_real_2019_population(values):
    cal = pd.read_csv(DEMO / "calibration_yrd41.csv", comment="#", dtype={"adcode": str})
    pop = values[(values["indicator"] == "population") & (values["year"] == 2019)].set_index("unit")["value"]
    real = cal.set_index("adcode")["resident_pop_10k_2019"] * 1e4
    np.testing.assert_allclose(pop.reindex(real.index), real, rtol=1e-3)
    beds = values[values["indicator"] == "hospital_beds"].set_index(["unit", "year"])["value"]
    popu = values[values["indicator"] == "population"].set_index(["unit", "year"])["value"]
    rate = (beds / popu * 10000).dropna()
    assert rate.between(30, 120).all()


def test_some_indicator_triggers_outlier_treatment(values):
    v = values.dropna(subset=["value"]).groupby("indicator")["value"]
    sk, ku = v.skew(), v.apply(lambda s: s.kurt())
    assert ((sk.abs() > 2) & (ku > 3.5)).any()


def test_provinces_differ_as_designed(values, units):
    grp = dict(zip(units["id"], units["group"]))
    v = values[(values["indicator"] == "gov_full_online_rate") & (values["year"] == 2024)].dropna()
    by = v.groupby(v["unit"].map(grp))["value"].mean()
    assert by["Anhui"] < min(by["Shanghai"], by["Jiangsu"], by["Zhejiang"])
    pm = values[values["indicator"] == "en_pm25"].dropna().groupby("year")["value"].median()
    assert pm[2024] < pm[2019]


# ---------------------------------------------------------------- targets


def test_targets_cover_last_two_years(targets, units, tree):
    # every non-derived leaf of the five original domains; 跨域协同 has no targets
    ids = [l["id"] for d in tree["children"][:5] for l in _nodes(d) if "children" not in l and "formula" not in l]
    assert list(targets.columns) == ["unit", "year", "indicator", "target"]
    assert sorted(targets["year"].unique()) == [2023, 2024]
    assert len(targets) == 41 * 2 * len(ids)
    assert set(targets["indicator"]) == set(ids) and set(targets["unit"]) == set(units["id"])
    assert targets["target"].notna().all()


# ---------------------------------------------------------------- generator


def test_generator_reproduces_committed_files(tmp_path):
    subprocess.run([sys.executable, str(DEMO / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in ("units.csv", "values.csv", "targets.csv", "relations.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_collaboration_domain_leaves_the_other_values_unchanged(tmp_path, tree):
    """The 跨域协同 values have their own random stream: without the domain, the generator writes
    exactly today's files minus the domain's rows."""
    five = dict(tree, children=[d for d in tree["children"] if d["id"] != "collab"])
    (tmp_path / "tree.yaml").write_text(yaml.safe_dump(five, allow_unicode=True), encoding="utf-8")
    subprocess.run([sys.executable, str(DEMO / "generate.py"), "--out", str(tmp_path), "--tree",
                    str(tmp_path / "tree.yaml")], check=True, capture_output=True)
    for name in ("units.csv", "targets.csv", "relations.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
    now = (DEMO / "values.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert (tmp_path / "values.csv").read_text(encoding="utf-8") == "".join(
        ln for ln in now if ",collab_" not in ln)


def test_collaboration_values_as_designed(values, units):
    grp = dict(zip(units["id"], units["group"]))
    v = values.dropna(subset=["value"])
    v = v.assign(group=v["unit"].map(grp))
    last = v[v["year"] == 2024]
    for iid in ("collab_cross_prov_items", "collab_transit_card_share", "collab_medical_settlement"):
        by = last[last["indicator"] == iid].groupby("group")["value"].mean()
        assert by["Anhui"] < min(by["Jiangsu"], by["Zhejiang"]) < by["Shanghai"], iid
    # cumulative counts never fall; the regional list of items stays under its cap of 175
    for iid in ("collab_cross_prov_items", "collab_joint_sections"):
        wide = v[v["indicator"] == iid].pivot(index="unit", columns="year", values="value")
        steps = wide.diff(axis=1).to_numpy()
        steps = steps[~np.isnan(steps)]
        assert (steps >= 0).all(), iid
    assert v[v["indicator"] == "collab_cross_prov_items"]["value"].max() <= 175
    med = v[v["indicator"] == "collab_medical_settlement"].groupby("year")["value"].median()
    # growth slowed by COVID in 2020, then resumed
    assert med[2020] / med[2019] < med[2021] / med[2020] and med[2024] > 5 * med[2019]


# ---------------------------------------------------------------- weight schemes


def _ahp_cr(items, judgments):
    n = len(items)
    ix = {k: i for i, k in enumerate(items)}
    a = np.ones((n, n))
    pairs = set()
    for x, y, r in judgments:
        r = float(Fraction(str(r)))
        assert 1 / 9 <= r <= 9
        i, j = ix[x], ix[y]
        pairs.add(frozenset((i, j)))
        a[i, j], a[j, i] = r, 1 / r
    assert len(pairs) == len(judgments) == n * (n - 1) // 2          # complete, each pair once
    lam = max(np.linalg.eigvals(a).real)
    return (lam - n) / (n - 1) / RI[n]


def _children(tree):
    return {n["id"]: [c["id"] for c in n["children"]] for n in _nodes(tree) if "children" in n}


@pytest.mark.parametrize("name", ["equal", "entropy", "expert_ahp", "combined"])
def test_weight_schemes_consistent(name, tree):
    with open(ROOT / "weights" / f"{name}.yaml", encoding="utf-8") as f:
        scheme = yaml.safe_load(f)
    kids = _children(tree)
    assert scheme["default"]["method"] in ("equal", "entropy")
    checked = 0
    for node, spec in scheme.get("nodes", {}).items():
        items = kids[node]
        if spec["method"] == "ahp":
            assert _ahp_cr(items, spec["judgments"]) <= 0.10
            checked += 1
        elif spec["method"] == "combined":
            experts = spec["subjective"]["experts"]
            assert len(experts) == 3
            for e in experts:
                assert _ahp_cr(items, e["judgments"]) <= 0.10
            assert spec["objective"]["method"] == "entropy" and spec["rule"] == "mdi"
            checked += 1
        elif spec["method"] == "fixed":
            assert set(spec["weights"]) == set(items)
            assert abs(sum(spec["weights"].values()) - 1) <= 1e-6
            checked += 1
    assert checked == {"equal": 0, "entropy": 0, "expert_ahp": 7, "combined": 7}[name]


def test_demo_project_paths_resolve():
    proj_file = ROOT / "examples" / "demo" / "evalkit.yaml"
    with open(proj_file, encoding="utf-8") as f:
        proj = yaml.safe_load(f)
    base = proj_file.parent
    for rel in (proj["framework"], proj["weights"], proj["data"]["values"], proj["data"]["units"], proj["targets"]):
        assert (base / rel).resolve().is_file(), rel
    assert proj["data"]["synthetic"] is True and proj["years"] == [2019, 2024]


# ---------------------------------------------------------------- city-pair ties


def test_relations_are_plausible_ties_between_demo_cities(units):
    rel = pd.read_csv(DEMO / "relations.csv", dtype={"from": str, "to": str})
    assert list(rel.columns) == ["from", "to", "year", "relation", "value"]
    ids = set(units["id"])
    assert set(rel["from"]) <= ids and set(rel["to"]) <= ids
    assert (rel["from"] != rel["to"]).all() and (rel["value"] > 0).all()
    assert not rel.duplicated(["from", "to", "year", "relation"]).any()
    assert set(rel.relation) == {"data_sharing", "cross_province_services", "joint_agreements"}
    assert sorted(rel.query("relation == 'cross_province_services'").year.unique()) == YEARS[1:]
    group = dict(zip(units["id"], units["group"]))
    cross = rel["from"].map(group) != rel["to"].map(group)
    assert cross[rel.relation == "cross_province_services"].all()
    # the walls come down: the cross-border share of data sharing rises from the first to the last year
    ds = rel[rel.relation == "data_sharing"].assign(cross=cross)
    share = ds.groupby("year").apply(lambda g: g.value[g.cross].sum() / g.value.sum(), include_groups=False)
    assert share[YEARS[-1]] > share[YEARS[0]]
    # undirected agreements: each pair once
    ag = rel[rel.relation == "joint_agreements"]
    pairs = ag.apply(lambda r: tuple(sorted((r["from"], r["to"]))) + (r["year"],), axis=1)
    assert not pairs.duplicated().any()
