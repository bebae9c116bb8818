"""A whole rush: setup, ceiling, endpoints alone, timed sale, audit, and the report's files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import uvloop
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from boxoffice_rush.audit import AuditResult, run_audit
from boxoffice_rush.bare_servers import BareBench, BareFigure, measure_bare_apps
from boxoffice_rush.ceiling import Ceiling, measure_ceiling
from boxoffice_rush.chart import write_chart
from boxoffice_rush.client import HttpClient
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import SaleContext
from boxoffice_rush.isolated import IsolatedRun, run_isolated
from boxoffice_rush.lines import LinesRun, measure_lines
from boxoffice_rush.lines_report import build_lines_report, render_lines_markdown
from boxoffice_rush.markdown import render_markdown
from boxoffice_rush.provision import SetupFailed, create_concert, provision_fans, set_policy
from boxoffice_rush.report import SetupSummary, build_report
from boxoffice_rush.sale import SaleResult, run_sale
from boxoffice_rush.stats import Recorder, SalesLedger
from boxoffice_rush.waiting import StreamSwitch
from boxoffice_rush.waker import Waker

__all__ = ["run_rush"]

EXIT_SETUP_FAILED = 2


@dataclass
class _Measured:
    setup: SetupSummary
    ceiling: Ceiling | None
    bare_apps: list[BareFigure]
    isolated: IsolatedRun | None
    sale: SaleResult
    recorder: Recorder
    ledger: SalesLedger


def _progress(config: RushConfig, console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not config.progress,
        refresh_per_second=4,
    )


async def _ticking(work: Any, tick: Callable[[], None]) -> Any:
    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            await asyncio.wait([task], timeout=0.25)
            tick()
    except asyncio.CancelledError:
        # The setup's time ran out: stop the work too, before its HTTP sessions are closed.
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    return task.result()


async def _setup(
    clients: list[HttpClient], config: RushConfig, run_id: str, progress: Progress
) -> tuple[int, SetupSummary, list[Any]]:
    started = perf_counter()
    ids = await create_concert(clients[0], config, run_id)
    await set_policy(clients[0], config)
    counts: Counter[str] = Counter()
    bar = progress.add_task("provisioning", total=config.fans, detail="")
    provisioned = await _ticking(
        provision_fans(clients, config, run_id, counts),
        lambda: progress.update(bar, completed=counts["provisioned"]),
    )
    if not provisioned.accounts:
        raise SetupFailed(f"no fan could be provisioned: {dict(provisioned.failures)}")
    summary = SetupSummary(
        len(provisioned.accounts), dict(provisioned.failures), perf_counter() - started
    )
    return ids[0], summary, provisioned.accounts


async def _measure(config: RushConfig, run_id: str, progress: Progress) -> _Measured:
    clients = [
        HttpClient(url, config.connections, Recorder(perf_counter()), config.shop_connections)
        for url in config.base_urls
    ]
    try:
        async with asyncio.timeout(config.setup_timeout):
            concert_id, setup, accounts = await _setup(clients, config, run_id, progress)
        ceiling = None
        bare_apps: list[BareFigure] = []
        async with contextlib.AsyncExitStack() as stack:
            bench = None
            if config.ceiling:
                progress.add_task(
                    "ceiling", total=None, detail=f"GET /healthz, {config.ceiling_seconds:g} s"
                )
                ceiling = await measure_ceiling(clients, config.connections, config.ceiling_seconds)
                bench = await stack.enter_async_context(_bare_bench(config))
                step = progress.add_task("bare apps", total=None, detail="")
                bare_apps = await measure_bare_apps(
                    bench, lambda detail: progress.update(step, detail=detail)
                )
            isolated = None
            if config.endpoints:
                step = progress.add_task("endpoints", total=None, detail="")
                isolated = await run_isolated(
                    clients,
                    config,
                    run_id,
                    ceiling.per_second if ceiling else None,
                    lambda detail: progress.update(step, detail=detail),
                    bench,
                )
        # The bare apps' servers are stopped before the sale.
        origin = perf_counter()
        recorder = Recorder(origin)
        ledger = SalesLedger(config.total_seats)
        context = SaleContext(
            config=config,
            concert_id=concert_id,
            run_id=run_id,
            origin=origin,
            ledger=ledger,
            waker=Waker(),
            stream=StreamSwitch(config.stream),
            rng=random.Random(config.seed),  # noqa: S311 - picking seats, not secrets
        )
        bar = progress.add_task("sale", total=len(accounts), detail="")

        def tick(done: int, sold: int, errors: int) -> None:
            detail = f"fans · {sold:,}/{config.total_seats:,} tickets sold · {errors:,} errors"
            progress.update(bar, completed=done, detail=detail)

        sale = await run_sale(clients, accounts, context, recorder, tick)
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    return _Measured(setup, ceiling, bare_apps, isolated, sale, recorder, ledger)


def _bare_bench(config: RushConfig) -> BareBench:
    """The bare apps, each on a server of its own with the servers' worker count and settings,
    driven by as many loops as GET /healthz had over every URL, for as long."""
    return BareBench(
        workers=config.ceiling_workers,
        server_env=dict(config.audit_env),
        loops=config.connections * len(config.base_urls),
        seconds=config.ceiling_seconds,
        logs=config.output_dir,
    )


def run_rush(config: RushConfig) -> int:
    """Play the rush and write the report; 0 if it passed, 1 if it failed, 2 if setup failed."""
    console = Console(stderr=True)
    run_id = secrets.token_hex(3)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    if config.lines > 1:
        return _run_lines(config, run_id, started_at, console)
    try:
        with _progress(config, console) as progress:
            measured = uvloop.run(_measure(config, run_id, progress))
    except (SetupFailed, TimeoutError) as error:
        reason = str(error) or f"setup took more than {config.setup_timeout:g} s"
        console.print(f"[red]rush stopped before the sale: {reason}")
        return EXIT_SETUP_FAILED
    audit = _audit(config, console, "sale over")
    report = build_report(
        config=config,
        run_id=run_id,
        started_at=started_at,
        setup=measured.setup,
        ceiling=measured.ceiling,
        bare_apps=measured.bare_apps,
        isolated=measured.isolated,
        sale=measured.sale,
        recorder=measured.recorder,
        ledger=measured.ledger,
        audit=audit,
    )
    _write(config, report, console)
    return 0 if report["verdict"]["ok"] else 1


def _audit(config: RushConfig, console: Console, over: str) -> AuditResult:
    """`boxoffice audit` on the deployment, unless --no-audit."""
    console.print(f"{over}; running boxoffice audit" if config.audit else over)
    if not config.audit:
        return AuditResult(False, True, None, "skipped (--no-audit)")
    return run_audit(dict(config.audit_env))


def _run_lines(config: RushConfig, run_id: str, started_at: str, console: Console) -> int:
    """`--lines N`: the sales at once and the quiet line (boxoffice_rush/lines.py)."""

    async def measure() -> LinesRun:
        async with asyncio.timeout(config.setup_timeout + config.duration + 60):
            return await measure_lines(config, run_id, lambda step: console.print(step))

    try:
        run = uvloop.run(measure())
    except (SetupFailed, TimeoutError) as error:
        console.print(f"[red]rush stopped: {error or 'it took too long'}")
        return EXIT_SETUP_FAILED
    audit = _audit(config, console, "sales over")
    report = build_lines_report(config, run_id, started_at, run, audit)
    folder = config.output_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lines.json").write_text(json.dumps(report, indent=1) + "\n")
    markdown = render_lines_markdown(report)
    (folder / "lines.md").write_text(markdown)
    print(markdown)
    console.print(f"report: {folder / 'lines.md'}, {folder / 'lines.json'}")
    return 0 if report["verdict"]["ok"] else 1


def _write(config: RushConfig, report: dict[str, Any], console: Console) -> None:
    folder = config.output_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rush.json").write_text(json.dumps(report, indent=1) + "\n")
    markdown = render_markdown(report)
    (folder / "rush.md").write_text(markdown)
    try:
        write_chart(report["timeline"], f"Rush {report['run_id']}", folder / "rush.png")
    except ImportError:
        console.print("[yellow]no chart: install matplotlib for rush.png")
    print(markdown)
    console.print(f"report: {folder / 'rush.md'}, {folder / 'rush.json'}, {folder / 'rush.png'}")
