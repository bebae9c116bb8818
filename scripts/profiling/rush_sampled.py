"""`boxoffice rush`, with a sampler running during each endpoint-alone step's timed window
(`--endpoints`; the bare apps measured beside each step lie outside it).

    PROFILE_PIDS=123,124 PROFILE_DIR=out python scripts/profiling/rush_sampled.py [rush args]
    PROFILE_SAMPLER=perf PROFILE_DIR=out python scripts/profiling/rush_sampled.py [rush args]

py-spy (the default) samples the Python stacks of the processes PROFILE_PIDS names, one raw
(collapsed-stack) file per step and process, read by scripts/profiling/summary.py; it samples a
process whenever it is not asleep, preempted or not, so its shares are of wall time. perf
(`PROFILE_SAMPLER=perf`, as root) samples what every core runs, one perf.data file per step,
read by scripts/profiling/perf_summary.py: shares of CPU time, for the app's workers,
PostgreSQL's backends, Redis, the load generator and the kernel alike.
Used by scripts/profile-endpoints (`--perf` for perf).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boxoffice.cli import app
from boxoffice_rush import isolated

OUT = Path(os.environ["PROFILE_DIR"])
PERF = os.environ.get("PROFILE_SAMPLER") == "perf"
PIDS = [] if PERF else os.environ["PROFILE_PIDS"].split(",")
PERF_BIN = shutil.which("perf") or "perf"
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
PERF_HERTZ = "499"  # a core: about 3,000 samples a core in a 6 s window, files of a few MB
_step = isolated._Phase.step  # the hooks this tool needs: the step names the window
_window = isolated.run_window
_current = ["window"]


def _samplers(name: str) -> list[list[str]]:
    if PERF:
        return [[PERF_BIN, "record", "-a", "-g", "-F", PERF_HERTZ, "-o", f"{OUT}/{name}.perf.data"]]
    return [
        [
            PY_SPY,
            "record",
            "-p",
            pid,
            "-r",
            "250",
            "-f",
            "raw",
            "--nonblocking",
            "-o",
            f"{OUT}/{name}.{pid}.txt",
        ]
        for pid in PIDS
    ]


async def _named_step(self: Any, endpoint: str, *args: Sequence[Any], **kwargs: Any) -> Any:
    _current[0] = re.sub(r"[^a-z]+", "_", endpoint.lower()).strip("_")
    return await _step(self, endpoint, *args, **kwargs)


async def _sampled_window(*args: Any, **kwargs: Any) -> Any:
    name = _current[0]
    samplers = [
        # Started and stopped around the window: a moment each, not worth a thread.
        subprocess.Popen(  # noqa: ASYNC220, S603 - our own sampler on our own machine
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for command in _samplers(name)
    ]
    with (OUT / "steps.txt").open("a") as steps:
        steps.write(f"{time.strftime('%H:%M:%S')} start {name}\n")
    try:
        return await _window(*args, **kwargs)
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            sampler.wait()


isolated._Phase.step = _named_step  # type: ignore[method-assign]
isolated.run_window = _sampled_window  # type: ignore[assignment]
OUT.mkdir(parents=True, exist_ok=True)
sys.argv = ["boxoffice", "rush", *sys.argv[1:]]
app()
