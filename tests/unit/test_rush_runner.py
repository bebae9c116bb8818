"""The rush's setup under its time limit: work cut short is stopped, not left running."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice_rush.runner import _ticking


async def test_work_cut_short_by_the_setup_limit_is_cancelled_with_it() -> None:
    stopped = asyncio.Event()
    ticks = 0

    async def provisioning() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()

    def tick() -> None:
        nonlocal ticks
        ticks += 1

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await _ticking(provisioning(), tick)

    assert stopped.is_set(), "the provisioning went on after the setup gave up"
    assert ticks >= 1


async def test_work_that_finishes_returns_its_result() -> None:
    async def provisioning() -> str:
        await asyncio.sleep(0.01)
        return "done"

    assert await _ticking(provisioning(), lambda: None) == "done"
