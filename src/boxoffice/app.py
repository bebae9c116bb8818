"""The app factory: wiring, lifespan (background work), error mapping and the web client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.resources import files
from pathlib import Path

import structlog
from fastapi import FastAPI
from starlette.responses import FileResponse
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from boxoffice import __version__, operations
from boxoffice.accounts.router import router as accounts_router
from boxoffice.background import admission_loop, seat_news_loop, sweeper_loop
from boxoffice.board.router import router as board_router
from boxoffice.bootstrap import Container, build_container
from boxoffice.catalog.router import admin_router as catalog_admin_router
from boxoffice.catalog.router import router as catalog_router
from boxoffice.payments.router import router as payments_router
from boxoffice.platform.api_docs import install_api_docs
from boxoffice.platform.cancellation import finish_all
from boxoffice.platform.client_address import TrustedProxiesMiddleware
from boxoffice.platform.clock import Clock
from boxoffice.platform.deadline import DeadlineMiddleware
from boxoffice.platform.draining import Draining
from boxoffice.platform.lanes import PollLaneMiddleware
from boxoffice.platform.logging import configure_logging
from boxoffice.platform.metrics import MetricsMiddleware, forget_dead_workers
from boxoffice.platform.problems import install_problem_handlers
from boxoffice.platform.request_size import RequestSizeMiddleware
from boxoffice.platform.runtime import tune_garbage_collector
from boxoffice.platform.security_headers import SecurityHeadersMiddleware
from boxoffice.reservations.router import router as reservations_router
from boxoffice.settings import Settings
from boxoffice.waiting_room.router import admin_router as queue_admin_router
from boxoffice.waiting_room.router import router as queue_router
from boxoffice.waiting_room.store import WaitingRoomStore
from boxoffice.waiting_room.stream import STREAM_PATH
from boxoffice.waiting_room.stream_slots import StreamSlots
from boxoffice.wallet.router import router as wallet_router

WEB_DIR = Path(str(files("boxoffice") / "web"))
BACKGROUND_STOP_SECONDS = 5.0
_log = structlog.get_logger(__name__)


def _routes() -> list[BaseRoute]:
    """Every route, listed rather than included (see `platform.lean_route`), in the order they
    are matched, each tried costing about a microsecond: the load balancer's probes (few routes,
    static paths) first, then the API in the order of a rush's traffic, the admin's last."""
    routers = (
        operations.router,
        queue_router,
        catalog_router,
        reservations_router,
        payments_router,
        wallet_router,
        accounts_router,
        catalog_admin_router,
        queue_admin_router,
        board_router,
    )
    return [route for router in routers for route in router.routes]


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    store: WaitingRoomStore | None = None,
    background: bool = True,
) -> FastAPI:
    """Build the ASGI app. `uvicorn --factory boxoffice.app:create_app` reads the environment.

    `boxoffice serve` runs `create_served_app` instead: the same app in a tuned process.
    """
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    container = build_container(settings, clock=clock, store=store)
    draining = Draining()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await operations.read_schema_at_start(container)
        tasks = []
        if background:
            tasks = [
                asyncio.create_task(admission_loop(container), name="admission"),
                asyncio.create_task(sweeper_loop(container), name="sweeper"),
                asyncio.create_task(seat_news_loop(container), name="seat-news"),
            ]
        try:
            # The server's SIGTERM now also ends the event streams at once (platform.draining).
            with draining.on_signals():
                yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: a loop that lost its cancel anyway (platform/cancellation.py) costs a
            # logged, slower stop, not a process that waits until it is killed.
            if tasks:
                done, running = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_SECONDS)
                for ended in done:
                    if not ended.cancelled() and ended.exception() is not None:
                        _log.warning("background_task_failed", task=ended.get_name())
                for stuck in running:
                    stuck.cancel()  # once more; it may yet stop as the process ends
                    _log.warning("background_task_did_not_stop", task=stuck.get_name())
            # Payments whose requests were cut off and that still finish (their pass used up
            # after their commit) need the connections the container closes.
            unfinished = await finish_all(2 * settings.request_deadline_seconds)
            if unfinished:
                _log.warning("work_after_cancel_did_not_finish", count=unfinished)
            await container.close()

    app = FastAPI(
        title="boxoffice",
        version=__version__,
        summary="Concert tickets sold fairly under a rush: a waiting room in front of a shop.",
        lifespan=lifespan,
        docs_url=None,  # served from the package instead (platform/api_docs.py)
        redoc_url=None,
        routes=_routes(),
        # A path with a slash too many is a 404 problem like any unknown path, not a redirect
        # built from the client's Host header (a bodyless 307 to wherever it named).
        redirect_slashes=False,
        # The service reports through Prometheus and structlog (docs/operations.md), not
        # OpenTelemetry: FastAPI's bridge to it off, which otherwise asks OpenTelemetry on
        # every request whether a provider was set up since (3.3 µs a request on this host).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container  # for the operations routes and the lifespan
    app.state.provided = container.provided()  # what the domains' routes are handed
    app.state.provided.check()
    app.state.draining = draining
    app.state.stream_slots = StreamSlots(
        settings.stream_max_per_pass, settings.stream_max_per_account
    )
    install_problem_handlers(app)
    app.add_middleware(
        PollLaneMiddleware,
        poll_concurrency=settings.poll_concurrency,
        poll_concurrency_shop_busy=settings.poll_concurrency_shop_busy,
    )
    app.add_middleware(
        DeadlineMiddleware,
        seconds=settings.request_deadline_seconds,
        exempt_paths=frozenset({STREAM_PATH}),
    )
    # Outside every route and credential check; inside the metrics, which count its refusals.
    app.add_middleware(
        RequestSizeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(TrustedProxiesMiddleware, trusted=settings.trusted_networks)
    # Last added, so outermost: every answer carries the headers, a refusal by any middleware too.
    app.add_middleware(SecurityHeadersMiddleware)
    install_api_docs(app)
    _serve_web_client(app)
    return app


def _serve_web_client(app: FastAPI) -> None:
    """The client's files at `/` (index.html), `/<file>` and `/js/...`, and all under `/static`.

    Routes per top-level file rather than a catch-all mount at `/`, so that a wrong method on
    an API path still answers 405 and an unknown API path 404 problem+json.
    """
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    app.mount("/js", StaticFiles(directory=WEB_DIR / "js"), name="web-js")
    app.add_api_route("/", _file_endpoint(WEB_DIR / "index.html"), include_in_schema=False)
    for path in sorted(WEB_DIR.iterdir()):
        if path.is_file():
            app.add_api_route(f"/{path.name}", _file_endpoint(path), include_in_schema=False)


def _file_endpoint(path: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve_file() -> FileResponse:
        return FileResponse(path)

    return serve_file


def create_served_app() -> FastAPI:
    """The app as each `boxoffice serve` worker runs it: built, then the process tuned.

    Apart from `create_app` because the tuning is for the whole process (it freezes what exists
    once the app is built out of garbage collection), which a test building many apps must not do.
    A worker that starts (one replacing a worker that was killed, say) also stops the metrics
    of the workers that are gone from counting.
    """
    forget_dead_workers()
    app = create_app()
    tune_garbage_collector()
    return app


__all__ = ["Container", "create_app", "create_served_app"]
