"""The link, the filter components and the filters store, kept in step (the shell's callback).

A link names a view by its query string; what it leaves out means "the latest days with data,
every country and channel", which only the warehouse knows. So:

- When the warehouse answers, the link's filters, completed with those defaults, go to the
  filter components and the store, and the store's `query` (the whole view) is written back
  to the address and the navigation links: the link you copy reproduces what you see.
- When it cannot say (the warehouse is down, or the marts hold no sales yet), the view is
  *provisional*: the store carries stand-in dates so each page can say why it has no figures,
  but its `query` holds only what the link gave, so the address never gains dates that nobody
  chose; the date picker stays empty unless the link named dates. The shell asks again every
  `RETRY_SECONDS` (and on any filter change) until the warehouse answers, and the page fills
  in by itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update

from dashboards import figures
from dashboards.components import FILTERS_STORE
from dashboards.db import DataUnavailable
from dashboards.filters import DEFAULT_DAYS, DateRange, Filters, InvalidFilters, Link
from dashboards.queries.shell import available_dates, data_as_of, filter_options

Pages = list[dict[str, Any]]

# How often a provisional view asks the warehouse again.
RETRY_SECONDS = 15
RETRY_ID = "shell-retry"
NO_SALES_YET = (
    "No sales in the marts yet: run the pipeline (`dataops run`); the page fills in once there are"
)


def nav_id(page: dict[str, Any]) -> str:
    return f"shell-nav-{page['module'].rsplit('.', 1)[-1].replace('_', '-')}"


def register(app: Dash, pages: Pages) -> None:
    outputs = {
        "start": Output("filters-date-range", "start_date"),
        "end": Output("filters-date-range", "end_date"),
        "min": Output("filters-date-range", "min_date_allowed"),
        "max": Output("filters-date-range", "max_date_allowed"),
        "country_options": Output("filters-country", "options"),
        "countries": Output("filters-country", "value"),
        "channel_options": Output("filters-channel", "options"),
        "channels": Output("filters-channel", "value"),
        "store": Output(FILTERS_STORE, "data"),
        "as_of": Output("shell-as-of", "children"),
        "banner": Output("shell-banner", "children"),
        "banner_class": Output("shell-banner", "className"),
        "banner_hidden": Output("shell-banner", "hidden"),
        "retry_disabled": Output(RETRY_ID, "disabled"),
        "nav": [Output(nav_id(page), "href") for page in pages],
    }
    inputs = {
        "search": Input("shell-url", "search"),
        "start": Input("filters-date-range", "start_date"),
        "end": Input("filters-date-range", "end_date"),
        "countries": Input("filters-country", "value"),
        "channels": Input("filters-channel", "value"),
        "retry": Input(RETRY_ID, "n_intervals"),
        "stored": State(FILTERS_STORE, "data"),
    }

    @app.callback(output=outputs, inputs=inputs)
    def sync_filters(
        search: Any,
        start: Any,
        end: Any,
        countries: Any,
        channels: Any,
        retry: Any,
        stored: Any,
    ) -> dict[str, Any]:
        """Link -> filters when the address changes; filters -> store and links otherwise;
        a provisional view asked for again."""
        unchanged: dict[str, Any] = {name: no_update for name in outputs}
        unchanged["nav"] = [no_update] * len(pages)
        provisional = isinstance(stored, dict) and stored.get("provisional") is True
        if ctx.triggered_id in (None, "shell-url"):
            return from_link(Link.parse(search), stored, pages, unchanged)
        if ctx.triggered_id == RETRY_ID:
            if not provisional:
                return {**unchanged, "retry_disabled": True}
            return from_link(Link.parse(stored.get("query", "")), stored, pages, unchanged)
        if provisional:
            # the dates the components lack are not known yet: the link they spell is
            link = Link.of_components(start, end, countries, channels)
            return from_link(link, stored, pages, unchanged)
        try:
            filters = Filters.from_components(start, end, countries, channels)
        except InvalidFilters as exc:
            return {**unchanged, **banner(f"Those filters do not work: {exc}.", "info")}
        return {**unchanged, **store_update(filters, stored, pages), **banner(None)}


def from_link(link: Link, stored: Any, pages: Pages, unchanged: dict[str, Any]) -> dict[str, Any]:
    """Every shell output for a link: filter bounds and options, the filters, the badge."""
    try:
        available = available_dates()
        options = filter_options()
        as_of = data_as_of()
    except DataUnavailable:
        # each page says why its figures are missing; the badge says it for the shell
        return provisional_view(link, stored, pages, unchanged, "Data unavailable", [])
    if available is None:
        badge = as_of_badge(as_of, None)
        return provisional_view(link, stored, pages, unchanged, badge, [NO_SALES_YET])
    filters, ignored = link.filters(available)
    country_options = sorted(set(options["country"]) | set(filters.countries))
    channel_options = sorted(set(options["channel"]) | set(filters.channels))
    return {
        **unchanged,
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "countries": list(filters.countries),
        "channels": list(filters.channels),
        "min": available.start.isoformat(),
        "max": available.end.isoformat(),
        "country_options": options_of(country_options, figures.country_label),
        "channel_options": options_of(channel_options, figures.channel_label),
        **store_update(filters, stored, pages),
        "as_of": as_of_badge(as_of, available),
        **banner(sentences(ignored), "info"),
        "retry_disabled": True,
    }


def provisional_view(
    link: Link,
    stored: Any,
    pages: Pages,
    unchanged: dict[str, Any],
    badge: str,
    notes: list[str],
) -> dict[str, Any]:
    """The shell's outputs while the data's dates are unknown: what the link gave, no more."""
    today = date.today()
    stand_in = DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    filters, _ = link.filters(stand_in)
    value = {**filters.to_store(), "query": link.query(), "provisional": True}
    return {
        **unchanged,
        "start": link.start.isoformat() if link.start else None,
        "end": link.end.isoformat() if link.end else None,
        "countries": list(link.countries),
        "channels": list(link.channels),
        "country_options": options_of(link.countries, figures.country_label),
        "channel_options": options_of(link.channels, figures.channel_label),
        **store_value_update(value, stored, pages),
        "as_of": badge,
        **banner(sentences([*notes, *link.notes]), "info"),
        "retry_disabled": False,
    }


def sentences(notes: list[str]) -> str:
    """Notes as sentences: a capital first, a full stop last."""
    return " ".join(note[0].upper() + note[1:] + "." for note in notes)


def options_of(codes: Any, label: Any) -> list[dict[str, str]]:
    return [{"label": label(code), "value": code} for code in codes]


def as_of_badge(as_of: Any, available: DateRange | None) -> str:
    """'Data as of 24 Nov 2025, 06:10 UTC · sales to 23 Nov 2025': the last completed load,
    and the last day with sales it brought."""
    if as_of is None or available is None:
        return "No data yet"
    loaded = figures.day(as_of)
    if isinstance(as_of, datetime):
        loaded += f", {as_of.astimezone(UTC):%H:%M} UTC" if as_of.tzinfo else f", {as_of:%H:%M}"
    return f"Data as of {loaded} · sales to {figures.day(available.end)}"


def store_update(filters: Filters, stored: Any, pages: Pages) -> dict[str, Any]:
    """The store and the navigation links for these filters; no update when unchanged."""
    return store_value_update({**filters.to_store(), "query": filters.to_query()}, stored, pages)


def store_value_update(value: dict[str, Any], stored: Any, pages: Pages) -> dict[str, Any]:
    if value == stored:
        return {"store": no_update, "nav": [no_update] * len(pages)}
    return {
        "store": value,
        "nav": [page["relative_path"] + value["query"] for page in pages],
    }


def banner(text: str | None, kind: str = "info") -> dict[str, Any]:
    return {
        "banner": text or "",
        "banner_class": f"banner banner-{kind}",
        "banner_hidden": not text,
    }
