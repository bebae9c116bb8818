"""MemoryRateLimiter, the embedded adapter of the limits: fixed windows and poll pacing.

Time never passes by sleeping: every call gets an explicit `now`. The same behaviours run against
Redis in tests/contract/test_rate_limiter.py.
"""

from __future__ import annotations

import pytest

from boxoffice.platform.rate_limit import NO_PACE, Limit, MemoryRateLimiter

T0 = 1_700_000_000.25
MINUTE = 60.0


@pytest.fixture
def limiter() -> MemoryRateLimiter:
    return MemoryRateLimiter()


async def test_requests_up_to_the_limit_pass_and_the_next_waits_out_the_window(
    limiter: MemoryRateLimiter,
) -> None:
    limit = Limit("join:user:1", 3, MINUTE)
    assert [await limiter.check(NO_PACE, [limit], T0 + step) for step in range(3)] == [0.0] * 3

    # The window opened at the first request: 60 s from T0, so 50 s are left at T0 + 10.
    assert await limiter.check(NO_PACE, [limit], T0 + 10) == pytest.approx(50.0)
    assert await limiter.check(NO_PACE, [limit], T0 + 59.5) == pytest.approx(0.5)


async def test_the_window_resets_when_it_ends(limiter: MemoryRateLimiter) -> None:
    limit = Limit("status:user:1", 2, MINUTE)
    for step in range(3):
        await limiter.check(NO_PACE, [limit], T0 + step)
    assert await limiter.check(NO_PACE, [limit], T0 + MINUTE - 0.01) > 0

    # A new window starts at the first request after the old one ended, with a fresh count.
    assert await limiter.check(NO_PACE, [limit], T0 + MINUTE) == 0.0
    assert await limiter.check(NO_PACE, [limit], T0 + MINUTE + 1) == 0.0
    assert await limiter.check(NO_PACE, [limit], T0 + MINUTE + 2) == pytest.approx(58.0)


async def test_counters_are_per_key(limiter: MemoryRateLimiter) -> None:
    first, second = Limit("join:user:1", 1, MINUTE), Limit("join:user:2", 1, MINUTE)
    assert await limiter.check(NO_PACE, [first], T0) == 0.0
    assert await limiter.check(NO_PACE, [first], T0) > 0
    assert await limiter.check(NO_PACE, [second], T0) == 0.0


async def test_every_limit_of_a_request_counts_it(limiter: MemoryRateLimiter) -> None:
    account, address = Limit("status:user:1", 5, MINUTE), Limit("ip:10.0.0.1", 2, MINUTE)
    assert await limiter.check(NO_PACE, [account, address], T0) == 0.0
    assert await limiter.check(NO_PACE, [account, address], T0 + 1) == 0.0
    # The address is used up; another account behind it is refused too.
    assert await limiter.check(NO_PACE, [account, address], T0 + 2) == pytest.approx(58.0)
    other = Limit("status:user:2", 5, MINUTE)
    assert await limiter.check(NO_PACE, [other, address], T0 + 3) == pytest.approx(57.0)


async def test_a_refused_request_counts_nothing_after_the_limit_that_refused_it(
    limiter: MemoryRateLimiter,
) -> None:
    tight, loose = Limit("join:user:1", 1, MINUTE), Limit("ip:10.0.0.1", 3, MINUTE)
    assert await limiter.check(NO_PACE, [tight, loose], T0) == 0.0
    for step in range(5):
        assert await limiter.check(NO_PACE, [tight, loose], T0 + 1 + step) > 0
    # Only the request that passed was counted on the address: two more fit.
    assert await limiter.check(NO_PACE, [loose], T0 + 10) == 0.0
    assert await limiter.check(NO_PACE, [loose], T0 + 10) == 0.0
    assert await limiter.check(NO_PACE, [loose], T0 + 10) > 0


async def test_a_paced_client_waits_until_the_pace_ends(limiter: MemoryRateLimiter) -> None:
    await limiter.pace("pace:1", 4.0, T0)

    assert await limiter.check("pace:1", [], T0) == pytest.approx(4.0)
    assert await limiter.check("pace:1", [], T0 + 3) == pytest.approx(1.0)
    assert await limiter.check("pace:1", [], T0 + 4) == 0.0
    # Another client's pace is not this one's.
    assert await limiter.check("pace:2", [], T0) == 0.0


async def test_pacing_again_replaces_the_earlier_pace(limiter: MemoryRateLimiter) -> None:
    await limiter.pace("pace:1", 10.0, T0)
    await limiter.pace("pace:1", 2.0, T0 + 1)
    assert await limiter.check("pace:1", [], T0 + 2) == pytest.approx(1.0)
    assert await limiter.check("pace:1", [], T0 + 3) == 0.0


async def test_a_paced_request_is_refused_before_any_counter_counts_it(
    limiter: MemoryRateLimiter,
) -> None:
    limit = Limit("status:user:1", 2, MINUTE)
    await limiter.pace("pace:1", 5.0, T0)
    for step in range(10):
        assert await limiter.check("pace:1", [limit], T0 + step / 10) > 0
    # None of the refused polls used the window: both requests of it are still there.
    assert await limiter.check("pace:1", [limit], T0 + 5) == 0.0
    assert await limiter.check("pace:1", [limit], T0 + 6) == 0.0
    assert await limiter.check("pace:1", [limit], T0 + 7) == pytest.approx(58.0)


async def test_no_pace_is_never_paced(limiter: MemoryRateLimiter) -> None:
    assert await limiter.check(NO_PACE, [], T0) == 0.0
    assert await limiter.check(NO_PACE, [Limit("ip:10.0.0.1", 1, MINUTE)], T0) == 0.0


async def test_keys_all_live_past_the_bound_are_not_scanned_on_every_check(
    limiter: MemoryRateLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter, "_MAX_KEYS", 10)
    for n in range(11):  # the eleventh prunes, and every window is live: all kept
        assert await limiter.check(NO_PACE, [Limit(f"ip:{n}", 1, 60.0)], T0) == 0.0
    kept = limiter._windows
    for n in range(11, 22):  # up to twice what was kept, no pruning again
        assert await limiter.check(NO_PACE, [Limit(f"ip:{n}", 1, 60.0)], T0) == 0.0
        assert limiter._windows is kept
    assert await limiter.check(NO_PACE, [Limit("ip:22", 1, 60.0)], T0) == 0.0
    assert limiter._windows is not kept  # past twice: pruned, all 23 still counted
    assert len(limiter._windows) == 23
    assert await limiter.check(NO_PACE, [Limit("ip:0", 1, 60.0)], T0) == pytest.approx(60.0)


async def test_pruning_many_keys_drops_ended_windows_and_keeps_live_ones(
    limiter: MemoryRateLimiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter, "_MAX_KEYS", 10)
    live = Limit("ip:live", 2, 1000.0)
    assert await limiter.check(NO_PACE, [live], T0) == 0.0
    for n in range(20):
        assert await limiter.check(NO_PACE, [Limit(f"ip:{n}", 1, 1.0)], T0) == 0.0
    # Past the short windows: the next check prunes them, and the live one still counts.
    assert await limiter.check(NO_PACE, [live], T0 + 2) == 0.0
    assert await limiter.check(NO_PACE, [live], T0 + 3) == pytest.approx(997.0)
    assert len(limiter._windows) <= 10
    assert await limiter.check(NO_PACE, [Limit("ip:0", 1, 1.0)], T0 + 3) == 0.0
