"""Before the timed sale: the concert and its dates, the admission policy, and funded fans."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from boxoffice_rush import endpoints
from boxoffice_rush.client import (
    FORM_HEADERS,
    JSON_HEADERS,
    RAMP_SECONDS,
    HttpClient,
    Reply,
    json_body,
)
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanAccount

__all__ = [
    "Provisioned",
    "SetupFailed",
    "admin_headers",
    "create_concert",
    "provision_accounts",
    "provision_fans",
    "read_room",
    "set_policy",
]

API = endpoints.API


class SetupFailed(RuntimeError):
    """The deployment refused part of the setup; the rush cannot go on."""


def _require(reply: Reply, expected: int, what: str) -> dict[str, object]:
    if reply.status != expected or not isinstance(reply.body, dict):
        raise SetupFailed(f"{what}: HTTP {reply.status} {reply.code} {reply.body!r}"[:500])
    return reply.body


def admin_headers(config: RushConfig) -> dict[str, str]:
    """What the admin endpoints need: the admin key, and JSON bodies."""
    return {"X-Admin-Key": config.admin_key, **JSON_HEADERS}


async def create_concert(
    client: HttpClient,
    config: RushConfig,
    run_id: str,
    seat_counts: Sequence[int] | None = None,
    title: str = "",
) -> list[int]:
    """A concert with a date per seat count (default: `dates` dates of `seats` seats each).

    Returns the concert's id first, then the dates' ids in the order of `seat_counts`.
    """
    headers = admin_headers(config)
    counts = [config.seats] * config.dates if seat_counts is None else list(seat_counts)
    concert = _require(
        await client.call(
            endpoints.CREATE_CONCERT,
            "POST",
            f"{API}/admin/concerts",
            headers=headers,
            body=json_body({"title": title or f"Rush {run_id}", "venue": "boxoffice rush"}),
        ),
        201,
        "creating the concert",
    )
    concert_id = int(str(concert["id"]))
    first_date = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    ids = [concert_id]
    for day, seat_count in enumerate(counts):
        schedule = _require(
            await client.call(
                endpoints.CREATE_SCHEDULE,
                "POST",
                f"{API}/admin/concerts/{concert_id}/schedules",
                headers=headers,
                body=json_body(
                    {
                        "starts_at": (first_date + timedelta(days=day)).isoformat(),
                        "seat_count": seat_count,
                        "price": config.price,
                    }
                ),
            ),
            201,
            "creating a date",
        )
        ids.append(int(str(schedule["id"])))
    return ids


async def set_policy(client: HttpClient, config: RushConfig, **overrides: int) -> dict[str, object]:
    """The admission policy of the sale, open now (or with `overrides`); the room's figures."""
    policy: dict[str, object] = {
        "max_active": config.max_active,
        "admit_per_minute": config.admit_per_minute,
        "active_ttl_seconds": config.active_ttl_seconds,
        "opens_at": None,
    }
    return _require(
        await client.call(
            endpoints.SET_POLICY,
            "PUT",
            f"{API}/admin/queue",
            headers=admin_headers(config),
            body=json_body({**policy, **overrides}),
        ),
        200,
        "setting the admission policy",
    )


async def read_room(client: HttpClient, config: RushConfig) -> dict[str, object]:
    """The room's policy and live figures (waiting, active, admitted_total...)."""
    return _require(
        await client.call(
            endpoints.ROOM, "GET", f"{API}/admin/queue", headers=admin_headers(config)
        ),
        200,
        "reading the waiting room",
    )


@dataclass
class Provisioned:
    accounts: list[FanAccount] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


async def provision_fans(
    clients: Sequence[HttpClient], config: RushConfig, run_id: str, progress: Counter[str]
) -> Provisioned:
    """N fans, each with an account, an access token and a balance for four seats.

    Fan i talks to clients[i % len(clients)] here and in the sale. A fan that cannot be set up
    is left out and counted in `failures` by the step and status that refused it.
    """
    balance = config.price * config.max_seats_per_fan
    return await provision_accounts(clients, config, f"{run_id}f", config.fans, balance, progress)


async def provision_accounts(
    clients: Sequence[HttpClient],
    config: RushConfig,
    prefix: str,
    count: int,
    balance: int,
    progress: Counter[str],
) -> Provisioned:
    """`count` accounts named rush{prefix}{i}, logged in, charged `balance` if it is not 0."""
    result = Provisioned()
    indexes = iter(range(count))

    async def worker(position: int) -> None:
        await asyncio.sleep(position * RAMP_SECONDS)
        for index in indexes:
            client = clients[index % len(clients)]
            account = await _provision_one(client, prefix, index, balance)
            if isinstance(account, FanAccount):
                result.accounts.append(account)
            else:
                result.failures[account] += 1
            progress["provisioned"] += 1

    width = min(count, config.connections * len(clients))
    await asyncio.gather(*(worker(position) for position in range(width)))
    result.accounts.sort(key=lambda account: account.index)
    return result


async def _provision_one(
    client: HttpClient, prefix: str, index: int, balance: int
) -> FanAccount | str:
    username = f"rush{prefix}{index}"
    password = f"rush-{prefix}-password"
    reply = await client.call(
        endpoints.CREATE_USER,
        "POST",
        f"{API}/users",
        headers=JSON_HEADERS,
        body=json_body({"username": username, "password": password}),
    )
    if reply.status != 201:
        return f"{endpoints.CREATE_USER} {reply.status} {reply.code}"
    form = urlencode({"username": username, "password": password}).encode()
    reply = await client.call(
        endpoints.TOKEN, "POST", f"{API}/auth/token", headers=FORM_HEADERS, body=form
    )
    if reply.status != 200 or not isinstance(reply.body, dict):
        return f"{endpoints.TOKEN} {reply.status} {reply.code}"
    headers = {"Authorization": f"Bearer {reply.body['access_token']}", **JSON_HEADERS}
    if balance == 0:
        return FanAccount(index, headers)
    reply = await client.call(
        endpoints.CHARGE,
        "POST",
        f"{API}/wallet/charges",
        headers={**headers, "Idempotency-Key": f"rush-{prefix}-{index}-charge"},
        body=json_body({"amount": balance}),
    )
    if reply.status != 201:
        return f"{endpoints.CHARGE} {reply.status} {reply.code}"
    return FanAccount(index, headers)
