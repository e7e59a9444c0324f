"""Derived indicators: the formula whitelist, its messages and its arithmetic."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from evalkit.prepare import derived
from evalkit.prepare.derived import FormulaError, derive, evaluate, parse_formula


def run(text, **env):
    out, rec = evaluate(parse_formula(text), {k: np.asarray(v, float) for k, v in env.items()})
    return out, rec


# --------------------------------------------------------------------------- numbers


def test_beds_per_10000_people_known_numbers():
    beds = np.array([[1200.0, 1300.0], [450.0, 500.0], [80.0, 90.0]])  # 3 units x 2 years
    pop = np.array([[1.0e6, 1.1e6], [3.0e5, 3.2e5], [5.0e4, 6.0e4]])
    out, rec = run("hospital_beds / population * 10000", hospital_beds=beds, population=pop)
    np.testing.assert_allclose(out, [[12.0, 1300 / 110], [15.0, 15.625], [16.0, 15.0]], rtol=0, atol=1e-12)
    assert rec.names == ("hospital_beds", "population")
    assert (rec.n_cells, rec.n_missing_input, rec.n_invalid) == (6, 0, 0)


def test_missing_input_gives_missing_output_and_is_counted():
    out, rec = run("a + b", a=[1.0, np.nan, 3.0], b=[10.0, 20.0, np.nan])
    assert out[0] == 11.0 and np.isnan(out[1]) and np.isnan(out[2])
    assert rec.n_missing_input == 2 and rec.n_invalid == 0


def test_missing_input_stays_missing_even_when_numpy_would_not_propagate():
    out, _ = run("a ** 0 + 0 * b", a=[np.nan, 2.0], b=[1.0, np.nan])  # nan**0 == 1 in numpy
    assert np.isnan(out).all()


def test_precedence_and_unary_minus():
    out, _ = run("-a ** 2 + b * 3 - (b - a) / 2", a=[3.0], b=[4.0])
    assert out[0] == pytest.approx(-9 + 12 - 0.5, abs=1e-12)
    out, _ = run("2 ** 3 ** 2 + -+-a", a=[1.0])
    assert out[0] == 512 + 1


def test_functions_known_numbers():
    out, _ = run("log(e1) + log10(a) + sqrt(b) + exp(0) + abs(c)",
                 e1=[math.e], a=[1000.0], b=[16.0], c=[-2.5])
    assert out[0] == pytest.approx(1 + 3 + 4 + 1 + 2.5, abs=1e-12)


def test_min_max_element_wise_over_three_arguments():
    a, b, c = [1.0, 5.0, 9.0], [4.0, 2.0, 8.0], [3.0, 7.0, 0.0]
    lo, _ = run("min(a, b, c)", a=a, b=b, c=c)
    hi, _ = run("max(a, b, c)", a=a, b=b, c=c)
    assert lo.tolist() == [1.0, 2.0, 0.0] and hi.tolist() == [4.0, 7.0, 9.0]


def test_min_with_missing_argument_is_missing():
    out, _ = run("min(a, b)", a=[1.0, np.nan], b=[2.0, 3.0])
    assert out[0] == 1.0 and np.isnan(out[1])


@pytest.mark.parametrize(
    "text, env",
    [
        ("a / b", {"a": [1.0], "b": [0.0]}),
        ("a / b", {"a": [0.0], "b": [0.0]}),
        ("log(a)", {"a": [0.0]}),
        ("log(a)", {"a": [-1.0]}),
        ("log10(a)", {"a": [-5.0]}),
        ("sqrt(a)", {"a": [-4.0]}),
        ("exp(a)", {"a": [1000.0]}),
        ("a ** 0.5", {"a": [-2.0]}),
        ("a ** -1", {"a": [0.0]}),
        ("a * 1e308 * 10", {"a": [1.0]}),
    ],
)
def test_undefined_arithmetic_gives_missing_and_is_counted(text, env):
    out, rec = run(text, **env)
    assert np.isnan(out[0])
    assert rec.n_invalid == 1 and rec.invalid[0] and rec.n_missing_input == 0


def test_invalid_cells_are_located_in_the_mask():
    out, rec = run("a / b", a=[[1.0, 2.0], [3.0, 4.0]], b=[[1.0, 0.0], [0.0, 2.0]])
    assert rec.invalid.tolist() == [[False, True], [True, False]]
    assert out[1, 1] == 2.0


def test_no_warnings_from_numpy(recwarn):
    run("log(a) / b", a=[-1.0, 0.0], b=[0.0, 0.0])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_constant_formula_broadcasts_to_the_panel():
    out, rec = evaluate(parse_formula("2 * 3"), {"a": np.zeros((3, 2))})
    assert out.shape == (3, 2) and (out == 6).all() and rec.names == ()


def test_inputs_are_not_modified():
    a = np.array([1.0, np.nan, 0.0])
    keep = a.copy()
    evaluate(parse_formula("-a / a"), {"a": a})
    np.testing.assert_array_equal(a, keep)


def test_derive_over_a_panel_of_variables():
    v = np.arange(12, dtype=float).reshape(3, 2, 2) + 1.0
    x, recs = derive(v, ["p", "q"], [parse_formula("p / q"), parse_formula("q - p")])
    assert x.shape == (3, 2, 2)
    np.testing.assert_allclose(x[:, :, 0], v[:, :, 0] / v[:, :, 1])
    assert (x[:, :, 1] == 1.0).all() and len(recs) == 2


def test_evaluate_without_a_needed_name_is_a_bug():
    with pytest.raises(ValueError):
        evaluate(parse_formula("a + b"), {"a": np.ones(2)})


# --------------------------------------------------------------------------- names and text


def test_names_are_sorted_unique():
    f = parse_formula("b + a * b - log(c) + max(a, c)")
    assert f.names == ("a", "b", "c")


def test_non_ascii_names_and_folded_newlines():
    f = parse_formula("床位 /\n 人口\t* 10000")
    assert f.names == ("人口", "床位")
    out, _ = evaluate(f, {"床位": np.array([5.0]), "人口": np.array([1e4])})
    assert out[0] == 5.0


def test_leading_spaces_keep_columns():
    with pytest.raises(FormulaError) as e:
        parse_formula("   a.b")
    assert e.value.col == 4


def test_column_counts_characters_not_bytes():
    with pytest.raises(FormulaError) as e:
        parse_formula("床位 + x.y")
    assert e.value.col == 6


# --------------------------------------------------------------------------- refusals

REFUSED = [
    # (text, message fragment, column)
    ("a.b", "attribute", 1),
    ("x[0]", "subscript", 1),
    ("a < b", "comparison", 1),
    ("a == b", "comparison", 1),
    ("a and b", "'and' / 'or'", 1),
    ("lambda: 1", "lambda", 1),
    ("'text'", "strings", 1),
    ("f'{a}'", "strings", 1),
    ("b'x'", "strings", 1),
    ("log(a, base=2)", "keyword", 8),
    ("max(*a)", "starred", 5),
    ("(y := 1)", "':='", 2),
    ("foo(a)", "unknown function 'foo'", 1),
    ("a(b)", "unknown function 'a'", 1),
    ("_a + 1", "'_'", 1),
    ("a + __class__", "'_'", 5),
    ("__import__('os').system('x')", "only calls to", 1),
    ("a // b", "'//'", 1),
    ("a % b", "'%'", 1),
    ("a @ b", "'@'", 1),
    ("a ^ b", "'^'", 1),
    ("a | b", "'|'", 1),
    ("~a", "'~'", 1),
    ("not a", "'not'", 1),
    ("a if b else c", "'if ... else'", 1),
    ("[a, b]", "lists", 1),
    ("(a, b)", "tuples", 1),
    ("{a: b}", "dictionaries", 1),
    ("{a}", "sets", 1),
    ("[a for a in b]", "comprehensions", 1),
    ("True + a", "'True'", 1),
    ("None", "'None'", 1),
    ("...", "'Ellipsis'", 1),
    ("2j * a", "complex", 1),
    ("1" + "0" * 400, "too large", 1),
    ("1e999 * a", "too large", 1),
    ("log", "is a function", 1),
    ("log(a, b)", "log() takes 1 argument", 1),
    ("sqrt()", "sqrt() takes 1 argument", 1),
    ("min(a)", "min() takes at least 2 arguments", 1),
    ("max()", "max() takes at least 2 arguments", 1),
    ("a b", "invalid syntax", 3),
    ("a +", "ends too early", 4),
    ("(a + b", "never closed", 1),
    ("", "empty", 1),
    ("   ", "empty", 1),
    ("a = 1", "invalid syntax", 3),
    ("import os", "invalid syntax", 1),
    ("a\x00b", "null", 2),
    ("a" + " + a" * 130, "too long", 501),
    ("-" * 60 + "a", "nested too deeply", 42),
    ("x**" * 60 + "x", "nested too deeply", None),
    ("sqrt(" * 45 + "a" + ")" * 45, "nested too deeply", None),
]


@pytest.mark.parametrize("text, fragment, col", REFUSED, ids=[repr(r[0])[:30] for r in REFUSED])
def test_refused_with_a_located_lower_case_message(text, fragment, col):
    with pytest.raises(FormulaError) as e:
        parse_formula(text)
    msg = e.value.message
    assert fragment in msg
    assert msg == msg.lower() or "'" in msg  # lower-case apart from quoted user text
    assert not msg.endswith(".")
    assert "\n" not in msg
    if col is not None:
        assert e.value.col == col
    else:
        assert e.value.col is None or e.value.col >= 1


def test_redundant_parentheses_add_no_depth():
    f = parse_formula("(" * 150 + "a" + ")" * 150)
    assert f.names == ("a",)


def test_long_flat_sum_is_not_too_deep():
    text = " + ".join(f"v{i}" for i in range(60))
    assert len(parse_formula(text).names) == 60


def test_non_text_formula_refused():
    with pytest.raises(FormulaError):
        parse_formula(3)  # type: ignore[arg-type]


def test_refusal_never_runs_code(tmp_path):
    target = tmp_path / "pwned"
    for text in (f"__import__('os').system('touch {target}')",
                 f"open('{target}', 'w')",
                 "().__class__.__bases__[0].__subclasses__()",
                 f"exec(\"open('{target}','w')\")"):
        with pytest.raises(FormulaError):
            parse_formula(text)
    assert not target.exists()


def test_module_never_evaluates_or_compiles_code():
    src = Path(derived.__file__).read_text(encoding="utf-8")
    assert not re.search(r"(?<![\w.])(eval|exec|compile)\s*\(", src)
    assert "__builtins__" not in src and "getattr(np" not in src
