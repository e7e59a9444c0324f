"""User-facing problems: located, collected, raised once.

Loaders never raise on bad input: they add a :class:`Problem` to a
:class:`Problems` collector, skip the bad part and go on checking.  At stage
boundaries ``problems.raise_if_errors()`` raises one :class:`UserError`
holding every problem found.  The numeric core never meets a user mistake.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

MAX_PER_CODE = 20


@dataclass(frozen=True, slots=True)
class Pos:
    """Where a problem is: file as the user would type it, 1-based line (the
    spreadsheet row for data files, header = row 1) and 1-based column."""

    file: str
    line: int = 0
    col: int | None = None

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.col is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    pos: Pos
    message: str  # found, expected, fix: lower-case, one line, no final period
    code: str  # stable kebab-case id, e.g. "unknown-key"
    severity: str = "error"  # or "warning"
    count: int = 1  # how many problems this line stands for ("... and 30 more rows")
    text: str = ""  # a catalogue key (evalkit/locale) that words the message in the reader's language ...
    fields: tuple[tuple[str, object], ...] = ()  # ... with these fields; the message is its English text

    def worded(self, lang: str) -> str:
        """The line in ``lang``: the catalogue's wording where the problem has one, else :meth:`__str__`."""
        if not self.text or lang == "en":
            return str(self)
        from .i18n import t

        prefix = "" if self.severity == "error" else t("cli_warning", lang)
        return f"{self.pos}: {prefix}{t(self.text, lang, **dict(self.fields))}"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.pos}: {prefix}{self.message}"

    def sort_key(self) -> tuple:
        return (self.severity != "error", self.pos.file, self.pos.line, self.pos.col or 0)


def worded(pos: Pos, code: str, text: str, severity: str = "warning", **fields) -> Problem:
    """A problem whose message is the catalogue's English text ``text`` with ``fields``; :meth:`Problem.worded`
    gives it in another language."""
    from .i18n import t

    return Problem(pos, t(text, "en", **fields), code, severity, text=text, fields=tuple(fields.items()))


class UserError(Exception):
    """The one exception for everything the user must fix."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=Problem.sort_key))
        n = self.n_errors
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input")

    @property
    def n_errors(self) -> int:
        return sum(p.count for p in self.problems if p.severity == "error")

    def lines(self) -> list[str]:
        """One line per problem, at most ``MAX_PER_CODE`` of one kind, then a count."""
        out: list[str] = []
        seen: dict[str, int] = {}
        for p in self.problems:
            seen[p.code] = seen.get(p.code, 0) + 1
            if seen[p.code] <= MAX_PER_CODE:
                out.append(str(p))
        for code, n in seen.items():
            if n > MAX_PER_CODE:
                out.append(f"... and {n - MAX_PER_CODE} more problems of the kind '{code}'")
        return out

    def __str__(self) -> str:  # pragma: no cover - for interactive use
        return "\n".join(self.lines())


class Problems:
    """Collector of problems found while reading and checking inputs."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, pos: Pos, message: str, code: str, severity: str = "error", *, count: int = 1) -> None:
        self.items.append(Problem(pos, message, code, severity, count))

    def warn(self, pos: Pos, message: str, code: str) -> None:
        self.add(pos, message, code, "warning")

    def warn_text(self, pos: Pos, code: str, text: str, **fields) -> None:
        """A warning worded by the catalogue key ``text`` with ``fields`` (:func:`worded`); English as message."""
        self.items.append(worded(pos, code, text, "warning", **fields))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise UserError(self.items)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or, failing a close match, the options."""
    opts = sorted(set(options))
    close = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if len(opts) <= 12:
        return f" (allowed: {', '.join(opts)})"
    return ""


def quote(value: object, limit: int = 50) -> str:
    """The user's value quoted and cut to ``limit`` characters ("…" in the middle)."""
    text = str(value)
    if len(text) > limit:
        half = (limit - 1) // 2
        text = text[:half] + "…" + text[-half:]
    return f"'{text}'"


class CommandError(Exception):
    """A user-side problem found by a command itself (bad argument values, existing folder ...).

    The command line prints it as one line and exits 1; it lives here, below every command
    module, so that the command line and the functions it calls both import it from one place."""
