"""The command ends its process at once after ``main`` (``evalkit.cli.entry``): its output is complete
(flushed) and its exit code is main's; argparse's exit 2 leaves the ordinary way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import EVALKIT  # noqa: E402


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(EVALKIT + list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def test_output_is_flushed_and_the_exit_code_kept(tmp_path):
    ok = _run("validate", cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.rstrip().splitlines()[-1].startswith("检查通过：41 个单位")
    missing = _run("validate", str(tmp_path / "none.yaml"), cwd=tmp_path)
    assert missing.returncode == 1 and "file not found" in missing.stderr
    assert missing.stderr.rstrip().endswith("nothing was written")
    bad = _run("run", "--no-such-option", cwd=tmp_path)
    assert bad.returncode == 2 and "unrecognized arguments" in bad.stderr


def test_a_run_writes_everything_before_the_process_ends(tmp_path):
    done = _run("run", "--jobs", "2", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and (tmp_path / "out" / "results.xlsx").stat().st_size > 0
    assert len(list((tmp_path / "out").glob("*/*.html"))) == 44  # 41 scorecards, overview, region, methods
