"""Convert UNDP HDRO's HDI time series into evalkit's values and units files.

    python examples/hdi/convert.py SOURCE_DIR

SOURCE_DIR holds ``hdi_panel_1990_2022_long.csv`` (iso3, country, region, year, le, eys, mys,
gnipc, hdi) and ``hdi_2022_components.csv``, both derived from the official
``HDR23-24_Composite_indices_complete_time_series.csv`` published by UNDP HDRO.

Writes, beside this script:

- ``values.csv`` (wide form): unit, year, le, eys, mys, gni_pc — the four
  components exactly as published (numbers copied as text, never re-formatted);
  an empty cell is a component UNDP does not publish.  The published HDI itself
  is *not* an input: evalkit computes it.
- ``units.csv``: id = ISO3 code, name_en = name_zh = the country's name (the
  source has no Chinese names), group = UNDP's developing-country region
  (AS, EAP, ECA, LAC, SA, SSA) or ``all`` for countries outside those regions.

The 11 aggregate rows (``ZZA.VHHD`` … ``ZZK.WORLD``) are groups, not countries,
and are not in the long panel.  Data: UNDP Human Development Report Office,
HDR 2023/24, CC BY 3.0 IGO.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPONENTS = {"le": "le", "eys": "eys", "mys": "mys", "gnipc": "gni_pc"}  # source column -> evalkit id


def convert(source: Path, out: Path) -> tuple[int, int]:
    with open(source / "hdi_panel_1990_2022_long.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    units: dict[str, tuple[str, str]] = {}
    for r in rows:
        units.setdefault(r["iso3"], (r["country"].strip(), r["region"].strip() or "all"))
    rows.sort(key=lambda r: (r["iso3"], int(r["year"])))
    with open(out / "values.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["unit", "year", *COMPONENTS.values()])
        for r in rows:
            w.writerow([r["iso3"], r["year"], *(r[c].strip() for c in COMPONENTS)])
    with open(out / "units.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name_zh", "name_en", "group"])
        for iso3 in sorted(units):
            name, region = units[iso3]
            w.writerow([iso3, name, name, region])
    return len(units), len(rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/hdi/convert.py SOURCE_DIR  (the folder holding the two CSV files above)")
    src = Path(sys.argv[1])
    n_units, n_rows = convert(src, HERE)
    print(f"wrote {HERE / 'values.csv'} ({n_rows} rows) and {HERE / 'units.csv'} ({n_units} countries)")
