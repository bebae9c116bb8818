"""Operations routes (no /api/v1 prefix): liveness, readiness, metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text
from starlette.responses import Response

from boxoffice.platform.dependencies import ContainerDep
from boxoffice.platform.problems import problem_response

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A backing service does not answer"}})
async def readyz(container: ContainerDep) -> Response:
    """200 only when the database and the waiting-room store answer."""
    failures = []
    try:
        async with container.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        failures.append(f"database: {error.__class__.__name__}")
    try:
        if not await container.store.ping():
            failures.append("waiting-room store: no answer")
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        failures.append(f"waiting-room store: {error.__class__.__name__}")
    if failures:
        return problem_response(
            503, "NOT_READY", "Not ready", "; ".join(failures), headers={"Retry-After": "1"}
        )
    return Response(b'{"status":"ready"}', media_type="application/json")


@router.get("/metrics", response_class=Response)
async def metrics_text() -> Response:
    """Prometheus text; with several workers, the sum over all of them."""
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
