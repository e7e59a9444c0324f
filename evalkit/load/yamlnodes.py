"""Reading YAML as located nodes: every value keeps its file, line and column.

``yaml.compose`` with the safe loader builds nodes, not Python objects, so a
problem can point at the exact key or value the user must edit, and scalars
keep their text (``1e-4`` is a number to us, ``0123`` stays an id).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import yaml

from ..errors import Pos, Problems, did_you_mean, quote

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class NoAliasDumper(yaml.SafeDumper):
    """A safe dumper that writes repeated objects out in full: evalkit refuses aliases when reading."""

    def ignore_aliases(self, data) -> bool:  # noqa: ARG002 - the signature is PyYAML's
        return True


def dump(data) -> str:
    """YAML text for evalkit's own readers (no aliases, unicode kept, keys in order)."""
    return yaml.dump(data, Dumper=NoAliasDumper, allow_unicode=True, sort_keys=False)


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def at(node: yaml.Node, file: str) -> Pos:
    """1-based position of a node's start."""
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)


def read_text(path: Path, problems: Problems) -> str | None:
    file = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(Pos(file), "file not found (check the path)", "file-not-found")
        return None
    except OSError as e:
        problems.add(Pos(file), f"cannot read the file: {e.strerror}", "file-unreadable")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.add(Pos(file, line), "the file is not valid UTF-8 text (save it as UTF-8)", "not-utf8")
        return None


def compose(path: Path | str, problems: Problems, *, text: str | None = None) -> yaml.Node | None:
    """Parse a YAML file (or ``text`` named ``path``) into nodes; syntax errors become located problems."""
    if text is None:
        text = read_text(Path(path), problems)
        if text is None:
            return None
    file = display_path(path) if isinstance(path, Path) else path
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        pos = Pos(file, mark.line + 1, mark.column + 1) if mark else Pos(file, 1)
        what = e.problem or "invalid YAML"
        ctx = f" {e.context}" if e.context else ""
        problems.add(pos, f"YAML syntax error: {what}{ctx}", "yaml-syntax")
        return None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (a control character ...)
        problems.add(_reader_pos(text, e, file), f"the character {_char_name(e.character)} is not allowed in YAML "
                     "text: delete it (or write it as an escape inside double quotes)", "yaml-syntax")
        return None
    except yaml.YAMLError as e:  # pragma: no cover - unmarked errors are rare
        problems.add(Pos(file, 1), f"YAML error: {e}", "yaml-syntax")
        return None
    if node is None:
        problems.add(Pos(file, 1), "the file is empty", "empty-file")
    elif _has_alias(node, file, problems) | _has_foreign_tag(node, file, problems):
        return None
    return node


def _char_name(ch: object) -> str:
    code = ch if isinstance(ch, int) else ord(str(ch)[:1] or "\0")
    return f"U+{code:04X}"


def _reader_pos(text: str, e: "yaml.reader.ReaderError", file: str) -> Pos:
    """Line and column of the refused character (the reader's own position counts bytes in libyaml)."""
    ch = e.character if isinstance(e.character, str) else chr(e.character) if isinstance(e.character, int) else ""
    k = text.find(ch) if ch else -1
    if k < 0:
        k = min(max(int(getattr(e, "position", 0) or 0), 0), len(text))
    line = text.count("\n", 0, k) + 1
    return Pos(file, line, k - (text.rfind("\n", 0, k) + 1) + 1)


#: The tags the readers understand: what YAML's core schema resolves plain values to.  An explicit
#: application tag (``!foo``) or a Python/binary/set tag means nothing to evalkit and is refused.
PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq",
                                                            "timestamp", "merge"))


def _children(node: yaml.Node) -> list[yaml.Node]:
    """A node's keys and values (mapping) or items (sequence), for the walks below."""
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _has_foreign_tag(root: yaml.Node, file: str, problems: Problems) -> bool:
    found = False
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag not in PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            if tag == "!!value":  # a bare '=' resolves to the "value" type
                problems.add(at(node, file), "the value '=' is not understood: quote it (\"=\") or write the "
                             "intended value", "yaml-tag")
            else:
                problems.add(at(node, file), f"YAML tag {quote(tag)} is not supported: remove it and write the "
                             "plain value", "yaml-tag")
            found = True
        stack += _children(node)
    return found


def _has_alias(root: yaml.Node, file: str, problems: Problems) -> bool:
    """Anchors and aliases (&a / *a) are refused: a node reached twice could multiply without bound."""
    seen: set[int] = set()
    stack = [root]
    found = False
    while stack:
        node = stack.pop()
        if id(node) in seen:
            problems.add(at(node, file), "YAML anchors and aliases (&name / *name) are not supported: write the "
                         "values out", "yaml-alias")
            found = True
            continue
        seen.add(id(node))
        stack += _children(node)
    return found


MAX_NUMBER_TEXT = 40


@dataclass(frozen=True, slots=True)
class Range:
    """The plausible values of a numeric setting: ``lo <= x <= hi`` (open ends excluded), whole numbers or not.

    Bounds keep a setting where the numerics stay meaningful: a scale of [-1e308, 1e308] or
    [0, 1e-320] reads as numbers but overflows or underflows in the first division.
    """

    lo: float
    hi: float
    integer: bool = False
    lo_open: bool = False
    hi_open: bool = False
    code: str = "out-of-range"  # the problem code of a value outside

    def contains(self, v: float) -> bool:
        above = v > self.lo if self.lo_open else v >= self.lo
        below = v < self.hi if self.hi_open else v <= self.hi
        return above and below

    def __str__(self) -> str:
        a = "(" if self.lo_open else "["
        b = ")" if self.hi_open else "]"
        def show(x: float) -> str:
            return str(int(x)) if self.integer else f"{x:g}"

        return f"in {a}{show(self.lo)}, {show(self.hi)}{b}"


@dataclass(frozen=True)
class Key:
    """One allowed key of a mapping: its reader and a one-line doc."""

    reader: Callable[..., Any]
    required: bool = False
    doc: str = ""


class Doc:
    """Typed, located readers over one YAML file's nodes; problems are collected."""

    def __init__(self, file: str, problems: Problems) -> None:
        self.file = file
        self.problems = problems

    def pos(self, node: yaml.Node) -> Pos:
        return at(node, self.file)

    def error(self, node: yaml.Node, message: str, code: str) -> None:
        self.problems.add(self.pos(node), message, code)

    def warn(self, node: yaml.Node, message: str, code: str) -> None:
        self.problems.warn(self.pos(node), message, code)

    # --- structure ---------------------------------------------------------
    def mapping(self, node: yaml.Node, schema: dict[str, Key] | None, what: str, *,
                hints: dict[str, str] | None = None) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """Check a mapping node: unknown keys (did-you-mean), duplicates, required keys.

        ``hints`` maps a key that belongs elsewhere to the advice given instead of a
        did-you-mean (``scope`` in a weighting: "per-year weights are `by: year`").
        Returns key -> (key node, value node) for the keys that passed.
        """
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping (key: value lines), found {kind(node)}", "not-a-mapping")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                self.error(knode, "merge keys ('<<') are not supported: write the keys out", "merge-key")
                continue
            if not isinstance(knode, yaml.ScalarNode):
                self.error(knode, f"keys in {what} must be plain words", "bad-key")
                continue
            key = knode.value
            if key in out:
                first = self.pos(out[key][0])
                self.error(knode, f"key '{key}' given twice in {what} (first at line {first.line})", "duplicate-key")
                continue
            if schema is not None and key not in schema:
                hint = f" ({hints[key]})" if hints and key in hints else did_you_mean(key, schema)
                self.error(knode, f"unknown key '{key}' in {what}{hint}", "unknown-key")
                continue
            out[key] = (knode, vnode)
        if schema is not None:
            for key, spec in schema.items():
                if spec.required and key not in out:
                    self.error(node, f"{what} has no '{key}' ({spec.doc})" if spec.doc else f"{what} has no '{key}'",
                               "missing-key")
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list, found {kind(node)}", "not-a-list")
            return None
        return list(node.value)

    # --- scalars -----------------------------------------------------------
    def scalar(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what} must be a single value, found {kind(node)}", "not-a-scalar")
            return None
        return node.value

    def text(self, node: yaml.Node, what: str) -> str | None:
        v = self.scalar(node, what)
        if v is None:
            return None
        if node.tag == "tag:yaml.org,2002:null" or v.strip() == "":
            self.error(node, f"{what} is empty", "empty-value")
            return None
        return v

    def ident(self, node: yaml.Node, what: str) -> str | None:
        v = self.text(node, what)
        if v is None:
            return None
        if not ID_RE.match(v):
            self.error(node, f"{what} {quote(v)} may hold only letters, digits, '_', '.', '-' (and not start with '.' or '-')",
                       "bad-id")
            return None
        return v

    def number(self, node: yaml.Node, what: str, *, fractions: bool = False, hint: str = "") -> float | None:
        """A finite number; ``hint`` is the fix a text that is no number is told (default: "a number such as 0.5")."""
        v = self.scalar(node, what)
        if v is None:
            return None
        s = v.strip()
        if len(s) > MAX_NUMBER_TEXT:  # no real number needs more; Fraction of a huge text is slow and overflows
            self.error(node, f"{what} {quote(v)} is {len(s)} characters long: write a number of at most "
                       f"{MAX_NUMBER_TEXT} characters", "not-a-number")
            return None
        try:
            if fractions and "/" in s:
                f = float(Fraction(s.replace(" ", "")))
            else:
                f = float(s)
        except OverflowError:
            self.error(node, f"{what} {quote(v)} is too large for a number", "not-finite")
            return None
        except (ValueError, ZeroDivisionError):
            fix = hint or ("a number, or a fraction like \"1/3\"" if fractions else "a number such as 0.5")
            self.error(node, f"{what} {quote(v)} is not a number (write {fix})", "not-a-number")
            return None
        if not math.isfinite(f):
            self.error(node, f"{what} {quote(v)} must be a finite number", "not-finite")
            return None
        return f

    def bounded(self, node: yaml.Node, what: str, rng: "Range", *, fractions: bool = False) -> float | None:
        """A number within ``rng`` (a whole number when ``rng.integer``); else a located error naming the range."""
        v = self.number(node, what, fractions=fractions, hint=f"a whole number {rng}" if rng.integer else "")
        if v is None:
            return None
        if rng.integer and v != int(v):
            self.error(node, f"{what} must be a whole number {rng}, found {v:g}", rng.code)
            return None
        if not rng.contains(v):
            self.error(node, f"{what} must be {'a whole number ' if rng.integer else ''}{rng}, found {v:g}",
                       rng.code)
            return None
        return int(v) if rng.integer else v

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        v = self.scalar(node, what)
        if v is None:
            return None
        low = v.strip().lower()
        if low in ("true", "yes", "on"):
            return True
        if low in ("false", "no", "off"):
            return False
        self.error(node, f"{what} {quote(v)} must be true or false", "not-a-boolean")
        return None

    def choice(self, node: yaml.Node, what: str, options: tuple[str, ...] | list[str]) -> str | None:
        v = self.text(node, what)
        if v is None:
            return None
        if v not in options:
            self.error(node, f"{what} {quote(v)} is not one of {', '.join(options)}{_close(v, options)}", "bad-choice")
            return None
        return v

    def pair(self, node: yaml.Node, what: str, rng: "Range | None" = None) -> tuple[float, float] | None:
        """A pair [lo, hi] of numbers (each within ``rng`` when given, located on its own)."""
        items = self.sequence(node, what)
        if items is None:
            return None
        if len(items) != 2:
            self.error(node, f"{what} must be a pair [lo, hi], found {len(items)} values", "bad-pair")
            return None
        a, b = (self.number(i, what) if rng is None else self.bounded(i, what, rng) for i in items)
        if a is None or b is None:
            return None
        return (a, b)


def kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "nothing"
    return f"the value {quote(node.value)}"


def _close(word: str, options) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
