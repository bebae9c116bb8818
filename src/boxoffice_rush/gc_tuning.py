"""The load generator's own garbage-collector setting: it holds thousands of fans in one process.

CPython's cyclic collector runs a young collection every 700 net allocations and, every hundred
of those or so, a full one over every tracked object. The rush allocates at a high rate and keeps
every fan, its session and its recorded latencies alive for the whole sale: in a mid-size rush
(6,250 fans) it spent 6.9 s of its 21.5 s of CPU collecting, CPU taken from the servers on the
same cores and pauses that showed up as latency. Reference counting frees almost everything; the
collector only finds cycles, so this process collects far less often.
"""

from __future__ import annotations

import gc

__all__ = ["GC_THRESHOLDS", "tune_garbage_collector"]

GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    """Freeze what exists now out of collections, then collect less often from here on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
