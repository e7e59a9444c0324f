"""The output folder: whose it is (the marker alone proves it), the swap, and what killed runs leave behind.

Each case starts like a user would: ``evalkit init p`` (or a tiny project), then
``evalkit run``.  Runs killed at a chosen moment are simulated by leaving the
folders a killed run leaves (names ``.<out>.tmp-<pid>-*`` / ``.<out>.old-<pid>``
of a process that has exited); test_output_workers.py kills real runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _projects import leaf, node, write_project  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import run_cli  # noqa: E402

from evalkit.output import MARKER, staged_folder  # noqa: E402

TREE = node("idx", node("A", leaf("a1"), leaf("a2", "cost")), node("B", leaf("b1"), leaf("b2")))


def tiny(folder: Path, **project) -> Path:
    """A 4-unit, 2-year project (fast to run) in ``folder``; returns evalkit.yaml."""
    x = np.random.default_rng(7).uniform(1, 9, (4, 2, 4))
    return write_project(folder, tree=TREE, values=x, units=["u1", "u2", "u3", "u4"], years=[2020, 2021],
                         groups=["g1", "g1", "g2", "g2"], **project)


def dead_pid() -> int:
    """The id of a process that has run and been reaped (not reused this soon on Linux)."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}."))


# ------------------------------------------------------------------ 1. ownership by the marker alone


@pytest.mark.parametrize("via", ["--out", "output:"])
def test_a_foreign_folder_with_a_manifest_is_refused_and_kept(tmp_path, via):
    web = tmp_path / "webapp"
    (web / "sub").mkdir(parents=True)
    (web / "manifest.json").write_text("{}\n")
    (web / "precious.txt").write_text("keep\n")
    before = snapshot(web)
    if via == "--out":
        project = tiny(tmp_path / "p")
        r = run_cli("run", str(project), "--out", "webapp", cwd=tmp_path)
    else:
        project = tiny(tmp_path / "p", output="../webapp")
        r = run_cli("run", str(project), cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "manifest.json but no .evalkit-output marker" in r.stderr and "delete the folder" in r.stderr
    assert r.stderr.count("\n") == 2 and "Traceback" not in r.stderr  # one problem, then the summary line
    assert snapshot(web) == before and (web / "sub").is_dir()
    assert siblings(web) == []


def test_an_old_output_without_the_marker_is_replaced_once_marked(tmp_path):
    project = tiny(tmp_path / "p")
    assert run_cli("run", str(project), "--out", "o", cwd=tmp_path).returncode == 0
    (tmp_path / "o" / MARKER).unlink()  # an output written before the marker existed
    assert run_cli("run", str(project), "--out", "o", cwd=tmp_path).returncode == 1
    (tmp_path / "o" / MARKER).write_text("")  # what the message says to do
    r = run_cli("run", str(project), "--out", "o", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o" / "results.csv").is_file()


# ------------------------------------------------------------------ 11. an interrupted swap is recovered


def killed_between_renames(out: Path) -> tuple[Path, Path]:
    """Leave ``out`` as a run killed between the swap's two renames leaves it: the previous output at
    ``.out.old-<pid>``, the complete new one at ``.out.tmp-<pid>-*``, and no ``out``."""
    pid = dead_pid()
    old = out.with_name(f".{out.name}.old-{pid}")
    out.rename(old)
    tmp = out.with_name(f".{out.name}.tmp-{pid}-k1ll3d_x")
    tmp.mkdir()
    (tmp / MARKER).write_text("")
    (tmp / "results.csv").write_text("half\n")
    return old, tmp


def test_next_run_restores_the_old_output_of_a_swap_cut_short(tmp_path):
    project = tiny(tmp_path / "p")
    assert run_cli("run", str(project), cwd=tmp_path).returncode == 0
    out = tmp_path / "p" / "out"
    first = snapshot(out)
    killed_between_renames(out)
    # a run that stops early (a report year not in the data): the old output comes back all the same
    r = run_cli("run", str(project), "--year", "1999", cwd=tmp_path)
    assert r.returncode == 1 and "--year 1999 is not in the data" in r.stderr
    assert "note: restored p/out from .out.old-" in r.stderr
    assert snapshot(out) == first
    assert siblings(out) == []  # the dead run's temporary folder was removed too
    r = run_cli("run", str(project), cwd=tmp_path)
    assert r.returncode == 0 and "note:" not in r.stderr and siblings(out) == []


@pytest.mark.parametrize("command", ["plan", "collect status", "compare"])
def test_every_command_writing_the_folder_recovers_it_first(tmp_path, command):
    project = tiny(tmp_path / "p")
    assert run_cli("run", str(project), cwd=tmp_path).returncode == 0
    out = tmp_path / "p" / "out"
    first = snapshot(out)
    killed_between_renames(out)
    args = {"plan": ["plan", str(project), "--unit", "u4", "--year", "2021", "--rank", "1"],
            "collect status": ["collect", "status", str(project), "--year", "2021"],
            "compare": ["compare", str(project), "--set", "normalize.method=zscore"]}[command]
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "note: restored" in r.stderr
    now = snapshot(out)
    relinked = {k for k in first if command == "compare" and k.endswith("/index.html")}  # they list compare.html
    assert {k: v for k, v in now.items() if k in first and k not in relinked} == \
        {k: v for k, v in first.items() if k not in relinked}  # the old files are back, the new ones added
    assert all(b'href="../compare.html"' in now[k] for k in relinked)
    assert len(now) > len(first) and siblings(out) == []


# ------------------------------------------------------------------ 12. litter of killed runs


def test_litter_is_removed_only_when_ours_and_dead(tmp_path):
    from evalkit.output import recover

    out = tmp_path / "out"
    with staged_folder(out) as t:
        (t / "a.csv").write_text("a\n")
    dead = dead_pid()
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        def make(name: str, marker: bool = True, content: bool = True) -> Path:
            p = tmp_path / name
            p.mkdir()
            if marker:
                (p / MARKER).write_text("")
            if content:
                (p / "x.html").write_text("x")
            return p

        stale = [make(f".out.tmp-{dead}-abc123"), make(f".out.del-{dead}"), make(f".out.old-{dead}"),
                 make(f".out.tmp-{dead}-emptyy", marker=False, content=False)]
        kept = [make(f".out.tmp-{sleeper.pid}-abc123"),      # its process is alive
                make(f".out.tmp-{dead}-nomark", marker=False),  # not ours: no marker
                make(f".out.tmp-{dead}-x.y"),                   # not our name pattern
                make(f".other.tmp-{dead}-abc123"),              # another folder's
                make(f".out.tmp-{dead}")]                       # no random part: not a name mkdtemp makes
        (tmp_path / f".out.old-{dead}-link").symlink_to(out)   # a link is never followed
        recover(out)
        assert not any(p.exists() for p in stale)
        assert all(p.exists() for p in kept) and (tmp_path / f".out.old-{dead}-link").is_symlink()
        assert (out / "a.csv").read_text() == "a\n"  # the output itself is there: the old one is litter
    finally:
        sleeper.kill()
        sleeper.wait()
