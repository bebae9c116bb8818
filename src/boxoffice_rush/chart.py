"""The sale over time as a PNG: the room, admissions and sales per second, p99 latency."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_chart"]


def write_chart(rows: Sequence[dict[str, Any]], title: str, path: Path) -> None:
    """Three stacked panels over the sale's seconds, from the report's timeline rows."""
    # Imported here: matplotlib is heavy, and only this step of the rush needs it.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    seconds = [row["second"] for row in rows]
    sampled = [row for row in rows if row["waiting"] is not None]
    figure, (room, rates, latency) = pyplot.subplots(3, 1, figsize=(10, 9), sharex=True)
    try:
        figure.suptitle(title)
        room.plot([r["second"] for r in sampled], [r["waiting"] for r in sampled], label="waiting")
        room.plot([r["second"] for r in sampled], [r["active"] for r in sampled], label="active")
        room.set_ylabel("fans")
        room.legend(loc="upper right")
        rates.plot(seconds, [row["admitted"] for row in rows], label="admitted/s")
        rates.plot(seconds, [row["sold"] for row in rows], label="tickets sold/s")
        rates.set_ylabel("per second")
        rates.legend(loc="upper right")
        latency.plot(
            seconds, [row["p99_ms"] for row in rows], label="p99, all requests", color="C3"
        )
        latency.set_ylabel("ms")
        latency.set_xlabel("seconds since the sale opened")
        latency.legend(loc="upper right")
        for axes in (room, rates, latency):
            axes.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        pyplot.close(figure)
