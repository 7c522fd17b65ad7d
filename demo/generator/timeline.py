"""Time in the demo business: day numbers, timestamps, the retail calendar and daily order volume.

Day 0 is 2025-01-01; times are whole seconds since then. Every random draw comes from a
generator seeded by (seed, day, purpose), so one day's output never depends on how runs were
split or on what another purpose drew.
"""

import itertools
import math
import random
from datetime import UTC, date, datetime, timedelta
from functools import cache

from demo.generator.reference import ANNUAL_GROWTH, MONTH_FACTORS, WEEKDAY_FACTORS

EPOCH = date(2025, 1, 1)
EPOCH_UNIX_SECONDS = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400


def rng_for(seed: int, day: int | str, purpose: str) -> random.Random:
    """A generator private to one (seed, day, purpose), so streams never shift each other."""
    return random.Random(f"northwind:{seed}:{day}:{purpose}")


@cache
def day_date(day: int) -> date:
    """The calendar date of a day number (day 0 is 2025-01-01)."""
    return EPOCH + timedelta(days=day)


def iso_timestamp(seconds: int) -> str:
    """ISO-8601 UTC text of a time given in seconds since 2025-01-01 (sorts like the time)."""
    day, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{day_date(day).isoformat()}T{hours:02d}:{minutes:02d}:{secs:02d}Z"


def _black_friday(year: int) -> date:
    """The last Friday of November."""
    last = date(year, 11, 30)
    return last - timedelta(days=(last.weekday() - 4) % 7)


def event_factor(day: date) -> float:
    """Demand multiplier for the retail calendar's peaks and troughs."""
    black_friday = _black_friday(day.year)
    if black_friday <= day <= black_friday + timedelta(days=3):
        return 2.1 if day == black_friday else 1.6
    if date(day.year, 12, 24) <= day <= date(day.year, 12, 26):
        return 0.55
    return 1.0


def seasonal_campaign(day: date) -> str | None:
    """The promotion running on a date, if any; it gets its own marketing campaign."""
    black_friday = _black_friday(day.year)
    if black_friday - timedelta(days=7) <= day <= black_friday + timedelta(days=3):
        return f"black_friday_{day.year}"
    if day.month == 12 and day.day <= 22:
        return f"holiday_gifting_{day.year}"
    if day.month == 1:
        return f"winter_sale_{day.year}"
    if day.month == 7:
        return f"summer_sale_{day.year}"
    return None


class Volume:
    """Orders per day: weekly and yearly seasonality, mild growth and daily noise.

    Day weights are normalised over the first 365 days, so those days add up to exactly the
    requested number of orders; later days continue at the same scale. Counts come from
    rounding the cumulative sum, so fractions carry over instead of being lost every day.
    """

    def __init__(self, seed: int, orders: int, days: int) -> None:
        self.weights = [self.weight(seed, day) for day in range(max(days, 365))]
        self.scale = orders / math.fsum(self.weights[:365])
        self.cumulative = list(itertools.accumulate(self.weights, initial=0.0))

    @staticmethod
    def weight(seed: int, day: int) -> float:
        """The relative order demand of one day, before scaling to the requested volume."""
        when = day_date(day)
        seasonal = WEEKDAY_FACTORS[when.weekday()] * MONTH_FACTORS[when.month - 1]
        growth = 1.0 + ANNUAL_GROWTH * day / 365
        noise = rng_for(seed, day, "volume").uniform(0.88, 1.12)
        return seasonal * event_factor(when) * growth * noise

    def orders_on(self, day: int) -> int:
        until_end = round(self.scale * self.cumulative[day + 1])
        return until_end - round(self.scale * self.cumulative[day])

    def expected_on(self, day: int) -> float:
        return self.scale * self.weights[day]
