"""The demo concert: a few dates, 50 seats each, priced by section. Loaded once."""

from __future__ import annotations

from datetime import datetime, timedelta

from boxoffice.catalog import service as catalog
from boxoffice.catalog.domain import PriceTier
from boxoffice.unit_of_work import UnitOfWork

DEMO_TITLE = "IU 2026 World Tour: The Golden Hour"
DEMO_TIERS = (
    PriceTier("VIP", 10, 165_000),
    PriceTier("R", 20, 132_000),
    PriceTier("S", 20, 99_000),
)
DEMO_DAYS_AHEAD = (30, 31, 37)


async def load_demo(uow: UnitOfWork, now: datetime) -> bool:
    """Create the demo concert unless a concert of that title exists; True if it was created."""
    if any(c.title == DEMO_TITLE for c in await catalog.list_concerts(uow)):
        return False
    concert = await catalog.create_concert(
        uow, DEMO_TITLE, "Seoul Olympic Stadium", "Three nights, fifty seats a night.", now
    )
    evening = now.replace(hour=10, minute=0, second=0, microsecond=0)  # 19:00 in Seoul
    for days in DEMO_DAYS_AHEAD:
        await catalog.add_schedule(uow, concert.id, evening + timedelta(days=days), DEMO_TIERS, now)
    return True
