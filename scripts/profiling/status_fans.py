"""Fans for scripts/profiling/status_wrk.sh: `count` fans signed up and logged in as the rush
provisions them (`boxoffice_rush.provision.provision_accounts`), each joined to the line, and a
wrk script that polls GET /queue/status as each of them in turn.

    python scripts/profiling/status_fans.py URL COUNT OUT.lua
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections import Counter
from pathlib import Path

from boxoffice_rush import endpoints
from boxoffice_rush.client import HttpClient
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanAccount
from boxoffice_rush.provision import provision_accounts
from boxoffice_rush.stats import Recorder

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


async def _joined(client: HttpClient, account: FanAccount) -> str:
    """The fan's line in the wrk script: its access token and its queue pass."""
    reply = await client.call(
        endpoints.JOIN, "POST", f"{endpoints.API}/queue/tokens", headers=account.headers
    )
    if reply.status not in (200, 201) or not isinstance(reply.body, dict):
        raise SystemExit(f"a join answered {reply.status} {reply.code}")
    access, queue_pass = account.headers["Authorization"], reply.body["token"]
    return f'  {{Authorization = "{access}", ["X-Queue-Token"] = "{queue_pass}"}},'


async def _fans(url: str, count: int) -> list[str]:
    client = HttpClient(url, AT_ONCE, Recorder(time.perf_counter()))
    config = RushConfig(base_urls=(url,), admin_key="", output_dir=Path(), connections=AT_ONCE)
    try:
        prefix = f"statuswrk{secrets.token_hex(3)}"
        provisioned = await provision_accounts([client], config, prefix, count, 0, Counter())
        if provisioned.failures:
            raise SystemExit(f"fans not provisioned: {dict(provisioned.failures)}")
        return await asyncio.gather(*(_joined(client, fan) for fan in provisioned.accounts))
    finally:
        await client.close()


def main(url: str, count: int, out: str) -> None:
    fans = asyncio.run(_fans(url, count))
    with open(out, "w", encoding="utf-8") as script:
        script.write(WRK_SCRIPT.format(fans="\n".join(fans)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
