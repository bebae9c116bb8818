"""`boxoffice rush`, with py-spy sampling the given server processes during each endpoint-alone
step (`--endpoints`), one raw (collapsed-stack) file per step and process.

    PROFILE_PIDS=123,124 PROFILE_DIR=out python scripts/profiling/rush_with_py_spy.py [rush args]

Used by scripts/profile-endpoints; read the files with scripts/profiling/summary.py.
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

PIDS = os.environ["PROFILE_PIDS"].split(",")
OUT = Path(os.environ["PROFILE_DIR"])
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
_step = isolated._Phase.step  # the one hook this tool needs


async def _profiled_step(self: Any, endpoint: str, *args: Sequence[Any], **kwargs: Any) -> Any:
    name = re.sub(r"[^a-z]+", "_", endpoint.lower()).strip("_")
    samplers = [
        # Started and stopped around the step: a moment each, not worth a thread.
        subprocess.Popen(  # noqa: ASYNC220, S603 - our own py-spy on our own servers
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
                str(OUT / f"{name}.{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in PIDS
    ]
    with (OUT / "steps.txt").open("a") as steps:
        steps.write(f"{time.strftime('%H:%M:%S')} start {name}\n")
    try:
        return await _step(self, endpoint, *args, **kwargs)
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            sampler.wait()


isolated._Phase.step = _profiled_step  # type: ignore[method-assign]
OUT.mkdir(parents=True, exist_ok=True)
sys.argv = ["boxoffice", "rush", *sys.argv[1:]]
app()
