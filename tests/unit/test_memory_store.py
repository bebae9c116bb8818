"""The in-process store under any interleaving of fans and admission (Hypothesis, stateful).

The behaviour each call must have is the contract suite's (`tests/contract`, run on both stores);
here random interleavings check the invariants the line promises whatever happens:
no more ACTIVE than `max_active`, no more admissions than the token bucket allows, admission in
join order, and a waiting fan's position never grows.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from boxoffice.waiting_room.domain import PassStatus, QueuePolicy
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore

T = TypeVar("T")
T0 = 1_700_000_000.0
POLICY = QueuePolicy(max_active=4, admit_per_minute=36, active_ttl_seconds=40, claim_seconds=10)
fans = st.integers(min_value=1, max_value=8)


def run(call: Coroutine[Any, Any, T]) -> T:
    """Drive a store call to its end; the in-process store must never suspend (it is atomic)."""
    try:
        call.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("the in-process store awaited: its calls would no longer be atomic")


class Line(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryWaitingRoomStore(POLICY)
        self.now = T0
        self.passes: dict[int, str] = {}  # each fan's latest pass
        self.joined: list[str] = []  # passes in the order they took a place in line
        self.left_waiting: set[str] = set()
        self.admitted: list[str] = []
        self.first_admission: float | None = None
        self.positions: dict[str, int] = {}
        self.made = 0

    @rule(fan=fans)
    def join(self, fan: int) -> None:
        self.made += 1
        view, created = run(self.store.join(fan, f"pass-{self.made}", self.now))
        if created:
            self.joined.append(view.pass_id)
        self.passes[fan] = view.pass_id

    @rule(crowd=st.lists(fans, min_size=2, max_size=8))
    def rush(self, crowd: list[int]) -> None:
        for fan in crowd:
            self.join(fan)

    @rule(fan=fans)
    def leave(self, fan: int) -> None:
        pass_id = self.passes.get(fan, "unknown")
        view = run(self.store.view(pass_id, self.now))
        if run(self.store.leave(pass_id, self.now)):
            assert view is not None
            if view.status is PassStatus.WAITING:
                self.left_waiting.add(pass_id)

    @rule(fan=fans)
    def use_up(self, fan: int) -> None:
        run(self.store.use_up(self.passes.get(fan, "unknown"), self.now))

    @rule(fan=fans)
    def shop(self, fan: int) -> None:
        run(self.store.authorize(self.passes.get(fan, "unknown"), self.now))

    @rule()
    def admit(self) -> None:
        if self.first_admission is None:
            self.first_admission = self.now
        self.admitted += run(self.store.admit(self.now))

    @rule(seconds=st.sampled_from([0.5, 1, 1.5, 2.5, 4, 7, 10, 15, 40, 61]))
    def wait(self, seconds: float) -> None:
        self.now += seconds

    @invariant()
    def never_more_active_than_max_active(self) -> None:
        assert run(self.store.stats(self.now)).active <= POLICY.max_active

    @invariant()
    def never_more_admissions_than_the_bucket_allows(self) -> None:
        if self.first_admission is not None:
            elapsed = self.now - self.first_admission
            assert len(self.admitted) <= POLICY.burst + POLICY.rate_per_second * elapsed

    @invariant()
    def admitted_in_join_order(self) -> None:
        stayed = [pass_id for pass_id in self.joined if pass_id not in self.left_waiting]
        assert self.admitted == stayed[: len(self.admitted)]

    @invariant()
    def waiting_fans_keep_their_order_and_never_move_back(self) -> None:
        places = []
        for pass_id in self.joined:
            view = run(self.store.view(pass_id, self.now))
            if view is None or view.status is not PassStatus.WAITING:
                self.positions.pop(pass_id, None)
                continue
            assert view.position is not None
            assert view.position <= self.positions.get(pass_id, view.position)
            self.positions[pass_id] = view.position
            places.append(view.position)
        assert places == list(range(1, len(places) + 1))


Line.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
TestLine = Line.TestCase
