"""Pure functions from rows to figures, display strings and CSV; no I/O.

Figures are plain Plotly figure dicts, not `plotly.graph_objects` objects: building and
validating graph objects costs more than the query behind most charts, and a callback's
latency is what a stakeholder feels. The tests validate every figure with Plotly's own schema.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

Number = int | float | Decimal
Figure = dict[str, Any]

BRAND = "#2f5d8a"
ACCENT = "#e07a2f"
POSITIVE = "#2e7d4f"
NEGATIVE = "#b3261e"
MUTED = "#6b7785"
GRID = "#e6e9ee"
# one colour per series, in this order, on every chart
PALETTE = (
    "#2f5d8a",
    "#e07a2f",
    "#3a9d8f",
    "#c44e52",
    "#8c6bb1",
    "#d4a72c",
    "#5b8ff9",
    "#7f8c8d",
)
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

# -- display strings --------------------------------------------------------------------------

NO_VALUE = "–"


def money(value: Number | None, currency: str = "€") -> str:
    """12345.6 -> '€12,346'; -12.3 -> '-€12'. Amounts on cards are whole euros."""
    if value is None:
        return NO_VALUE
    amount = round(float(value))
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency}{abs(amount):,.0f}"


def money_cents(value: Number | None, currency: str = "€") -> str:
    """12.345 -> '€12.35', for unit costs such as CAC."""
    if value is None:
        return NO_VALUE
    amount = float(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency}{abs(amount):,.2f}"


def count(value: Number | None) -> str:
    return NO_VALUE if value is None else f"{round(float(value)):,}"


def percent(value: Number | None, digits: int = 1) -> str:
    """0.1234 -> '12.3%'."""
    return NO_VALUE if value is None else f"{float(value) * 100:,.{digits}f}%"


def multiple(value: Number | None) -> str:
    """ROAS: 3.21 -> '3.2x'."""
    return NO_VALUE if value is None else f"{float(value):,.1f}x"


def ratio(numerator: Number | None, denominator: Number | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def change(current: Number | None, previous: Number | None) -> tuple[str, str]:
    """The change against the previous period as text, and 'up', 'down' or 'flat'."""
    if current is None or not previous:
        return "no previous period to compare", "flat"
    delta = float(current) / float(previous) - 1
    if abs(delta) < 0.0005:
        return "± 0.0%", "flat"
    arrow = "▲" if delta > 0 else "▼"
    return f"{arrow} {abs(delta) * 100:,.1f}%", "up" if delta > 0 else "down"


def day(value: date | datetime | None) -> str:
    """2025-03-01 -> '1 Mar 2025'."""
    return NO_VALUE if value is None else f"{value.day} {value:%b %Y}"


def month(value: date | None) -> str:
    return NO_VALUE if value is None else f"{value:%b %Y}"


def period_label(start: date, end: date) -> str:
    return f"{day(start)} – {day(end)}"


# -- CSV --------------------------------------------------------------------------------------


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """The rows behind a chart as CSV, with a header; dates in ISO form, amounts as stored."""
    if columns is None:
        columns = list(rows[0]) if rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in columns])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # a spreadsheet would run it as a formula
        return "'" + value
    return value


# -- figures ----------------------------------------------------------------------------------


def base_layout(**overrides: Any) -> dict[str, Any]:
    """The house layout, `overrides` merged into it one level deep (an axis's settings are
    added to the house axis, not put in its place)."""
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 24, "t": 16, "b": 40},
        "colorway": list(PALETTE),
        "hoverlabel": {"font": {"family": FONT}},
        # above the plot, growing upwards: Plotly widens the top margin to make room for it,
        # however many rows it wraps into on a narrow screen
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        # level tick labels (Plotly turns crowded ones on their side) and clear of the other
        # axis's labels where the axes meet
        "xaxis": {
            "gridcolor": GRID,
            "zeroline": False,
            "automargin": True,
            "tickangle": 0,
            "ticklabelstandoff": 6,
        },
        "yaxis": {"gridcolor": GRID, "zeroline": False, "automargin": True, "tickangle": 0},
        "separators": ".,",
        "height": 340,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def money_ticks(values: Iterable[float | None]) -> dict[str, str]:
    """Euro ticks: whole euros, and from €10,000 on thousands and millions as 'k' and 'M'
    ('€40k'), so that a phone's narrow axis has room for its labels."""
    largest = max((abs(value) for value in values if value is not None), default=0.0)
    return {"tickprefix": "€", "tickformat": "~s" if largest >= 10_000 else ",.0f"}


def _totals(traces: Iterable[dict[str, Any]]) -> list[float]:
    """The height of each stack: the sum of the traces' values per x."""
    totals: dict[Any, float] = {}
    for trace in traces:
        for x, y in zip(trace["x"], trace["y"], strict=True):
            totals[x] = totals.get(x, 0.0) + (y or 0.0)
    return list(totals.values())


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _dates(rows: Iterable[dict[str, Any]], column: str) -> list[Any]:
    """Dates as ISO strings: JSON-ready, so serializing the answer stays cheap."""
    return [_iso(row[column]) for row in rows]


def floats(rows: Iterable[dict[str, Any]], column: str) -> list[float | None]:
    return [None if row[column] is None else float(row[column]) for row in rows]


def message(text: str) -> Figure:
    """A blank chart carrying one line of text: no data, bad filters, data unavailable."""
    return {
        "data": [],
        "layout": base_layout(
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": text,
                    "showarrow": False,
                    "font": {"size": 15, "color": MUTED},
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                }
            ],
        ),
    }


def loading() -> Figure:
    return message("Loading…")


def revenue_and_orders(rows: Sequence[dict[str, Any]], x: str = "revenue_date") -> Figure:
    """Net revenue (bars) and orders (line) per day, week or month, on two axes."""
    periods = _dates(rows, x)
    return {
        "data": [
            {
                "type": "bar",
                "x": periods,
                "y": floats(rows, "net_revenue_eur"),
                "name": "Net revenue",
                "marker": {"color": BRAND},
                "hovertemplate": "%{x|%d %b %Y}<br>€%{y:,.0f}<extra>Net revenue</extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": periods,
                "y": [int(row["order_count"]) for row in rows],
                "name": "Orders",
                "yaxis": "y2",
                "line": {"color": ACCENT, "width": 2},
                "hovertemplate": "%{x|%d %b %Y}<br>%{y:,} orders<extra>Orders</extra>",
            },
        ],
        # the legend names both axes: no axis titles, so the plot keeps a phone's width
        "layout": base_layout(
            yaxis=money_ticks(floats(rows, "net_revenue_eur")),
            yaxis2={
                "automargin": True,
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "rangemode": "tozero",
                "tickformat": ",d",
                # round order counts, rather than ticks lined up with the revenue axis
                "tickmode": "auto",
            },
            hovermode="x unified",
            margin={"r": 8},
        ),
    }


def revenue_against_target(rows: Sequence[dict[str, Any]]) -> Figure:
    """Actual net revenue against the target, per month."""
    months = _dates(rows, "target_month")
    return {
        "data": [
            {
                "type": "bar",
                "x": months,
                "y": floats(rows, "actual_net_revenue_eur"),
                "name": "Actual",
                "marker": {"color": BRAND},
                "hovertemplate": "%{x|%b %Y}<br>€%{y:,.0f}<extra>Actual</extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months,
                "y": floats(rows, "target_net_revenue_eur"),
                "name": "Target",
                "line": {"color": ACCENT, "width": 2, "dash": "dash"},
                "hovertemplate": "%{x|%b %Y}<br>€%{y:,.0f}<extra>Target</extra>",
            },
        ],
        "layout": base_layout(
            yaxis={
                **money_ticks(
                    floats(rows, "actual_net_revenue_eur") + floats(rows, "target_net_revenue_eur")
                ),
                "rangemode": "tozero",
            },
            xaxis={"tickformat": "%b %Y", "dtick": "M1"},
            hovermode="x unified",
        ),
    }


# labels longer than this go above their bars, across the chart's width, rather than beside
# them, where on a phone they would take most of it
LONG_LABEL = 16


def ranked_bars(
    rows: Sequence[dict[str, Any]],
    label: str,
    value: str,
    *,
    value_format: str = "money",
    color: str = BRAND,
    labels: dict[str, str] | None = None,
    display: Callable[[str], str] | None = None,
) -> Figure:
    """Horizontal bars, largest on top: revenue per country, CAC per channel, and so on.

    `value_format` is 'money', 'money_cents', 'count', 'percent' or 'multiple'. `labels`
    renames the bars (the names are then the chart's data); `display` only changes how a name
    is written on screen (the data keep the name, as the CSV does).
    """
    values = floats(rows, value)
    prefix, tick, hover = {
        "money": ("€", money_ticks(values)["tickformat"], "€%{x:,.0f}"),
        "money_cents": ("€", ",.2f", "€%{x:,.2f}"),
        "count": ("", ",d", "%{x:,}"),
        "percent": ("", ".0%", "%{x:.1%}"),
        "multiple": ("", ",.1f", "%{x:,.2f}x"),
    }[value_format]
    names = [(labels or {}).get(str(row[label]), str(row[label])) for row in rows]
    shown = [display(name) for name in names] if display else names
    above = max((len(text) for text in shown), default=0) > LONG_LABEL
    figure: Figure = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": names,
                "customdata": shown,
                "marker": {"color": color},
                "hovertemplate": f"%{{customdata}}<br>{hover}<extra></extra>",
            }
        ],
        "layout": base_layout(
            xaxis={"tickprefix": prefix, "tickformat": tick, "rangemode": "tozero", "nticks": 5},
            yaxis={"autorange": "reversed", "gridcolor": "rgba(0,0,0,0)", "type": "category"},
            margin={"l": 8},
            height=max(260, 36 * len(rows) + 80),
        ),
    }
    if above:
        _labels_above_bars(figure, names, shown)
    elif display:
        figure["layout"]["yaxis"].update(tickmode="array", tickvals=names, ticktext=shown)
    return figure


def _labels_above_bars(figure: Figure, names: list[str], shown: list[str]) -> None:
    """Each bar's name written above it from the left edge, the bar in the lower half of its
    row: the names get the chart's whole width, and so do the bars."""
    figure["data"][0].update(width=0.42, offset=0.02)
    layout = figure["layout"]
    layout["yaxis"].update(showticklabels=False)
    layout["margin"]["l"] = 16  # room for half the first tick label, centred on zero
    layout["height"] = max(260, 44 * len(names) + 70)
    layout["annotations"] = [
        {
            "text": text,
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": name,
            "yref": "y",
            "yanchor": "bottom",
            "yshift": 1,
            "showarrow": False,
            "font": {"size": 12},
        }
        for name, text in zip(names, shown, strict=True)
    ]


def retention_heatmap(rows: Sequence[dict[str, Any]]) -> Figure:
    """Cohort months down, months since the first order across, share still active."""
    cohorts = sorted({row["cohort_month"] for row in rows})
    offsets = sorted({int(row["months_since_first_order"]) for row in rows})
    cell = {
        (row["cohort_month"], int(row["months_since_first_order"])): row["retention_rate"]
        for row in rows
    }
    z = [
        [None if cell.get((c, o)) is None else float(cell[(c, o)]) for o in offsets]
        for c in cohorts
    ]
    text = [[NO_VALUE if value is None else percent(value, 0) for value in line] for line in z]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": offsets,
                "y": [month(c) for c in cohorts],
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                "colorscale": [[0, "#f4f6f8"], [0.25, "#b9cde0"], [1, BRAND]],
                "zmin": 0,
                "zmax": 1,
                "xgap": 2,
                "ygap": 2,
                "colorbar": {"tickformat": ".0%", "thickness": 12},
                "hovertemplate": ("Cohort %{y}<br>Month %{x}: %{z:.1%} active<extra></extra>"),
            }
        ],
        "layout": base_layout(
            xaxis={"title": {"text": "Months since first order"}, "dtick": 1, "showgrid": False},
            yaxis={"autorange": "reversed", "showgrid": False, "type": "category"},
            height=max(300, 28 * len(cohorts) + 110),
        ),
    }


def stacked_periods(
    rows: Sequence[dict[str, Any]],
    series: dict[str, str],
    *,
    x: str = "period_start",
    value_format: str = "count",
) -> Figure:
    """One stacked bar per period, one colour per column in `series` (column -> label)."""
    hover = "€%{y:,.0f}" if value_format == "money" else "%{y:,}"
    figure: Figure = {
        "data": [
            {
                "type": "bar",
                "x": _dates(rows, x),
                "y": floats(rows, column),
                "name": name,
                "marker": {"color": PALETTE[index % len(PALETTE)]},
                "hovertemplate": f"%{{x|%d %b %Y}}<br>{hover}<extra>{name}</extra>",
            }
            for index, (column, name) in enumerate(series.items())
        ],
        "layout": base_layout(barmode="stack", hovermode="x unified", yaxis={"tickformat": ",d"}),
    }
    if value_format == "money":
        figure["layout"]["yaxis"].update(money_ticks(_totals(figure["data"])))
    return figure


def spend_by_channel_over_time(rows: Sequence[dict[str, Any]]) -> Figure:
    """Weekly spend, stacked by channel."""
    channels = sorted({row["channel"] for row in rows})
    figure: Figure = {
        "data": [
            {
                "type": "bar",
                "x": [_iso(row["period_start"]) for row in rows if row["channel"] == channel],
                "y": [float(row["spend_eur"]) for row in rows if row["channel"] == channel],
                "name": channel_label(channel),
                "marker": {"color": PALETTE[index % len(PALETTE)]},
                "hovertemplate": "Week of %{x|%d %b %Y}<br>€%{y:,.0f}<extra>%{fullData.name}"
                "</extra>",
            }
            for index, channel in enumerate(channels)
        ],
        "layout": base_layout(barmode="stack", hovermode="x unified"),
    }
    figure["layout"]["yaxis"].update(money_ticks(_totals(figure["data"])))
    return figure


def lifetime_value_by_cohort(rows: Sequence[dict[str, Any]]) -> Figure:
    """Average lifetime revenue per customer, by the month of their first order."""
    return {
        "data": [
            {
                "type": "bar",
                "x": _dates(rows, "cohort_month"),
                "y": floats(rows, "average_lifetime_revenue_eur"),
                "customdata": [[int(row["customer_count"] or 0)] for row in rows],
                "marker": {"color": BRAND},
                "name": "Average lifetime revenue",
                "hovertemplate": (
                    "First ordered %{x|%b %Y}<br>€%{y:,.2f} per customer"
                    "<br>%{customdata[0]:,} customers<extra></extra>"
                ),
            }
        ],
        "layout": base_layout(
            xaxis={"tickformat": "%b %Y", "dtick": "M1"},
            yaxis={
                **money_ticks(floats(rows, "average_lifetime_revenue_eur")),
                "rangemode": "tozero",
            },
        ),
    }


CHANNEL_LABELS = {
    "organic_search": "Organic search",
    "paid_search": "Paid search",
    "social_ads": "Social ads",
    "email": "Email",
    "affiliate": "Affiliate",
    "direct": "Direct",
    "unknown": "Unknown",
}


def channel_label(code: str) -> str:
    return CHANNEL_LABELS.get(code, code.replace("_", " ").capitalize())


def country_label(code: str) -> str:
    """Country codes as they are ('DE'); the marts' 'unknown' (no country on record) as a
    word."""
    return "Unknown" if code == "unknown" else code


def category_label(code: str) -> str:
    """'outerwear' -> 'Outerwear', as channels are written."""
    return code.replace("_", " ").capitalize()


# -- partial periods --------------------------------------------------------------------------

PARTIAL_OPACITY = 0.4


def partial_periods(starts: Sequence[date], first: date, last: date, grain: str) -> list[bool]:
    """Whether each period (a week from its Monday, a month from its first day) reaches past
    the dates chosen: its bar sums fewer days than the others and would read as a drop."""
    if grain not in ("week", "month"):
        return [False] * len(starts)
    return [start < first or _period_end(start, grain) > last for start in starts]


def _period_end(start: date, grain: str) -> date:
    if grain == "week":
        return start + timedelta(days=6)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - timedelta(days=1)


def mark_partial(figure: Figure, first: date, last: date, grain: str) -> Figure:
    """Paler bars for the periods (the bars' x, ISO dates of each period's start) that reach
    past the dates chosen, said under the x axis and in the tooltip; the figure unchanged when
    every period is whole."""
    marked = False
    for trace in figure["data"]:
        if trace["type"] != "bar":
            continue
        starts = [date.fromisoformat(str(x)[:10]) for x in trace["x"]]
        partial = partial_periods(starts, first, last, grain)
        if not any(partial):
            continue
        marked = True
        trace["marker"]["opacity"] = [PARTIAL_OPACITY if part else 1.0 for part in partial]
        trace["customdata"] = [f" (part of the {grain} only)" if part else "" for part in partial]
        trace["hovertemplate"] = trace["hovertemplate"].replace("<br>", "%{customdata}<br>", 1)
    if marked:
        figure["layout"]["xaxis"]["title"] = {
            "text": f"Paler: a {grain} only partly inside the dates chosen",
            "font": {"size": 11, "color": MUTED},
            "standoff": 6,
        }
    return figure
