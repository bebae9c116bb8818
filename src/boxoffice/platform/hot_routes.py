"""Routes served by Starlette directly, ahead of FastAPI's routing and dependency solving.

On the hottest read of a rush (a waiting fan's status poll) FastAPI's route matching through
the included routers and its dependency graph cost about 200 µs a request in-process, measured
against 55 µs for a plain Starlette route (one worker, this kind of machine; see
docs/benchmarks.md). A hot route is inserted first in the app's routes, so it answers before
FastAPI sees the request; the FastAPI route of the same path stays registered for the OpenAPI
document and calls the same code. Errors raised here are mapped by the same exception handlers
(`platform.problems`), and the route template is set for the metrics middleware.

A hot route with a `fallback` (the FastAPI route's own ASGI app, `fastapi_route_app`) serves
only the requests it recognizes as well formed: its endpoint answers None for anything else
(a body that is not JSON or does not validate, a header out of bounds), and the request, its
body replayed, goes to FastAPI's route, whose answer (a 422 problem with its field errors, in
FastAPI's own order of checks) is then the only one there is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
# Answers None to leave the request to the fallback.
FastPath = Callable[[Request], Awaitable[Response | None]]


class Delegate(Response):
    """Hands the request to another ASGI app, with the body this route has already read."""

    def __init__(self, app: ASGIApp, body: bytes) -> None:
        super().__init__()
        self._app = app
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": self._body, "more_body": False}
            return await receive()  # after the body: the client's disconnect, as usual

        await self._app(scope, replay, send)


def fastapi_route_app(router: APIRouter, path: str, method: str) -> ASGIApp:
    """The ASGI app of `router`'s route for `method path` (a route without path parameters)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            return route.app
    raise LookupError(f"no FastAPI route {method} {path}")


class HotRoute(Route):
    """A Starlette route that also names itself in the scope, as FastAPI's routes do."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint | FastPath,
        methods: Sequence[str],
        fallback: ASGIApp | None = None,
    ) -> None:
        self.fast_path = endpoint
        self.fallback = fallback
        served = endpoint if fallback is None else self._fast_or_fallback
        super().__init__(path, served, methods=list(methods), include_in_schema=False)

    async def _fast_or_fallback(self, request: Request) -> Response:
        response = await self.fast_path(request)
        if response is None:
            assert self.fallback is not None
            return Delegate(self.fallback, await request.body())
        return response

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def install(app: FastAPI, routes: Sequence[HotRoute]) -> None:
    """Put `routes` ahead of every other route of `app`."""
    existing: list[Any] = list(app.router.routes)
    app.router.routes[:] = [*routes, *existing]
