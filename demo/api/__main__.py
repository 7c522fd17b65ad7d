"""`python -m demo.api`: serve the demo shop in the foreground until interrupted."""

import sys

from demo.api.cli import main

sys.exit(main())
