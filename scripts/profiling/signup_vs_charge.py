"""A wallet charge's latency on the embedded default while 6 sign-ups run at once (argon2id at
its default cost), against a served instance: before issue #15, each sign-up hashed inside its
transaction and held SQLite's one writer turn for the whole hash.

    BOXOFFICE_DATA_DIR=$(mktemp -d) BOXOFFICE_SIGNUP_LIMIT_PER_IP=0 sh -c \\
        '.venv/bin/boxoffice migrate && .venv/bin/boxoffice serve --port 8010' &
    .venv/bin/python scripts/profiling/signup_vs_charge.py http://127.0.0.1:8010

Five charges alone, then five each sent 20 ms after 6 sign-ups began; medians and the worst.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid

import httpx

PASSWORD = "correct horse battery"  # noqa: S105 - a load script's fans
SIGN_UPS = 6
ROUNDS = 5


async def _charge(client: httpx.AsyncClient, auth: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = await client.post("/api/v1/wallet/charges", json={"amount": 1}, headers=auth)
    assert answer.status_code == 201, answer.text
    return time.perf_counter() - started


async def _sign_up(client: httpx.AsyncClient) -> int:
    body = {"username": f"s_{uuid.uuid4().hex[:10]}", "password": PASSWORD}
    return (await client.post("/api/v1/users", json=body)).status_code


async def main(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        name = f"m_{uuid.uuid4().hex[:8]}"
        await client.post("/api/v1/users", json={"username": name, "password": PASSWORD})
        token = await client.post(
            "/api/v1/auth/token", data={"username": name, "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        alone = [await _charge(client, auth) for _ in range(ROUNDS)]
        during = []
        for _ in range(ROUNDS):
            sign_ups = [asyncio.create_task(_sign_up(client)) for _ in range(SIGN_UPS)]
            await asyncio.sleep(0.02)
            during.append(await _charge(client, auth))
            assert [await s for s in sign_ups] == [201] * SIGN_UPS
    print(
        f"charge alone: median {statistics.median(alone) * 1000:.0f} ms; during "
        f"{SIGN_UPS} sign-ups: median {statistics.median(during) * 1000:.0f} ms, "
        f"max {max(during) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
