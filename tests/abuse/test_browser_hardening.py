"""Browser hardening: every answer carries a Content-Security-Policy that allows only this
origin and no framing, with nosniff and no referrer; /docs runs from files served here; and a
browser opens its event stream with a short-lived stream ticket that is good for nothing else.
Once, no answer had any of these headers, /docs loaded Swagger UI from a CDN, and the stream
took the account's access token in its URL, where every proxy's log would keep it."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from boxoffice.catalog import service as catalog_service
from boxoffice.platform.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import API, Fan, Shop
from tests.e2e.support import assert_problem
from tests.e2e.test_queue_stream import open_stream

TICKETS = f"{API}/queue/stream-tickets"
PINNED = Path(str(files("boxoffice") / "web" / "docs" / "swagger-ui" / "PINNED"))


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def assert_hardened(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    policy = _directives(headers.get("content-security-policy", ""))
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert policy.get("default-src") == ["'self'"], where
    for directive in ("script-src", "style-src"):
        assert policy.get(directive) == ["'self'"], (where, directive)  # nothing inline
    assert policy.get("object-src") == ["'none'"], where


async def test_every_kind_of_answer_carries_the_security_headers(shop: Shop) -> None:
    fan = await shop.sign_up()
    client = shop.client
    answers = [
        await client.get("/"),
        await client.get("/admin.html"),
        await client.get("/app.js"),
        await client.get("/js/stream.js"),
        await client.get("/docs"),
        await client.get("/openapi.json"),
        await client.get("/healthz"),
        await client.get(f"{API}/concerts"),
        await client.get(f"{API}/wallet", headers=fan.auth),
        await client.get(f"{API}/wallet"),  # 401 problem
        await client.get(f"{API}/no-such-thing"),  # 404 problem
        await client.get(f"{API}/admin/queue", headers={"X-Admin-Key": "wrong"}),
        await client.post(f"{API}/wallet/charges", json={"amount": "x"}, headers=fan.auth),
        await client.get(f"{API}/queue/status", headers=fan.auth),  # no pass
    ]
    assert [a.status_code for a in answers] == [*[200] * 9, 401, 404, 401, 422, 401]

    for answer in answers:
        assert_hardened(answer)


async def test_an_unexpected_error_s_500_carries_them_too(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Answered outside the app's middleware (Starlette's last-resort handler), so by its own.
    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog_service, "list_concerts", broken)
    answer = await shop.client.get(f"{API}/concerts")

    assert_problem(answer, 500, "INTERNAL_ERROR")
    assert_hardened(answer)


async def test_the_policy_is_the_documented_one() -> None:
    policy = _directives(CONTENT_SECURITY_POLICY)
    # Only data: images besides this origin (the pages' empty icon); no 'unsafe-*' anywhere.
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._in_script = tag == "script" and "src" not in found

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


async def test_docs_run_from_files_served_here(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    found = _References()
    found.feed(page.text)

    assert found.inline_scripts == 0  # the policy would refuse it
    assert found.urls, page.text
    for url in found.urls:
        assert url.startswith("data:") or re.fullmatch(r"/[\w./-]+", url), url
        if url.startswith("/"):
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert_hardened(asset)
    # No address of another host anywhere on the page, nor in the script that starts it.
    init = await client.get("/docs/swagger-init.js")
    for text in (page.text, init.text):
        assert not re.search(r"https?://|//[a-z]", text), text
    # The vendored Swagger UI is the pinned one, byte for byte.
    for name, digest in _pinned().items():
        served = await client.get(f"/docs/{name}")
        assert hashlib.sha256(served.content).hexdigest() == digest, name
    bundle = await client.get("/docs/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert (await client.get("/redoc")).status_code == 404  # ReDoc came from a CDN only


def _pinned() -> dict[str, str]:
    """The files of web/docs/swagger-ui/PINNED and their SHA-256."""
    lines = (line.split() for line in PINNED.read_text().splitlines())
    return {line[2]: line[1] for line in lines if line and line[0] == "sha256"}


async def _ticket(shop: Shop, fan: Fan) -> str:
    response = await shop.client.post(TICKETS, headers=fan.with_pass)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["expires_in"] == shop.container.settings.stream_ticket_seconds
    return str(body["ticket"])


async def _stream_refused(app: FastAPI, params: dict[str, str], status: int, code: str) -> None:
    async with open_stream(app, params) as events:
        assert_problem(await events.problem(), status, code)


async def test_a_stream_ticket_opens_its_pass_stream_and_nothing_else(
    app: FastAPI, shop: Shop
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    assert fan.queue_token is not None
    ticket = await _ticket(shop, fan)
    access = fan.auth["Authorization"].removeprefix("Bearer ")

    async with open_stream(app, {"token": fan.queue_token, "ticket": ticket}) as events:
        first = await events.next_event()
    assert events.status == 200
    assert first is not None
    assert (first.name, first.data["status"]) == ("status", "WAITING")

    as_bearer = {"Authorization": f"Bearer {ticket}"}
    assert_problem(
        await shop.client.get(f"{API}/wallet", headers=as_bearer), 401, "UNAUTHENTICATED"
    )
    joined = await shop.client.post(f"{API}/queue/tokens", headers=as_bearer)
    assert_problem(joined, 401, "UNAUTHENTICATED")
    as_pass = {**fan.auth, "X-Queue-Token": ticket}
    polled = await shop.client.get(f"{API}/queue/status", headers=as_pass)
    assert_problem(polled, 401, "QUEUE_TOKEN_INVALID")
    for params in (
        {"token": fan.queue_token, "access_token": ticket},
        {"token": fan.queue_token, "ticket": access},
        {"token": fan.queue_token, "ticket": fan.queue_token},
        {"token": fan.queue_token, "ticket": ticket[:-4] + "AAAA"},
    ):
        await _stream_refused(app, params, 401, "UNAUTHENTICATED")


async def test_a_stream_ticket_is_bound_to_its_fan_and_pass(app: FastAPI, shop: Shop) -> None:
    owner, other = await shop.sign_up(), await shop.sign_up()
    await shop.join(owner)
    await shop.join(other)
    assert owner.queue_token is not None
    assert other.queue_token is not None
    ticket = await _ticket(shop, owner)

    await _stream_refused(
        app, {"token": other.queue_token, "ticket": ticket}, 403, "QUEUE_TOKEN_FORBIDDEN"
    )
    # A ticket for another's pass is not given, nor one without a pass.
    borrowed = {**other.auth, "X-Queue-Token": owner.queue_token}
    refused = await shop.client.post(TICKETS, headers=borrowed)
    assert_problem(refused, 403, "QUEUE_TOKEN_FORBIDDEN")
    assert_problem(await shop.client.post(TICKETS, headers=owner.auth), 401, "QUEUE_TOKEN_INVALID")
    assert_problem(await shop.client.post(TICKETS), 401, "UNAUTHENTICATED")
    # The owner's next pass is another pass: the old ticket does not open its stream.
    left = await shop.client.delete(f"{API}/queue/tokens/current", headers=owner.with_pass)
    assert left.status_code == 204
    await shop.join(owner)
    await _stream_refused(
        app, {"token": owner.queue_token, "ticket": ticket}, 403, "QUEUE_TOKEN_FORBIDDEN"
    )


async def test_a_stream_ticket_expires_within_seconds(app: FastAPI, shop: Shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    assert fan.queue_token is not None
    ticket = await _ticket(shop, fan)

    shop.clock.advance(shop.container.settings.stream_ticket_seconds)

    await _stream_refused(app, {"token": fan.queue_token, "ticket": ticket}, 401, "UNAUTHENTICATED")


async def test_stream_tickets_per_account_are_limited(shop: Shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    for _ in range(shop.container.settings.stream_tickets_per_account):
        await _ticket(shop, fan)

    refused = await shop.client.post(TICKETS, headers=fan.with_pass)

    assert_problem(refused, 429, "RATE_LIMITED")
    assert int(refused.headers["retry-after"]) >= 1
    assert (await shop.client.get(f"{API}/queue/status", headers=fan.with_pass)).status_code == 200
