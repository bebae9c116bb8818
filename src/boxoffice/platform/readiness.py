"""Whether a dependency answers, as the requests that use it find it.

`GET /readyz` asks each dependency for an answer. Under a rush every pooled connection is busy,
and a probe would wait behind the requests for one, past its time: the instance would read as
not ready while it serves at full speed, and a balancer seeing that from every instance at once
would take them all out of service. A dependency that answered a request within the last
`window` seconds, and has not failed to since, is therefore ready without a probe; one that has
failed since (a refused or dropped connection), or that nothing asked lately, is probed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["Answering"]


class Answering:
    """When a dependency last answered a request, and when one last found it unreachable."""

    __slots__ = ("_answered", "_clock", "_failed")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._answered = -math.inf
        self._failed = -math.inf

    def answered(self) -> None:
        self._answered = self._clock()

    def failed(self) -> None:
        self._failed = self._clock()

    def lately(self, window: float) -> bool:
        """Whether it answered within the last `window` seconds and has not failed since."""
        return self._answered > self._failed and self._clock() - self._answered <= window
