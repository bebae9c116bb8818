"""Where a machine's CPU went in a perf.data file of rush_with_perf.py: by process, then inside
the app's workers (the interpreter, the kernel, C extensions) and inside PostgreSQL (its
function calls, foreign-key checks, CHECK constraints, executor start-up, planning, commits).

    python scripts/profiling/perf_summary.py FILE --workers PID[,PID...] [--top N]

`--workers`: the app's worker processes (the other Python processes are the load generator's).
Shares are of every sample on every core in the window, idle included. Where PostgreSQL had
less than 1 % of them (a step that reads nothing from it), its parts are left out.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# What PostgreSQL's time is spent on, by a function on the sample's stack (inclusive shares).
POSTGRES_PARTS = (
    ("plpgsql_call_handler", "server functions (bx_hold, bx_settle), all they run"),
    ("standard_ExecutorStart", "executor start-up, every statement"),
    ("AfterTriggerEndQuery", "foreign-key checks"),
    ("ExecConstraints", "CHECK constraints"),
    ("pg_plan_query", "planning"),
    ("CommitTransactionCommand", "commits"),
    ("XLogFlush", "  of which the WAL's flush"),
)
IDLE = ("swapper",)
MEANINGFUL = 0.01  # PostgreSQL's parts are shown where it had at least this share of the samples


def _samples(file: Path) -> Iterator[tuple[str, int, list[tuple[str, str]]]]:
    """(command, pid, [(symbol, library), leaf first]) of each sample."""
    script = subprocess.run(  # noqa: S603 - perf on a file of ours
        [
            shutil.which("perf") or "/usr/bin/perf",
            "script",
            "-i",
            str(file),
            "-F",
            "comm,pid,ip,sym,dso",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for block in script.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        head = lines[0].split()
        if len(head) < 2 or not head[-1].isdigit():
            continue
        frames = []
        for line in lines[1:]:
            parts = line.split(None, 1)
            if len(parts) < 2:
                continue
            symbol, _, library = parts[1].rpartition(" (")
            frames.append((symbol.split("+0x")[0], library.rstrip(")").rsplit("/", 1)[-1]))
        yield " ".join(head[:-1]), int(head[-1]), frames


def _group(command: str, pid: int, workers: set[int]) -> str:
    if pid in workers:
        return "app workers"
    if command == "postgres":
        return "PostgreSQL"
    if command.startswith("redis"):
        return "Redis"
    if command.startswith("python"):
        return "load generator (other Python)"
    if command in IDLE:
        return "idle"
    return f"other: {command.split('/')[0]}"


@dataclass
class _Tally:
    total: int = 0
    groups: Counter[str] = field(default_factory=Counter)
    app_libraries: Counter[str] = field(default_factory=Counter)
    postgres_parts: Counter[str] = field(default_factory=Counter)
    postgres_own: Counter[str] = field(default_factory=Counter)

    def add(self, group: str, frames: list[tuple[str, str]]) -> None:
        self.total += 1
        self.groups[group] += 1
        if not frames:
            return
        if group == "app workers":
            self.app_libraries[frames[0][1]] += 1
        elif group == "PostgreSQL":
            on_stack = {symbol for symbol, _ in frames}
            for function, _ in POSTGRES_PARTS:
                if function in on_stack:
                    self.postgres_parts[function] += 1
            self.postgres_own[f"{frames[0][0]} ({frames[0][1]})"] += 1


def _print(tally: _Tally, top: int) -> None:
    total = tally.total
    print(f"{total:,} samples on all cores")
    rest = 0
    for group, count in tally.groups.most_common():
        if count / total < MEANINGFUL / 2:
            rest += count
        else:
            print(f"{count / total:6.1%}  {group}")
    print(f"{rest / total:6.1%}  every other process")
    app_total = tally.groups["app workers"]
    if app_total:
        print("-- the app's workers, by the library of the running code")
        for library, count in tally.app_libraries.most_common(top):
            print(f"{count / app_total:6.1%}  {library}")
    postgres_total = tally.groups["PostgreSQL"]
    if postgres_total >= MEANINGFUL * total:
        print("-- PostgreSQL, by what its samples were inside (overlapping)")
        for function, label in POSTGRES_PARTS:
            share = tally.postgres_parts[function] / postgres_total
            print(f"{share:6.1%}  {label} ({function})")
        print("-- PostgreSQL, by the running function")
        for frame, count in tally.postgres_own.most_common(top):
            print(f"{count / postgres_total:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--workers", required=True)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    workers = {int(pid) for pid in args.workers.split(",") if pid}
    tally = _Tally()
    for command, pid, frames in _samples(args.file):
        tally.add(_group(command, pid, workers), frames)
    if tally.total:
        _print(tally, args.top)
    else:
        print("no samples")


if __name__ == "__main__":
    main()
