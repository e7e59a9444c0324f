"""The command line with a relations file: located problems and exit 1, the network tables, and no change without it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from _cli import run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _projects import leaf, node, write_project  # noqa: E402

RELATIONS = {"data_sharing": {"name": {"zh": "数据共享", "en": "Data sharing"}, "directed": True}}


def _project(folder: Path, relations_csv: str | None) -> Path:
    tree = node("idx", node("dom", leaf("x1"), leaf("x2")),
                node("collab", leaf("ds", from_network={"relation": "data_sharing", "measure": "pagerank"}),
                     leaf("x3")))
    values = np.random.default_rng(3).random((3, 2, 4)) * 10
    values[:, :, 2] = np.nan
    extra = {}
    if relations_csv is not None:
        extra = {"data": {"values": "values.csv", "units": "units.csv", "relations": "relations.csv"},
                 "relations": RELATIONS}
    else:
        tree = node("idx", node("dom", leaf("x1"), leaf("x2")), node("collab", leaf("x3")))
        values = values[:, :, [0, 1, 3]]
    path = write_project(folder, tree=tree, values=values, units=["A", "B", "C"], years=[2021, 2022], **extra)
    if relations_csv is not None:
        (folder / "relations.csv").write_text(relations_csv, encoding="utf-8")
    return path


def test_broken_relations_exit_1_located_and_nothing_written(tmp_path):
    _project(tmp_path, "from,to,year,relation,value\nA,B,2021,data_sharing,2\nA,X,2021,data_sharing,1\n"
                       "B,B,2022,data_sharing,1\nA,B,2022,data_sharing,-1\nA,B,2021,data_sharing,3\n")
    for command in ("validate", "run"):
        done = run_cli(command, "evalkit.yaml", cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        lines = [ln for ln in done.stderr.splitlines() if ln.startswith("relations.csv:")]
        assert [ln.split(":")[1] for ln in lines] == ["3", "4", "5", "6"], done.stderr
        assert "Traceback" not in done.stderr
        assert "is not in the units file" in lines[0] and "tied to itself" in lines[1]
        assert "negative" in lines[2] and "given twice (first at row 2)" in lines[3]
    assert not (tmp_path / "out").exists()


def test_run_writes_the_network_tables(tmp_path):
    _project(tmp_path, "from,to,year,relation,value\nA,B,2021,data_sharing,2\nB,C,2021,data_sharing,1\n"
                       "C,A,2022,data_sharing,4\n")
    done = run_cli("run", "evalkit.yaml", "--year", "2022", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    net = pd.read_csv(tmp_path / "out" / "network.csv")
    units = pd.read_csv(tmp_path / "out" / "network-units.csv", dtype={"unit": str})
    assert list(net.year) == [2021, 2022] and list(net.ties) == [2, 1]
    assert units.groupby("year").pagerank.sum().round(12).eq(1).all()
    assert '"step": "network"' in (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8")


def test_without_relations_no_network_files(tmp_path):
    _project(tmp_path, None)
    done = run_cli("run", "evalkit.yaml", "--year", "2022", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert not list(out.glob("network*"))
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"network"' not in manifest and '"relations"' not in manifest


def test_the_demo_writes_network_tables_and_collaboration_scores(tmp_path):
    done = run_cli("run", "--year", "2024", "--tables-only", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = pd.read_csv(tmp_path / "out" / "results.csv", dtype={"unit": str})
    collab = results.query("node == 'collab'")
    assert len(collab) == 41 * 6 and collab.score.notna().all()
    assert (tmp_path / "out" / "network-units.csv").is_file()