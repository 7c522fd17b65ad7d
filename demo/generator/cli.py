"""Seeded, deterministic generator of the demo retailer "Northwind Threads".

The command line: `python -m demo.generator` generates or advances the demo shop and prints
its summary as JSON.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from demo.generator.run import generate


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m demo.generator`: generate or advance the demo shop from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.generator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--state-dir", type=Path, default=Path(".local/demo"))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        summary = generate(
            args.state_dir,
            days=args.days,
            orders=args.orders,
            seed=args.seed,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0
