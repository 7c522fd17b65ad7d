"""The shared filters: what a link, the filter components and the store may carry."""

from __future__ import annotations

from datetime import date

import pytest

from dashboards.filters import (
    CHANNEL_CODE,
    COUNTRY_CODE,
    DEFAULT_DAYS,
    DateRange,
    Filters,
    InvalidFilters,
    Link,
    choose,
)
from dataops.core.paths import REPO_ROOT

AVAILABLE = DateRange(date(2025, 1, 1), date(2025, 12, 31))


def test_a_view_survives_the_round_trip_through_its_link() -> None:
    view = Filters(date(2025, 3, 1), date(2025, 3, 31), ("DE", "FR"), ("email", "paid_search"))
    query = view.to_query()
    assert query == "?start=2025-03-01&end=2025-03-31&country=DE,FR&channel=email,paid_search"
    assert Filters.from_query(query, AVAILABLE) == (view, [])
    assert Filters.from_store(view.to_store()) == view


def test_a_link_without_filters_shows_the_latest_days() -> None:
    filters, notes = Filters.from_query("", AVAILABLE)
    assert (filters.start, filters.end) == (date(2025, 10, 3), date(2025, 12, 31))
    assert filters.period.days == DEFAULT_DAYS
    assert (filters.countries, filters.channels, notes) == ((), (), [])
    short = DateRange(date(2025, 12, 1), date(2025, 12, 31))
    assert Filters.from_query(None, short)[0].start == date(2025, 12, 1)


def test_a_bad_value_in_a_link_falls_back_and_says_which() -> None:
    filters, notes = Filters.from_query(
        "?start=yesterday&end=2025-11-30&country=DE,'1=1&channel=email", AVAILABLE
    )
    assert filters == Filters(date(2025, 10, 3), date(2025, 11, 30), (), ("email",))
    assert notes == [
        "ignored the link's start filter: the start date must be a date such as 2025-01-31",
        "ignored the link's country filter: the country filter holds a value that is not a "
        "country code",
    ]


def test_a_link_whose_dates_cross_shows_the_default_dates() -> None:
    filters, notes = Filters.from_query("?start=2025-06-30&end=2025-06-01", AVAILABLE)
    assert (filters.start, filters.end) == (date(2025, 10, 3), date(2025, 12, 31))
    assert notes == ["ignored the link's dates: the start is after the end"]


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    view = Filters(date(2025, 3, 1), date(2025, 3, 31))
    previous = view.previous()
    assert (previous.start, previous.end) == (date(2025, 1, 29), date(2025, 2, 28))
    assert previous.period.days == view.period.days


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (None, "missing"),
        ([], "missing"),
        ({"start": "2025-01-01"}, "end date"),
        ({"start": 20250101, "end": "2025-01-31"}, "start date"),
        ({"start": "2025-13-01", "end": "2025-01-31"}, "start date"),
        ({"start": "1899-01-01", "end": "2025-01-31"}, "between"),
        ({"start": "2" * 100_000, "end": "2025-01-31"}, "start date"),
        ({"start": "2025-02-01", "end": "2025-01-31"}, "after the end"),
        ({"start": "2025-01-01", "end": "2025-01-31", "countries": "de"}, "country"),
        ({"start": "2025-01-01", "end": "2025-01-31", "countries": ["DE'--"]}, "country"),
        ({"start": "2025-01-01", "end": "2025-01-31", "countries": [["DE"]]}, "country"),
        ({"start": "2025-01-01", "end": "2025-01-31", "countries": {"DE": 1}}, "country"),
        ({"start": "2025-01-01", "end": "2025-01-31", "countries": ["DE"] * 101}, "at most"),
        ({"start": "2025-01-01", "end": "2025-01-31", "channels": ["email\x00"]}, "channel"),
        ({"start": "2025-01-01", "end": "2025-01-31", "channels": ["x" * 41]}, "channel"),
    ],
)
def test_a_malformed_store_is_refused_with_a_reason(data: object, complaint: str) -> None:
    with pytest.raises(InvalidFilters, match=complaint):
        Filters.from_store(data)


def test_well_formed_unknown_codes_are_kept_to_select_nothing() -> None:
    filters = Filters.from_store(
        {"start": "2025-01-01", "end": "2025-01-31", "countries": ["ZZ", "DE", "DE"]}
    )
    assert filters.countries == ("DE", "ZZ")


def test_only_allowlisted_options_are_chosen() -> None:
    grains = {"day": "day", "week": "week"}
    assert choose("week", grains, "period") == "week"
    for bad in ("year", "week; drop table x", None, ["week"], {"week": 1}):
        with pytest.raises(InvalidFilters, match="choose a period"):
            choose(bad, grains, "period")


def test_the_codes_accepted_are_the_codes_documented() -> None:
    # `unknown` is the marts' country of a customer without one on record: a filter value
    # like any code, and docs/dashboard.md says so
    text = (REPO_ROOT / "docs" / "dashboard.md").read_text()
    for form in [*COUNTRY_CODE.pattern.split("|"), CHANNEL_CODE.pattern]:
        assert f"`{form}`" in text, form
    assert Filters.from_query("?country=unknown,DE", AVAILABLE) == (
        Filters(date(2025, 10, 3), date(2025, 12, 31), ("DE", "unknown")),
        [],
    )
    for refused in ("Unknown", "UNKNOWN", "unknown2", "nowhere", "de"):
        assert Filters.from_query(f"?country={refused}", AVAILABLE)[1], refused


def test_a_link_keeps_only_what_it_gave() -> None:
    # the dates a link leaves out stay out of its query: they are "the latest days", which
    # only the warehouse knows
    assert Link.parse("").query() == ""
    assert Link.parse("?country=FR,DE&channel=email").query() == "?country=DE,FR&channel=email"
    assert Link.parse("?start=2025-01-10&country=<b>").query() == "?start=2025-01-10"
    assert Link.parse("?start=2025-06-30&end=2025-06-01").query() == ""
    assert Link.parse("?country=" + "DE," * 5000).query() == ""
    assert Link.of_components(None, None, ["FR"], []).query() == "?country=FR"
    assert Link.of_components("2025-01-10", 7, ["FR'--"], ["email"]).query() == (
        "?start=2025-01-10&channel=email"
    )
    filters, notes = Link.parse("?start=2025-12-01").filters(AVAILABLE)
    assert (filters.start, filters.end, notes) == (date(2025, 12, 1), date(2025, 12, 31), [])
