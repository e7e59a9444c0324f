"""Reproducible bytes beyond the demo: step keys hash content, not memory addresses; workbooks
(results.xlsx, collection templates) carry no save time unless SOURCE_DATE_EPOCH asks for one."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import run_cli  # noqa: E402
from test_output_folder import TREE, snapshot, tiny  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _projects import write_project  # noqa: E402

from evalkit.load import load_inputs  # noqa: E402
from evalkit.pipeline import score  # noqa: E402


def test_step_keys_hash_content_not_memory(tmp_path):
    project = tiny(tmp_path / "p")
    first = score(load_inputs(project))
    again = score(load_inputs(project))  # another Panel object with the same data
    assert first.inputs.panel is not again.inputs.panel
    assert [s.key for s in first.log] == [s.key for s in again.log]
    x = np.random.default_rng(7).uniform(1, 9, (4, 2, 4))
    x[0, 0, 0] += 1.0  # one value changed: the preparation's key and every key after it change
    changed = write_project(tmp_path / "q", tree=TREE, values=x, units=["u1", "u2", "u3", "u4"], years=[2020, 2021],
                            groups=["g1", "g1", "g2", "g2"])
    other = score(load_inputs(changed))
    assert all(s.key != t.key for s, t in zip(first.log, other.log))


def _stamps(path: Path) -> tuple[set, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.date_time for i in z.infolist()}, z.read("docProps/core.xml")


def test_workbooks_carry_a_time_only_when_source_date_epoch_asks(tmp_path, monkeypatch):
    project = tiny(tmp_path / "p")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert run_cli("run", str(project), "--out", "a", cwd=tmp_path).returncode == 0
    assert run_cli("collect", "templates", str(project), "--year", "2021", "--out", "t1", cwd=tmp_path).returncode == 0
    times, core = _stamps(tmp_path / "a" / "results.xlsx")
    assert times == {(1980, 1, 1, 0, 0, 0)} and b"dcterms:created" not in core and b"dcterms:modified" not in core
    assert run_cli("collect", "templates", str(project), "--year", "2021", "--out", "t2", cwd=tmp_path).returncode == 0
    assert snapshot(tmp_path / "t1") == snapshot(tmp_path / "t2")  # collection templates too

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    assert run_cli("run", str(project), "--out", "b", cwd=tmp_path).returncode == 0
    times, core = _stamps(tmp_path / "b" / "results.xlsx")
    assert times == {(2023, 11, 14, 22, 13, 20)}
    assert b">2023-11-14T22:13:20Z</dcterms:created>" in core and b">2023-11-14T22:13:20Z</dcterms:modified>" in core
    assert run_cli("run", str(project), "--out", "c", cwd=tmp_path).returncode == 0
    assert snapshot(tmp_path / "b") == snapshot(tmp_path / "c")

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    r = run_cli("run", str(project), "--out", "d", cwd=tmp_path)
    assert r.returncode == 1 and "SOURCE_DATE_EPOCH" in r.stderr and not (tmp_path / "d").exists()
