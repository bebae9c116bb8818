"""A dependency answers lately if a request found it answering within the window and none found
it unreachable since (platform/readiness.py)."""

from __future__ import annotations

from boxoffice.platform.readiness import Answering


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_dependency_nothing_asked_is_not_answering_lately() -> None:
    assert not Answering(_Clock()).lately(5.0)


def test_an_answer_counts_for_the_window_only() -> None:
    clock = _Clock()
    answering = Answering(clock)

    answering.answered()
    clock.now += 5.0
    assert answering.lately(5.0)
    clock.now += 0.1
    assert not answering.lately(5.0)


def test_a_failure_after_the_last_answer_outweighs_it_until_the_next_answer() -> None:
    clock = _Clock()
    answering = Answering(clock)

    answering.answered()
    clock.now += 1.0
    answering.failed()
    assert not answering.lately(5.0)
    clock.now += 1.0
    answering.answered()
    assert answering.lately(5.0)
