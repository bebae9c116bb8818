"""How honest the estimated wait is, on each store: a fan's estimate against their actual wait.

Admission runs at a constant 2 fans a second (admit_per_minute=120, max_active never reached),
stepped every quarter second with an explicit `now`; the estimate is what the fan is shown
(`passes.describe` of their pass), and the actual wait is the time until an admission step lets
them in. Steps and times are exact binary fractions, so every figure below is exact.

The token bucket starts full: the first step after the opening lets in a burst of five seconds'
worth (10 fans) at once, then 2 a second. The measured rate (domain.measured_rate) is capped at
the configured rate, since a token bucket never sustains more, so the burst does not pass for a
steady rate: the estimate is exact from about 5 s after the opening on. In the first seconds the
span is floored at ten seconds: right after the burst the estimate is twice the wait (+100 %),
at 2.5 s +36 %.
"""

from __future__ import annotations

import pytest

from boxoffice.waiting_room.domain import PassStatus
from boxoffice.waiting_room.passes import describe
from boxoffice.waiting_room.store import WaitingRoomStore
from tests.contract.helpers import T0, join_fans, policy
from tests.contract.rooms import OpenStore

STEP = 0.25
RATE = 2.0  # fans a second
STEADY = policy(max_active=100_000, admit_per_minute=int(RATE * 60), claim_seconds=3600)
BURST = STEADY.burst  # 10: five seconds' worth
POSITIONS = (10, 50, 100)
TOLERANCE = 0.2


class Sale:
    """The line of a sale and the admission steps run on it; admission times by pass id."""

    def __init__(self, store: WaitingRoomStore, pass_ids: list[str]) -> None:
        self.store = store
        self.pass_ids = pass_ids
        self.admitted_at: dict[str, float] = {}
        self.steps = 0

    @property
    def now(self) -> float:
        """The time of the last step run (T0 before any)."""
        return T0 + max(0, self.steps - 1) * STEP

    async def step(self) -> None:
        at = T0 + self.steps * STEP
        self.steps += 1
        for pass_id in await self.store.admit(at):
            self.admitted_at[pass_id] = at

    async def run_for(self, seconds: float) -> None:
        """Steps from the next one up to and including `seconds` after the opening."""
        while T0 + self.steps * STEP <= T0 + seconds:
            await self.step()

    async def run_until_admitted(self, pass_ids: list[str]) -> None:
        while not all(pass_id in self.admitted_at for pass_id in pass_ids):
            await self.step()
            assert self.steps < 10_000, "admission stalled"

    async def estimates(self, positions: tuple[int, ...], now: float) -> dict[str, tuple[int, int]]:
        """Pass id → (position, estimated wait shown) of the fans at `positions` now."""
        head = len(self.admitted_at)
        found = {}
        for position in positions:
            pass_id = self.pass_ids[head + position - 1]
            view = await self.store.view(pass_id, now)
            assert view is not None
            assert (view.status, view.position) == (PassStatus.WAITING, position)
            found[pass_id] = (position, describe(view, "token", now).estimated_wait_seconds)
        return found

    async def errors_at(self, seconds: float | None) -> dict[int, tuple[int, float]]:
        """Position → (estimate, actual wait) for fans read `seconds` after the opening (None:
        before the first admission step), then run until all of them are admitted."""
        if seconds is not None:
            await self.run_for(seconds)
        now = T0 if seconds is None else self.now
        shown = await self.estimates(POSITIONS, now)
        await self.run_until_admitted(list(shown))
        return {
            position: (estimate, self.admitted_at[pass_id] - now)
            for pass_id, (position, estimate) in shown.items()
        }


async def open_sale(open_store: OpenStore) -> Sale:
    store = await open_store(STEADY)
    # The line formed before the opening; a tenth of a second between fans.
    pass_ids = await join_fans(store, 400, at=T0 - 60)
    return Sale(store, pass_ids)


def relative_error(estimate: int, actual: float) -> float:
    return (estimate - actual) / actual


async def test_admission_runs_at_the_constant_rate_after_the_opening_burst(
    open_store: OpenStore,
) -> None:
    assert (BURST, STEP * RATE) == (10, 0.5)
    sale = await open_sale(open_store)
    await sale.run_for(30)
    times = sorted(sale.admitted_at.values())
    assert times[:BURST] == [T0] * BURST
    # Then one fan every half second, in join order.
    assert times[BURST:] == [T0 + (n + 1) / RATE for n in range(60)]
    in_order = sorted(sale.admitted_at, key=lambda pass_id: sale.admitted_at[pass_id])
    assert in_order == sale.pass_ids[: len(in_order)]


@pytest.mark.parametrize("running_for", [20, 30, 70])
async def test_once_the_rate_has_run_a_while_the_estimate_is_within_20_percent(
    open_store: OpenStore, running_for: float
) -> None:
    sale = await open_sale(open_store)

    errors = await sale.errors_at(running_for)

    for position, (estimate, actual) in errors.items():
        assert actual == position / RATE, (position, actual)
        assert abs(estimate - actual) <= TOLERANCE * actual, (position, estimate, actual)


async def test_ten_seconds_after_the_opening_the_estimate_is_within_20_percent(
    open_store: OpenStore,
) -> None:
    sale = await open_sale(open_store)

    errors = await sale.errors_at(10)

    for position, (estimate, actual) in errors.items():
        assert abs(estimate - actual) <= TOLERANCE * actual, (position, estimate, actual)


async def test_before_the_first_admission_the_configured_rate_stands_in(
    open_store: OpenStore,
) -> None:
    """At the very start nothing is measured yet: the estimate is position / configured rate.

    Observed: it overstates every wait by the opening burst, exactly 5 s (10 fans let in at once):
    position 10 is shown 5 s and let in at once, 50 is shown 25 s for 20 s (+25 %), 100 is shown
    50 s for 45 s (+11 %). It is never short, and within 20 % from position 60 on.
    """
    sale = await open_sale(open_store)

    errors = await sale.errors_at(None)

    burst_seconds = BURST / RATE
    for position, (estimate, actual) in errors.items():
        assert actual == max(0.0, (position - BURST) / RATE), (position, actual)
        # Never short of the wait, and long by no more than the burst's five seconds.
        assert 0 <= estimate - actual <= burst_seconds, (position, estimate, actual)
        if position >= 60:
            assert abs(relative_error(estimate, actual)) <= TOLERANCE, (position, estimate)
