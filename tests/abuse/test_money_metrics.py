"""`boxoffice_money_*_total` count money that moved, not answers given.

An idempotent replay moves nothing: the counter once read 13,020,041 against a ledger total of
13,001,031, because every retried charge was counted again.
"""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.conftest import Shop


def _money(name: str) -> float:
    return REGISTRY.get_sample_value(f"boxoffice_money_{name}_total") or 0.0


async def test_replayed_charges_and_payments_count_once(shop: Shop) -> None:
    fan = await shop.admitted_fan()
    date = await shop.date_on_sale(seat_count=2, price=30_000)
    charged, paid = _money("charged"), _money("paid")

    first = await shop.charge(fan, 50_000, key="charge-once")
    for _ in range(3):
        assert await shop.charge(fan, 50_000, key="charge-once") == first
    hold = await shop.hold(fan, date["id"], [1])
    payment = await shop.pay(fan, hold["id"], key="pay-once")
    assert await shop.pay(fan, hold["id"], key="pay-once") == payment

    ledger = await shop.ledger(fan)
    assert sum(entry["amount"] for entry in ledger if entry["kind"] == "CHARGE") == 50_000
    assert _money("charged") - charged == 50_000
    assert _money("paid") - paid == 30_000
