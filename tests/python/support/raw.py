"""Changes to a built warehouse's raw data that a test makes and takes back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from support.warehouse import Warehouse


@contextlib.contextmanager
def duplicate_customer(w: Warehouse) -> Iterator[None]:
    """A duplicate customer slips into raw through a completed load; removed afterwards.

    The copy gets a row id of its own where the table has dlt's (unique) `_dlt_id`; rows
    loaded from Arrow tables have none.
    """
    in_customers = (
        " from information_schema.columns"
        " where table_schema = 'raw_shop' and table_name = 'customers'"
    )
    columns = w.scalar(
        f"select string_agg(quote_ident(column_name), ', '){in_customers}"
        " and column_name <> '_dlt_id'"
    )
    if w.scalar(f"select count(*){in_customers} and column_name = '_dlt_id'"):
        columns_to, values = f"{columns}, _dlt_id", f"{columns}, md5(random()::text)"
    else:
        columns_to, values = columns, columns
    w.execute(
        f"insert into raw_shop.customers ({columns_to})"
        f" select {values} from raw_shop.customers order by customer_id limit 1"
    )
    try:
        yield
    finally:
        w.execute(
            "delete from raw_shop.customers where ctid in ("
            " select ctid from (select ctid, row_number() over (partition by customer_id) as n"
            " from raw_shop.customers) as numbered where n > 1)"
        )


@contextlib.contextmanager
def stale_ecb(w: Warehouse) -> Iterator[None]:
    """The ECB source's loads look ten days older than they are; their times back afterwards."""
    w.execute(
        "create table raw_ecb._loads_kept as select load_id, inserted_at from raw_ecb._dlt_loads"
    )
    w.execute("update raw_ecb._dlt_loads set inserted_at = inserted_at - interval '10 days'")
    try:
        yield
    finally:
        w.execute(
            "update raw_ecb._dlt_loads set inserted_at = kept.inserted_at"
            " from raw_ecb._loads_kept as kept where kept.load_id = _dlt_loads.load_id"
        )
        w.execute("drop table raw_ecb._loads_kept")
