"""Derived indicators: safe arithmetic formulas over raw variables.

A leaf with ``formula: "beds / population * 10000"`` is computed from raw
variables declared beside the tree's root.  The formula is parsed with
:mod:`ast` and checked against a whitelist; it is evaluated by walking the
checked tree with numpy.  Nothing is ever compiled to code or evaluated by
Python, so a formula cannot run anything but arithmetic.

Grammar (everything else is refused with a :class:`FormulaError`):

    expr   := number | name | expr op expr | (+|-) expr | ( expr ) | call
    op     := + - * / **
    call   := log(e) | log10(e) | sqrt(e) | exp(e) | abs(e)
            | min(e, e, ...) | max(e, e, ...)      (element-wise, >= 2 args)

Source: docs/methods.md#derived; README.md "File formats by example" (``formula:``, ``variables:``) and
the preparation order (docs/methods.md#screening).
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

MAX_LENGTH = 500
MAX_DEPTH = 40

# name -> (numpy function, minimum number of arguments, maximum or None)
FUNCTIONS: dict[str, tuple[Callable[..., np.ndarray], int, int | None]] = {
    "log": (np.log, 1, 1),
    "log10": (np.log10, 1, 1),
    "sqrt": (np.sqrt, 1, 1),
    "exp": (np.exp, 1, 1),
    "abs": (np.abs, 1, 1),
    "min": (np.minimum, 2, None),
    "max": (np.maximum, 2, None),
}

_BINOPS: dict[type, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    ast.Add: ("+", np.add),
    ast.Sub: ("-", np.subtract),
    ast.Mult: ("*", np.multiply),
    ast.Div: ("/", np.divide),
    ast.Pow: ("**", np.power),
}

_REFUSED_OPS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}

_KIND = {  # what the user wrote, in words, for the refusal message
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' / 'or'",
    ast.Lambda: "lambda",
    ast.IfExp: "'if ... else'",
    ast.NamedExpr: "assignment (':=')",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "strings",
    ast.FormattedValue: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dictionaries",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.Slice: "slices",
}


class FormulaError(Exception):
    """A formula the user must fix: lower-case message, 1-based column or None.

    Not a ValueError: the core keeps ValueError for broken invariants (bugs).

    The loader turns it into a located Problem (``file:line:col+col-1``).
    """

    def __init__(self, message: str, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


@dataclass(frozen=True, slots=True, eq=False)
class Formula:
    """A checked formula: its text, the variable names it reads (sorted, unique)."""

    text: str
    names: tuple[str, ...]
    tree: ast.expr = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False)
class DerivedRecord:
    """What one evaluation did.

    n_cells: output cells; n_missing_input: cells missing because an input was
    missing; n_invalid: cells set missing because the arithmetic was undefined
    (division by zero, log of <= 0, sqrt of < 0, overflow to inf);
    invalid: bool mask of those cells (read-only).
    """

    formula: str
    names: tuple[str, ...]
    n_cells: int
    n_missing_input: int
    n_invalid: int
    invalid: np.ndarray = field(repr=False)


# --------------------------------------------------------------------------- parsing


def parse_formula(text: str) -> Formula:
    """Parse and check ``text``; raise :class:`FormulaError` on anything outside the grammar.

    Newlines and tabs count as spaces (a folded YAML string); columns are
    1-based characters of ``text``.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text (got {type(text).__name__})", None)
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"formula is too long ({len(text)} characters; at most {MAX_LENGTH})", MAX_LENGTH + 1
        )
    flat = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    body = flat.lstrip(" ")
    lead = len(flat) - len(body)
    if not body.strip():
        raise FormulaError("formula is empty", 1)
    if "\x00" in body:
        raise FormulaError("formula contains a null character", lead + body.index("\x00") + 1)
    try:
        with warnings.catch_warnings():  # Python's own SyntaxWarnings ("invalid decimal literal") are not ours to print
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        msg = (e.msg or "invalid syntax").lower()
        if msg.startswith("invalid syntax"):
            msg = "invalid syntax"
        end = len(body.rstrip(" ")) + 1
        col = e.offset if isinstance(e.offset, int) and 0 < e.offset <= end else end
        if col == end and msg == "invalid syntax":
            msg = "it ends too early"
        raise FormulaError(f"formula is not a valid expression: {msg}", lead + col) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("formula is nested too deeply", None) from None

    checker = _Checker(body, lead)
    checker.check(tree.body, 0)
    return Formula(text=text, names=tuple(sorted(checker.names)), tree=tree.body)


class _Checker:
    """Walks the tree once, refusing every node outside the whitelist."""

    def __init__(self, body: str, lead: int) -> None:
        self.body = body
        self.lead = lead
        self.names: set[str] = set()
        self._bytes = body.encode("utf-8")

    def col(self, node: ast.AST) -> int | None:
        off = getattr(node, "col_offset", None)
        if off is None:
            return None
        # ast offsets count UTF-8 bytes; users count characters
        chars = len(self._bytes[:off].decode("utf-8", errors="ignore"))
        return self.lead + chars + 1

    def fail(self, message: str, node: ast.AST) -> None:
        raise FormulaError(message, self.col(node))

    def check(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.fail(f"formula is nested too deeply (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None or v is Ellipsis:
                self.fail(f"'{v!r}' is not allowed in a formula (only numbers and names)", node)
            if isinstance(v, (str, bytes)):
                self.fail("strings are not allowed in a formula", node)
            if isinstance(v, complex):
                self.fail("complex numbers are not allowed in a formula", node)
            if not isinstance(v, (int, float)):  # pragma: no cover - defensive
                self.fail("only numbers and names are allowed in a formula", node)
            try:
                f = float(v)
            except OverflowError:
                self.fail("number is too large", node)
            if not np.isfinite(f):
                self.fail("number is too large", node)
            return
        if isinstance(node, ast.Name):
            name = node.id
            seg = ast.get_source_segment(self.body, node)
            if seg is not None and seg != name:
                self.fail(f"name '{seg}' must be written in plain (nfkc) form", node)
            if name.startswith("_"):
                self.fail(f"names starting with '_' are not allowed (got '{name}')", node)
            if name in FUNCTIONS:
                self.fail(f"'{name}' is a function: call it as {name}(...)", node)
            self.names.add(name)
            return
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op not in _BINOPS:
                sym = _REFUSED_OPS.get(op, op.__name__.lower())
                self.fail(f"operator '{sym}' is not allowed (use + - * / **)", node)
            # a flat chain (a + b + c ...) is left-deep: only right operands nest
            self.check(node.left, depth)
            self.check(node.right, depth + 1)
            return
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                sym = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?")
                self.fail(f"operator '{sym}' is not allowed (use + - * / **)", node)
            self.check(node.operand, depth + 1)
            return
        if isinstance(node, ast.Call):
            fn = node.func
            if not isinstance(fn, ast.Name):
                self.fail(
                    f"only calls to {', '.join(FUNCTIONS)} are allowed", fn
                )
            name = fn.id
            if name not in FUNCTIONS:
                self.fail(
                    f"unknown function '{name}' (allowed: {', '.join(FUNCTIONS)})", fn
                )
            if node.keywords:
                self.fail(f"keyword arguments are not allowed in {name}(...)", node.keywords[0])
            for a in node.args:
                if isinstance(a, ast.Starred):
                    self.fail("starred arguments are not allowed", a)
            _, lo, hi = FUNCTIONS[name]
            n = len(node.args)
            if n < lo or (hi is not None and n > hi):
                want = f"{lo}" if hi == lo else f"at least {lo}"
                self.fail(
                    f"{name}() takes {want} argument{'s' if (hi != 1) else ''} (got {n})", node
                )
            for a in node.args:
                self.check(a, depth + 1)
            return
        kind = _KIND.get(type(node), type(node).__name__.lower())
        self.fail(f"{kind} not allowed in a formula", node)


# --------------------------------------------------------------------------- evaluation


def evaluate(formula: Formula, env: Mapping[str, np.ndarray]) -> tuple[np.ndarray, DerivedRecord]:
    """Evaluate ``formula`` element-wise over the arrays in ``env``.

    env : name -> ndarray, all of one shape (typically (n_units, n_years));
        every name in ``formula.names`` must be present (the loader checks
        names before evaluation, so a missing one is a bug: ValueError).
    Returns ``(values, record)``: float64 array of the common shape.

    A missing (NaN or infinite) input gives a missing output, whatever the
    operation (so ``x ** 0`` stays missing when x is).  Undefined arithmetic
    (x/0, log of <= 0, sqrt of < 0, a negative number to a fractional power,
    overflow) gives NaN, never inf or an exception, and is counted in the
    record as ``n_invalid``.

    Source: docs/methods.md#derived; numpy semantics with errors suppressed.
    """
    missing_names = [n for n in formula.names if n not in env]
    if missing_names:
        raise ValueError(f"evaluate: no values for {missing_names}")
    arrays = {n: np.asarray(env[n], dtype=np.float64) for n in formula.names}
    shapes = [a.shape for a in arrays.values()] or [np.asarray(v).shape for v in env.values()]
    shape = np.broadcast_shapes(*shapes) if shapes else ()
    missing_in = np.zeros(shape, dtype=bool)
    for a in arrays.values():
        missing_in |= ~np.isfinite(a)
    with np.errstate(all="ignore"):
        out = np.array(np.broadcast_to(_value(formula.tree, arrays), shape), dtype=np.float64)
    bad = ~np.isfinite(out)
    invalid = np.array(bad & ~missing_in)
    out[bad | missing_in] = np.nan
    invalid.flags.writeable = False
    rec = DerivedRecord(
        formula=formula.text,
        names=formula.names,
        n_cells=int(out.size),
        n_missing_input=int(missing_in.sum()),
        n_invalid=int(invalid.sum()),
        invalid=invalid,
    )
    return out, rec


def _value(node: ast.AST, env: Mapping[str, np.ndarray]) -> np.ndarray:
    """Value of a checked node (only whitelisted node types reach here)."""
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)][1](_value(node.left, env), _value(node.right, env))
    if isinstance(node, ast.UnaryOp):
        v = _value(node.operand, env)
        return np.negative(v) if isinstance(node.op, ast.USub) else np.positive(v)
    if isinstance(node, ast.Call):
        fn, _, _ = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        args = [_value(a, env) for a in node.args]
        if len(args) == 1:
            return fn(args[0])
        acc = args[0]
        for a in args[1:]:
            acc = fn(acc, a)
        return acc
    raise ValueError(f"unchecked node {type(node).__name__}")  # a bug: parse_formula checks


def derive(
    values: np.ndarray, names: Sequence[str], formulas: Sequence[Formula]
) -> tuple[np.ndarray, tuple[DerivedRecord, ...]]:
    """Evaluate several formulas over a panel of raw variables.

    values : (n_units, n_years, n_vars) raw variables, axis 2 named by ``names``.
    Returns ``(x, records)``: (n_units, n_years, len(formulas)) and one record each.
    """
    if values.ndim != 3 or values.shape[2] != len(names):
        raise ValueError("derive: values must be (n_units, n_years, len(names))")
    env = {n: values[:, :, i] for i, n in enumerate(names)}
    out = np.empty(values.shape[:2] + (len(formulas),), dtype=np.float64)
    recs = []
    for k, f in enumerate(formulas):
        out[:, :, k], r = evaluate(f, env)
        recs.append(r)
    return out, tuple(recs)
