"""The wallet over HTTP: balance, charges and their limits, idempotency keys, the ledger."""

from __future__ import annotations

import pytest

from .support import assert_problem, error_fields, utc

CHARGES = "/api/v1/wallet/charges"
MAX_CHARGE = 2_000_000
MAX_BALANCE = 10_000_000


async def test_a_new_wallet_is_empty(client, shop) -> None:
    fan = await shop.sign_up()

    response = await client.get("/api/v1/wallet", headers=fan.auth)

    assert response.status_code == 200
    assert response.json() == {"balance": 0, "currency": "KRW"}


async def test_a_charge_answers_201_and_adds_to_the_balance(shop) -> None:
    fan = await shop.sign_up()

    response = await shop.post_charge(fan, 50_000)

    assert response.status_code == 201
    body = response.json()
    assert body["amount"] == 50_000
    assert body["balance"] == 50_000
    assert body["transaction_id"] is not None
    assert (await shop.charge(fan, 25_000))["balance"] == 75_000
    assert await shop.balance(fan) == 75_000


@pytest.mark.parametrize("amount", [0, -1, -50_000, MAX_CHARGE + 1, 10**30])
async def test_a_charge_of_nothing_or_over_the_single_charge_limit_is_422(shop, amount) -> None:
    fan = await shop.sign_up()

    response = await shop.post_charge(fan, amount)

    assert error_fields(assert_problem(response, 422, "VALIDATION_ERROR")) == {"amount"}
    assert await shop.balance(fan) == 0
    assert await shop.ledger(fan) == []


@pytest.mark.parametrize("amount", ["ten", 10.5, None, True, [1], {"value": 1}])
async def test_a_charge_amount_must_be_an_integer(shop, amount) -> None:
    fan = await shop.sign_up()

    response = await shop.post_charge(fan, amount)

    assert error_fields(assert_problem(response, 422, "VALIDATION_ERROR")) == {"amount"}
    assert await shop.balance(fan) == 0


async def test_the_single_charge_limit_itself_is_allowed(shop) -> None:
    fan = await shop.sign_up()

    assert (await shop.charge(fan, MAX_CHARGE))["balance"] == MAX_CHARGE


async def test_a_charge_over_the_balance_cap_is_409_and_changes_nothing(shop) -> None:
    fan = await shop.sign_up()
    for _ in range(MAX_BALANCE // MAX_CHARGE):
        await shop.charge(fan, MAX_CHARGE)

    response = await shop.post_charge(fan, 1)

    assert_problem(response, 409, "BALANCE_LIMIT_EXCEEDED")
    assert await shop.balance(fan) == MAX_BALANCE
    assert len(await shop.ledger(fan)) == MAX_BALANCE // MAX_CHARGE


async def test_the_same_key_and_body_returns_the_first_result_and_moves_money_once(shop) -> None:
    fan = await shop.sign_up()
    first = await shop.post_charge(fan, 10_000, key="charge-1")

    again = await shop.post_charge(fan, 10_000, key="charge-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await shop.balance(fan) == 10_000
    assert len(await shop.ledger(fan)) == 1


async def test_the_same_key_with_another_body_is_409(shop) -> None:
    fan = await shop.sign_up()
    await shop.charge(fan, 10_000, key="charge-1")

    response = await shop.post_charge(fan, 20_000, key="charge-1")

    assert_problem(response, 409, "IDEMPOTENCY_KEY_REUSED")
    assert await shop.balance(fan) == 10_000


async def test_a_new_key_moves_money_again(shop) -> None:
    fan = await shop.sign_up()
    await shop.charge(fan, 10_000, key="charge-1")

    await shop.charge(fan, 10_000, key="charge-2")

    assert await shop.balance(fan) == 20_000


async def test_keys_belong_to_one_fan(shop) -> None:
    first, second = await shop.sign_up(), await shop.sign_up()
    await shop.charge(first, 10_000, key="shared-key")

    charged = await shop.charge(second, 10_000, key="shared-key")

    assert charged["balance"] == 10_000
    assert await shop.balance(first) == await shop.balance(second) == 10_000


async def test_a_failed_charge_does_not_use_up_its_key(shop) -> None:
    schedule = (await shop.date_on_sale(seat_count=1, price=50_000))["id"]
    fan = await shop.admitted_fan()
    for _ in range(MAX_BALANCE // MAX_CHARGE):
        await shop.charge(fan, MAX_CHARGE)
    refused = await shop.post_charge(fan, 30_000, key="retry-me")
    assert_problem(refused, 409, "BALANCE_LIMIT_EXCEEDED")
    again = await shop.post_charge(fan, 30_000, key="retry-me")
    assert_problem(again, 409, "BALANCE_LIMIT_EXCEEDED")
    # Paying for a seat makes room under the cap: a stored refusal would now be replayed.
    await shop.pay(fan, (await shop.hold(fan, schedule, [1]))["id"])
    assert await shop.balance(fan) == MAX_BALANCE - 50_000

    retried = await shop.post_charge(fan, 30_000, key="retry-me")

    assert retried.status_code == 201, retried.text
    charged = retried.json()
    assert charged["amount"] == 30_000
    assert charged["balance"] == MAX_BALANCE - 50_000 + 30_000
    ledger = await shop.ledger(fan)
    assert [(entry["kind"], entry["amount"]) for entry in ledger[:2]] == [
        ("CHARGE", 30_000),
        ("PAYMENT", -50_000),
    ]
    assert ledger[0]["id"] == charged["transaction_id"]
    assert len(ledger) == MAX_BALANCE // MAX_CHARGE + 2
    # The key is used up now: a replay answers the same charge and moves no money.
    replayed = await shop.post_charge(fan, 30_000, key="retry-me")
    assert replayed.status_code == 201, replayed.text
    assert replayed.json() == charged
    assert await shop.balance(fan) == MAX_BALANCE - 50_000 + 30_000
    assert await shop.ledger(fan) == ledger


@pytest.mark.parametrize("key", ["k", "x" * 255, "2031-01-01T00:00:00Z order#42"])
async def test_any_key_up_to_255_characters_is_accepted(client, shop, key) -> None:
    fan = await shop.sign_up()

    response = await client.post(
        CHARGES, json={"amount": 1}, headers={**fan.auth, "Idempotency-Key": key}
    )

    assert response.status_code == 201, response.text


async def test_a_key_over_255_characters_is_a_validation_error(client, shop) -> None:
    fan = await shop.sign_up()

    response = await client.post(
        CHARGES, json={"amount": 1}, headers={**fan.auth, "Idempotency-Key": "x" * 256}
    )

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert await shop.balance(fan) == 0


async def test_the_ledger_lists_entries_newest_first(shop) -> None:
    fan = await shop.sign_up()
    first = await shop.charge(fan, 1_000)
    second = await shop.charge(fan, 2_000)

    entries = await shop.ledger(fan)

    assert [e["id"] for e in entries] == [second["transaction_id"], first["transaction_id"]]
    assert entries[0]["kind"] == "CHARGE"
    assert entries[0]["amount"] == 2_000
    assert entries[0]["balance_after"] == 3_000
    assert entries[1]["balance_after"] == 1_000
    utc(entries[0]["created_at"])


async def test_the_ledger_pages_with_limit_and_before_id(shop) -> None:
    fan = await shop.sign_up()
    ids = [(await shop.charge(fan, amount))["transaction_id"] for amount in (1, 2, 3, 4, 5)]

    page_one = await shop.ledger(fan, limit=2)
    page_two = await shop.ledger(fan, limit=2, before_id=page_one[-1]["id"])
    page_three = await shop.ledger(fan, limit=2, before_id=page_two[-1]["id"])

    assert [e["id"] for e in page_one + page_two + page_three] == ids[::-1]
    assert [e["amount"] for e in page_three] == [1]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": "x"}, {"before_id": 0}])
async def test_bad_ledger_paging_is_a_validation_error(client, shop, params) -> None:
    fan = await shop.sign_up()

    response = await client.get("/api/v1/wallet/transactions", params=params, headers=fan.auth)

    assert error_fields(assert_problem(response, 422, "VALIDATION_ERROR")) == set(params)


async def test_a_fan_sees_only_their_own_wallet_and_ledger(shop) -> None:
    rich, poor = await shop.sign_up(), await shop.sign_up()
    await shop.charge(rich, 99_000)

    assert await shop.balance(poor) == 0
    assert await shop.ledger(poor) == []
