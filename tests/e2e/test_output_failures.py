"""A failure while writing never commits the output folder; results.xlsx fits any tree in Excel's limits.

Every failure (a page, in the parent or a worker process; a table; the workbook)
aborts the whole swap: the previous output stays byte for byte, no temporary
folder is left, and the error is reported once — a user error located (exit 1),
a bug as exit 3, never a traceback.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _projects import write_project  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import run_cli  # noqa: E402
from test_output_folder import TREE, siblings, snapshot  # noqa: E402

import evalkit.report.excel as excel  # noqa: E402
import evalkit.report.render as render  # noqa: E402
import evalkit.run as run  # noqa: E402

X = np.random.default_rng(11).uniform(1, 9, (4, 2, 4))
UNITS = ["u1", "u2", "u3", "u4"]


def project(folder: Path, **extra) -> Path:
    return write_project(folder, tree=TREE, values=X, units=UNITS, years=[2020, 2021], groups=["g1", "g1", "g2", "g2"],
                         **extra)


@pytest.fixture
def previous(tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    """A project with a complete earlier output: (evalkit.yaml, out, its files)."""
    p = project(tmp_path / "p")
    r = run_cli("run", str(p), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "p" / "out"
    return p, out, snapshot(out)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("evalkit: note")]


def test_a_scale_overflowing_to_infinity_is_refused_at_its_line(tmp_path, previous):
    p, out, before = previous
    project(tmp_path / "p", scale=[-1e308, 1e308])
    r = run_cli("run", str(p), cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 2 and lines[0].startswith("p/evalkit.yaml:") and "scale" in lines[0], r.stderr
    assert snapshot(out) == before and siblings(out) == []


def test_pages_that_cannot_be_drawn_fail_the_run_once(tmp_path, previous):
    p, out, before = previous
    project(tmp_path / "p", scale=[0, 1e-320])  # a span too small for the charts' arithmetic
    r = run_cli("run", str(p), cwd=tmp_path)
    assert r.returncode in (1, 3) and "Traceback" not in r.stderr
    assert len(error_lines(r.stderr)) <= 2, r.stderr  # one error (and at most a summary line), not one per page
    assert snapshot(out) == before and siblings(out) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_failed_scorecard_keeps_the_previous_output(tmp_path, previous, monkeypatch, jobs):
    p, out, before = previous
    real = render.render_scorecard

    def fails_for_u3(pp, env, unit_id, year, lang):
        if unit_id == "u3":
            raise OverflowError("cannot convert float infinity to integer")
        return real(pp, env, unit_id, year, lang)

    monkeypatch.setattr(render, "render_scorecard", fails_for_u3)  # forked workers inherit it
    r = run_cli("run", str(p), "--jobs", jobs, "--year", "2020", "--year", "2021", cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "internal error" in lines[0] and "2 of 14 pages" in lines[0], r.stderr  # 8 scorecards, 2 overviews, 2 regional, 2 methods annexes
    assert "u3: OverflowError" in lines[0] and "left as it was" in lines[0]
    assert snapshot(out) == before and siblings(out) == []


def test_a_failure_while_readying_the_pages_early_is_left_to_the_pages(tmp_path, previous, monkeypatch):
    p, out, before = previous

    def fails(prepared):
        raise RuntimeError("not ready")

    monkeypatch.setattr(render, "warm_up", fails)  # run --jobs 2 readies the pages while DEA is computed
    r = run_cli("run", str(p), "--jobs", "2", cwd=tmp_path)
    assert r.returncode == 0 and error_lines(r.stderr) == [], r.stderr
    assert snapshot(out) == before  # the same output as the run with --jobs 1


def test_a_failed_table_or_workbook_keeps_the_previous_output(tmp_path, previous, monkeypatch):
    p, out, before = previous
    real = run.write_csv

    def table_fails(df, path):
        if Path(path).name == "obstacles.csv":
            raise ValueError("bug in a table")
        real(df, path)

    monkeypatch.setattr(run, "write_csv", table_fails)
    r = run_cli("run", str(p), cwd=tmp_path)
    assert r.returncode == 3 and len(error_lines(r.stderr)) == 1 and "bug in a table" in r.stderr
    assert snapshot(out) == before and siblings(out) == []
    monkeypatch.setattr(run, "write_csv", real)

    def disk_full(wb, path):
        import io

        wb.save(io.BytesIO())  # the disk fills after openpyxl has written its sheets
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(excel, "save_workbook", disk_full)
    r = run_cli("run", str(p), cwd=tmp_path)
    assert r.returncode == 1 and "No space left on device" in r.stderr and "Traceback" not in r.stderr
    assert snapshot(out) == before and siblings(out) == []


def test_a_failed_table_process_waits_for_the_workbook_process(tmp_path, previous, monkeypatch):
    """With --jobs 2 the tables and results.xlsx are written by two forked processes: when the first fails,
    the run still waits for the second before the temporary folder goes (none is left writing into it)."""
    p, out, before = previous
    done = tmp_path / "workbook-finished"

    def table_fails(obj, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    real = excel.write_results_xlsx

    def slow_workbook(*args, **kwargs):
        import time

        time.sleep(1.5)
        real(*args, **kwargs)
        done.write_text("yes", encoding="utf-8")

    monkeypatch.setattr(run, "write_json", table_fails)
    monkeypatch.setattr(excel, "write_results_xlsx", slow_workbook)
    r = run_cli("run", str(p), "--jobs", "2", cwd=tmp_path)
    assert r.returncode == 1 and "No space left on device" in r.stderr
    assert done.is_file()                               # the workbook's process had ended before the run did
    assert snapshot(out) == before and siblings(out) == []


# ------------------------------------------------------------------ results.xlsx within Excel's limits


def cells(path: Path) -> dict[tuple, object]:
    """Every value of the level and raw sheets keyed by (sheet kind, unit, year, column header, sub-header):
    the same for a workbook however its sheets are split."""
    wb = load_workbook(path)
    out: dict[tuple, object] = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if ws.title.startswith("权重") or len(rows) < 2:
            continue
        kind = ws.title.split(" (")[0]
        top, sub = rows[0], rows[1]
        heads = []
        for k, h in enumerate(top):
            heads.append(h if h else heads[-1] if k >= 4 else h)  # a node's rank column sits under its name
        for r in rows[2:]:
            for k in range(4, len(r)):
                key = (kind, r[0], r[3], heads[k], sub[k])
                assert key not in out, key
                out[key] = r[k]
    return out


def test_results_xlsx_splits_sheets_that_exceed_excel_limits(tmp_path, monkeypatch):
    p = project(tmp_path / "p")
    assert run_cli("run", str(p), "--out", "wide", cwd=tmp_path).returncode == 0
    monkeypatch.setattr(excel, "MAX_COLS", 4 + 3 * 2 + 1)  # 2 nodes (score, rank, province rank) or 7 indicators
    monkeypatch.setattr(excel, "MAX_ROWS", 2 + 3)      # 3 unit-years under the two header rows
    r = run_cli("run", str(p), "--out", "split", "--jobs", "2", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    wb = load_workbook(tmp_path / "split" / "results.xlsx")
    for ws in wb.worksheets:
        assert ws.max_column <= 11 and ws.max_row <= 5 or ws.title.startswith("权重"), (ws.title, ws.dimensions)
    names = wb.sheetnames
    # level 2 has 4 leaves (sheet 指标): 2 column parts × 3 row parts (8 unit-years); raw values: 1 × 3
    assert [n for n in names if n.startswith("指标")] == [f"指标 ({k})" for k in range(1, 7)]
    assert [n for n in names if n.startswith("原始数据")] == [f"原始数据 ({k})" for k in range(1, 4)]
    assert len(names) == len(set(names))
    whole = cells(tmp_path / "wide" / "results.xlsx")
    assert cells(tmp_path / "split" / "results.xlsx") == whole and len(whole) > 8 * 4
