"""README's "Method variants" examples are valid input: the scheme loads on the demo tree, each line of the
project block loads as settings, and every new key is shown."""

from __future__ import annotations

import re
from pathlib import Path

from evalkit.errors import Problems
from evalkit.load import load_inputs
from evalkit.load.project import settings_from_text
from evalkit.load.scheme import load_scheme

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = re.split(r"\n##+ ", text.split("### Method variants", 1)[1], maxsplit=1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, flags=re.S)


def test_the_scheme_example_loads_on_the_demo_tree():
    scheme_text, _ = _blocks()
    tree = load_inputs(None).tree
    problems = Problems()
    scheme = load_scheme("README.md", tree, problems, text=scheme_text)
    assert not problems.errors, [str(p) for p in problems.errors]
    assert scheme.default.by == "year"
    assert {n: w.method for n, w in scheme.nodes.items()} == {
        "gov": "entropy", "transport": "entropy", "health": "critic", "education": "pca", "environment": "bod"}


def test_each_project_line_loads_as_settings():
    _, project_text = _blocks()
    lines = [ln for ln in project_text.splitlines() if ln and not ln.startswith(("#", " "))]
    assert len(lines) == 8
    for line in lines:
        problems = Problems()
        settings = settings_from_text(line, "README.md", problems)
        assert settings is not None and not problems.errors, (line, [str(p) for p in problems.errors])


def test_every_new_key_is_shown_once():
    scheme_text, project_text = _blocks()
    for key in ("by: year", "variant: ratio", "rescale:", "directional: false", "method: pca", "method: bod",
                "share:"):
        assert scheme_text.count(key) == 1, key
    for key in ("maxratio", "ties: min", "ddof:", "clip: null", "mean: 10, sd: 2", "normalize: minmax",
                "method: harmonic", "method: power, p: 2", "method: copeland", "method: proportions"):
        assert project_text.count(key) == 1, key
