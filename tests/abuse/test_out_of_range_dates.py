"""An admin's typo in a date is refused and saves nothing (it once broke the line for good).

`PUT /admin/queue {"opens_at": "9999-12-31T23:59:59-05:00"}` answered 500 but was saved, and
from then on every join and every read of the policy answered 500; a date starting in the year
9999 or the year 1 overflowed to a 500 as well.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN, API, Shop
from tests.e2e.support import assert_problem, error_fields

TYPOS = ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "1999-12-31T23:59:59Z")


@pytest.mark.parametrize("opens_at", TYPOS)
async def test_an_opening_out_of_range_is_refused_and_the_line_works_on(
    client: httpx.AsyncClient, shop: Shop, opens_at: str
) -> None:
    before = (await client.get(f"{API}/admin/queue", headers=ADMIN)).json()

    refused = await client.put(f"{API}/admin/queue", json={"opens_at": opens_at}, headers=ADMIN)

    assert error_fields(assert_problem(refused, 422, "VALIDATION_ERROR")) == {"opens_at"}
    after = await client.get(f"{API}/admin/queue", headers=ADMIN)
    assert after.status_code == 200
    assert after.json() == before
    fan = await shop.sign_up()
    assert (await shop.join(fan))["status"] in {"WAITING", "ACTIVE"}


@pytest.mark.parametrize("starts_at", TYPOS)
async def test_a_date_out_of_range_is_refused_and_nothing_is_saved(
    client: httpx.AsyncClient, shop: Shop, starts_at: str
) -> None:
    concert = await shop.create_concert()
    path = f"{API}/admin/concerts/{concert['id']}/schedules"

    refused = await client.post(
        path, json={"starts_at": starts_at, "seat_count": 10, "price": 1000}, headers=ADMIN
    )

    assert error_fields(assert_problem(refused, 422, "VALIDATION_ERROR")) == {"starts_at"}
    fan = await shop.admitted_fan()
    listed = await client.get(
        f"{API}/concerts/{concert['id']}/schedules", params={"all": "true"}, headers=fan.with_pass
    )
    assert listed.status_code == 200
    assert listed.json() == []


async def test_an_opening_within_range_and_without_offset_is_taken_as_utc(
    client: httpx.AsyncClient,
) -> None:
    changed = await client.put(
        f"{API}/admin/queue", json={"opens_at": "2099-12-31T23:59:59"}, headers=ADMIN
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["policy"]["opens_at"] == "2099-12-31T23:59:59Z"
