"""``evalkit import``: evalkit definitions built from other tables (an indicator table, a COINr index)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Command, CommandError, debug_parent


def _configure_import(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    debug = debug_parent()
    c = sub.add_parser("coinr", parents=[debug], help="COINr's iData + iMeta as an evalkit project",
                       description="Convert an index built with COINr (iData + iMeta) into an evalkit project.")
    c.add_argument("idata", help="COINr iData (CSV or XLSX): uCode, uName, Time, group and denominator columns, "
                                 "one column per indicator")
    c.add_argument("imeta", help="COINr iMeta (CSV or XLSX): iCode, iName, Level, Parent, Direction, Weight, Type "
                                 "(+ Unit, Denominator, ScaleFactor)")
    c.add_argument("dir", help="folder for the new project (evalkit.yaml, tree.yaml, weights.yaml, values.csv, "
                               "units.csv)")
    c.add_argument("--group", help="iData column holding the units' group (default: iMeta's first Group row)")
    c.add_argument("--year", type=int, help="the data's year when iData has no Time column")
    c.add_argument("--force", action="store_true", help="overwrite project files already in DIR")
    c.set_defaults(import_func=_cmd_import_coinr)
    t = sub.add_parser("table", parents=[debug], help="an indicator table (CSV or XLSX) as tree.yaml + weights.yaml",
                       description="Turn an indicator table (columns id, name_zh, name_en, parent, direction, unit, "
                       "optional weight and source; Chinese headers 指标代码, 指标名称, 英文名称, 上级, 方向, 单位, 权重, "
                       "来源 accepted) into a tree YAML and a weight scheme YAML to edit.")
    t.add_argument("table", metavar="INDICATORS", help="the indicator table (.csv or .xlsx)")
    t.add_argument("dir", help="folder for tree.yaml and weights.yaml")
    t.add_argument("--default", choices=("entropy", "equal", "critic", "cv"), default="entropy",
                   help="weighting of the groups whose children have no weight in the table (default entropy)")
    t.add_argument("--force", action="store_true", help="overwrite tree.yaml / weights.yaml already in DIR")
    t.set_defaults(import_func=_cmd_import_table)


def cmd_import(args) -> int:
    return args.import_func(args)


def _cmd_import_coinr(args) -> int:
    from ..importers.coinr import import_coinr

    s = import_coinr(Path(args.idata), Path(args.imeta), Path(args.dir), group=args.group, year=args.year,
                     force=args.force)
    years = f"{s.years[0]}" if len(s.years) == 1 else f"{s.years[0]}-{s.years[-1]}"
    print(f"wrote {s.folder}: {s.n_units} units, {years}, {s.n_indicators} indicators "
          f"({len(s.denominated)} denominated), {s.n_groups} groups"
          + (f", units grouped by {s.group}" if s.group else ""))
    print(f"run it with: evalkit run {s.folder / 'evalkit.yaml'}")
    return 0


def _cmd_import_table(args) -> int:
    from ..importers.table import import_table
    from ..load.yamlnodes import display_path

    if not Path(args.table).is_file():
        raise CommandError(f"no such file: {args.table}")
    s = import_table(Path(args.table), Path(args.dir), default=args.default, force=args.force)
    fixed = f"fixed weights at {', '.join(s.fixed_nodes)}" if s.fixed_nodes else "no weights in the table"
    print(f"wrote {', '.join(display_path(f) for f in s.files)}: {s.n_indicators} indicators under {s.n_groups} "
          f"groups; {fixed}; every other group: {s.default}")
    if s.english_filled:
        print(f"note: {s.english_filled} node(s) had no English name: the Chinese name is used for both (edit "
              "name.en in tree.yaml)")
    print("next: a project file naming these two files and the values file (see README, 'File formats')")
    return 0


IMPORT = Command("import", "build evalkit definitions from other tables: an indicator table, or a COINr index",
                 _configure_import, cmd_import)
