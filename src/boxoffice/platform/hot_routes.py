"""Routes served by Starlette directly, ahead of FastAPI's routing and dependency solving.

On the hottest read of a rush (a waiting fan's status poll) FastAPI's route matching through
the included routers and its dependency graph cost about 200 µs a request in-process, measured
against 55 µs for a plain Starlette route (one worker, this kind of machine; see
docs/benchmarks.md). A hot route is inserted first in the app's routes, so it answers before
FastAPI sees the request; the FastAPI route of the same path stays registered for the OpenAPI
document and calls the same code. Errors raised here are mapped by the same exception handlers
(`platform.problems`), and the route template is set for the metrics middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

Endpoint = Callable[[Request], Awaitable[Response]]


class HotRoute(Route):
    """A Starlette route that also names itself in the scope, as FastAPI's routes do."""

    def __init__(self, path: str, endpoint: Endpoint, methods: Sequence[str]) -> None:
        super().__init__(path, endpoint, methods=list(methods), include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def install(app: FastAPI, routes: Sequence[HotRoute]) -> None:
    """Put `routes` ahead of every other route of `app`."""
    existing: list[Any] = list(app.router.routes)
    app.router.routes[:] = [*routes, *existing]
