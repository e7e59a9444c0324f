"""``evalkit init``: a new project to edit, copied from the demo."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Command


def _configure_init(i: argparse.ArgumentParser) -> None:
    i.add_argument("dir", help="an empty or new folder")


def cmd_init(args) -> int:
    from ..run import init_project

    path = init_project(Path(args.dir))
    print(f"created {path}; run it with: evalkit run {path}")
    return 0


INIT = Command("init", "create a new project to edit, copied from the demo", _configure_init, cmd_init)
