"""The commands that check and show a project without writing anything: ``validate``, ``weights``."""

from __future__ import annotations

import argparse
import sys

from .common import Command, print_warnings, project_path


def _configure_validate(v: argparse.ArgumentParser) -> None:
    v.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    v.add_argument("--lang", choices=("zh", "en"), help="language of the terminal's messages (default: the project's)")


def cmd_validate(args) -> int:
    from ..load import load_inputs
    from ..pipeline import score
    from ..summary import coverage_notes, coverage_summary

    inputs = load_inputs(project_path(args))
    result = score(inputs)  # AHP consistency is part of validation
    from ..i18n import t

    lang = args.lang or inputs.project.lang
    print_warnings([*result.notes, *coverage_notes(result)], lang)
    print(coverage_summary(result, head=t("cli_coverage_head", lang), names=None if lang == "en" else lang,
                           columns=(t("cli_cov_domain", lang), t("cli_cov_imputed", lang), t("cli_cov_treated", lang))))
    ys = inputs.panel.years
    span = f"{ys[0]}-{ys[-1]}" if len(ys) == ys[-1] - ys[0] + 1 else ", ".join(map(str, ys))  # editions listed
    print(t("cli_validate_ok", lang, units=len(inputs.units.ids), years=len(ys), span=span,
            leaves=len(inputs.tree.leaves), nodes=len(inputs.tree.inner)))
    return 0


def _configure_weights(w: argparse.ArgumentParser) -> None:
    w.add_argument("project", nargs="?", help="evalkit.yaml (default: the bundled demo)")
    w.add_argument("--lang", choices=("zh", "en"))
    w.add_argument("--format", choices=("text", "csv", "markdown", "latex"), default="text",
                   help="text (default): the tree for a person to read; csv | markdown | latex: one row per "
                        "indicator with its level-1 and level-2 weights (one column per year with per-year weights)")


def cmd_weights(args) -> int:
    from ..load import load_inputs
    from ..pipeline import score
    from ..summary import format_weights, weights_table, weights_wide

    inputs = load_inputs(project_path(args))
    result = score(inputs)
    lang = args.lang or inputs.project.lang
    print_warnings(result.notes, lang)
    fmt = getattr(args, "format", None) or "text"
    if fmt == "text":
        print(weights_table(result, lang=lang))
    else:
        sys.stdout.write(format_weights(weights_wide(result, lang=lang), fmt))
    return 0


VALIDATE = Command("validate", "check every input file and report all problems", _configure_validate, cmd_validate)
WEIGHTS = Command("weights", "print the weight table (node, method, local, global, CR)", _configure_weights,
                  cmd_weights)
