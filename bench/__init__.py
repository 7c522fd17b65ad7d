"""`make bench`: every speed claim as a ratio against an anchor measured in the same run.

The benchmarks build on the test suite's throwaway servers, databases and project copies
(`tests/python/support`), so both measure and test the same setup; that folder joins the
import path here, as pytest's rootdir conftest puts it there for the tests.
"""

import sys
from pathlib import Path

_TEST_SUPPORT = str(Path(__file__).resolve().parents[1] / "tests" / "python")
if _TEST_SUPPORT not in sys.path:
    sys.path.append(_TEST_SUPPORT)
