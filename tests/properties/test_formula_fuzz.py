"""Fuzzing the formula parser: only FormulaError escapes, nothing ever runs."""

from __future__ import annotations

import builtins
import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.prepare.derived import FUNCTIONS, Formula, FormulaError, evaluate, parse_formula

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

TOKENS = st.sampled_from([
    "a", "b", "pop", "beds", "_x", "__import__", "os", "system", "1", "0", "2.5", "1e3", "1e999",
    "+", "-", "*", "/", "**", "//", "%", "(", ")", ",", ".", "[", "]", ":", "=", "==", "<",
    "lambda", "if", "else", "and", "not", "'s'", '"x"', "j", "True", "None", "...", "@",
    *FUNCTIONS, "eval", "exec", "open", " ", "\n", "\t", "床位", ":=", "*", "{", "}", "\\", "#",
])


def _parse(text: str) -> Formula | None:
    try:
        with no_code_runs():
            return parse_formula(text)
    except FormulaError as e:
        assert isinstance(e.message, str) and e.message
        assert e.col is None or (isinstance(e.col, int) and e.col >= 1)
        return None


@contextlib.contextmanager
def no_code_runs():
    """Any attempt to eval, exec, import or open while inside fails loudly."""
    def boom(*a, **k):  # pragma: no cover - only runs on a bug
        raise AssertionError("parse_formula ran code")
    names = ("eval", "exec", "__import__", "open")
    saved = {n: getattr(builtins, n) for n in names}

    def guarded_import(name, *a, **k):
        # CPython's parser imports unicodedata to NFKC-normalise non-ASCII names
        if name == "unicodedata":
            return saved["__import__"](name, *a, **k)
        return boom()

    for n in names:
        setattr(builtins, n, guarded_import if n == "__import__" else boom)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(builtins, n, v)


def _check_evaluates(f: Formula) -> None:
    rng = np.random.default_rng(0)
    env = {n: rng.normal(size=6) * 10 for n in f.names}
    for v in env.values():
        v[0] = np.nan
        v[1] = 0.0
    out, rec = evaluate(f, env)
    assert out.shape == (6,) or (not f.names and out.shape == ())
    assert not np.isinf(out).any()
    assert rec.n_invalid + rec.n_missing_input <= rec.n_cells
    if f.names:
        assert np.isnan(out[0])  # a missing input gives a missing output


@SETTINGS
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_formula_error(text):
    f = _parse(text)
    if f is not None:
        assert all(n.isidentifier() and not n.startswith("_") for n in f.names)
        _check_evaluates(f)


@SETTINGS
@given(st.lists(TOKENS, min_size=1, max_size=25).map("".join))
def test_token_soup_parses_or_raises_formula_error(text):
    f = _parse(text)
    if f is not None:
        # a variable may be called "eval": it is only a key looked up in env
        assert set(f.names).isdisjoint({"__import__", "_x", *FUNCTIONS})
        _check_evaluates(f)


expr = st.recursive(
    st.sampled_from(["a", "b", "c", "2", "0", "0.5", "1e3"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "+"]), inner).map("".join),
        st.tuples(st.sampled_from(["log", "log10", "sqrt", "exp", "abs"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
    ),
    max_leaves=12,
)


@SETTINGS
@given(expr)
def test_grammatical_formulas_parse_and_never_give_inf(text):
    f = _parse(text)
    if f is None:  # the grammar only produces refusals for size
        with pytest.raises(FormulaError, match="too deeply|too long"):
            parse_formula(text)
    else:
        _check_evaluates(f)


@pytest.mark.parametrize("text", [
    "__import__('os').system('x')",
    "().__class__.__bases__[0].__subclasses__()",
    "eval('1')", "exec('1')", "open('/etc/passwd')", "compile('1', '', 'eval')",
    "globals()", "locals()", "getattr(a, 'b')", "a.__dict__", "(lambda: 1)()",
    "[x for x in ().__class__.__mro__]", "f'{__import__(\"os\")}'",
])
def test_escapes_are_refused_without_running(text):
    err = None
    with no_code_runs():
        try:
            parse_formula(text)
        except FormulaError as e:  # only FormulaError may escape
            err = e
    assert err is not None and err.message
