"""The command line's basics: help, exit codes, --debug, init."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit import cli
from evalkit.cli import main


def _commands() -> list[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)


def test_the_spec_commands_exist():
    assert {"run", "validate", "weights", "init"} <= set(_commands())


def test_top_level_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: evalkit" in out
    for name in ("run", "validate", "weights", "init"):
        assert name in out


@pytest.mark.parametrize("command", _commands())
def test_help_of_each_command(command, capsys):
    assert main([command, "--help"]) == 0
    out, err = capsys.readouterr()
    assert f"usage: evalkit {command}" in out
    assert "--debug" in out
    assert err == ""


@pytest.mark.parametrize("argv", [
    [],                                   # no command
    ["frobnicate"],                       # unknown command
    ["validate", "a.yaml", "b.yaml"],     # one project only
    ["run", "--jobs", "0"],               # not a positive number
    ["run", "--lang", "fr"],              # not a choice
    ["init"],                             # DIR is required
    ["validate", "--no-such-option"],
])
def test_bad_command_line_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage: evalkit" in err
    assert "Traceback" not in err


def test_bad_command_line_exits_2_in_a_subprocess(tmp_path):
    r = _subprocess(["frobnicate"], tmp_path)
    assert r.returncode == 2
    assert "invalid choice: 'frobnicate'" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("argv", [["--debug", "validate"], ["validate", "--debug"]])
def test_debug_accepted_before_and_after_the_command(argv, capsys):
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "检查通过：41 个单位" in out
    assert "Traceback" not in err


def test_debug_with_a_user_error_still_has_no_traceback(tmp_path, capsys):
    assert main(["--debug", "validate", str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert "file not found" in err
    assert "Traceback" not in err


def _boom(args):
    raise RuntimeError("kaboom")


def test_internal_error_is_one_line_and_exit_3(monkeypatch, capsys):
    monkeypatch.setattr("evalkit.load.load_inputs", _boom)   # validate's first step raises
    assert main(["validate"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        "evalkit: internal error (RuntimeError: kaboom); this is a bug in evalkit — rerun with --debug for the "
        "traceback and report it"]


def test_internal_error_with_debug_shows_the_traceback(monkeypatch, capsys):
    monkeypatch.setattr("evalkit.load.load_inputs", _boom)   # validate's first step raises
    assert main(["validate", "--debug"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "kaboom" in err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("evalkit ")


def test_init_then_validate(tmp_path, capsys):
    folder = tmp_path / "proj"
    assert main(["init", str(folder)]) == 0
    assert (folder / "evalkit.yaml").is_file()
    out = capsys.readouterr().out
    assert "created" in out
    text = (folder / "evalkit.yaml").read_text(encoding="utf-8")
    assert "output: out" in text
    assert "../" not in text  # paths point at the copies
    assert main(["validate", str(folder / "evalkit.yaml")]) == 0
    out, err = capsys.readouterr()
    assert "检查通过：41 个单位，6 个年份（2019-2024）" in out
    assert not (folder / "out").exists()


def test_init_into_an_existing_empty_folder(tmp_path, capsys):
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "evalkit.yaml").is_file()


def test_init_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "not empty" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # untouched


def test_init_and_validate_in_a_subprocess(tmp_path):
    r = _subprocess(["init", "proj"], tmp_path)
    assert r.returncode == 0, r.stderr
    r = _subprocess(["validate", "proj/evalkit.yaml"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "检查通过：41 个单位" in r.stdout
    r = _subprocess(["init", "proj"], tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
