"""Who the client is, for every per-address limit: the peer, or what a trusted proxy says.

`X-Forwarded-For` is a list anyone can write: a client sends its own, and each proxy appends
the address it received the request from. So it is believed only from the proxies named in
`BOXOFFICE_TRUSTED_PROXIES` (nothing by default), and read from the right: the first address
that is not one of those proxies is the one the last trusted proxy saw, the client. Anything to
its left is the client's own claim and never used. `boxoffice serve` leaves the header to this
middleware (the HTTP server's own proxy handling is off), so there is one rule, here.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.settings import Network

_log = structlog.get_logger(__name__)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a peer or a hop gives it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`,
    an IPv4-mapped IPv6 address as the IPv4 one; None if it is none of these."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port (some balancers append one)
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


# Addresses whose limit keys are kept: working a key out parses the address, 7.8 µs a call on
# this kind of machine against 0.2 µs for one kept, on every status poll, join and hold; a busy
# process sees the same clients over and over. Bounded: a flood of fresh addresses only misses.
LIMIT_KEYS_KEPT = 16_384


@functools.lru_cache(maxsize=LIMIT_KEYS_KEPT)
def limit_key(address: str) -> str:
    """What a per-address limit counts a client by: its IPv4 address, or the /64 of its IPv6
    one (a home or a phone gets a whole /64, and could otherwise take a fresh address, and a
    fresh allowance, for every request)."""
    parsed = _address(address)
    if parsed is None:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: `peer` unless it is a trusted proxy that forwarded the request."""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            found = _address(hop)
            # What a trusted proxy appended is an address; anything else is not believed.
            return peer if found is None else str(found)
    return hops[0] if hops else peer  # every hop a proxy of ours: the first is the client


_WARNED_PEERS_KEPT = 64


class TrustedProxiesMiddleware:
    """Puts the client's address (as `client_address` finds it) in the scope's `client`.

    A forwarded request from a peer that is not trusted is logged, once per peer (a few dozen
    at most): behind a balancer that is missing from TRUSTED_PROXIES every fan shares its
    address, and one fan's wrong passwords or admin keys lock everyone out of the minute.
    """

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self._trusted = trusted
        self._warned: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            forwarded = [v for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if forwarded:
                host, port = scope["client"]
                if not _trusted(host, self._trusted):
                    self._warn(host)
                elif self._trusted:
                    joined = ",".join(value.decode("latin-1") for value in forwarded)
                    found = client_address(host, joined, self._trusted)
                    scope = {**scope, "client": (found, port)}
        await self.app(scope, receive, send)

    def _warn(self, peer: str) -> None:
        if peer in self._warned or len(self._warned) >= _WARNED_PEERS_KEPT:
            return
        self._warned.add(peer)
        _log.warning(
            "forwarded_for_from_untrusted_peer",
            peer=peer,
            hint="set BOXOFFICE_TRUSTED_PROXIES to your load balancer's address, or every "
            "client behind it is counted as it by the per-address limits",
        )
