"""Process-wide tuning for the servers: long-lived processes that allocate at a high rate.

CPython's cyclic garbage collector runs a young collection every 700 net allocations and, every
hundred of those or so, a full one over every tracked object. Under a rush a worker's heap holds
tens of thousands of cached tokens and live requests: in a mid-size rush (6,250 fans, setup and
sale) each worker ran 27 full collections of ~130 ms each, 3.6 s of its 44 s of CPU, and every
one stalled all the requests in flight. (The load generator tunes its own collector the same
way: boxoffice_rush/gc_tuning.py.)

Reference counting frees almost everything; the collector only finds cycles. So a server
collects less often: what exists once they are set up is frozen out of collections for good
(`gc.freeze`), young collections come every 50,000 allocations, full ones rarely.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    """Freeze what exists now out of collections, then collect less often from here on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
