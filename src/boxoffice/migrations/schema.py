"""Every table of the service, gathered for migrations and the tests (above the domains: it
imports them all)."""

from __future__ import annotations

from boxoffice.accounts import models as _accounts
from boxoffice.catalog import models as _catalog
from boxoffice.payments import models as _payments
from boxoffice.platform import idempotency_models as _idempotency
from boxoffice.platform.database import Base
from boxoffice.reservations import models as _reservations
from boxoffice.waiting_room import models as _waiting_room
from boxoffice.wallet import models as _wallet

metadata = Base.metadata

__all__ = [
    "_accounts",
    "_catalog",
    "_idempotency",
    "_payments",
    "_reservations",
    "_waiting_room",
    "_wallet",
    "metadata",
]
