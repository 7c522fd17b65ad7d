"""`python -m demo.generator`: generate or advance the demo shop from the command line."""

import sys

from demo.generator.cli import main

sys.exit(main())
