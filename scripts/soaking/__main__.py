"""`scripts/soak`: serve, play a steady mixed load for `--minutes`, sample, judge, report.

Exit code: 0 when every figure grew under 10 % after warm-up, no answer was a 5xx, every
request had an answer and no watched process was replaced; 1 when not (the summary says why);
2 when the soak could not run; 130 when a signal stopped it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from scripts.soaking import report
from scripts.soaking.dates import DateKeeper
from scripts.soaking.deployment import Deployment
from scripts.soaking.fans import Crowd, Mix
from scripts.soaking.monitors import watch
from scripts.soaking.sampler import Sampler
from scripts.soaking.shop import Shop

ROOT = Path(__file__).resolve().parents[2]
STOP_SECONDS = 45  # for the fans in flight when the time is up
PRICE = 10_000
CONNECTIONS = 48  # the load generator's keep-alive connections, opened before the load
# The per-process caches' and pools' bounds, sized to this load (240 fans, two or three dates
# on sale, ~220 requests/s) with room to spare, so that each is full within the first few
# minutes and "after warm-up" means what it says. At the service's defaults (sized for a
# stadium rush) the caches go on filling for hours at this load, and the pools grow whenever a
# busy machine slows answers down, up to their bounds (docs/operations.md): --default-caches
# keeps the defaults.
SMALL_CACHES = {
    "verified_tokens_kept": "600",  # per kind: 2.5 x the fans; ~180 new fans a minute
    "seat_layouts_kept_seats": "3000",  # five dates of 600; ~2.7 new dates a minute
    "wait_estimates_kept": "500",  # ~200 passes a minute leave or lapse unseen by a worker
    # ~1 request in flight on average; a run on a busy machine had 3-4 connections per worker
    # open by minute 4 (of 10 allowed), all 10 by minute 10.
    "db_pool_size": "4",
    "redis_pool_size": "4",  # each of a worker's two Redis clients
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the load")
    parser.add_argument("--fans", type=int, default=240, help="fans at every moment")
    parser.add_argument("--rate", type=float, default=300.0, help="at most this many requests/s")
    parser.add_argument("--workers", type=int, default=2, help="`boxoffice serve --workers`")
    parser.add_argument("--max-active", type=int, default=40, help="fans in the shop at once")
    parser.add_argument("--seats-per-date", type=int, default=600)
    parser.add_argument("--sample-seconds", type=float, help="default: 10, less on short runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "soak")
    parser.add_argument(
        "--default-caches",
        action="store_true",
        help="keep the service's default cache and pool bounds (they fill over hours)",
    )
    return parser.parse_args()


def _server_settings(args: argparse.Namespace) -> dict[str, str]:
    return {
        "queue_room": "soak",
        "queue_max_active": str(args.max_active),
        "queue_admit_per_minute": "1200",
        # Short enough that passes and holds left behind expire, and their slots and seats
        # come back, many times in a run: expiry is part of the day too.
        "queue_active_ttl_seconds": "60",
        "hold_seconds": "30",
        # Every fan comes from 127.0.0.1: no per-address limit.
        "queue_limit_per_ip": "0",
        "signup_limit_per_ip": "0",
        "login_limit_per_ip": "0",
        # argon2id still, but cheap: a new fan signs up every few seconds on two cores.
        "password_time_cost": "1",
        "password_memory_kib": "64",
        "log_level": "WARNING",
        **({} if args.default_caches else SMALL_CACHES),
    }


async def _soak(
    args: argparse.Namespace, deployment: Deployment, folder: Path
) -> tuple[Sampler, Shop, Crowd, DateKeeper, float]:
    seconds = args.minutes * 60
    interval = args.sample_seconds or max(2.0, min(10.0, seconds / 90))
    shop = Shop(deployment.base_url, CONNECTIONS, streams=12, per_second=args.rate)
    try:
        dates = DateKeeper(shop, deployment.admin_key, args.seats_per_date, PRICE)
        await dates.open(2)
        await shop.open_connections(CONNECTIONS)
        rng = random.Random(args.seed)  # noqa: S311 - choosing what fans do, not secrets
        crowd = Crowd(shop, dates, args.fans, Mix(), rng)
        sampler = Sampler(deployment, shop.traffic, interval, folder / "samples.jsonl")
        stop = asyncio.Event()
        started = time.monotonic()
        shop.traffic.begin()
        sampler.started = started
        async with asyncio.TaskGroup() as group:
            fans = group.create_task(crowd.run(stop))
            group.create_task(dates.keep(stop))
            group.create_task(watch(shop, deployment.admin_key, sampler.room, stop))
            group.create_task(sampler.run(stop))
            group.create_task(_progress(sampler, seconds, stop))
            await asyncio.sleep(seconds)
            stop.set()
            shop.traffic.draining()
            loaded = time.monotonic() - started
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await asyncio.shield(fans)
            except TimeoutError:
                fans.cancel()
        return sampler, shop, crowd, dates, loaded
    finally:
        await shop.close()


async def _progress(sampler: Sampler, seconds: float, stop: asyncio.Event) -> None:
    """A line a minute on stderr: how far, how many requests, the workers' RSS."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 60)
        if sampler.samples:
            last = sampler.samples[-1]
            rss = ", ".join(
                f"{name} {p['rss_kib'] // 1024} MiB"
                for name, p in last["processes"].items()
                if name.startswith("worker")
            )
            print(
                f"[soak] {last['seconds']:.0f}/{seconds:.0f} s, {last['requests']:,} requests, "
                f"room {last['room']}, {rss}",
                file=sys.stderr,
                flush=True,
            )


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)  # noqa: S603,S607
    return done.stdout.rstrip()  # not strip(): a status line may start with a space


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB; load generator on the same machine"


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 2)


def _write(folder: Path, output: Path, result: dict[str, Any], summary: str) -> None:
    (folder / "soak.json").write_text(json.dumps(result, indent=1, default=str))
    (folder / "soak.md").write_text(summary)
    for name in ("soak.json", "soak.md"):  # the last run's, where a reader looks first
        shutil.copyfile(folder / name, output / f"last-{name}")


class Interrupted(Exception):
    """SIGINT, SIGTERM or SIGHUP: the soak stops its servers and ends."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(f"signal {signum}")


def _on_signals(handler: Any) -> None:
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, handler)


async def _bounded(
    args: argparse.Namespace, deployment: Deployment, folder: Path
) -> tuple[Sampler, Shop, Crowd, DateKeeper, float]:
    """The soak within its time bound (the load, the fans' last requests, and a margin); a
    signal cancels it, so every task ends and every connection closes before the servers stop."""
    loop = asyncio.get_running_loop()
    this = asyncio.current_task()
    assert this is not None
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(number, this.cancel)
    try:
        async with asyncio.timeout(args.minutes * 60 + 300):
            return await _soak(args, deployment, folder)
    except asyncio.CancelledError:
        raise Interrupted("signal") from None


def _commit() -> str:
    commit = _git("rev-parse", "--short", "HEAD")
    # What the servers and the soak ran, if it is not the commit's: the paths named.
    dirty = _git("status", "--porcelain", "--", "src", "scripts/soak*").splitlines()
    if dirty:
        commit += " + uncommitted " + ", ".join(line[3:] for line in dirty)
    return commit


def main() -> int:
    args = _arguments()
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    folder = args.output / started_at.replace(":", "").replace("-", "")
    folder.mkdir(parents=True, exist_ok=True)
    _on_signals(_interrupt)
    settings = _server_settings(args)
    load_before = _load_average()
    commit = _commit()
    deployment = Deployment(folder, args.workers, settings)
    try:
        print(f"[soak] starting PostgreSQL, Redis and serve in {folder}", file=sys.stderr)
        deployment.start()
        print(
            f"[soak] serving on {deployment.base_url} (PostgreSQL {deployment.postgres.port} in "
            f"{deployment.postgres.folder}, Redis {deployment.redis.port}): {args.minutes:g} min",
            file=sys.stderr,
        )
        ran = asyncio.run(_bounded(args, deployment, folder))
        deployment.write_end_state(folder / "end-state.txt")
        tracebacks = len(deployment.server_errors_logged())
    except (RuntimeError, TimeoutError) as error:
        print(f"[soak] could not run: {error}", file=sys.stderr)
        return 2
    except Interrupted as interrupted:
        print(f"[soak] interrupted ({interrupted}): stopping the servers", file=sys.stderr)
        return 130
    finally:
        _on_signals(signal.SIG_IGN)  # stopping the servers is not to be cut short
        deployment.close()
    sampler, shop, crowd, dates, seconds = ran
    traffic = report.traffic_summary(shop.traffic, seconds)
    verdict = report.judge(sampler.samples, seconds, traffic, tracebacks)
    mix = Mix()
    meta = {
        "command": " ".join(["scripts/soak", *sys.argv[1:]]),
        "commit": commit,
        "started_at": started_at,
        "machine": _machine(),
        "load_before": load_before,
        "load_after": _load_average(),
        "seconds": round(seconds, 1),
        "sample_seconds": sampler.interval,
        "samples": len(sampler.samples),
        "groups": report.group_sizes(sampler.samples, seconds),
        "caches": report.cache_fill(sampler.samples, seconds),
        "cpu_percent": report.cpu_percent(sampler.samples, seconds, os.sysconf("SC_CLK_TCK")),
        "load_text": (
            f"{args.fans} fans at every moment (each signs up, visits {mix.visits[0]}-"
            f"{mix.visits[1]} times, then makes room for a new one), at most "
            f"{args.max_active} in the shop, at most {args.rate:g} requests/s; a visit: "
            f"balance (charge when low), join, wait ({mix.stream:.0%} on the event stream, "
            f"{mix.give_up_waiting:.0%} a poll give up), dates, seat map, hold 1-4 seats, then "
            f"pay {mix.pay:.0%} / cancel and leave {mix.cancel_hold:.0%} / leave holding "
            f"{mix.leave_holding:.0%} / walk away; {mix.refund_booking:.0%} of bookings "
            f"cancelled later; health checks every 5 s, /metrics and the room every 15 s; "
            f"dates of {args.seats_per_date} seats added as they sell"
        ),
        "served": (
            f"`boxoffice serve --workers {args.workers}` on 127.0.0.1, PostgreSQL "
            f"{deployment.postgres.port} and Redis {deployment.redis.port} of its own (loopback); "
            + ", ".join(f"BOXOFFICE_{k.upper()}={v}" for k, v in settings.items())
        ),
        "outcome": (
            f"{crowd.fans_started:,} fans, {crowd.visits:,} visits, {crowd.paid:,} paid, "
            f"{dates.dates_added} dates"
        ),
    }
    summary = report.markdown(meta, verdict, traffic)
    result = {
        "meta": meta,
        "passed": verdict["passed"],
        "reasons": verdict["reasons"],
        "figures": [
            {**vars(f), "growth_percent": _finite(f.growth), "passed": f.passed}
            for f in verdict["figures"]
        ],
        "traffic": traffic,
        "samples": sampler.samples,
    }
    _write(folder, args.output, result, summary)
    print(summary)
    print(f"[soak] written to {folder}", file=sys.stderr)
    return 0 if verdict["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
