"""Every few seconds, what each watched process holds, beside the traffic so far.

Each sample is appended to samples.jsonl as it is taken (a run cut short keeps its samples),
and kept for the report.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scripts.soaking.deployment import Deployment
from scripts.soaking.procs import NOTHING, read_holding, tcp_states
from scripts.soaking.shop import Traffic

__all__ = ["Sampler"]


class Sampler:
    def __init__(
        self, deployment: Deployment, traffic: Traffic, interval: float, output: Path
    ) -> None:
        self.deployment = deployment
        self.traffic = traffic
        self.interval = interval
        self.output = output
        self.samples: list[dict[str, Any]] = []
        self.room: dict[str, Any] = {}  # the waiting room's figures, as the monitor last read
        self.started = time.monotonic()

    def sample(self) -> dict[str, Any]:
        """What each process holds now (a group: the sum over its processes)."""
        tcp = tcp_states()
        processes: dict[str, Any] = {}
        for role, pids in self.deployment.processes().items():
            total, alive = NOTHING, []
            for pid in pids:
                holding = read_holding(pid, tcp)
                if holding is not None:
                    total += holding
                    alive.append(pid)
            processes[role] = {"pids": alive, **asdict(total)}
        taken = {
            "seconds": round(time.monotonic() - self.started, 1),
            "requests": self.traffic.requests,
            "processes": processes,
            "room": dict(self.room),
        }
        self.samples.append(taken)
        with self.output.open("a") as out:
            out.write(json.dumps(taken) + "\n")
        return taken

    async def run(self, stop: asyncio.Event) -> None:
        """A sample every `interval` seconds on the clock (not drifting), and one at the end."""
        beat = 0
        while not stop.is_set():
            self.sample()
            beat += 1
            pause = self.started + beat * self.interval - time.monotonic()
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, pause))
            except TimeoutError:
                continue
        self.sample()
