"""Request-scoped dependencies shared by every domain's routes.

Every dependency here is `async def`: FastAPI runs a plain `def` dependency in a thread pool,
and that hand-off (and the GIL switches it brings) cost more than the work itself.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from boxoffice.platform.client_address import limit_key
from boxoffice.platform.clock import Clock
from boxoffice.platform.errors import AdminUnauthorized, DomainError
from boxoffice.platform.provided import provided
from boxoffice.platform.rate_limit import Lockout, RateLimiter, refused


@dataclass(frozen=True)
class AdminGate:
    """What checks an admin key: the key, and the limiter counting wrong ones per address."""

    admin_key: str
    limiter: RateLimiter
    failures_per_ip: int
    clock: Clock


# Documented as the admin routes' security scheme (an apiKey in the X-Admin-Key header), so
# that the served document's "Authorize" and generated clients can send it.
_admin_key_scheme = APIKeyHeader(
    name="X-Admin-Key",
    scheme_name="AdminKey",
    description="The configured BOXOFFICE_ADMIN_KEY",
    auto_error=False,
)


async def require_admin(
    gate: Annotated[AdminGate, Depends(provided(AdminGate))],
    request: Request,
    x_admin_key: Annotated[str | None, Depends(_admin_key_scheme)],
) -> None:
    """Admin endpoints need the configured admin key in `X-Admin-Key`; past `failures_per_ip`
    wrong ones from an address in a minute, the next wrong ones are refused 429 for the rest of
    it.

    The key is compared first (in constant time) and only a wrong one is counted. Counting every
    request before its compare and giving the right ones back after (as log-in does, whose
    passwords are guessable) counted right keys sent at once together: on Redis, where the count
    and the give-back are round trips, the admin page's parallel reads (one per concert line,
    every 5 s) locked the operator out with the right key. A key of 32 characters or more
    (refused at start otherwise) cannot be found by guessing, so a right key is never refused:
    wrong ones sent from the operator's address (a shared NAT's) cannot lock them out either."""
    expected = gate.admin_key.encode()
    if x_admin_key and hmac.compare_digest(x_admin_key.encode(), expected):
        return
    failures = Lockout(gate.limiter, "admin", gate.failures_per_ip)
    wait = await failures.attempt(client_ip(request), gate.clock.now().timestamp())
    if wait > 0:
        raise refused("admin", wait, "Too many wrong admin keys")
    raise AdminUnauthorized("Send the admin key as 'X-Admin-Key'.")


AdminAccess = Depends(require_admin)


def client_ip(request: Request) -> str:
    """What per-address limits count the client by: its address (a trusted proxy's word for
    it, if any: platform/client_address.py has put it in the scope), an IPv6 one by its /64."""
    return limit_key(request.client.host) if request.client else "unknown"


_ID_SHOWN = 40


def parse_id(raw: str, not_found: type[DomainError], what: str) -> int:
    """Path ids are opaque to clients: one that names nothing is a 404, whatever its shape."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    # Named as sent, cut short: the path may be as long as the server takes a request line.
    shown = raw if len(raw) <= _ID_SHOWN else f"{raw[:_ID_SHOWN]}..."
    raise not_found(f"There is no {what} {shown!r}.")
