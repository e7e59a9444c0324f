"""Worker processes end with their parent: `run --jobs 2` and `sensitivity --jobs 2` killed with SIGKILL.

A killed run also leaves its temporary folder; the next run removes it (with a note on stderr).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import EVALKIT, run_cli  # noqa: E402
from test_output_folder import siblings, tiny  # noqa: E402


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's wait is missing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_workers_die_with_a_killed_parent_and_the_next_run_cleans_up(tmp_path, command):
    project = tiny(tmp_path / "p", sensitivity={"weights": {"noise": 0.2}, "normalize": ["minmax", "zscore"]})
    extra = ["--draws", "30000"] if command == "sensitivity" else ["--year", "2020", "--year", "2021"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = tmp_path / "p" / "out"
    # workers of the pool: wait for them, then SIGKILL the parent (it cannot stop them itself)
    for attempt in range(3):
        parent = subprocess.Popen(EVALKIT + [command, str(project), "--jobs", "2", *extra], cwd=tmp_path, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and parent.poll() is None and len(workers) < 2:
            workers = _children(parent.pid)
            time.sleep(0.005)
        if len(workers) >= 2 and parent.poll() is None:
            break
        parent.wait()
    assert len(workers) >= 2, "the pool's workers were never seen"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    gone_by = time.monotonic() + 5
    while time.monotonic() < gone_by and any(_running(w) for w in workers):
        time.sleep(0.05)
    survivors = [w for w in workers if _running(w)]
    for w in survivors:  # leave no stray process behind, whatever the outcome
        os.kill(w, signal.SIGKILL)
    assert survivors == [], "workers outlived their parent"
    if command == "run":  # killed while rendering into its temporary folder
        assert any(n.startswith(".out.tmp-") for n in siblings(out))
    r = run_cli("run", str(project), cwd=tmp_path)
    assert r.returncode == 0 and ("note: removed" in r.stderr or command != "run")
    assert siblings(out) == [] and (out / "results.csv").is_file()
