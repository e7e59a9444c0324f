"""``evalkit explore``: the interactive weight explorer (explore.html).

The page is written by :func:`evalkit.run.explore_project`; this module parses, calls it and prints.
"""

from __future__ import annotations

import argparse

from .common import Command, print_warnings, project_path


def _configure_explore(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    p.add_argument("--out", help="output folder (default: the project's output; other files in it stay)")
    p.add_argument("--year", type=int, action="append", help="year the page offers (repeatable; default: the last)")
    p.add_argument("--lang", choices=("zh", "en"), help="page language (default: the project's)")


def cmd_explore(args) -> int:
    from ..run import explore_project

    summary = explore_project(project_path(args), out=args.out, years=args.year, lang=args.lang)
    from ..i18n import t

    lang = summary["lang"]
    print_warnings(summary["warnings"], lang)
    print(t("cli_explore_wrote", lang, out=summary["output"], years=", ".join(map(str, summary["years"])))
          + (t("cli_demo_data", lang) if summary.get("synthetic") else ""))
    return 0


EXPLORE = Command("explore", "the interactive weight explorer: move any node's weights, switch the aggregation and "
                  "see the league table follow (explore.html, one self-contained page)",
                  _configure_explore, cmd_explore)
