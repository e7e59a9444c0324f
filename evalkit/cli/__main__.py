"""`python -m evalkit.cli ...` runs the command line."""

import sys

from evalkit.cli import main

sys.exit(main())
