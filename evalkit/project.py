"""The project (evalkit.yaml): what to score, with which settings (the data model, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import Pos
from .tree import Names

NORMALIZE_METHODS = ("minmax", "zscore", "rank", "goalpost")
SCOPES = ("panel", "year")
LANGS = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Settings:
    """The method settings of a run: what `rescore` and `--set` may change."""

    normalize: str = "minmax"
    scope: str = "panel"
    aggregate: str = "arithmetic"
    min_share: float = 2 / 3
    geometric_shift: float = 1.0  # geometric mean on s − lo + shift (1: COINr-style, 0: plain, HDI)
    scale: tuple[float, float] = (0.0, 100.0)
    rank_round: int | None = None  # round scores to this many decimals before ranking (HDI: 3)
    prepare: Mapping[str, Any] = field(default_factory=dict)  # resolved preparation settings
    analysis: Mapping[str, Any] = field(default_factory=dict)
    sensitivity: Mapping[str, Any] = field(default_factory=dict)
    planning: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "normalize": {"method": self.normalize, "scope": self.scope},
            "aggregate": {"method": self.aggregate, "min_share": self.min_share,
                          "geometric_shift": self.geometric_shift},
            "scale": list(self.scale),
            "ranks": {"round": self.rank_round},
            "prepare": _plain(self.prepare),
            "analysis": _plain(self.analysis),
            "sensitivity": _plain(self.sensitivity),
            "planning": _plain(self.planning),
        }


@dataclass(frozen=True, slots=True)
class RelationType:
    """A kind of tie between units declared in the project file (``relations:``), e.g. data sharing."""

    id: str
    name: Names
    directed: bool
    unit: str = ""
    unit_en: str | None = None
    pos: Pos = field(default=Pos("<memory>"), compare=False)


@dataclass(frozen=True, slots=True)
class Project:
    file: Path  # absolute path of evalkit.yaml ("" for in-memory projects)
    title: Names
    framework: Path
    weights: Path
    values: Path
    units: Path
    targets: Path | None = None
    synthetic: bool = False
    years: tuple[int, int] | None = None
    settings: Settings = Settings()
    grades: tuple[tuple[str, float], ...] = ()  # (label, lower bound), best first
    lang: str = "zh"
    output: Path = Path("out")
    bundled_demo: bool = False
    pos: Mapping[str, Pos] = field(default_factory=dict)  # YAML position of each key, for messages
    relations: Path | None = None  # data.relations: the city-pair ties file (optional)
    relation_types: tuple[RelationType, ...] = ()

    def inputs(self) -> dict[str, Path]:
        out = {"project": self.file, "framework": self.framework, "weights": self.weights,
               "values": self.values, "units": self.units}
        if self.targets is not None:
            out["targets"] = self.targets
        if self.relations is not None:
            out["relations"] = self.relations
        return out

    def grade_of(self, score: float) -> str:
        for label, lower in self.grades:
            if score >= lower:
                return label
        return ""


def _plain(m: Any) -> Any:
    if isinstance(m, Mapping):
        return {k: _plain(v) for k, v in m.items()}
    if isinstance(m, (list, tuple)):
        return [_plain(v) for v in m]
    return m
