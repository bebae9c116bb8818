"""A fan's lists (reservations, payments, the ledger) go a page at a time; a full page says
where the next one is in `Link` (RFC 8288). A v1 client knows no pages: the contract's
`GET /reservations` answers "the caller's reservations", and a fan with more than a page's
worth got the first 100 with no sign that there were more."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import API, Fan, Shop


async def _three_rows(shop: Shop, fan: Fan, kind: str) -> None:
    if kind == "wallet/transactions":
        for _ in range(3):
            await shop.charge(fan, 1_000)
        return
    date = await shop.date_on_sale(seat_count=10, price=1_000)
    await shop.charge(fan, 10_000)
    for seat in (1, 2, 3):
        await shop.join(fan)
        await shop.admit()
        held = await shop.hold(fan, date["id"], [seat])
        if kind == "payments":
            await shop.pay(fan, held["id"])


async def _pages(shop: Shop, fan: Fan, url: str) -> list[tuple[list[int], str | None]]:
    """Each page's ids and its Link, following the links (asked with another Host)."""
    pages: list[tuple[list[int], str | None]] = []
    while True:
        response = await shop.client.get(url, headers={**fan.auth, "Host": "evil.example"})
        assert response.status_code == 200, response.text
        link = response.headers.get("link")
        pages.append(([row["id"] for row in response.json()], link))
        if link is None:
            return pages
        assert link.endswith('>; rel="next"'), link
        url = link[1 : link.index(">")]
        assert url.startswith(f"{API}/"), link  # relative: no host named


@pytest.mark.parametrize("kind", ["reservations", "payments", "wallet/transactions"])
async def test_a_full_page_links_to_the_next_and_the_last_does_not(shop: Shop, kind: str) -> None:
    fan = await shop.admitted_fan()
    await _three_rows(shop, fan, kind)

    [(every, no_link)] = await _pages(shop, fan, f"{API}/{kind}")
    paged = await _pages(shop, fan, f"{API}/{kind}?limit=2")

    assert len(every) == 3
    assert every == sorted(every, reverse=True)
    assert no_link is None  # fewer than a page
    assert [ids for ids, _ in paged] == [every[:2], every[2:]]
    assert paged[0][1] is not None
    assert paged[1][1] is None


async def test_the_link_keeps_the_other_query_parameters_and_names_no_host(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.sign_up()
    for _ in range(2):
        await shop.charge(fan, 1_000)

    response = await client.get(
        f"{API}/wallet/transactions",
        params={"limit": 1, "before_id": 10**9, "lang": "ko & en"},
        headers={**fan.auth, "Host": "evil.example"},
    )

    first = response.json()[0]["id"]
    link = response.headers["link"]
    assert link.startswith(f"<{API}/wallet/transactions?")
    assert link.endswith('>; rel="next"')
    query = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    assert query == {"limit": ["1"], "before_id": [str(first)], "lang": ["ko & en"]}
