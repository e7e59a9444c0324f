"""The command ends its process at once after ``main`` (``evalkit.cli.entry``): its output is complete
(flushed) and its exit code is main's; argparse's exit 2 leaves the ordinary way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import EVALKIT  # noqa: E402


def _env() -> dict[str, str]:
    """Python's own buffering (PYTHONUNBUFFERED would write every line at once and hide a missing flush)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(EVALKIT + list(args), cwd=cwd, capture_output=True, text=True, timeout=120, env=_env())


def test_output_to_a_file_is_complete(tmp_path):
    """Block-buffered (a file, not a terminal): the last line reaches the file before the process ends."""
    with open(tmp_path / "out.txt", "wb") as fh:
        done = subprocess.run(EVALKIT + ["validate"], cwd=tmp_path, stdout=fh, stderr=subprocess.PIPE, env=_env(),
                              timeout=120)
    assert done.returncode == 0
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert text.startswith("数据覆盖率") and text.rstrip().splitlines()[-1].startswith("检查通过：41 个单位")


def test_output_that_cannot_be_written_fails_the_command(tmp_path):
    """A full disk while the last output is flushed: exit 1 and a message, not a silent 0."""
    if not Path("/dev/full").exists():  # Linux has it; elsewhere nothing can fill a disk on cue
        return
    with open("/dev/full", "wb") as full:
        done = subprocess.run(EVALKIT + ["validate"], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, env=_env(),
                              timeout=120)
    assert done.returncode == 1
    assert b"the output could not be written" in done.stderr and b"No space left on device" in done.stderr


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


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    """`evalkit weights | head -1` with the reader gone before the output ends (the weight table is larger
    than the stream's buffer, so the broken pipe meets the command while it prints): exit 0, no message."""
    proc = subprocess.Popen(EVALKIT + ["weights"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env())
    proc.stdout.close()                                               # as head does: before the command writes
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 0 and b"could not be written" not in err and b"Traceback" not in err, err
