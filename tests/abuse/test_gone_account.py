"""A validly signed access token whose account is gone (deleted by an operator, or a database
started afresh under the same secret key) is refused as 401 UNAUTHENTICATED everywhere: it once
made `GET /wallet` answer 500, a charge 409 BALANCE_LIMIT_EXCEEDED and a hold 500."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import API, Fan, Shop
from tests.e2e.support import assert_problem


async def _delete_account(shop: Shop, fan: Fan) -> None:
    async with shop.container.engine.begin() as connection:
        await connection.execute(text("DELETE FROM wallet WHERE user_id = :id"), {"id": fan.id})
        await connection.execute(text("DELETE FROM user_account WHERE id = :id"), {"id": fan.id})


async def test_every_route_refuses_a_token_of_an_account_that_is_gone(shop: Shop) -> None:
    date = await shop.date_on_sale(seat_count=4)
    fan = await shop.admitted_fan()
    await _delete_account(shop, fan)
    client = shop.client

    answers = {
        "wallet": await client.get(f"{API}/wallet", headers=fan.auth),
        "charge": await shop.post_charge(fan, 10_000),
        "charge with a key": await shop.post_charge(fan, 10_000, key="gone-1"),
        "hold": await shop.post_hold(fan, date["id"], [1]),
        "leave": await client.delete(f"{API}/queue/tokens/current", headers=fan.with_pass),
    }

    for name, response in answers.items():
        problem = assert_problem(response, 401, "UNAUTHENTICATED")
        assert "no longer exists" in problem["detail"], name
    # Nothing was written for the account that is gone, and the seat stayed on sale.
    async with shop.container.engine.connect() as connection:
        for table in ("wallet", "wallet_transaction", "reservation", "queue_pass_left"):
            rows = await connection.scalar(
                text(f"SELECT count(*) FROM {table} WHERE user_id = :id"),
                {"id": fan.id},
            )
            assert rows == 0, table
    # Its pass left the line all the same: it held the one active slot until it lapsed.
    stats = await shop.container.store.stats(shop.clock.now().timestamp())
    assert (stats.active, stats.waiting) == (0, 0), stats
    other = await shop.admitted_fan()
    assert (await shop.seat_map(other, date["id"]))[1] == "AVAILABLE"
