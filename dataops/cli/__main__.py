"""`python -m dataops.cli ...`: the same as `dataops ...` (pre-commit hooks run it this way)."""

import sys

from dataops.cli import main

sys.exit(main())
