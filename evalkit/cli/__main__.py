"""`python -m evalkit.cli ...` runs the command line."""

from evalkit.cli import entry

entry()
