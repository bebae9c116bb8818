"""Who may open a pass's event stream: a stream ticket, never the access token in the URL.

A browser's EventSource sends no headers, so whatever credential it carries is in the URL, and
URLs end up in the logs of every proxy on the way. The access token there would let whoever
reads those logs act as the fan for an hour: pay, cancel, read the wallet. A stream ticket
(`POST /queue/stream-tickets`, with the access token and the pass in headers) is good only to
open the stream of that one pass of that one fan, for `stream_ticket_seconds`. Clients that can
send headers (the load generator) send `Authorization` and `X-Queue-Token` and need no ticket.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from boxoffice.platform.errors import Unauthenticated
from boxoffice.platform.rate_limit import NO_PACE, Limit, refused
from boxoffice.waiting_room.dependencies import QueueDeps
from boxoffice.waiting_room.exceptions import QueueTokenForbidden

__all__ = ["StreamTicketOut", "issue_ticket", "stream_user"]


class StreamTicketOut(BaseModel):
    ticket: str = Field(description="Send as `ticket` to GET /api/v1/queue/stream, with `token`")
    expires_in: int = Field(description="Seconds the ticket may open a stream for")


async def issue_ticket(deps: QueueDeps, user_id: int, pass_token: str | None) -> StreamTicketOut:
    """A ticket to open the stream of the caller's own pass (whatever its state: the stream
    itself answers for that)."""
    settings = deps.settings
    now = deps.clock.now()
    if settings.stream_tickets_per_account:
        limit = Limit.per_minute(f"stream:user:{user_id}", settings.stream_tickets_per_account)
        wait = await deps.limiter.check(NO_PACE, (limit,), now.timestamp())
        if wait > 0:
            raise refused("stream_ticket", wait, "Too many stream tickets")
    # From the signature alone: the stream reads the pass's state when it is opened.
    pass_id = deps.waiting_room.own_pass(user_id, pass_token).pass_id
    ticket, _ = deps.signer.issue_stream_ticket(
        user_id, pass_id, now, settings.stream_ticket_seconds
    )
    return StreamTicketOut(ticket=ticket, expires_in=settings.stream_ticket_seconds)


def stream_user(
    deps: QueueDeps, ticket: str | None, bearer: str | None, pass_token: str | None
) -> int:
    """The fan a stream is opened for: by a ticket for this very pass, or by a Bearer header."""
    now = deps.clock.now()
    if ticket is not None:
        claims = deps.signer.read_stream_ticket(ticket, now)
        if claims is None:
            raise Unauthenticated(
                "This stream ticket is not valid or has expired: get a new one from "
                "POST /api/v1/queue/stream-tickets."
            )
        if pass_token is not None and _pass_id(deps, pass_token) not in (None, claims.pass_id):
            raise QueueTokenForbidden("This stream ticket is for another queue pass.")
        return claims.user_id
    user_id = deps.signer.read_access_token(bearer, now) if bearer else None
    if user_id is None:
        raise Unauthenticated("Send a stream ticket as 'ticket', or a Bearer header.")
    return user_id


def _pass_id(deps: QueueDeps, pass_token: str) -> str | None:
    claims = deps.signer.read_pass(pass_token)
    return None if claims is None else claims.pass_id
