"""Fidelity: examples/hdi recomputes UNDP's published Human Development Index, 1990–2022.

Compared against tests/fixtures/reference/hdi/hdi_published.csv (HDR 2023/24: every country-year
with a published HDI, 5,808 values; the 193 HDI ranks of 2022). Data: UNDP HDRO, CC BY 3.0 IGO.
HDRO publishes the HDI rounded to 3 decimals and ranks the rounded values (ties share a rank).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "examples" / "hdi" / "evalkit.yaml"
PUBLISHED = ROOT / "tests" / "fixtures" / "reference" / "hdi" / "hdi_published.csv"


@pytest.fixture(scope="module")
def result():
    return evalkit.score(evalkit.load_project(PROJECT))


@pytest.fixture(scope="module")
def published():
    return pd.read_csv(PUBLISHED, dtype={"iso3": str})


def _at(result, table, node="hdi", values=None):
    a = result.node_scores(node) if values is None else values
    u = {x: i for i, x in enumerate(result.units)}
    y = {x: i for i, x in enumerate(result.years)}
    return np.array([a[u[c], y[t]] for c, t in zip(table["iso3"], table["year"])])


def test_every_published_hdi_matches_after_rounding_to_3_decimals(result, published):
    assert len(published) == 5808
    calc = _at(result, published)
    assert np.isfinite(calc).all()
    mismatches = np.abs(np.round(calc, 3) - published["hdi"].to_numpy()) > 1e-9
    assert int(mismatches.sum()) == 0, published[mismatches].assign(calc=calc[mismatches]).head(10)
    # unrounded: only the 3-decimal rounding separates the two
    assert np.abs(calc - published["hdi"].to_numpy()).max() <= 5e-4 + 1e-12


def test_every_year_1990_2022_is_covered(result, published):
    assert result.years == tuple(range(1990, 2023))
    per_year = published.groupby("year").size()
    assert per_year[1990] == 142 and per_year[2022] == 193


def test_2022_ranks_match_all_193(result, published):
    p22 = published[published["year"] == 2022]
    ranks = _at(result, p22, values=result.ranks()[:, :, result.tree.index["hdi"]])
    assert len(p22) == 193
    assert int((ranks != p22["hdi_rank"].to_numpy()).sum()) == 0
    # countries without a published 2022 HDI lack a component, so they have no score and no rank
    scored = np.isfinite(result.node_scores("hdi")[:, result.years.index(2022)])
    assert int(scored.sum()) == 193


def test_only_rwanda_1990_1994_is_computed_but_not_published(result, published):
    # Rwanda 1990-94 has every component but UNDP withholds the HDI (1994: life expectancy 14.1,
    # below the 20-year goalpost, gives a health index of 0 and, by the geometric mean, an HDI of 0)
    s = result.node_scores("hdi")
    have = {(c, t) for c, t in zip(published["iso3"], published["year"])}
    extra = sorted((u, y) for i, u in enumerate(result.units) for j, y in enumerate(result.years)
                   if np.isfinite(s[i, j]) and (u, y) not in have)
    assert extra == [("RWA", y) for y in range(1990, 1995)]
    assert s[result.units.index("RWA"), result.years.index(1994)] == 0.0


def test_dimension_indices_are_capped_goalpost_indices(result):
    z = result.z
    assert np.nanmin(z) >= 0 and np.nanmax(z) <= 1
    nor = result.units.index("NOR"), result.years.index(2022)
    eys = result.node_scores("eys")[nor]
    assert eys == 1.0  # EYS 18.7 > 18 is capped at 18
    x = result.prepared.x[nor[0], nor[1], result.tree.leaf_ids.index("income")]
    assert x == pytest.approx(np.log(69190.0), abs=1e-3)  # derived ln(GNI per capita)


def test_the_plain_geometric_mean_is_what_reproduces_the_hdi(result, published):
    # with COINr's shift (1 scale unit, here the whole [0, 1] range) the root is nearly arithmetic:
    # the published numbers are then out of reach, which is why the tree says geometric_shift: 0
    root = result.tree.root
    assert root.aggregate == "geometric" and root.geometric_shift == 0.0
    children = np.stack([result.node_scores(c.id) for c in root.children], axis=2)
    shifted = np.exp(np.log(children + 1.0).mean(axis=2)) - 1.0
    calc = _at(result, published, values=shifted)
    assert (np.abs(np.round(calc, 3) - published["hdi"].to_numpy()) > 1e-9).sum() > 1000


def test_validate_on_the_command_line():
    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "validate", str(PROJECT)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "ok: 195 units, 33 years (1990-2022), 4 indicators under 2 nodes" in r.stdout


def test_convert_script_copies_components_as_text(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("hdi_convert", ROOT / "examples" / "hdi" / "convert.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (tmp_path / "hdi_panel_1990_2022_long.csv").write_text(
        "\ufeffiso3,country,region,year,le,eys,mys,gnipc,hdi\n"
        "NOR,Norway,,2022,83.393,18.7,13.06,69190.0,0.966\n"
        "AFG,Afghanistan,SA,1991,46.663,3.228456167,,2817.304736,\n"
        "AFG,Afghanistan,SA,1990,45.967,2.936460018,0.871961963,3115.670448,0.284\n", encoding="utf-8")
    assert mod.convert(tmp_path, tmp_path) == (2, 3)
    assert (tmp_path / "values.csv").read_text(encoding="utf-8").splitlines() == [
        "unit,year,le,eys,mys,gni_pc",
        "AFG,1990,45.967,2.936460018,0.871961963,3115.670448",
        "AFG,1991,46.663,3.228456167,,2817.304736",
        "NOR,2022,83.393,18.7,13.06,69190.0"]
    assert (tmp_path / "units.csv").read_text(encoding="utf-8").splitlines() == [
        "id,name_zh,name_en,group", "AFG,Afghanistan,Afghanistan,SA", "NOR,Norway,Norway,all"]


def test_committed_data_cover_195_countries_and_33_years():
    values = pd.read_csv(ROOT / "examples" / "hdi" / "values.csv")
    units = pd.read_csv(ROOT / "examples" / "hdi" / "units.csv", keep_default_na=False)
    assert len(units) == 195 and len(values) == 195 * 33
    assert set(units["group"]) == {"AS", "EAP", "ECA", "LAC", "SA", "SSA", "all"}
    assert (units["name_zh"] == units["name_en"]).all()
