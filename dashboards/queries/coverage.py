"""How far each reporting mart reaches: its latest day and its rows. No page shows it; it
is the quick look at whether every mart a page reads has been built."""

from __future__ import annotations

from dashboards.cache import query
from dashboards.db import MartNotBuilt, Row

# The reporting marts and the column that says which day a row is about. The names reach the
# statement as quoted identifiers, from this allowlist only.
DATED_MARTS = {
    "rpt_revenue_daily": "revenue_date",
    "rpt_product_sales_daily": "sales_date",
    "rpt_product_totals_daily": "sales_date",
    "rpt_category_sales_daily": "sales_date",
    "rpt_marketing_daily": "spend_date",
    "rpt_customer_cohorts": "cohort_month",
    "rpt_targets_monthly": "target_month",
}


def mart_freshness() -> list[Row]:
    """The latest day each reporting mart covers; None for a mart that is not built."""
    rows: list[Row] = []
    for mart, column in DATED_MARTS.items():
        try:
            found = query(
                "select max({column}) as latest_day, count(*) as row_count from {marts}.{mart}",
                column=column,
                mart=mart,
            )
        except MartNotBuilt:
            found = [{"latest_day": None, "row_count": None}]
        rows.append({"mart": mart, **found[0]})
    return rows
