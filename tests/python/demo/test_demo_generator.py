"""The demo generator: deterministic, incremental, and shaped as `demo/README.md` says."""

import sqlite3
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from demo.generator import CURRENCY_BY_COUNTRY, DB_FILENAME, EUR_PRICE_RATES, day_date, generate

ORDERS = 2_000
DAYS = 60
SPLIT_AT = 40
TABLES = (
    "meta",
    "customers",
    "products",
    "orders",
    "order_items",
    "payments",
    "order_lifecycle",
)
STATUSES = {"placed", "paid", "shipped", "delivered", "cancelled", "returned"}
CHANNELS = {"organic_search", "paid_search", "social_ads", "email", "affiliate", "direct"}
PAID_CHANNELS = {"paid_search", "social_ads", "email", "affiliate"}


def _rows(state_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(state_dir / DB_FILENAME) as conn:
        return conn.execute(sql, params).fetchall()


def snapshot(state_dir: Path) -> dict[str, object]:
    """Everything the generator produced: every table's rows and every landing file."""
    content: dict[str, object] = {
        table: _rows(state_dir, f"select * from {table} order by 1, 2") for table in TABLES
    }
    for path in sorted((state_dir / "landing").rglob("*")):
        if path.suffix == ".csv":
            content[path.name] = path.read_bytes()
        elif path.suffix == ".parquet":
            content[path.name] = pq.read_table(path).to_pylist()
    return content


@pytest.fixture(scope="module")
def one_shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state_dir = tmp_path_factory.mktemp("one_shot")
    generate(state_dir, days=DAYS, orders=ORDERS)
    return state_dir


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A shop generated in two runs, with the snapshot taken between them."""
    state_dir = tmp_path_factory.mktemp("split")
    generate(state_dir, days=SPLIT_AT, orders=ORDERS)
    before = snapshot(state_dir)
    generate(state_dir, days=DAYS, orders=ORDERS)
    return state_dir, before


def test_same_settings_give_identical_content(one_shot: Path, tmp_path: Path) -> None:
    generate(tmp_path, days=DAYS, orders=ORDERS)

    assert snapshot(tmp_path) == snapshot(one_shot)


def test_split_generation_equals_one_shot(one_shot: Path, split: tuple[Path, dict]) -> None:
    state_dir, _ = split

    assert snapshot(state_dir) == snapshot(one_shot)


def test_a_different_seed_gives_different_data(one_shot: Path, tmp_path: Path) -> None:
    generate(tmp_path, days=DAYS, orders=ORDERS, seed=7)
    other, reference = snapshot(tmp_path), snapshot(one_shot)

    for table in ("customers", "products", "orders", "payments"):
        assert other[table] != reference[table], table
    assert other["web_sessions_2025-01-01.parquet"] != reference["web_sessions_2025-01-01.parquet"]


def test_advancing_adds_orders_and_updates_earlier_ones(split: tuple[Path, dict]) -> None:
    state_dir, before = split
    first_new_day = day_date(SPLIT_AT).isoformat()
    earlier = {row[0]: row for row in before["orders"]}
    after = {row[0]: row for row in _rows(state_dir, "select * from orders")}

    new_ids = after.keys() - earlier.keys()
    assert new_ids, "advancing placed no orders"
    assert min(after[order_id][5] for order_id in new_ids) >= first_new_day
    assert earlier.keys() <= after.keys()
    changed = [
        order_id
        for order_id, row in earlier.items()
        if (row[2], row[6]) != (after[order_id][2], after[order_id][6])
    ]
    assert changed, "no earlier order changed status on the later days"
    for order_id in changed:
        assert after[order_id][6] >= first_new_day


def test_refunds_never_exceed_payments(one_shot: Path) -> None:
    per_order = _rows(
        one_shot,
        """
        select
            orders.order_id,
            orders.status,
            coalesce(sum(case when payment_type = 'payment' then amount end), 0),
            coalesce(sum(case when payment_type = 'refund' then amount end), 0),
            count(payments.payment_id)
        from orders
        left join payments on payments.order_id = orders.order_id
        group by orders.order_id, orders.status
        """,
    )

    refunded = [row for row in per_order if row[3] > 0]
    assert refunded, "expected some refunds"
    for order_id, status, paid, refund, _ in per_order:
        assert refund <= paid + 1e-9, order_id
        if status == "returned":
            assert refund > 0, order_id
        if status in ("shipped", "delivered"):
            assert paid > 0 and refund == 0, order_id


def test_payments_match_line_items(one_shot: Path) -> None:
    mismatched = _rows(
        one_shot,
        """
        with totals as (
            select order_id, round(sum(quantity * unit_price), 2) as total
            from order_items group by order_id
        )
        select payments.payment_id
        from payments
        join totals on totals.order_id = payments.order_id
        where payments.payment_type = 'payment' and abs(payments.amount - totals.total) > 0.005
        """,
    )

    assert mismatched == []


def test_orders_follow_the_contract(one_shot: Path) -> None:
    orders = _rows(
        one_shot,
        "select orders.order_id, status, currency, channel, ordered_at, orders.updated_at,"
        " country_code from orders join customers using (customer_id)",
    )
    lines_per_order = Counter(row[0] for row in _rows(one_shot, "select order_id from order_items"))
    statuses = Counter(row[1] for row in orders)

    assert {row[1] for row in orders} <= STATUSES
    assert {row[3] for row in orders} == CHANNELS
    assert set(lines_per_order.values()) <= set(range(1, 6))
    assert set(lines_per_order) == {row[0] for row in orders}
    assert 0.02 < statuses["cancelled"] / len(orders) < 0.09
    assert 0.03 < statuses["returned"] / len(orders) < 0.13
    for _, _, _, _, ordered_at, updated_at, _ in orders:
        assert updated_at >= ordered_at
    # Customers who moved country change the currency of later orders only: most still match.
    matching = sum(CURRENCY_BY_COUNTRY[row[6]] == row[2] for row in orders)
    assert matching / len(orders) > 0.95


def test_status_changes_arrive_within_thirty_days(one_shot: Path) -> None:
    late = _rows(
        one_shot,
        "select order_id from orders where julianday(updated_at) - julianday(ordered_at) > 30",
    )

    assert late == []


def test_web_sessions_carry_each_order_once_with_its_channel(one_shot: Path) -> None:
    sessions = pq.read_table(one_shot / "landing" / "web_sessions").to_pylist()
    orders = {row[0]: row for row in _rows(one_shot, "select order_id, channel from orders")}
    converting = [session for session in sessions if session["order_id"] is not None]

    assert sorted(session["order_id"] for session in converting) == sorted(orders)
    for session in converting:
        assert session["channel"] == orders[session["order_id"]][1]
    assert any(session["customer_id"] is None for session in sessions)
    assert 5 < len(sessions) / len(orders) < 7
    assert len({session["session_id"] for session in sessions}) == len(sessions)


def test_marketing_spend_is_on_paid_channels_every_day(one_shot: Path) -> None:
    files = sorted((one_shot / "landing" / "marketing_spend").glob("*.csv"))
    header = files[0].read_text().splitlines()[0]
    channels = {line.split(",")[1] for path in files for line in path.read_text().splitlines()[1:]}

    assert len(files) == DAYS
    assert header == "spend_date,channel,campaign,spend_eur,impressions,clicks"
    assert channels == PAID_CHANNELS


def test_sales_targets_sit_near_what_the_month_brings_in(one_shot: Path) -> None:
    """A month's target per order is close to the net value of the orders it then gets."""
    sheet = load_workbook(one_shot / "landing" / "sales_targets" / "sales_targets_2025-01.xlsx")
    rows = list(sheet["targets"].iter_rows(min_row=2, values_only=True))
    target_per_order = sum(row[3] for row in rows) / sum(row[2] for row in rows)
    orders = _rows(
        one_shot,
        """
        select
            orders.currency,
            coalesce(sum(case when payment_type = 'payment' then amount end), 0)
                - coalesce(sum(case when payment_type = 'refund' then amount end), 0)
        from orders
        left join payments on payments.order_id = orders.order_id
        where orders.ordered_at < '2025-02-01'
        group by orders.order_id, orders.currency
        """,
    )
    net_per_order = sum(net / EUR_PRICE_RATES[currency] for currency, net in orders) / len(orders)
    assert 0.85 < net_per_order / target_per_order < 1.15, (net_per_order, target_per_order)


def test_summary_and_progress(tmp_path: Path) -> None:
    lines: list[str] = []
    summary = generate(tmp_path, days=DAYS, orders=ORDERS, progress=lines.append)
    again = generate(tmp_path, days=DAYS, orders=ORDERS)

    assert summary["days_generated"] == DAYS
    assert summary["days_total"] == DAYS
    assert summary["counts"]["orders"] == len(_rows(tmp_path, "select 1 from orders"))
    assert len(lines) == 2
    assert again["days_generated"] == 0
    assert again["counts"] == summary["counts"]


def test_a_year_holds_exactly_the_requested_orders(tmp_path: Path) -> None:
    summary = generate(tmp_path, days=365, orders=1_000)
    per_customer = summary["counts"]["orders"] / summary["counts"]["customers"]

    assert summary["counts"]["orders"] == 1_000
    assert 2.0 < per_customer < 3.0
    assert 60 <= summary["counts"]["products"] <= 200


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"days": DAYS, "orders": ORDERS, "seed": 7}, "seed=42"),
        ({"days": DAYS, "orders": ORDERS + 1}, "orders=2000"),
        ({"days": DAYS - 1, "orders": ORDERS}, "cannot go back"),
        ({"days": 0, "orders": ORDERS}, "must be positive"),
    ],
)
def test_refuses_settings_that_do_not_match_the_state(
    one_shot: Path, settings: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        generate(one_shot, **settings)

    assert "\n" not in str(raised.value)
