"""Weight schemes: how much each child counts at each node (the data model, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from .errors import Pos
from .weight import DATA_METHODS, DATA_WEIGHTINGS

NO_POS = Pos("<memory>")

# the data-driven words come from the weighting registry (evalkit/weight/__init__.py)
DEFAULT_METHODS = DATA_METHODS
NODE_METHODS = ("equal", "fixed", *(m for m in DATA_WEIGHTINGS if m != "equal"), "ahp", "combined")
OBJECTIVE_METHODS = DATA_METHODS
#: Where a data-driven weighting learns its weights: the whole panel (one set) or each year (one set a year).
WEIGHT_BY = ("panel", "year")
BY_YEAR_METHODS = tuple(m for m, d in DATA_WEIGHTINGS.items() if "by" in d.options)
ENTROPY_VARIANTS = ("minmax", "ratio")
SUBJECTIVE_METHODS = ("ahp", "fixed")


@dataclass(frozen=True, slots=True)
class Judgment:
    """``[a, b, value]``: a is ``value`` times as important as b."""

    a: str
    b: str
    value: float
    text: str = ""  # as written, for messages: "[gov, transport, 2]"
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True, slots=True)
class Expert:
    name: str
    judgments: tuple[Judgment, ...]
    weight: float = 1.0
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True, slots=True)
class AhpSettings:
    method: str = "eigenvector"  # eigenvector | geometric
    max_cr: float = 0.10
    ri: str = "cn_textbook"


@dataclass(frozen=True, slots=True)
class Weighting:
    """How one node's children are weighted."""

    method: str
    weights: Mapping[str, float] | None = None  # fixed
    judgments: tuple[Judgment, ...] | None = None  # ahp
    experts: tuple[Expert, ...] | None = None  # group ahp
    complete: bool = True  # ahp: false = missing judgments are estimated
    ahp: AhpSettings | None = None  # per-node override of the scheme's ahp settings
    shift: float = 0.0  # entropy
    by: str = "panel"  # entropy, critic, cv: "year" learns one set of weights per year
    variant: str = "minmax"  # entropy: "minmax" (p from min–max z) | "ratio" (p = x / Σx on raw values)
    rescale: tuple[float, float] | None = None  # entropy: z -> lo + (hi − lo)·z first ([ε, 1 − ε])
    directional: bool = True  # critic: false = min–max without turning cost columns round
    share: Mapping[str, tuple[float, float]] | None = None  # bod: child -> (least, most) share of a unit's score
    subjective: "Weighting | None" = None  # combined
    objective: "Weighting | None" = None  # combined
    rule: str = "mdi"  # combined: mdi | multiplicative | linear | game_theory
    alpha: float = 0.5  # combined linear: w = alpha s + (1 - alpha) o
    pos: Pos = field(default=NO_POS, compare=False)

    def params(self) -> dict:
        """JSON-able description (for the step log and the methodology appendix)."""
        out: dict = {"method": self.method}
        if self.method == "fixed" and self.weights is not None:
            out["weights"] = dict(self.weights)
        if self.method == "ahp":
            if self.judgments is not None:
                out["judgments"] = [[j.a, j.b, j.value] for j in self.judgments]
            if self.experts is not None:
                out["experts"] = [{"name": e.name, "weight": e.weight,
                                   "judgments": [[j.a, j.b, j.value] for j in e.judgments]} for e in self.experts]
            out["complete"] = self.complete
            if self.ahp is not None:
                out["ahp"] = {"method": self.ahp.method, "max_cr": self.ahp.max_cr, "ri": self.ahp.ri}
        if self.method == "entropy":
            out["shift"] = self.shift
            if self.variant != "minmax":
                out["variant"] = self.variant
            if self.rescale is not None:
                out["rescale"] = list(self.rescale)
        if self.method == "critic" and not self.directional:
            out["directional"] = False
        if self.method == "bod" and self.share is not None:
            out["share"] = {k: list(v) for k, v in self.share.items()}
        # the defaults are left out so that the step log (and its keys) of existing projects stay as they were
        if self.by != "panel":
            out["by"] = self.by
        if self.method == "combined":
            out["subjective"] = self.subjective.params() if self.subjective else None
            out["objective"] = self.objective.params() if self.objective else None
            out["rule"] = self.rule
            if self.rule == "linear":
                out["alpha"] = self.alpha
        return out


@dataclass(frozen=True, slots=True)
class Scheme:
    default: Weighting = Weighting("equal")
    ahp: AhpSettings = AhpSettings()
    nodes: Mapping[str, Weighting] = field(default_factory=dict)
    file: str = ""

    def for_node(self, node_id: str) -> Weighting:
        return self.nodes.get(node_id, self.default)

    def with_node(self, node_id: str, weighting: Weighting) -> "Scheme":
        return replace(self, nodes={**self.nodes, node_id: weighting})
