"""`boxoffice rush`, with Linux perf sampling the whole machine (every process and the kernel,
on CPU only) during each endpoint-alone step's timed window (`--endpoints`): one perf.data
file per step.

    PROFILE_DIR=out python scripts/profiling/rush_with_perf.py [rush args]

Used by `scripts/profile-endpoints --perf`; read the files with scripts/profiling/perf_summary.py.
Unlike py-spy (rush_with_py_spy.py), which samples a process's Python stack whenever the process
is not sleeping, preempted or not, perf samples what each core runs: shares are of CPU time, for
the app's workers, PostgreSQL's backends, Redis, the load generator and the kernel alike. The
bare apps measured beside each step lie outside the window, so they are not in the files.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boxoffice.cli import app
from boxoffice_rush import isolated

OUT = Path(os.environ["PROFILE_DIR"])
PERF = shutil.which("perf") or "perf"
HERTZ = "499"  # a core: about 3,000 samples a core in a 6 s window, files of a few MB
_step = isolated._Phase.step  # the hooks this tool needs
_window = isolated.run_window
_current = ["window"]


async def _named_step(self: Any, endpoint: str, *args: Sequence[Any], **kwargs: Any) -> Any:
    _current[0] = re.sub(r"[^a-z]+", "_", endpoint.lower()).strip("_")
    return await _step(self, endpoint, *args, **kwargs)


async def _sampled_window(*args: Any, **kwargs: Any) -> Any:
    sampler = subprocess.Popen(  # noqa: ASYNC220, S603 - perf on this machine, a moment long
        [PERF, "record", "-a", "-g", "-F", HERTZ, "-o", str(OUT / f"{_current[0]}.perf.data")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return await _window(*args, **kwargs)
    finally:
        sampler.send_signal(signal.SIGINT)
        sampler.wait()


isolated._Phase.step = _named_step  # type: ignore[method-assign]
isolated.run_window = _sampled_window  # type: ignore[assignment]
OUT.mkdir(parents=True, exist_ok=True)
sys.argv = ["boxoffice", "rush", *sys.argv[1:]]
app()
