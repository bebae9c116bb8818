"""The server's CPU per request: what the machine spent over a window, the load generator's own
share taken out.

A rate measured through this client stops meaning anything once the client is what limits it
(the bare app doing nothing tops out where the client's one core does). CPU time does not have
that flaw: the machine's busy time over a window (`/proc/stat`), less this process's own, is
what the servers spent, split into PostgreSQL (processes named `postgres`), Redis
(`redis-server`), the app (processes other than this one whose command line names boxoffice,
such as `boxoffice serve`'s and `serve-bare`'s supervisors, and their children: the workers)
and the rest (anything else that ran, and processes that started and ended inside the window,
such as PostgreSQL's autovacuum workers). Per request it rates an endpoint against a bare app
by the cost of one answer, whatever capped the rate.

The load generator runs on the servers' machine (it serves loopback URLs only), so the machine's
figures are the deployment's; on a busy machine they include the other work too. Linux only:
elsewhere no figures are taken.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuSnapshot", "CpuSpent", "client_cpu_seconds", "snapshot", "spent_between"]

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")
# Process names (the kernel's `comm`) of the servers split out of the machine's total.
POSTGRES = "postgres"
REDIS = "redis-server"
APP = "app"
_APP_MARK = b"boxoffice"


@dataclass(frozen=True, slots=True)
class CpuSnapshot:
    machine: float  # busy seconds of every CPU since boot
    client: float  # this process's own CPU seconds
    by_process: dict[int, tuple[str, float]]  # pid: (POSTGRES, REDIS or APP, CPU seconds)


@dataclass(frozen=True, slots=True)
class CpuSpent:
    """CPU seconds spent between two snapshots."""

    machine: float
    client: float
    postgres: float
    redis: float
    app: float

    @property
    def server(self) -> float:
        """Everything but the load generator."""
        return max(0.0, self.machine - self.client)

    @property
    def other(self) -> float:
        """The server's share that none of the named processes account for."""
        return max(0.0, self.server - self.postgres - self.redis - self.app)

    def per_request_us(self, requests: int) -> dict[str, float] | None:
        """Microseconds of CPU per request: the servers', and its parts."""
        if requests <= 0:
            return None
        return {
            name: round(seconds / requests * 1e6, 1)
            for name, seconds in (
                ("server", self.server),
                ("app", self.app),
                ("postgres", self.postgres),
                ("redis", self.redis),
                ("other", self.other),
            )
        }


def _machine_busy() -> float:
    # cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    fields = (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / _TICKS


def _servers() -> dict[int, tuple[str, float]]:
    me = os.getpid()
    seen: dict[int, tuple[str, int, float]] = {}  # pid: (name, parent pid, CPU seconds)
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            if name not in (POSTGRES, REDIS) and _APP_MARK in (entry / "cmdline").read_bytes():
                name = APP
        except OSError:  # gone since the listing
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        seen[int(entry.name)] = (name, int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICKS)
    found: dict[int, tuple[str, float]] = {}
    for pid, (name, parent, seconds) in seen.items():
        if name not in (POSTGRES, REDIS, APP):
            # A worker a server spawned names no boxoffice itself: the app is its parent's.
            if parent not in seen or seen[parent][0] != APP:
                continue
            name = APP
        found[pid] = (name, seconds)
    return found


def client_cpu_seconds() -> float:
    """CPU time (user + system) this process, the load generator, has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def snapshot() -> CpuSnapshot | None:
    """The machine's and the servers' CPU so far, or None where /proc does not tell."""
    try:
        return CpuSnapshot(_machine_busy(), client_cpu_seconds(), _servers())
    except (OSError, ValueError, IndexError):
        return None


def spent_between(before: CpuSnapshot | None, after: CpuSnapshot | None) -> CpuSpent | None:
    """What was spent between two snapshots. A process that ended in between is not in its
    name's share (its time stays in the machine's, so in `other`)."""
    if before is None or after is None:
        return None
    by_name = {POSTGRES: 0.0, REDIS: 0.0, APP: 0.0}
    for pid, (name, seconds) in after.by_process.items():
        earlier = before.by_process.get(pid)
        if earlier is not None and earlier[0] == name:
            by_name[name] += max(0.0, seconds - earlier[1])
        else:  # started in the window (a new pid, or one reused): all its time is the window's
            by_name[name] += seconds
    return CpuSpent(
        machine=max(0.0, after.machine - before.machine),
        client=max(0.0, after.client - before.client),
        postgres=by_name[POSTGRES],
        redis=by_name[REDIS],
        app=by_name[APP],
    )
