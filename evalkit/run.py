"""`evalkit run` and `evalkit init`: from a project file to a complete output folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

from . import __version__
from .errors import Pos, Problems, UserError
from .load import Inputs, load_inputs
from .load.project import bundled_root, demo_project_path
from .load.yamlnodes import display_path
from .output import sha256, staged_folder, write_csv, write_json
from .panel import IMPUTED, PROVISIONAL, TREATED
from .pipeline import Result, score


def resolve_years(result: Result, years: list[int] | None) -> list[int]:
    available = result.years
    if not years:
        return [available[-1]]
    bad = [y for y in years if y not in available]
    if bad:
        from .cli import CommandError

        raise CommandError(f"--year {bad[0]} is not in the data (years {available[0]}-{available[-1]})")
    return sorted(set(years))


def manifest(result: Result) -> dict[str, Any]:
    project = result.inputs.project
    return {
        "engine": "evalkit",
        "version": __version__,
        "project": {
            "file": str(project.file),
            "title": {"zh": project.title.zh, "en": project.title.en},
            "framework": str(project.framework), "weights": str(project.weights),
            "values": str(project.values), "units": str(project.units),
            "targets": str(project.targets) if project.targets else None,
            "synthetic": project.synthetic,
            "years": list(result.years),
            "grades": dict(project.grades),
            "report": {"lang": project.lang},
            **result.settings.to_dict(),
        },
        "inputs": {name: {"path": str(p), "sha256": sha256(p)} for name, p in project.inputs().items()},
        "steps": [{"step": s.step, "target": s.target, "params": s.params, "key": s.key} for s in result.log],
        "preparation": result.prepared.records,
    }


def raw_frame(result: Result) -> pd.DataFrame:
    """Leaf values long: as reported (value) and as scored (value_used), with flags."""
    U, Y, L = result.prepared.x.shape
    uu, yy, ll = np.meshgrid(np.arange(U), np.arange(Y), np.arange(L), indexing="ij")
    flags = result.prepared.flags.ravel()
    return pd.DataFrame({
        "unit": np.array(result.units, dtype=object)[uu.ravel()],
        "year": np.array(result.years)[yy.ravel()],
        "indicator": np.array(result.tree.leaf_ids, dtype=object)[ll.ravel()],
        "value": result.prepared.x_raw.ravel(),
        "value_used": result.prepared.x.ravel(),
        "imputed": (flags & IMPUTED) > 0,
        "treated": (flags & TREATED) > 0,
        "provisional": (flags & PROVISIONAL) > 0,
    })


def analysis_tables(result: Result, targets: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Every analysis table the engine knows how to compute for this result."""
    try:
        from .analysis.tables import all_tables
    except ModuleNotFoundError as e:
        if e.name != "evalkit.analysis.tables":
            raise
        return {}
    return all_tables(result, targets)


def run_project(project_path: Path | None, *, out: str | None = None, years: list[int] | None = None,
                lang: str | None = None, jobs: int = 1, pdf: bool = False,
                progress: Callable[[int, int], None] | None = None,
                warn: Callable[[Any], None] | None = None) -> dict[str, Any]:
    inputs = load_inputs(project_path)
    result = score(inputs)
    if warn is not None:
        warn(result.notes)
    project = inputs.project
    report_years = resolve_years(result, years)
    lang = lang or project.lang
    target = Path(out).resolve() if out else project.output
    tables = analysis_tables(result, inputs.targets)
    pages = 0
    failures: list[str] = []
    with staged_folder(target) as tmp:
        write_csv(result.to_frame(), tmp / "results.csv")
        write_csv(result.weights_frame(), tmp / "weights.csv")
        for name, df in tables.items():
            write_csv(df, tmp / f"{name}.csv")
        write_json(manifest(result), tmp / "manifest.json")
        pages, failures = render(result, tables, tmp, report_years, lang, jobs, progress, pdf)
    return {"output": display_path(target), "years": report_years, "pages": pages, "failures": failures,
            "synthetic": project.synthetic}


def render(result: Result, tables: dict, out: Path, years: list[int], lang: str, jobs: int,
           progress, pdf: bool) -> tuple[int, list[str]]:
    """Scorecards, overview and results.xlsx, if the report module is present."""
    try:
        from .report import render as report_render
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith("evalkit.report"):
            raise
        return 0, []
    inp = report_input(result, tables)
    summary = report_render.render_reports(inp, out, years=years, lang=lang, jobs=jobs, progress=progress)
    from .report.excel import write_results_xlsx

    write_results_xlsx(inp, out / "results.xlsx", lang=lang)
    if pdf:
        from .report.pdf import write_pdfs

        try:
            write_pdfs(out, years, list(result.units), lang)
        except RuntimeError as e:
            from .cli import CommandError

            raise CommandError(str(e))
    failures = [f"{f[0]}: {f[1]}" if isinstance(f, tuple) else str(f) for f in getattr(summary, "failures", [])]
    return int(getattr(summary, "pages", 0)), failures


def report_input(result: Result, tables: dict[str, pd.DataFrame]):
    from .report.inputs import ReportInput

    project = result.inputs.project
    units = result.inputs.units.table
    units = units[units["id"].isin(result.units)].reset_index(drop=True)
    return ReportInput(
        tree=result.tree,
        units=units,
        results=result.to_frame(),
        weights=result.weights_frame(),
        raw=raw_frame(result),
        meta=report_meta(result),
        tables=tables,
        notes=tuple(str(p) for p in result.notes),
    )


def report_meta(result: Result) -> dict[str, Any]:
    project = result.inputs.project
    m = manifest(result)
    weighting = {}
    for node_id, nw in result.weighting.items():
        weighting[node_id] = {"method": nw.method, "cr": nw.cr, "ri_table": nw.ri_table,
                              "lambda_max": nw.lambda_max,
                              "experts": nw.details.get("experts") if nw.details else None}
    return {
        "title": {"zh": project.title.zh, "en": project.title.en},
        "scale": tuple(result.settings.scale),
        "grades": dict(project.grades),
        "synthetic": project.synthetic,
        "years": list(result.years),
        "method": {
            "normalize": {"method": result.settings.normalize, "scope": result.settings.scope},
            "aggregate": {"method": result.settings.aggregate, "min_share": result.settings.min_share},
            "weights_file": display_path(project.weights),
            "weighting": weighting,
            "preparation": result.prepared.records,
            "rank_round": result.settings.rank_round,
        },
        "manifest": {"version": __version__, "inputs": m["inputs"]},
    }


def init_project(folder: Path) -> Path:
    """Copy the demo project into ``folder`` with paths fixed, ``output: out``."""
    from .cli import CommandError

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CommandError(f"{folder} is not empty: choose a new or empty folder")
    src = demo_project_path()
    with open(src, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    base = src.parent
    folder.mkdir(parents=True, exist_ok=True)
    layout = {"framework": ("framework", "indicators"), "weights": ("weights", "weights")}
    for key, (_, sub) in layout.items():
        p = (base / doc[key]).resolve()
        (folder / sub).mkdir(exist_ok=True)
        shutil.copy2(p, folder / sub / p.name)
        doc[key] = f"{sub}/{p.name}"
    (folder / "data").mkdir(exist_ok=True)
    for key in ("values", "units"):
        p = (base / doc["data"][key]).resolve()
        shutil.copy2(p, folder / "data" / p.name)
        doc["data"][key] = f"data/{p.name}"
    if doc.get("targets"):
        p = (base / doc["targets"]).resolve()
        shutil.copy2(p, folder / "data" / p.name)
        doc["targets"] = f"data/{p.name}"
    # every shipped weight scheme too, so that switching schemes is a one-line edit
    for p in sorted((bundled_root() / "weights").glob("*.yaml")):
        if not (folder / "weights" / p.name).exists():
            shutil.copy2(p, folder / "weights" / p.name)
    doc["output"] = "out"
    target = folder / "evalkit.yaml"
    header = "# evalkit project, created by `evalkit init` from the bundled demo. Paths are relative to this file.\n"
    target.write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target
