"""The CSVs carry the names of their codes as last columns; the existing columns and numbers stay."""

import pandas as pd

from evalkit import load_project, score
from evalkit.cli import main


def test_csv_names_after_the_existing_columns(project):
    folder = project
    out = folder / "out"
    assert main(["run", str(folder / "evalkit.yaml"), "--tables-only", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv", dtype={"unit": str}, encoding="utf-8-sig")
    result = score(load_project(folder / "evalkit.yaml"))
    frame = result.to_frame()
    assert list(res.columns) == list(frame.columns) + ["unit_name", "node_name"]
    # the numbers round-trip exactly (names only added)
    pd.testing.assert_series_equal(res["score"], frame["score"].astype(float), check_names=False)
    units = pd.read_csv(folder / "units.csv", dtype=str)
    want = dict(zip(units["id"], units["name_zh"]))
    assert (res["unit_name"] == res["unit"].map(want)).all()
    assert (res["node_name"] == res["node"].map(lambda n: result.tree.by_id[n].name.get("zh"))).all()
    w = pd.read_csv(out / "weights.csv", encoding="utf-8-sig")
    assert w.columns[-1] == "node_name" and w.loc[w["node"] == result.tree.root.id, "node_name"].iloc[0] == \
        result.tree.root.name.get("zh")
    assert main(["run", str(folder / "evalkit.yaml"), "--tables-only", "--out", str(out), "--lang", "en"]) == 0
    en = pd.read_csv(out / "results.csv", dtype={"unit": str}, encoding="utf-8-sig")
    assert (en["unit_name"] == en["unit"].map(dict(zip(units["id"], units["name_en"])))).all()
