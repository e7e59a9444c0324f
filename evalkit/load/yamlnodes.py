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
    except yaml.YAMLError as e:  # pragma: no cover - unmarked errors are rare
        problems.add(Pos(file, 1), f"YAML error: {e}", "yaml-syntax")
        return None
    if node is None:
        problems.add(Pos(file, 1), "the file is empty", "empty-file")
    elif _has_alias(node, file, problems):
        return None
    return node


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
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += [k, v]
        elif isinstance(node, yaml.SequenceNode):
            stack += list(node.value)
    return found


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

    def number(self, node: yaml.Node, what: str, *, fractions: bool = False) -> float | None:
        v = self.scalar(node, what)
        if v is None:
            return None
        s = v.strip()
        try:
            if fractions and "/" in s:
                f = float(Fraction(s.replace(" ", "")))
            else:
                f = float(s)
        except (ValueError, ZeroDivisionError):
            hint = " (write a number, or a fraction like \"1/3\")" if fractions else " (write a number such as 0.5)"
            self.error(node, f"{what} {quote(v)} is not a number{hint}", "not-a-number")
            return None
        if not math.isfinite(f):
            self.error(node, f"{what} {quote(v)} must be a finite number", "not-finite")
            return None
        return f

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

    def pair(self, node: yaml.Node, what: str) -> tuple[float, float] | None:
        items = self.sequence(node, what)
        if items is None:
            return None
        if len(items) != 2:
            self.error(node, f"{what} must be a pair [lo, hi], found {len(items)} values", "bad-pair")
            return None
        a, b = (self.number(i, what) for i in items)
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
