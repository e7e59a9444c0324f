"""`python -m evalkit ...` runs the command line."""

import sys

from evalkit.cli import main

sys.exit(main())
