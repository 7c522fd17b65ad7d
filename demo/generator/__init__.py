"""Seeded, deterministic generator of the demo retailer "Northwind Threads".

The shop's operational state lives in SQLite (`<state_dir>/shop.sqlite`), the tables the Shop
API serves; marketing spend (CSV), web sessions (Parquet) and product reviews (JSON Lines) are
dropped as one file per day into `<state_dir>/landing`, monthly sales targets (Excel) on the
first day of each month. The business advances one day at a time and every day is committed
on its own, so memory stays flat whatever the scale and a later run continues where the last
one stopped. Randomness is drawn from generators seeded by (seed, day, purpose): a day's output
depends only on the seed, the order volume and the state left by the days before it, never on
how the runs were split.

Orders do not stay still: each order's future status changes (paid, shipped, delivered,
cancelled, returned) are decided when it is placed, parked in the internal `order_lifecycle`
table and applied on the day they happen, up to 30 days later. That is what gives the
downstream pipeline late-arriving updates to handle.

The package is split by job: `reference` (catalogue and business parameters), `timeline`
(dates, seeded randomness, order volume), `orders` (one order's lines and lifecycle), `shop`
(the day-by-day simulation), `storage` (the SQLite state), `landing` (the file drops), `run`
(`generate`) and `cli` (`python -m demo.generator`).
"""

from demo.generator.cli import main
from demo.generator.reference import CURRENCY_BY_COUNTRY, EUR_PRICE_RATES
from demo.generator.run import PROGRESS_EVERY_DAYS, generate
from demo.generator.storage import DB_FILENAME, LANDING_DIRNAME, SCHEMA_SQL, SCHEMA_VERSION
from demo.generator.timeline import EPOCH, day_date, iso_timestamp

__all__ = [
    "CURRENCY_BY_COUNTRY",
    "DB_FILENAME",
    "EPOCH",
    "EUR_PRICE_RATES",
    "LANDING_DIRNAME",
    "PROGRESS_EVERY_DAYS",
    "SCHEMA_SQL",
    "SCHEMA_VERSION",
    "day_date",
    "generate",
    "iso_timestamp",
    "main",
]
