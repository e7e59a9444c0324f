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


def test_csv_files_begun_while_the_helper_works_end_with_the_same_bytes(tmp_path, monkeypatch):
    """run --jobs 2 makes CSV files piece by piece until the helper answers; the process that writes the
    tables makes the rest.  Answers seen after 1, 2, 3 … pieces: every cut gives the files of --jobs 1."""
    import evalkit.output as output
    import evalkit.workers as workers

    assert run_cli("init", "p", cwd=tmp_path).returncode == 0
    assert run_cli("run", "p/evalkit.yaml", "--out", "o1", "--tables-only", cwd=tmp_path).returncode == 0
    whole = snapshot(tmp_path / "o1")
    monkeypatch.setattr(output.csv_pieces, "__defaults__", (1000,))  # smaller pieces: more cuts
    for cut in (1, 2, 5, 13):
        asked = []

        def ready(self, cut=cut):  # the answer "arrives" at the cut-th question
            asked.append(1)
            return len(asked) >= cut and self._conn.poll(None)

        monkeypatch.setattr(workers.Helper, "ready", ready)
        out = f"o2-{cut}"
        r = run_cli("run", "p/evalkit.yaml", "--out", out, "--jobs", "2", "--tables-only", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert snapshot(tmp_path / out) == whole, cut
        assert len(asked) >= cut
