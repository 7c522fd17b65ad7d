"""The filters every page shares (date range, countries, channels), parsed as untrusted input.

Filters reach the server three ways, and none is trusted: the link's query string, the filter
components, and the filters store that every page callback reads. Each passes through
`Filters.from_query` or `Filters.from_store`, which accept only well-formed values and raise
`InvalidFilters` with a message for the page otherwise. Well-formed but unknown values (a
country the shop never sold to) are kept: they select nothing, and the page says so.

Pure: no I/O, so every rule here is tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

# Earliest and latest dates any filter may name; wide enough for any real shop.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
# How many days the default view shows, ending at the latest day in the marts.
DEFAULT_DAYS = 90
MAX_VALUES = 100
MAX_QUERY_LENGTH = 4096

# An ISO country code, or the marts' `unknown`: the country of a customer without one on
# record. docs/dashboard.md names both forms, and the channel codes'.
COUNTRY_CODE = re.compile(r"[A-Z]{2}|unknown")
CHANNEL_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class InvalidFilters(ValueError):
    """A filter value is malformed; the message names the filter and what is wrong."""


@dataclass(frozen=True)
class DateRange:
    """The first and last day of a period, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Filters:
    """One view: a date range (both ends included) and the countries and channels in it.

    An empty tuple of countries or channels means all of them.
    """

    start: date
    end: date
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @property
    def period(self) -> DateRange:
        return DateRange(self.start, self.end)

    def previous(self) -> Filters:
        """The period of the same length that ends the day before this one starts."""
        length = timedelta(days=self.period.days)
        return replace(self, start=self.start - length, end=self.end - length)

    def to_store(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "countries": list(self.countries),
            "channels": list(self.channels),
        }

    def to_query(self) -> str:
        """The query string that reproduces this view, with a leading '?'."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.countries:
            params["country"] = ",".join(self.countries)
        if self.channels:
            params["channel"] = ",".join(self.channels)
        return "?" + urlencode(params, safe=",")

    @classmethod
    def default(cls, available: DateRange) -> Filters:
        """The last `DEFAULT_DAYS` days with data, all countries and channels."""
        start = max(available.start, available.end - timedelta(days=DEFAULT_DAYS - 1))
        return cls(start=start, end=available.end)

    @classmethod
    def from_store(cls, data: object) -> Filters:
        """Filters from the filters store, as a page callback receives them."""
        if not isinstance(data, dict):
            raise InvalidFilters("the filters are missing; reload the page")
        start = parse_date(data.get("start"), "start date")
        end = parse_date(data.get("end"), "end date")
        return cls.of(
            start,
            end,
            parse_values(data.get("countries"), "country", COUNTRY_CODE),
            parse_values(data.get("channels"), "channel", CHANNEL_CODE),
        )

    @classmethod
    def from_components(
        cls, start: object, end: object, countries: object, channels: object
    ) -> Filters:
        """Filters from the date picker and the two dropdowns."""
        return cls.of(
            parse_date(start, "start date"),
            parse_date(end, "end date"),
            parse_values(countries, "country", COUNTRY_CODE),
            parse_values(channels, "channel", CHANNEL_CODE),
        )

    @classmethod
    def from_query(cls, search: object, available: DateRange) -> tuple[Filters, list[str]]:
        """Filters from a link's query string, and a note for each value that was dropped.

        A link is shared between people, so a bad value does not block the page: it falls
        back to the default for that filter, and the page says which one it ignored.
        """
        link = Link.parse(search)
        return link.filters(available)

    @classmethod
    def of(
        cls, start: date, end: date, countries: tuple[str, ...], channels: tuple[str, ...]
    ) -> Filters:
        if start > end:
            raise InvalidFilters("the start date is after the end date")
        return cls(start, end, countries, channels)


@dataclass(frozen=True)
class Link:
    """What a link's query string says: each filter only if the link gives it well formed.

    The dates a link leaves out are the latest days with data, which only the warehouse
    knows: `filters(available)` fills them in, and `query()` writes back only what the link
    gave, so a link rewritten while the warehouse cannot say (an outage, empty marts) still
    means "the latest days" once it can.
    """

    start: date | None = None
    end: date | None = None
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, search: object) -> Link:
        if search == "":
            return cls()
        if not isinstance(search, str) or len(search) > MAX_QUERY_LENGTH:
            return cls(notes=("the link's filters could not be read; showing the default view",))
        params = parse_qs(search.removeprefix("?"), keep_blank_values=False)
        notes: list[str] = []

        def take(name: str, parse: Any, fallback: Any) -> Any:
            values = params.get(name)
            if not values:
                return fallback
            try:
                return parse(values[-1])
            except InvalidFilters as exc:
                notes.append(f"ignored the link's {name} filter: {exc}")
                return fallback

        start = take("start", lambda raw: parse_date(raw, "start date"), None)
        end = take("end", lambda raw: parse_date(raw, "end date"), None)
        if start is not None and end is not None and start > end:
            notes.append("ignored the link's dates: the start is after the end")
            start = end = None
        return cls(
            start,
            end,
            take("country", lambda raw: parse_values(raw.split(","), "country", COUNTRY_CODE), ()),
            take("channel", lambda raw: parse_values(raw.split(","), "channel", CHANNEL_CODE), ()),
            tuple(notes),
        )

    def filters(self, available: DateRange) -> tuple[Filters, list[str]]:
        """The view: the link's filters, the latest days with data where it names none."""
        default = Filters.default(available)
        notes = list(self.notes)
        start, end = self.start or default.start, self.end or default.end
        if start > end:
            notes.append("ignored the link's dates: the start is after the end")
            start, end = default.start, default.end
        return Filters(start, end, self.countries, self.channels), notes

    def query(self) -> str:
        """The query string of what the link gave, well formed ('' when it gave nothing)."""
        params = {}
        if self.start:
            params["start"] = self.start.isoformat()
        if self.end:
            params["end"] = self.end.isoformat()
        if self.countries:
            params["country"] = ",".join(self.countries)
        if self.channels:
            params["channel"] = ",".join(self.channels)
        return "?" + urlencode(params, safe=",") if params else ""

    @classmethod
    def of_components(cls, start: object, end: object, countries: object, channels: object) -> Link:
        """The link the filter components spell, checked as a link is."""
        params: dict[str, str] = {}
        for name, value in (("start", start), ("end", end)):
            if isinstance(value, str):
                params[name] = value
        for name, values in (("country", countries), ("channel", channels)):
            if isinstance(values, list) and values:
                params[name] = ",".join(str(value) for value in values)
        return cls.parse(urlencode(params, safe=","))


def parse_date(value: object, label: str) -> date:
    """An ISO date (a datetime string is cut to its date) between `MIN_DATE` and `MAX_DATE`."""
    if not isinstance(value, str) or not 10 <= len(value) <= 32:
        raise InvalidFilters(f"the {label} must be a date such as 2025-01-31")
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidFilters(f"the {label} must be a date such as 2025-01-31") from None
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise InvalidFilters(f"the {label} must lie between {MIN_DATE} and {MAX_DATE}")
    return parsed


def parse_values(values: object, label: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    """A list of codes, each matching `pattern`; None or an empty list means all."""
    if values is None or values == "":
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or len(values) > MAX_VALUES:
        raise InvalidFilters(f"the {label} filter must be a list of at most {MAX_VALUES} codes")
    cleaned: list[str] = []
    for value in values:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise InvalidFilters(f"the {label} filter holds a value that is not a {label} code")
        if value not in cleaned:
            cleaned.append(value)
    return tuple(sorted(cleaned))


def choose(value: object, allowed: dict[str, Any], label: str) -> Any:
    """The allowlisted meaning of an option value (a grain, a measure), or InvalidFilters."""
    if isinstance(value, str) and value in allowed:
        return allowed[value]
    raise InvalidFilters(f"choose a {label} from {', '.join(allowed)}")
