"""What one process holds, read from /proc: memory, open files, TCP connections.

No psutil: /proc/PID/status gives VmRSS and RssAnon, /proc/PID/fd the open descriptors, and a
socket descriptor's inode finds its TCP state in /proc/net/tcp{,6} (one read per sample for
every process).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Holding", "children", "command_line", "read_holding", "tcp_states"]

PROC = Path("/proc")
ESTABLISHED = "01"


@dataclass(frozen=True, slots=True)
class Holding:
    """One process (or a group's sum): memory in KiB, descriptors, established TCP sockets,
    and the CPU time it has used (clock ticks, user and system)."""

    rss_kib: int
    anon_kib: int
    open_files: int
    tcp: int
    cpu_ticks: int

    def __add__(self, other: Holding) -> Holding:
        return Holding(
            self.rss_kib + other.rss_kib,
            self.anon_kib + other.anon_kib,
            self.open_files + other.open_files,
            self.tcp + other.tcp,
            self.cpu_ticks + other.cpu_ticks,
        )


NOTHING = Holding(0, 0, 0, 0, 0)


def tcp_states() -> dict[int, str]:
    """Every TCP socket's state (hex, "01" established) by inode, IPv4 and IPv6."""
    states: dict[int, str] = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9:
                states[int(fields[9])] = fields[3]
    return states


def read_holding(pid: int, tcp: dict[int, str]) -> Holding | None:
    """The process's holding now; None if it is gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
        stat = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        descriptors = os.listdir(PROC / str(pid) / "fd")
    except (FileNotFoundError, ProcessLookupError):
        return None
    lines = status.splitlines()
    memory = dict(_kib(line) for line in lines if line.startswith(("VmRSS", "RssAnon")))
    connected = 0
    for name in descriptors:
        try:
            target = os.readlink(PROC / str(pid) / "fd" / name)
        except OSError:  # closed between the listing and the read
            continue
        if target.startswith("socket:[") and tcp.get(int(target[8:-1])) == ESTABLISHED:
            connected += 1
    # utime and stime, fields 14 and 15 of stat: 12 and 13 after the command name.
    ticks = int(stat[11]) + int(stat[12])
    rss, anon = memory.get("VmRSS", 0), memory.get("RssAnon", 0)
    return Holding(rss, anon, len(descriptors), connected, ticks)


def _kib(line: str) -> tuple[str, int]:
    name, value = line.split(":", 1)
    return name, int(value.split()[0])


def children(pid: int) -> list[int]:
    """The direct children of `pid` (from each process's stat: the parent is field 4)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: the fields after its last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def command_line(pid: int) -> str:
    """The process's command line with spaces between arguments ("" if it is gone)."""
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
