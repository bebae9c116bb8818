"""The endpoints a rush calls, named as the report shows them (method and path template)."""

from __future__ import annotations

API = "/api/v1"

CREATE_USER = "POST /users"
TOKEN = "POST /auth/token"  # noqa: S105 - an endpoint name, not a secret
CHARGE = "POST /wallet/charges"
CREATE_CONCERT = "POST /admin/concerts"
CREATE_SCHEDULE = "POST /admin/concerts/{id}/schedules"
SET_POLICY = "PUT /admin/queue"
SET_LINE_POLICY = "PUT /admin/concerts/{id}/queue"
LINE = "GET /admin/concerts/{id}/queue"
ROOM = "GET /admin/queue"
HEALTHZ = "GET /healthz"

JOIN = "POST /queue/tokens"
STATUS = "GET /queue/status"
STREAM = "GET /queue/stream"
SCHEDULES = "GET /concerts/{id}/schedules"
SEATS = "GET /schedules/{id}/seats"
HOLD = "POST /reservations"
PAY = "POST /payments"
CANCEL = "POST /reservations/{id}/cancel"
LEAVE = "DELETE /queue/tokens/current"

# The order the report lists the sale's endpoints in: a fan's path through the sale.
SALE_ORDER = (JOIN, STATUS, STREAM, SCHEDULES, SEATS, HOLD, PAY, CANCEL, LEAVE, ROOM)
