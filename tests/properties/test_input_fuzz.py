"""Fuzzing the inputs through the command line: mutations of the demo's project, tree, weights and
values files (keys deleted, duplicated or retyped, random scalars, YAML tags, odd unicode,
truncation, random bytes) must give exit 0 or 1 — never an internal error or a traceback — and an
input refused with exit 1 leaves nothing written: `run` on it exits 1 and its output folder stays
absent.

The CLI runs in-process (``evalkit.cli.main``) so each example takes a fraction of a second; the
budget is bounded for CI (``EVALKIT_FUZZ_EXAMPLES`` per file kind, default 40) and derandomised, so
a run is reproducible; raise the budget locally to search further."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.run import init_project
from tests.e2e._cli import run_cli

EXAMPLES = int(os.environ.get("EVALKIT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=not os.environ.get("EVALKIT_FUZZ_RANDOM"),  # set it to search beyond the fixed examples
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_ROOT = Path(tempfile.mkdtemp(prefix="evalkit-fuzz-"))
DEMO = init_project(_ROOT / "demo")
BASE = DEMO.parent
FILES = {
    "project": DEMO,
    "tree": BASE / "indicators" / "digital_governance.yaml",
    "weights": BASE / "weights" / "combined.yaml",
    "values": BASE / "data" / "values.csv",
}
ORIGINAL = {k: p.read_bytes() for k, p in FILES.items()}

SCALARS = ["", "~", "null", "0", "-1", "1e308", "-1e308", "1e-320", "nan", ".nan", ".inf", "-.inf", "[]", "{}",
           "[1, 2, 3]", "{a: 1}", "!foo 1", "!!binary aGVsbG8=", "!!python/object:os.system x", "!!set {a}", "=",
           "'quoted'", "yes", "2024-01-01", "9" * 60, "1/0", '"1' + "0" * 400 + '/1"', "0x1F", "1_000", "\u202eevil",
           "名字", "\ufeffbom", "x" * 300, "../../../../etc/passwd", "/dev/zero", ".", "[2019, 100000000]",
           "{A: 1e300}", "[0, 1e-320]", "&a 1", "*a", "<<: {x: 1}", "'1 ' \" 2"]
ODD = ["\u0000", "\u0007", "\u001b", "\u0085", "\u2028", "\ud7ff", "\ufffe", "\t", "\r", "\\", "\"", "'", ":", "#",
       "- ", "{", "[", "&", "*", "!", "|", ">", "%", "@", "`", "\u00a0", "\u200b", "𝒳"]
CSV_CELLS = ["", "NA", "-", "nan", "inf", "-inf", "1e400", "0x10", "1,5", "1.5.2", "#N/A", '"', '""', "\u3000",
             "310000", "99999999999999999999", "2024.5", "-2024", "100000000", "=1+1", "\ufeffunit", "名", "\x00"]


@st.composite
def yaml_mutation(draw, text: str) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "duplicate", "retype", "tag", "odd", "truncate", "swap"]))
        k = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[k] if lines else ""
        if op == "delete" and lines:
            del lines[k]
        elif op == "duplicate":
            lines.insert(k, line)
        elif op in ("retype", "tag"):
            head, sep, _ = line.partition(": ")
            if not sep:
                head, sep = line.rstrip(":"), ": "
            value = draw(st.sampled_from(SCALARS)) if op == "retype" else f"!{draw(st.sampled_from(['foo', 'x']))} 1"
            lines[k] = head + sep + value
        elif op == "odd":
            pos = draw(st.integers(0, len(line)))
            lines[k] = line[:pos] + draw(st.sampled_from(ODD)) + line[pos:]
        elif op == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[k], lines[j] = lines[j], lines[k]
        elif op == "truncate":
            joined = "\n".join(lines)
            return joined[: draw(st.integers(0, len(joined)))]
    return "\n".join(lines)


@st.composite
def csv_mutation(draw, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "duplicate", "cell", "bytes", "truncate", "header"]))
        k = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[k]
            if not lines:
                lines = [b""]
        elif op == "duplicate":
            lines.insert(k, lines[k])
        elif op in ("cell", "header"):
            if op == "header":
                k = 0
            cells = lines[k].split(b",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from(CSV_CELLS)).encode("utf-8")
            lines[k] = b",".join(cells)
        elif op == "bytes":
            pos = draw(st.integers(0, len(lines[k])))
            junk = draw(st.binary(min_size=1, max_size=8))
            lines[k] = lines[k][:pos] + junk + lines[k][pos:]
        elif op == "truncate":
            joined = b"\n".join(lines)
            return joined[: draw(st.integers(0, len(joined)))]
    return b"\n".join(lines)


def _cli(*args: str, cwd: Path) -> tuple[int, str]:
    r = run_cli(*args, cwd=cwd)
    return r.returncode, r.stderr


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def _check(kind: str, content: bytes) -> None:
    work = Path(tempfile.mkdtemp(dir=_ROOT))
    try:
        target = work / FILES[kind].name
        target.write_bytes(content)
        project = work / "evalkit.yaml"
        if kind != "project":
            text = ORIGINAL["project"].decode("utf-8")
            key = {"tree": "framework", "weights": "weights", "values": "values"}[kind]
            old = {"tree": "indicators/digital_governance.yaml", "weights": "weights/combined.yaml",
                   "values": "data/values.csv"}[kind]
            text = text.replace(f"{key}: {old}", f"{key}: {target.name}", 1)
        else:
            text = content.decode("utf-8", errors="surrogateescape")
        for rel in ("indicators/", "weights/", "data/"):  # every other input from the untouched demo
            text = text.replace(f": {rel}", f": {BASE}/{rel}")
        text = text.replace("output: out", f"output: {work / 'out'}")
        project.write_bytes(text.encode("utf-8", errors="surrogateescape"))
        before = _listing(work)
        code, err = _cli("validate", str(project), cwd=work)
        assert code in (0, 1), err
        assert "Traceback" not in err and "internal error" not in err, err
        assert _listing(work) == before
        if code == 1:
            assert err.rstrip().endswith("nothing was written"), err
            out = work / "run-out"
            code, err = _cli("run", str(project), "--out", str(out), cwd=work)
            assert code == 1 and "internal error" not in err and "Traceback" not in err, err
            assert not out.exists() and _listing(work) == before
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for kind_, path in FILES.items():  # the shared demo inputs are never modified
            assert path.read_bytes() == ORIGINAL[kind_], kind_


@pytest.mark.parametrize("kind", ["project", "tree", "weights"])
def test_yaml_mutations_exit_0_or_1_and_write_nothing_on_1(kind):
    text = ORIGINAL[kind].decode("utf-8")

    @FUZZ
    @given(yaml_mutation(text))
    def check(mutated: str) -> None:
        _check(kind, mutated.encode("utf-8", errors="surrogatepass"))

    check()


def test_values_mutations_exit_0_or_1_and_write_nothing_on_1():
    @FUZZ
    @given(csv_mutation(ORIGINAL["values"]))
    def check(mutated: bytes) -> None:
        _check("values", mutated)

    check()
