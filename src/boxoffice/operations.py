"""Operations routes (no /api/v1 prefix): liveness, readiness, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import weakref
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel
from starlette.responses import Response

from boxoffice.bootstrap import Container
from boxoffice.platform.database import answering
from boxoffice.platform.errors import MetricsUnauthorized
from boxoffice.platform.lean_route import LeanRoute
from boxoffice.platform.migrate import SchemaState, schema_state
from boxoffice.platform.openapi import problem_responses
from boxoffice.platform.problems import NOT_READY

router = APIRouter(tags=["operations"], route_class=LeanRoute)
JSON = "application/json"


class Health(BaseModel):
    status: Literal["ok"]


_HEALTHY = Health(status="ok").model_dump_json().encode()


@router.get("/healthz", response_model=Health, responses=problem_responses())
async def healthz() -> Response:
    """200 while the process lives."""
    # The body as bytes, made once: the load balancer's probe costs no serialization.
    return Response(_HEALTHY, media_type=JSON)


async def _check(answered_lately: bool, probe: Callable[[], Awaitable[str]], seconds: float) -> str:
    """ "ok", or what went wrong: the probe's answer, an error's class name or "timeout". A
    dependency that answered requests lately is not probed (`platform/readiness.py`)."""
    if answered_lately:
        return "ok"
    try:
        async with asyncio.timeout(seconds):
            return await probe()
    except TimeoutError:
        return "timeout"
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return error.__class__.__name__


async def _container(request: Request) -> Container:
    # The operations routes are part of the composition, as the app is: they see the wiring.
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(_container)]


# The engines whose schema a probe found migrated to this version: until one has, a database
# that answers requests is probed all the same (a database never migrated, or restored from
# before the newest migration, answers every request with an error). The app reads it as it
# starts (`read_schema_at_start`), before a rush takes every pooled connection a probe needs.
_MIGRATED: weakref.WeakSet[object] = weakref.WeakSet()


async def read_schema_at_start(container: Container) -> None:
    """Probe the database's schema once, as the app starts; a database that does not answer
    yet is probed by /readyz later."""
    seconds = container.settings.request_deadline_seconds / 2
    with contextlib.suppress(Exception):  # any failure: /readyz probes and names it
        async with asyncio.timeout(seconds):
            await _database_answers(container)


async def _database_answers(container: Container) -> str:
    engine = container.engine
    async with engine.connect() as connection:
        state = await connection.run_sync(schema_state)
    if state is SchemaState.BEHIND:
        _MIGRATED.discard(engine.sync_engine)
        return "not migrated to this version (run boxoffice migrate)"
    _MIGRATED.add(engine.sync_engine)
    return "ok"


async def _store_answers(container: Container) -> str:
    return "ok" if await container.store.ping() else "no answer"


@router.get(
    "/readyz",
    responses={
        200: {"description": "Every dependency answers: `checks` says ok for each"},
        **problem_responses(NOT_READY),
    },
)
async def readyz(container: ContainerDep) -> Response:
    """200 only when the database and the waiting-room store answer (requests found them
    answering lately, or a probe does now) and the database is migrated to this version (a
    probe found it so); each one's state either way."""
    # Within half the request deadline: a probe's time, so that readiness itself answers when
    # a dependency hangs, and how long ago requests must have found a dependency answering.
    seconds = container.settings.request_deadline_seconds / 2
    database, store = await asyncio.gather(
        _check(
            answering(container.engine).lately(seconds)
            and container.engine.sync_engine in _MIGRATED,
            lambda: _database_answers(container),
            seconds,
        ),
        _check(
            container.store.answered_lately(seconds), lambda: _store_answers(container), seconds
        ),
    )
    checks = {"database": database, "waiting_room": store}
    failures = [f"{name}: {state}" for name, state in checks.items() if state != "ok"]
    if failures:
        return NOT_READY.answer(
            "; ".join(failures),
            headers={"Retry-After": "1"},
            checks=checks,
        )
    return Response(orjson.dumps({"status": "ready", "checks": checks}), media_type=JSON)


@router.get("/metrics", response_class=Response, responses=problem_responses(MetricsUnauthorized))
async def metrics_text(container: ContainerDep, request: Request) -> Response:
    """Prometheus text; with several workers, the sum over all of them. With a metrics token
    configured, only for `Authorization: Bearer <token>`: the figures include money totals."""
    token = container.settings.metrics_token
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}".encode()
        sent = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(sent, expected):
            raise MetricsUnauthorized()
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
