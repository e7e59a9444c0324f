"""Load the test vectors (tests/vectors/*.json) and reshape their arrays.

The vectors store panels as year × city × indicator; evalkit's axes are
unit × year × indicator.  Convert once, here.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

VECTOR_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """The whole vector file ``name`` (with or without ``.json``)."""
    stem = name[:-5] if name.endswith(".json") else name
    with open(VECTOR_DIR / f"{stem}.json", encoding="utf-8") as fh:
        return json.load(fh)


def cases(name: str) -> list[dict[str, Any]]:
    """The ``cases`` list of vector file ``name``."""
    return list(load(name)["cases"])


def case(name: str, case_name: str) -> dict[str, Any]:
    """One case of vector file ``name`` by its ``name``."""
    for c in cases(name):
        if c["name"] == case_name:
            return c
    raise KeyError(f"{name}: no case {case_name!r}")


def case_names(name: str) -> list[str]:
    """Names of every case of vector file ``name`` (for parametrisation)."""
    return [c["name"] for c in cases(name)]


def tol(c: dict[str, Any], key: str = "abs") -> float:
    """A case's absolute tolerance (``tolerance[key]``, else ``tolerance['abs']``)."""
    t = c["tolerance"]
    if isinstance(t, (int, float)):
        return float(t)
    return float(t.get(key, t.get("abs")))


def arr(value: Any) -> np.ndarray:
    """A float64 array of a JSON list."""
    return np.asarray(value, dtype=np.float64)


def year_city_to_units_years(a: Any) -> np.ndarray:
    """(years, cities[, indicators]) -> (units, years[, indicators])."""
    a = arr(a)
    if a.ndim == 2:
        return a.T.copy()
    if a.ndim == 3:
        return np.transpose(a, (1, 0, 2)).copy()
    raise ValueError(f"expected a 2-D or 3-D year × city array, got shape {a.shape}")


def minmax(x: np.ndarray, directions: Sequence[str], axis: int | tuple[int, ...] = 0) -> np.ndarray:
    """Reference direction-adjusted min–max z (docs/methods.md#minmax), for the tests only.

    Bounds over ``axis``; benefit '+' (x − min)/(max − min), cost '−' (max − x)/(max − min);
    a constant column gives z = 0 (docs/methods.md#entropy, constant_column).
    """
    x = arr(x)
    lo = x.min(axis=axis, keepdims=True)
    hi = x.max(axis=axis, keepdims=True)
    rng = hi - lo
    safe = np.where(rng > 0, rng, 1.0)
    up = (x - lo) / safe
    down = (hi - x) / safe
    cost = np.array([d in ("-", "−", "cost") for d in directions])
    z = np.where(cost, down, up)
    return np.where(rng > 0, z, 0.0)
