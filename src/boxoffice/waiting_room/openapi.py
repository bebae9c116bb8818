"""The errors of the queue pass, for the OpenAPI entries of the routes that read one."""

from __future__ import annotations

from boxoffice.waiting_room.exceptions import (
    QueueTokenExpired,
    QueueTokenForbidden,
    QueueTokenInvalid,
    QueueTokenNotActive,
)

__all__ = ["ACTIVE_PASS_ERRORS", "PASS_ERRORS"]

# A pass in any state (status, stream, leave): missing or forged, expired, another fan's.
PASS_ERRORS = (QueueTokenInvalid, QueueTokenExpired, QueueTokenForbidden)
# A [pass] route (dates, seats, holds, payments) also refuses a pass still waiting.
ACTIVE_PASS_ERRORS = (*PASS_ERRORS, QueueTokenNotActive)
