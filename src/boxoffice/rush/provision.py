"""Before the timed sale: the concert and its dates, the admission policy, and funded fans."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from boxoffice.rush import endpoints
from boxoffice.rush.client import (
    FORM_HEADERS,
    JSON_HEADERS,
    RAMP_SECONDS,
    HttpClient,
    Reply,
    json_body,
)
from boxoffice.rush.config import RushConfig
from boxoffice.rush.fan import FanAccount

__all__ = ["Provisioned", "SetupFailed", "create_concert", "provision_fans", "set_policy"]

API = endpoints.API


class SetupFailed(RuntimeError):
    """The deployment refused part of the setup; the rush cannot go on."""


def _require(reply: Reply, expected: int, what: str) -> dict[str, object]:
    if reply.status != expected or not isinstance(reply.body, dict):
        raise SetupFailed(f"{what}: HTTP {reply.status} {reply.code} {reply.body!r}"[:500])
    return reply.body


def _admin_headers(config: RushConfig) -> dict[str, str]:
    return {"X-Admin-Key": config.admin_key, **JSON_HEADERS}


async def create_concert(client: HttpClient, config: RushConfig, run_id: str) -> list[int]:
    """A concert of `dates` dates with `seats` seats each; its id first, then the dates' ids."""
    headers = _admin_headers(config)
    concert = _require(
        await client.call(
            endpoints.CREATE_CONCERT,
            "POST",
            f"{API}/admin/concerts",
            headers=headers,
            body=json_body({"title": f"Rush {run_id}", "venue": "boxoffice rush"}),
        ),
        201,
        "creating the concert",
    )
    concert_id = int(str(concert["id"]))
    first_date = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    ids = [concert_id]
    for day in range(config.dates):
        schedule = _require(
            await client.call(
                endpoints.CREATE_SCHEDULE,
                "POST",
                f"{API}/admin/concerts/{concert_id}/schedules",
                headers=headers,
                body=json_body(
                    {
                        "starts_at": (first_date + timedelta(days=day)).isoformat(),
                        "seat_count": config.seats,
                        "price": config.price,
                    }
                ),
            ),
            201,
            "creating a date",
        )
        ids.append(int(str(schedule["id"])))
    return ids


async def set_policy(client: HttpClient, config: RushConfig) -> None:
    """The admission policy of the sale, open now."""
    _require(
        await client.call(
            endpoints.SET_POLICY,
            "PUT",
            f"{API}/admin/queue",
            headers=_admin_headers(config),
            body=json_body(
                {
                    "max_active": config.max_active,
                    "admit_per_minute": config.admit_per_minute,
                    "active_ttl_seconds": config.active_ttl_seconds,
                    "opens_at": None,
                }
            ),
        ),
        200,
        "setting the admission policy",
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
    result = Provisioned()
    indexes = iter(range(config.fans))

    async def worker(position: int) -> None:
        await asyncio.sleep(position * RAMP_SECONDS)
        for index in indexes:
            account = await _provision_one(clients[index % len(clients)], config, run_id, index)
            if isinstance(account, FanAccount):
                result.accounts.append(account)
            else:
                result.failures[account] += 1
            progress["provisioned"] += 1

    width = min(config.fans, config.connections * len(clients))
    await asyncio.gather(*(worker(position) for position in range(width)))
    result.accounts.sort(key=lambda account: account.index)
    return result


async def _provision_one(
    client: HttpClient, config: RushConfig, run_id: str, index: int
) -> FanAccount | str:
    username = f"rush{run_id}f{index}"
    password = f"rush-{run_id}-password"
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
    reply = await client.call(
        endpoints.CHARGE,
        "POST",
        f"{API}/wallet/charges",
        headers={**headers, "Idempotency-Key": f"rush-{run_id}-{index}-charge"},
        body=json_body({"amount": config.price * config.max_seats_per_fan}),
    )
    if reply.status != 201:
        return f"{endpoints.CHARGE} {reply.status} {reply.code}"
    return FanAccount(index, headers)
