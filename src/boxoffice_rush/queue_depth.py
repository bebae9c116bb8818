"""`boxoffice queue-depth`: join and status latency with 1,000 and with 1,000,000 fans waiting.

Issue 4 asks that p99 of join and status with a million passes waiting be no more than 1.5 times
their p99 with a thousand. Against a running deployment on PostgreSQL + Redis (loopback only):
hold admission, fill the room's line with synthetic passes through the store, then let real,
logged-in fans join and poll at a fixed offered rate at each depth, and time the store alone too.
Everything the benchmark put in the room is removed at the end; a room it found empty is deleted.
`scripts/bench-queue` starts a deployment for it and writes the result into docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
import uvloop

from boxoffice_rush import queue_depth_http as web
from boxoffice_rush.config import TargetRefused, check_local_url
from boxoffice_rush.queue_depth_report import (
    DepthResult,
    Run,
    parse_cpu_stall,
    ratios,
    render_section,
    replace_section,
    summarize,
    summarize_slowlog,
)
from boxoffice_rush.queue_depth_store import HELD_POLICY, RoomProbe, run_range

__all__ = ["Options", "app", "main", "measure"]

app = typer.Typer(add_completion=False)
_WARMUP_SECONDS = 3.0


@dataclass(frozen=True)
class Options:
    url: str
    admin_key: str
    redis_url: str
    room: str
    depths: tuple[int, ...] = (1_000, 1_000_000)
    seconds: float = 30.0
    join_rate: float = 50.0
    status_rate: float = 200.0
    pollers: int = 200
    joiners: int = 100
    lanes: int = 32
    store_calls: int = 2_000
    fill_processes: int = 2
    target_ratio: float = 1.5

    def shown(self) -> dict[str, str]:
        """The options a reader needs to repeat the measurement."""
        return {
            "depths": " and ".join(f"{d:,}" for d in self.depths),
            "window": f"{self.seconds:g} s per depth (after {_WARMUP_SECONDS:g} s warm-up)",
            "offered": f"join {self.join_rate:g}/s, status {self.status_rate:g}/s",
            "fans": f"{self.pollers} polling (each every {self.pollers / self.status_rate:g} s), "
            f"{self.joiners} joining",
            "connections": str(self.lanes),
            "store calls": f"{self.store_calls:,} join + {self.store_calls:,} view per depth",
        }


def check_redis_url(url: str) -> str:
    """redis:// on a loopback host, else TargetRefused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if parts.scheme != "redis" or not loopback:
        raise TargetRefused(f"{url!r}: only redis:// on 127.0.0.0/8, ::1 or localhost")
    return url


def _cpu_stall_us() -> int | None:
    try:
        return parse_cpu_stall(Path("/proc/pressure/cpu").read_text())
    except (OSError, ValueError):
        return None


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def _http_depth(
    lanes: web.Lanes, options: Options, pollers: list[web.Fan], joiners: list[web.Fan]
) -> web.Recorder:
    """Pollers join (untimed), then the fixed-rate window, then the pollers leave."""
    await lanes.open()  # the fill may have outlasted the server's keep-alive
    codes = await asyncio.gather(*(web.join(lanes, fan) for fan in pollers))
    if any(code != 201 for code in codes):
        raise RuntimeError(f"pollers' joins answered {sorted(set(codes))}")
    record = web.Recorder()
    start = perf_counter() + 0.2
    record.since = start + _WARMUP_SECONDS
    total = _WARMUP_SECONDS + options.seconds
    stall = _cpu_stall_us()
    await asyncio.gather(
        web.drive(options.status_rate, total, start, web.poller(lanes, pollers, record)),
        web.drive(options.join_rate, total, start, web.joiner(lanes, joiners, record)),
    )
    record.window = perf_counter() - record.since
    stall_after = _cpu_stall_us()
    if stall is not None and stall_after is not None:
        record.cpu_pressure_pct = (stall_after - stall) / 1e4 / (perf_counter() - start)
    await asyncio.gather(*(web.leave(lanes, fan) for fan in pollers))
    return record


async def _measure_depth(
    result: DepthResult, options: Options, probe: RoomProbe, lanes: web.Lanes, fans: list[web.Fan]
) -> None:
    began = time.time()
    result.used_memory = await probe.used_memory()
    result.waiting_before = (await probe.stats()).waiting
    latencies, inside = await probe.time_store(probe.next_index, options.store_calls)
    probe.next_index += options.store_calls
    result.store = {op: summarize(values, sum(values)) for op, values in latencies.items()}
    result.redis_us_per_call = inside
    record = await _http_depth(lanes, options, fans[: options.pollers], fans[options.pollers :])
    result.http = {op: summarize(v, record.window) for op, v in sorted(record.latencies.items())}
    result.http_errors = dict(record.errors)
    result.late_p99_ms = summarize(record.late, 1.0).p99_ms
    result.cpu_pressure_pct = record.cpu_pressure_pct
    result.load_average = _load_average()
    result.slowlog = summarize_slowlog(await probe.slowlog(began, time.time()))
    result.worst_ms_per_second = {
        op: [round(seconds[s] * 1000, 1) for s in range(int(options.seconds) + 1)]
        for op, seconds in record.worst.items()
    }
    result.waiting_after = (await probe.stats()).waiting


async def _hold_admission(probe: RoomProbe, lanes: web.Lanes, admin_key: str) -> None:
    """No fan is admitted while measuring: one slot, and it is taken for the whole run."""
    stats = await probe.stats()
    await web.admin_queue(
        lanes,
        admin_key,
        {
            "max_active": max(1, stats.active),
            "admit_per_minute": HELD_POLICY.admit_per_minute,
            "active_ttl_seconds": HELD_POLICY.active_ttl_seconds,
            "claim_seconds": HELD_POLICY.claim_seconds,
            "opens_at": None,
        },
    )
    if stats.active == 0:
        await probe.hold_slot(probe.next_index)
        probe.next_index += 1


async def _clean_up(
    options: Options, probe: RoomProbe, lanes: web.Lanes, fans: list[web.Fan], policy: Any
) -> None:
    await asyncio.gather(*(web.leave(lanes, fan) for fan in fans if fan.token))
    if probe.fresh:
        await probe.delete_room()
        return
    await run_range(
        options.redis_url, options.room, "leave", 0, probe.next_index, options.fill_processes
    )
    if isinstance(policy, dict):
        await web.admin_queue(lanes, options.admin_key, policy)


async def measure(options: Options, run: Run) -> None:
    """Every depth in turn; `run` is filled in as it goes, and the room is always cleaned up."""
    probe = RoomProbe(options.redis_url, options.room)
    lanes = web.Lanes(options.url, options.lanes)
    fans: list[web.Fan] = []
    policy: Any = None
    began = time.time()
    try:
        probe.fresh = await probe.is_fresh()
        await lanes.open()
        policy = (await web.admin_queue(lanes, options.admin_key))["policy"]
        await _hold_admission(probe, lanes, options.admin_key)
        admitted = (await probe.stats()).admitted_total
        run_id = secrets.token_hex(3)
        fans = await web.provision(lanes, run_id, options.pollers + options.joiners)
        run.memory_before_fill = await probe.used_memory()
        for depth in options.depths:
            result = DepthResult(depth)
            missing = depth - (await probe.stats()).waiting
            if missing > 0:
                start, probe.next_index = probe.next_index, probe.next_index + missing
                result.fill_seconds = await run_range(
                    options.redis_url, options.room, "join", start, probe.next_index,
                    options.fill_processes,
                )  # fmt: skip
                result.filled = missing
            await _measure_depth(result, options, probe, lanes, fans)
            run.depths.append(result)
            typer.echo(f"depth {depth:,}: done", err=True)
        run.admitted_during_run = (await probe.stats()).admitted_total - admitted
        run.slowlog = summarize_slowlog(await probe.slowlog(began, time.time()))
    finally:
        try:
            await _clean_up(options, probe, lanes, fans, policy)
        finally:
            await lanes.close()
            await probe.close()


def _within_target(run: Run) -> bool:
    found = ratios(run)
    return bool(found) and all(r is not None and r <= run.target_ratio for *_, r in found)


@app.command()
def queue_depth(
    admin_key: Annotated[str, typer.Option(envvar="BOXOFFICE_ADMIN_KEY", help="Admin key")],
    redis_url: Annotated[str, typer.Option(envvar="BOXOFFICE_REDIS_URL", help="The server's")],
    room: Annotated[str, typer.Option(envvar="BOXOFFICE_QUEUE_ROOM", help="The server's")],
    url: Annotated[str, typer.Option(help="Base URL (loopback only)")] = "http://127.0.0.1:8000",
    depth: Annotated[list[int] | None, typer.Option(help="Repeat; default 1000, 1000000")] = None,
    seconds: Annotated[float, typer.Option(min=1, help="Measured window per depth")] = 30.0,
    join_rate: Annotated[float, typer.Option(min=1, help="Joins offered per second")] = 50.0,
    status_rate: Annotated[float, typer.Option(min=1, help="Polls offered per second")] = 200.0,
    pollers: Annotated[int, typer.Option(min=1, help="Fans polling, each in turn")] = 200,
    joiners: Annotated[int, typer.Option(min=1, help="Fans joining (and leaving)")] = 100,
    connections: Annotated[int, typer.Option(min=1, help="Keep-alive connections")] = 32,
    store_calls: Annotated[int, typer.Option(min=100, help="Store calls per op and depth")] = 2000,
    fill_processes: Annotated[int, typer.Option(min=1, max=8)] = 2,
    target_ratio: Annotated[float, typer.Option(help="p99 ratio allowed")] = 1.5,
    output: Annotated[Path, typer.Option(help="JSON results")] = Path("var/queue-depth.json"),
    doc: Annotated[Path | None, typer.Option(help="Write the section into this file")] = None,
    note: Annotated[list[str] | None, typer.Option(help="KEY=VALUE shown in the doc")] = None,
) -> None:
    """Measure join and status at each depth; exit 0 within target, 1 over it, 2 on failure."""
    try:
        options = Options(
            url=check_local_url(url),
            admin_key=admin_key,
            redis_url=check_redis_url(redis_url),
            room=room,
            depths=tuple(depth or (1_000, 1_000_000)),
            seconds=seconds,
            join_rate=join_rate,
            status_rate=status_rate,
            pollers=pollers,
            joiners=joiners,
            lanes=connections,
            store_calls=store_calls,
            fill_processes=fill_processes,
            target_ratio=target_ratio,
        )
    except TargetRefused as error:
        raise typer.BadParameter(str(error)) from None
    if list(options.depths) != sorted(set(options.depths)) or options.depths[0] < 1:
        raise typer.BadParameter("--depth values must be positive and increasing")
    run = Run(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), options.shown())
    run.target_ratio = target_ratio
    run.environment = dict(item.split("=", 1) for item in note or [] if "=" in item)
    try:
        uvloop.run(measure(options, run))
    except (RuntimeError, OSError) as error:
        typer.secho(f"queue-depth failed: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    run.environment["load_after"] = _load_average()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(asdict(run), indent=1))
    section = render_section(run)
    typer.echo(section)
    if doc is not None:
        doc.write_text(replace_section(doc.read_text() if doc.exists() else "", section))
    raise typer.Exit(0 if _within_target(run) else 1)


def main(args: list[str]) -> None:
    """Run `boxoffice queue-depth` with these arguments; exits the process with its code."""
    typer.main.get_command(app).main(args=args, prog_name="boxoffice queue-depth")
