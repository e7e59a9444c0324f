"""The same inputs give the same bytes: every file of two runs of the demo is identical.

Two separate processes (string hashing differs between processes, so set
order would show) write the demo into two folders, one with ``--jobs 1`` and one with
``--jobs 2`` (DEA, results.xlsx and the scorecards in other processes: the same bytes)
(test_output_stamps.py has the step keys and the workbooks' times).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import EVALKIT, run_cli  # noqa: E402
from test_output_folder import snapshot  # noqa: E402


def test_two_runs_of_the_demo_are_byte_identical_file_by_file(tmp_path):
    assert run_cli("init", "p", cwd=tmp_path).returncode == 0
    runs = [subprocess.Popen(EVALKIT + ["run", "p/evalkit.yaml", "--out", out, "--jobs", jobs], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for out, jobs in (("o1", "1"), ("o2", "2"))]
    for p in runs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    a, b = snapshot(tmp_path / "o1"), snapshot(tmp_path / "o2")
    assert {Path(k).suffix for k in a} >= {".csv", ".json", ".xlsx", ".html"}
    assert sorted(a) == sorted(b)
    differ = [name for name in a if a[name] != b[name]]
    assert differ == [], f"files differ between two runs: {differ}"
