"""The panel: one float array units × years × indicators, with its labels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

IMPUTED = np.uint8(1)
TREATED = np.uint8(2)
PROVISIONAL = np.uint8(4)


def readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


@dataclass(frozen=True, slots=True, eq=False)
class Panel:
    """Raw values: ``values[u, t, j]`` is unit u, year t, column j (NaN = missing).

    ``columns`` are indicator ids in the tree's leaf order, followed by raw
    variables used by formulas.  ``flags`` (uint8, same shape) marks cells:
    1 imputed, 2 treated (outlier), 4 provisional; 0 as given.
    ``rows`` holds the source row (spreadsheet numbering) of each cell, -1 if none,
    so later stages can point back to the values file.
    """

    values: np.ndarray
    units: tuple[str, ...]
    years: tuple[int, ...]
    columns: tuple[str, ...]
    flags: np.ndarray = field(default=None)  # type: ignore[assignment]
    rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = (len(self.units), len(self.years), len(self.columns))
        if self.values.shape != shape:
            raise ValueError(f"panel values have shape {self.values.shape}, labels say {shape}")
        flags = self.flags if self.flags is not None else np.zeros(shape, np.uint8)
        if flags.shape != shape:
            raise ValueError("panel flags must have the values' shape")
        object.__setattr__(self, "values", readonly(np.asarray(self.values, dtype=np.float64)))
        object.__setattr__(self, "flags", readonly(np.asarray(flags, dtype=np.uint8)))
        if self.rows is not None:
            object.__setattr__(self, "rows", readonly(self.rows))

    def column(self, name: str) -> int:
        return self.columns.index(name)

    def select(self, columns: tuple[str, ...]) -> np.ndarray:
        idx = [self.columns.index(c) for c in columns]
        return self.values[:, :, idx]

    def replace(self, **changes) -> "Panel":
        fields = dict(values=self.values, units=self.units, years=self.years,
                      columns=self.columns, flags=self.flags, rows=self.rows)
        fields.update(changes)
        return Panel(**fields)
