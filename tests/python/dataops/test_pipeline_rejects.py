"""The rejects of a load, read once per table and origin, give both the run history's count
per table and the summary line's count per file or endpoint."""

from __future__ import annotations

from dataops.pipeline import Rejects

# (table, origin) -> rows, in the order the query returns them: by origin, then table
REJECTS = Rejects(
    {
        ("orders", "a.csv"): 2,
        ("payments", "a.csv"): 1,
        ("orders", "b.csv"): 3,
        ("customers", "c.csv"): 1,
        ("orders", "d.csv"): 1,
    }
)


def test_the_rejects_per_table_add_up_every_origin() -> None:
    assert REJECTS.per_table() == {"orders": 6, "payments": 1, "customers": 1}


def test_the_origins_with_the_most_rejects_come_first_the_rest_counted() -> None:
    # a.csv's two tables add up to 3, as many as b.csv: equal counts keep the origins' order
    assert REJECTS.by_origin() == "a.csv 3, b.csv 3, c.csv 1 and 1 more"
    assert REJECTS.by_origin(shown=4) == "a.csv 3, b.csv 3, c.csv 1, d.csv 1"
    assert Rejects().per_table() == {}
    assert Rejects().by_origin() == ""
