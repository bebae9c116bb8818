"""The `boxoffice` command: serve, migrate, demo, audit, rush (and serve-bare, its yardstick)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from pydantic import ValidationError

from boxoffice.platform.secrets import ConfigurationError, resolve_keys
from boxoffice.settings import Settings

# How long a stopping server waits for the requests in flight before it cancels them. Event
# streams do not count against it: they end at once on SIGTERM (platform/draining.py).
GRACEFUL_SHUTDOWN_SECONDS = 10

T = TypeVar("T")
# prometheus_client's own files in PROMETHEUS_MULTIPROC_DIR (its `<kind>_<pid>.db`, gauges
# `gauge_<mode>_<pid>.db`): what `serve` empties of an earlier run's.
_METRIC_FILE_KINDS = ("counter", "gauge", "histogram", "summary")

app = typer.Typer(help="boxoffice: concert tickets sold fairly under a rush.", no_args_is_help=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        # Each problem by its variable, never with the value given: it may be a key.
        problems = "; ".join(
            f"BOXOFFICE_{'_'.join(str(part) for part in found['loc']).upper()}: {found['msg']}"
            for found in error.errors(include_input=False, include_url=False)
        )
        _fail(f"invalid settings: {problems}")
        raise  # not reached: _fail exits


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (PostgreSQL and Redis needed for >1)")
    ] = 1,
) -> None:
    """Serve the API and the web client."""
    settings = _settings()
    if workers > 1 and (not settings.redis_url or settings.is_sqlite):
        # The in-process store serves one process; SQLite writes one at a time, and a second
        # process's writes wait on the first's lock until they answer 503 BUSY.
        _fail(
            "--workers > 1 needs the shared waiting room and database: set "
            "BOXOFFICE_REDIS_URL and BOXOFFICE_DATABASE_URL (PostgreSQL). The embedded default "
            "(SQLite, in-process waiting room) serves one process."
        )
    try:
        keys = resolve_keys(settings)
    except ConfigurationError as error:
        _fail(str(error))
        return
    _check_urls(settings)
    _check_schema(settings)
    backend = "SQLite + in-process waiting room" if settings.is_embedded else "PostgreSQL/Redis"
    typer.echo(f"boxoffice on {backend}: http://{host}:{port}")
    if keys.admin_key_kept_at is not None:
        # Generated for the embedded default, so the newcomer can open the admin page; a key
        # set in the environment is never printed (it would land in every log).
        typer.echo(f"admin key: {keys.admin_key} (generated, kept in {keys.admin_key_kept_at})")
    # Several workers keep their metrics in files of a directory, which /metrics adds up (as it
    # does whenever PROMETHEUS_MULTIPROC_DIR is set): one of this run's own, or the one set,
    # emptied of an earlier run's files first (a worker whose pid an earlier one had would
    # carry on from its values).
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        for kind in _METRIC_FILE_KINDS:
            for stale in Path(given).glob(f"{kind}_*.db"):
                stale.unlink()
    if given or workers == 1:
        _run("boxoffice.app:create_served_app", settings, host, port, workers)
        return
    directory = tempfile.mkdtemp(prefix="boxoffice-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        _run("boxoffice.app:create_served_app", settings, host, port, workers)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _check_urls(settings: Settings) -> None:
    """Fail here, once, on a database or Redis URL no worker could use: with several workers,
    uvicorn would start each failing worker again, forever, and never exit. Nothing connects
    yet: the URLs are parsed, and the database's driver found."""
    from boxoffice.platform.database import create_engine
    from boxoffice.platform.redis import redis_client

    try:
        engine = create_engine(settings)
    except Exception as error:  # noqa: BLE001 - any of SQLAlchemy's; the URL never printed
        _fail(
            "BOXOFFICE_DATABASE_URL cannot be used by this install "
            f"({type(error).__name__}): use postgresql+asyncpg://... or leave it unset"
        )
        return
    engine.sync_engine.dispose()
    if settings.redis_url:
        try:
            redis_client(settings.redis_url, pool_size=1, timeout_seconds=1.0)
        except Exception as error:  # noqa: BLE001 - any of redis-py's; the URL never printed
            _fail(
                "BOXOFFICE_REDIS_URL cannot be used "
                f"({type(error).__name__}): use redis://host:port/db (rediss:// with TLS, "
                "redis+cluster:// for a Redis Cluster)"
            )


def _check_schema(settings: Settings) -> None:
    """Refuse to serve a database this version's migrations have not reached: every request
    would fail on a missing table or function. One that cannot be reached now is served (it
    may be restarting); `/readyz` reads its schema too, and says not ready while it is behind."""
    from boxoffice.platform.migrate import SchemaState, read_schema_state

    try:
        state = read_schema_state(settings)
    except Exception as error:  # noqa: BLE001 - any failure to connect; the URL never printed
        typer.echo(
            f"the database does not answer yet ({type(error).__name__}): serving anyway;"
            " /readyz says when it is ready"
        )
        return
    if state is SchemaState.BEHIND:
        _fail(
            "the database is not migrated to this version of boxoffice: run "
            "`boxoffice migrate` first (safe while other instances serve), then serve"
        )


def _run(factory: str, settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the app `factory` makes: the product, or a bare app under the very same server."""
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        # X-Forwarded-For is read by the app, from BOXOFFICE_TRUSTED_PROXIES only
        # (platform/client_address.py), not from uvicorn's FORWARDED_ALLOW_IPS.
        proxy_headers=False,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=settings.http_keep_alive_seconds,
    )


@app.command("serve-bare")
def serve_bare(
    kind: Annotated[
        str,
        typer.Argument(
            help="nothing | redis | postgres | redis_postgres | redis_postgres_redis: its round "
            "trips, in order"
        ),
    ],
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve a bare app (GET / after the round trips it is named for, nothing else) under the
    server and options `serve` uses: the physical limit `boxoffice rush --ceiling` measures."""
    from boxoffice.bare import KIND_VARIABLE, BareApp

    names = [bare.value for bare in BareApp]
    if kind not in names:
        _fail(f"no bare app {kind!r}; choose one of {', '.join(names)}")
    os.environ[KIND_VARIABLE] = kind  # read by every worker's factory
    _run("boxoffice.bare:create_app", _settings(), host, port, workers)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run again)."""
    from boxoffice.platform.migrate import repair_invalid_indexes, upgrade

    settings = _settings()
    upgrade(settings)
    # A concurrent build that failed leaves an invalid index, which the migration that builds it
    # skips when run again (and counts as done): rebuilt here, as concurrently.
    repaired = repair_invalid_indexes(settings)
    for name in repaired.dropped:
        typer.echo(f"dropped index {name}, left invalid by a rebuild that failed")
    for name in repaired.rebuilt:
        typer.echo(f"rebuilt index {name}, left invalid by a concurrent build that failed")
    if repaired.failed:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in repaired.failed.items())
        _fail(
            f"invalid index(es) left by a concurrent build that failed, not repaired ({reasons})."
            " Run boxoffice migrate again to repair them; do not drop them yourself."
        )
    typer.echo(f"database at the newest schema: {_safe_url(settings)}")


@app.command()
def demo() -> None:
    """Load the demo concert, once."""
    from boxoffice.bootstrap import build_container
    from boxoffice.demo import load_demo

    async def run() -> bool:
        container = build_container(_settings())
        try:
            async with container.uow() as uow:
                created = await load_demo(uow, container.clock.now())
                await uow.commit()
            return created
        finally:
            await container.close()

    created = _run_or_fail("the demo", run())
    typer.echo("demo concert loaded" if created else "demo concert already there")


@app.command()
def audit() -> None:
    """Check the invariants on the live database and waiting room; exit 1 on a violation, 2
    if the audit could not run (settings, or a dependency that does not answer)."""
    from boxoffice.audit import run_audit

    report = _run_or_fail("the audit", run_audit(_settings()))
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@app.command(
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def rush(context: typer.Context) -> None:
    """Play a ticket rush against a running deployment and report (`rush --help`: options)."""
    from boxoffice_rush.command import main as rush_main

    rush_main(context.args)


@app.command(
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def queue_depth(context: typer.Context) -> None:
    """Join and status latency with 1,000 and 1,000,000 waiting (`queue-depth --help`)."""
    from boxoffice_rush.queue_depth import main as queue_depth_main

    queue_depth_main(context.args)


def _run_or_fail(what: str, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s answer; if it fails, one line and exit 2 (an audit's 1 is a violation)."""
    try:
        return asyncio.run(work)
    except Exception as error:
        # The error's type and first line: the rest may name a URL or quote a statement.
        first = str(error).splitlines()[0] if str(error) else ""
        _fail(f"{what} could not run: {type(error).__name__}: {first}")
        raise  # not reached: _fail exits


def _safe_url(settings: Settings) -> str:
    """The database URL without its credentials or query (a password may be given as
    `?password=`): driver, host, port and database."""
    from sqlalchemy.engine import URL, make_url

    url = make_url(settings.effective_database_url)
    shown = URL.create(url.drivername, host=url.host, port=url.port, database=url.database)
    text = shown.render_as_string()
    return text.replace("://", "://***@", 1) if url.username or url.password else text


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
