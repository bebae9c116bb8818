"""`boxoffice rush`: its options, parsed here so that `boxoffice` itself stays light to start."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Annotated

import typer

from boxoffice_rush.config import (
    RushConfig,
    TargetRefused,
    check_local_url,
    descriptor_limit_for,
    read_env_file,
)
from boxoffice_rush.gc_tuning import tune_garbage_collector

__all__ = ["main", "rush_app"]

rush_app = typer.Typer(add_completion=False)

_SIZE = "Size of the sale"
_POLICY = "Admission policy"
_LOAD = "Load and limits"
_REPORT = "Report"


def _urls(values: list[str] | None) -> tuple[str, ...]:
    try:
        return tuple(check_local_url(url) for url in values or ["http://127.0.0.1:8000"])
    except TargetRefused as error:
        raise typer.BadParameter(str(error), param_hint="--url") from None


def _audit_env(path: Path | None) -> tuple[tuple[str, str], ...]:
    if path is None:
        return ()
    try:
        return tuple(read_env_file(path).items())
    except (OSError, ValueError) as error:
        raise typer.BadParameter(str(error), param_hint="--audit-env-file") from None


@rush_app.command()
def rush(
    admin_key: Annotated[
        str, typer.Option(envvar="BOXOFFICE_ADMIN_KEY", help="The deployment's admin key")
    ],
    url: Annotated[
        list[str] | None,
        typer.Option(help="Base URL; repeat to spread fans over several (loopback only)"),
    ] = None,
    dates: Annotated[int, typer.Option(min=1, rich_help_panel=_SIZE)] = 2,
    seats: Annotated[int, typer.Option(min=1, help="Seats per date", rich_help_panel=_SIZE)] = 500,
    fans: Annotated[int, typer.Option(min=1, rich_help_panel=_SIZE)] = 1500,
    price: Annotated[int, typer.Option(min=0, rich_help_panel=_SIZE)] = 50_000,
    max_active: Annotated[int, typer.Option(min=1, rich_help_panel=_POLICY)] = 300,
    admit_per_minute: Annotated[int, typer.Option(min=1, rich_help_panel=_POLICY)] = 60_000,
    active_ttl: Annotated[
        int, typer.Option(min=10, help="Seconds an admitted pass lives", rich_help_panel=_POLICY)
    ] = 300,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Fans in flight at once", rich_help_panel=_LOAD)
    ] = 1000,
    connections: Annotated[
        int, typer.Option(min=1, help="Requests in flight per URL", rich_help_panel=_LOAD)
    ] = 64,
    shop_connections: Annotated[
        int,
        typer.Option(
            min=0,
            help="Requests in flight per URL for admitted fans, on connections of their own "
            "(0: they share the line's)",
            rich_help_panel=_LOAD,
        ),
    ] = 64,
    duration: Annotated[
        float, typer.Option(min=1, help="Seconds the sale may last", rich_help_panel=_LOAD)
    ] = 180.0,
    setup_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds provisioning may last", rich_help_panel=_LOAD)
    ] = 300.0,
    stream: Annotated[
        bool,
        typer.Option(help="Wait on GET /queue/stream (polls if 404)", rich_help_panel=_LOAD),
    ] = False,
    hold_tries: Annotated[
        int, typer.Option(min=1, help="Holds a fan tries before giving up", rich_help_panel=_LOAD)
    ] = 3,
    seed: Annotated[int | None, typer.Option(help="Seed of the fans' choices")] = None,
    lines: Annotated[
        int,
        typer.Option(
            min=1,
            help="Sales at once, each a concert (of --dates x --seats) with a line of its own; "
            "the fans are dealt to them in turn, and a quiet line is timed alone and beside them "
            "(report: lines.md)",
            rich_help_panel=_SIZE,
        ),
    ] = 1,
    quiet_seconds: Annotated[
        float,
        typer.Option(
            min=1,
            help="With --lines: seconds the quiet line is timed, alone and beside the sales",
            rich_help_panel=_REPORT,
        ),
    ] = 10.0,
    ceiling: Annotated[
        bool,
        typer.Option(
            help="Measure GET /healthz first, then bare apps (nothing; one Redis; one PostgreSQL; "
            "one of each; two Redis and one PostgreSQL round trips per request) under the same "
            "server, each endpoint's reference (with --endpoints, measured again right before "
            "and right after the endpoint's step)",
            rich_help_panel=_REPORT,
        ),
    ] = False,
    ceiling_seconds: Annotated[float, typer.Option(min=1, rich_help_panel=_REPORT)] = 10.0,
    ceiling_workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes of the servers under test: the bare apps run with as many "
            "(their Redis and PostgreSQL are those of --audit-env-file)",
            rich_help_panel=_REPORT,
        ),
    ] = 1,
    endpoints: Annotated[
        bool,
        typer.Option(
            help="After the ceiling, drive each hot endpoint alone (join, status poll, seat map, "
            "hold, pay) on a concert of its own, and rate each against the ceiling",
            rich_help_panel=_REPORT,
        ),
    ] = False,
    endpoint_seconds: Annotated[
        float, typer.Option(min=1, help="Seconds each endpoint runs alone", rich_help_panel=_REPORT)
    ] = 8.0,
    endpoint_join_fans: Annotated[
        int,
        typer.Option(
            min=0,
            help="Fresh fans for the join step (0: sized from the ceiling)",
            rich_help_panel=_REPORT,
        ),
    ] = 0,
    endpoint_active_fans: Annotated[
        int,
        typer.Option(
            min=0,
            help="Admitted fans for the seat map, hold and pay steps (0: sized from the ceiling)",
            rich_help_panel=_REPORT,
        ),
    ] = 0,
    output_dir: Annotated[Path, typer.Option(rich_help_panel=_REPORT)] = Path("var/rush"),
    audit: Annotated[
        bool, typer.Option(help="Run boxoffice audit after the sale", rich_help_panel=_REPORT)
    ] = True,
    audit_env_file: Annotated[
        Path | None,
        typer.Option(
            help="KEY=VALUE file of the servers' BOXOFFICE_* settings, for the audit and the "
            "ceiling's bare apps"
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
) -> None:
    """Play a real ticket sale against a running deployment and report speed and correctness.

    Exit code: 0 passed; 1 the audit failed or a seat was paid for twice; 2 the setup failed.
    """
    from boxoffice_rush.runner import run_rush

    try:
        config = RushConfig(
            base_urls=_urls(url),
            admin_key=admin_key,
            output_dir=output_dir,
            dates=dates,
            seats=seats,
            fans=fans,
            price=price,
            concurrency=concurrency,
            connections=connections,
            shop_connections=shop_connections,
            max_active=max_active,
            admit_per_minute=admit_per_minute,
            active_ttl_seconds=active_ttl,
            duration=duration,
            setup_timeout=setup_timeout,
            stream=stream,
            ceiling=ceiling,
            ceiling_seconds=ceiling_seconds,
            ceiling_workers=ceiling_workers,
            endpoints=endpoints,
            endpoint_seconds=endpoint_seconds,
            endpoint_join_fans=endpoint_join_fans,
            endpoint_active_fans=endpoint_active_fans,
            hold_tries=hold_tries,
            audit=audit,
            audit_env=_audit_env(audit_env_file),
            progress=progress,
            seed=seed,
            lines=lines,
            quiet_seconds=quiet_seconds,
        )
        _allow_open_files(config)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    # Thousands of fans in one process: its garbage collector is tuned like a server's.
    tune_garbage_collector()
    raise typer.Exit(run_rush(config))


def _allow_open_files(config: RushConfig) -> None:
    """Raise this process's open-file limit as far as the rush needs (a load generator's usual
    first step), or refuse the run before any request if the hard limit is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = hard == resource.RLIM_INFINITY
    wanted = descriptor_limit_for(config, soft, None if unlimited else hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main(args: list[str]) -> None:
    """Run `boxoffice rush` with these arguments; exits the process with its code."""
    typer.main.get_command(rush_app).main(args=args, prog_name="boxoffice rush")
