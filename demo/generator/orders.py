"""One new order's contents and future: its line items and every status change it will go through.

Pure functions of a random generator and their arguments, so the day's simulation decides an
order's whole lifecycle (paid, shipped, delivered, cancelled, returned) the moment it is placed.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from demo.generator.reference import (
    CANCEL_RATE,
    EUR_PRICE_RATES,
    ITEM_COUNT_WEIGHTS,
    LIFECYCLE_MAX_DAYS,
    PAYMENT_METHOD_WEIGHTS,
    PAYMENT_METHODS,
    QUANTITY_WEIGHTS,
    RETURN_RATE,
    RETURN_REFUND_SHARE,
)
from demo.generator.timeline import DAY

# (at, status, payment type, amount in cents)
Event = tuple[int, str, str | None, int | None]
# (product_id, quantity, unit price in local cents)
Line = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """What the day's web sessions and marketing need to know about an order placed that day."""

    order_id: int
    customer_id: int
    placed_at: int
    channel: str


@dataclass(frozen=True, slots=True)
class Product:
    """A product on sale: its list price in EUR cents and its fixed appetite weight."""

    product_id: int
    price_cents: int
    popularity: float


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """The mean of `values` weighted by `weights`, summed without rounding drift."""
    return math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(weights)


def expected_order_value_eur(products: Sequence[Product]) -> float:
    """What an order brings in net, on average, with today's catalogue: its lines and units
    (the weights of `line_items`) at the popularity-weighted list price, less what
    cancellations and returns refund."""
    lines = weighted_mean(range(1, len(ITEM_COUNT_WEIGHTS) + 1), ITEM_COUNT_WEIGHTS)
    units = weighted_mean(range(1, len(QUANTITY_WEIGHTS) + 1), QUANTITY_WEIGHTS)
    price_eur = weighted_mean(
        [p.price_cents / 100 for p in products], [p.popularity for p in products]
    )
    kept = 1 - CANCEL_RATE - RETURN_RATE * RETURN_REFUND_SHARE
    return lines * units * price_eur * kept


def line_items(
    rng: random.Random,
    products: list[Product],
    cumulative_popularity: list[float],
    currency: str,
) -> list[Line]:
    """1-5 distinct products as (product_id, quantity, unit price in local cents)."""
    wanted = min(len(products), rng.choices(range(1, 6), weights=ITEM_COUNT_WEIGHTS)[0])
    picked: dict[int, Product] = {}
    while len(picked) < wanted:
        product = rng.choices(products, cum_weights=cumulative_popularity)[0]
        picked.setdefault(product.product_id, product)
    rate = EUR_PRICE_RATES[currency]
    return [
        (
            product.product_id,
            rng.choices((1, 2, 3), weights=QUANTITY_WEIGHTS)[0],
            round(product.price_cents * rate),
        )
        for product in picked.values()
    ]


def _cancelled(
    rng: random.Random, method: str, placed_at: int, paid_at: int, total: int
) -> list[Event]:
    """A cancellation: before paying (nothing moves), or after paying (refunded in full)."""
    if method == "bank_transfer" or rng.random() < 0.4:  # cancelled before paying
        cancel_at = placed_at + rng.randint(3600, 5 * DAY)
        if method == "bank_transfer":
            cancel_at = max(cancel_at, paid_at)  # the transfer never arrived
        return [(cancel_at, "cancelled", None, None)]
    # paid, then cancelled before shipping: refunded in full
    cancel_at = paid_at + rng.randint(600, 2 * DAY)
    return [(paid_at, "paid", "payment", total), (cancel_at, "cancelled", "refund", total)]


def _fulfilled(
    rng: random.Random, returned: bool, paid_at: int, deadline: int, lines: list[Line], total: int
) -> list[Event]:
    """Paid, shipped and delivered; for a returned order, sent back in whole or in part."""
    shipped_at = paid_at + rng.randint(4 * 3600, 3 * DAY)
    delivered_at = shipped_at + rng.randint(DAY, 6 * DAY)
    events: list[Event] = [
        (paid_at, "paid", "payment", total),
        (shipped_at, "shipped", None, None),
        (delivered_at, "delivered", None, None),
    ]
    if returned:
        returned_at = min(delivered_at + rng.randint(DAY, 14 * DAY), deadline)
        if len(lines) == 1 or rng.random() < 0.6:
            refund = total
        else:  # some of the items came back
            kept = rng.sample(lines, k=rng.randint(1, len(lines) - 1))
            refund = total - sum(quantity * cents for _, quantity, cents in kept)
        events.append((returned_at, "returned", "refund", refund))
    return events


def lifecycle(
    rng: random.Random,
    order_id: int,
    placed_at: int,
    lines: list[Line],
    currency: str,
) -> list[tuple]:
    """Decide every future status change of a new order, each at most 30 days out."""
    total = sum(quantity * cents for _, quantity, cents in lines)
    method = rng.choices(PAYMENT_METHODS, weights=PAYMENT_METHOD_WEIGHTS)[0]
    if method == "bank_transfer":
        paid_at = placed_at + rng.randint(6 * 3600, 4 * DAY)
    else:
        paid_at = placed_at + rng.randint(20, 1800)
    deadline = placed_at + LIFECYCLE_MAX_DAYS * DAY
    outcome = rng.random()
    if outcome < CANCEL_RATE:
        events = _cancelled(rng, method, placed_at, paid_at, total)
    else:
        returned = outcome < CANCEL_RATE + RETURN_RATE
        events = _fulfilled(rng, returned, paid_at, deadline, lines, total)
    return [
        (
            order_id,
            step,
            at // DAY,
            at,
            status,
            payment_type,
            method if payment_type else None,
            amount,
            currency,
        )
        for step, (at, status, payment_type, amount) in enumerate(events, start=1)
    ]
