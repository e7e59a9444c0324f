"""Data preparation, in COINr's order: derived indicators, screening, imputation, treatment.

Pure functions on (n_units, n_years, n_ind) float64 arrays (NaN = missing)
and uint8 flags of the same shape (bit 1 imputed, bit 2 treated); each
returns new arrays and a frozen record of what it did.

Source: docs/methods.md#derived, #screening, #imputation, #outlier-treatment.
"""

from evalkit.prepare.derived import (
    DerivedRecord,
    Formula,
    FormulaError,
    derive,
    evaluate,
    parse_formula,
)
from evalkit.prepare.impute import STEPS as IMPUTE_STEPS
from evalkit.prepare.impute import ImputeRecord, impute
from evalkit.prepare.screen import ScreenRecord, screen
from evalkit.prepare.treat import ColumnTreatment, TreatRecord, skew_kurt, treat

IMPUTED = 1
TREATED = 2

__all__ = [
    "DerivedRecord", "Formula", "FormulaError", "derive", "evaluate", "parse_formula",
    "IMPUTE_STEPS", "ImputeRecord", "impute",
    "ScreenRecord", "screen",
    "ColumnTreatment", "TreatRecord", "skew_kurt", "treat",
    "IMPUTED", "TREATED",
]
