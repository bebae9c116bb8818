"""Who the client is, for every per-address limit: the peer, or what a trusted proxy says.

`X-Forwarded-For` is a list anyone can write: a client sends its own, and each proxy appends
the address it received the request from. So it is believed only from the proxies named in
`BOXOFFICE_TRUSTED_PROXIES` (nothing by default), and read from the right: the first address
that is not one of those proxies is the one the last trusted proxy saw, the client. Anything to
its left is the client's own claim and never used. `boxoffice serve` leaves the header to this
middleware (the HTTP server's own proxy handling is off), so there is one rule, here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.5, 10.1.0.0/16, ::1` as networks; ValueError names an entry that is not one."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError as error:
                raise ValueError(f"not an address or network: {entry!r}") from error
    return tuple(networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: `peer` unless it is a trusted proxy that forwarded the request."""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer  # every hop a proxy of ours: the first is the client


class TrustedProxiesMiddleware:
    """Puts the client's address (as `client_address` finds it) in the scope's `client`."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self._trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._trusted and scope["type"] in ("http", "websocket") and scope.get("client"):
            forwarded = [v for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if forwarded:
                host, port = scope["client"]
                joined = ",".join(value.decode("latin-1") for value in forwarded)
                scope = {**scope, "client": (client_address(host, joined, self._trusted), port)}
        await self.app(scope, receive, send)
