"""CPU of showing a hold in a 5,000-seat map, in this process: the map amended by blocks
(`SeatMap.change`, what a hold here does since 2026-12-04) against the whole map rendered,
hashed and gzipped again (what a read after a hold cost before, once per refresh floor).

    .venv/bin/python scripts/profiling/seat_map_amend.py

One date of SEATS seats in two sections, a third sold and a sixth held; each round holds two
seats and builds the answer a gzip-taking client gets (body, tag, gzip encoding). Prints µs of
CPU a round, median of five batches. No database: the map's states are given.
"""

from __future__ import annotations

import gzip
import hashlib
import statistics
import time
from collections.abc import Callable

from boxoffice.catalog.domain import SeatStatus
from boxoffice.catalog.seat_map import SeatLayout, SeatMap

SEATS = 5_000
ROUNDS = 400


def main() -> None:
    seats = [
        (100_000 + n, n, "Floor" if n <= 1_000 else "Stand", 99_000) for n in range(1, SEATS + 1)
    ]
    layout = SeatLayout(seats)
    taken = {
        SeatStatus.SOLD: [n for n in range(1, SEATS + 1) if n % 3 == 0],
        SeatStatus.HELD: [n for n in range(1, SEATS + 1) if n % 6 == 4],
    }
    free = [n for n in range(1, SEATS + 1) if n % 3 and n % 6 != 4]
    held: dict[SeatStatus, list[int]] = {status: list(ns) for status, ns in taken.items()}
    seat_map = SeatMap(layout, taken)
    picks = iter(free * 2)

    def whole() -> None:
        held[SeatStatus.HELD].extend((next(picks), next(picks)))
        states = layout.states(held)  # the whole map joined, as a render did before blocks
        body = b"".join(layout.block(states, block) for block in layout.blocks())
        hashlib.blake2b(body, digest_size=16).hexdigest()
        gzip.compress(body, compresslevel=1, mtime=0)

    def amended() -> None:
        seat_map.change((next(picks), next(picks)), SeatStatus.HELD, news=False)
        tagged = seat_map.tagged()
        tagged.etag  # noqa: B018 - built on first use, as a read does
        tagged.gzipped()

    for name, round_ in [("whole map again", whole), ("amended by blocks", amended)] * 2:
        print(f"{name:>18}: {cpu_us(round_):7.0f} µs of CPU a hold shown")


def cpu_us(round_: Callable[[], None]) -> float:
    batches = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(ROUNDS // 5):
            round_()
        batches.append((time.process_time() - started) / (ROUNDS // 5) * 1e6)
    return statistics.median(batches)


if __name__ == "__main__":
    main()
