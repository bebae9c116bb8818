"""Small helpers shared by the contract tests."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from boxoffice.waiting_room.domain import PassStatus, QueuePolicy
from boxoffice.waiting_room.store import WaitingRoomStore
from tests.contract.rooms import DEFAULT_POLICY

# A realistic Unix time with a fraction, so stores must keep full float precision.
T0 = 1_700_000_000.25


def policy(**changes: Any) -> QueuePolicy:
    return replace(DEFAULT_POLICY, **changes)


async def join_fans(
    store: WaitingRoomStore, count: int, *, first_user: int = 1, at: float = T0
) -> list[str]:
    """`count` new fans join one after another (a tenth of a second apart); their pass ids."""
    pass_ids = []
    for offset in range(count):
        user_id = first_user + offset
        view, created = await store.join(user_id, f"pass-{user_id}", at + offset / 10)
        assert created
        pass_ids.append(view.pass_id)
    return pass_ids


async def positions(store: WaitingRoomStore, pass_ids: list[str], now: float) -> list[int | None]:
    views = [await store.view(pass_id, now) for pass_id in pass_ids]
    return [None if view is None else view.position for view in views]


async def places(store: WaitingRoomStore, pass_ids: list[str], now: float) -> list[int]:
    """The positions of passes that must all be waiting in line."""
    found = await positions(store, pass_ids, now)
    assert all(place is not None for place in found), found
    return [place for place in found if place is not None]


async def status(store: WaitingRoomStore, pass_id: str, now: float) -> PassStatus | None:
    view = await store.view(pass_id, now)
    return None if view is None else view.status


def chi_square_p_value(statistic: float, degrees: int) -> float:
    """P(X ≥ statistic) for a chi-square with an even number of degrees of freedom."""
    assert degrees % 2 == 0
    half = statistic / 2
    return math.exp(-half) * sum(half**k / math.factorial(k) for k in range(degrees // 2))
