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


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process, from POSIX ``ps`` (Linux and macOS alike)."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,stat="], capture_output=True, text=True, check=True).stdout
    return {int(pid): (int(ppid), state) for pid, ppid, state in (line.split()[:3] for line in out.splitlines())}


def _children(pid: int) -> list[int]:
    return [p for p, (ppid, _) in _processes().items() if ppid == pid]


def _running(pid: int) -> bool:
    state = _processes().get(pid)
    return state is not None and not state[1].startswith(("Z", "X"))  # a zombie has ended; only its parent's wait is missing


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
