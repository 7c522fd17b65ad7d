"""Pure functions from rows to figures and display strings; no I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

BRAND = "#2f5d8a"
ACCENT = "#e07a2f"


def money(value: float | Decimal | None, currency: str = "€") -> str:
    """12345.6 -> '€12,346'; amounts on KPI cards are whole units."""
    if value is None:
        return "–"
    return f"{currency}{float(value):,.0f}"


def count(value: int | float | Decimal | None) -> str:
    return "–" if value is None else f"{int(value):,}"


def revenue_and_orders(rows: list[dict[str, Any]]) -> go.Figure:
    """Daily net revenue (bars) and orders (line) on two axes."""
    days = [row["revenue_date"] for row in rows]
    figure = go.Figure()
    figure.add_bar(
        x=days,
        y=[float(row["net_revenue_eur"]) for row in rows],
        name="Net revenue (EUR)",
        marker_color=BRAND,
        hovertemplate="%{x|%d %b %Y}<br>€%{y:,.0f}<extra></extra>",
    )
    figure.add_scatter(
        x=days,
        y=[int(row["order_count"]) for row in rows],
        name="Orders",
        yaxis="y2",
        mode="lines",
        line={"color": ACCENT, "width": 2},
        hovertemplate="%{x|%d %b %Y}<br>%{y:,} orders<extra></extra>",
    )
    figure.update_layout(
        template="plotly_white",
        margin={"l": 40, "r": 40, "t": 30, "b": 30},
        legend={"orientation": "h", "y": 1.1},
        yaxis={"title": "EUR", "tickformat": ",.0f", "rangemode": "tozero"},
        yaxis2={
            "title": "Orders",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickformat": ",d",
        },
        hovermode="x unified",
    )
    return figure


def empty_figure(message: str) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(
        template="plotly_white",
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "font": {"size": 16},
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ],
    )
    return figure
