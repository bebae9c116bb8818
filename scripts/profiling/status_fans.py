"""Fans for scripts/profiling/status_wrk.sh: sign up, log in and join `count` fans, and write a
wrk script that polls GET /queue/status as each of them in turn.

    python scripts/profiling/status_fans.py URL COUNT OUT.lua
"""

from __future__ import annotations

import asyncio
import secrets
import sys

import aiohttp

AT_ONCE = 32

WRK_SCRIPT = """local fans = {{
{fans}
}}
local i = 0
request = function()
  i = i % #fans + 1
  return wrk.format("GET", "/api/v1/queue/status", fans[i])
end
"""


async def _fan(session: aiohttp.ClientSession, api: str, index: int, password: str) -> str:
    name = f"statuswrk{index:06d}"
    async with session.post(f"{api}/users", json={"username": name, "password": password}) as r:
        assert r.status == 201, await r.text()
    form = {"username": name, "password": password}
    async with session.post(f"{api}/auth/token", data=form) as r:
        access = (await r.json())["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    async with session.post(f"{api}/queue/tokens", headers=headers) as r:
        queue_pass = (await r.json())["token"]
    return f'  {{Authorization = "Bearer {access}", ["X-Queue-Token"] = "{queue_pass}"}},'


async def _fans(url: str, count: int) -> list[str]:
    api = f"{url}/api/v1"
    password = secrets.token_urlsafe(16)
    turns = asyncio.Semaphore(AT_ONCE)

    async def one(session: aiohttp.ClientSession, index: int) -> str:
        async with turns:
            return await _fan(session, api, index, password)

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(one(session, index) for index in range(count)))


def main(url: str, count: int, out: str) -> None:
    fans = asyncio.run(_fans(url, count))
    with open(out, "w", encoding="utf-8") as script:
        script.write(WRK_SCRIPT.format(fans="\n".join(fans)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
