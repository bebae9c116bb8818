"""`LeanRoute` (platform/lean_route.py) answers every request exactly as FastAPI's own handler
answers it for the same route: the same values, the same validation errors in the same order,
the same dependencies called in the same order, once each; and routes the plan does not cover
are served by FastAPI's handler.

No `from __future__ import annotations`: the routes below name dependencies local to `_app`,
which FastAPI could not find from a string."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Form, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.routing import Match

from boxoffice.platform.lean_route import LeanRoute


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    count: int = Field(ge=1)


class ItemOut(BaseModel):
    name: str
    total: int


def _app(route_class: type, calls: list[str]) -> FastAPI:
    app = FastAPI()
    # Routes listed into an app see its dependency overrides only through their router.
    router = APIRouter(prefix="/x", route_class=route_class, dependency_overrides_provider=app)

    async def account(authorization: Annotated[str | None, Header()] = None) -> str:
        calls.append("account")
        if authorization is None:
            from fastapi import HTTPException

            raise HTTPException(401, "no account")
        return authorization

    async def limit(request: Request, page: Annotated[int, Query(ge=1)] = 1) -> int:
        calls.append("limit")
        return page

    async def gate(
        who: Annotated[str, Depends(account)],
        token: Annotated[str | None, Header(alias="X-Token", max_length=4)] = None,
    ) -> str:
        calls.append("gate")
        return f"{who}/{token}"

    @router.get("/items/{item_id}")
    async def read(
        item_id: Annotated[int, Path(ge=1)],
        who: Annotated[str, Depends(account)],
        passed: Annotated[str, Depends(gate)],
        page: Annotated[int, Depends(limit)],
        tags: Annotated[list[str] | None, Query()] = None,
        flag: bool = False,
        token: Annotated[str | None, Header(alias="X-Token", max_length=4)] = None,
        x_trace_id: Annotated[str | None, Header()] = None,  # read as X-Trace-Id
    ) -> dict[str, Any]:
        return {
            "id": item_id,
            "who": who,
            "passed": passed,
            "page": page,
            "tags": tags,
            "flag": flag,
            "token": token,
            "trace": x_trace_id,
        }

    @router.post("/items", status_code=201, response_model=ItemOut)
    async def create(item: Item, who: Annotated[str, Depends(account)]) -> ItemOut:
        return ItemOut(name=item.name, total=item.count * 2)

    @router.post("/plain", status_code=202)
    async def plain(item: Item) -> Response:
        return Response(item.model_dump_json(), media_type="application/json")

    @router.delete("/items/{item_id}", status_code=204)
    async def delete(item_id: int) -> None:
        return None

    async def with_yield() -> AsyncIterator[int]:
        yield 1

    @router.get("/yielding")
    async def yielding(value: Annotated[int, Depends(with_yield)]) -> dict[str, int]:
        return {"value": value}

    @router.post("/form")
    async def form(name: Annotated[str, Form()]) -> dict[str, str]:
        return {"name": name}

    app.router.routes.extend(router.routes)
    return app


AUTH = {"Authorization": "Bearer a"}
CASES: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("GET", "/x/items/3", AUTH, None),
    (
        "GET",
        "/x/items/3?page=2&flag=yes&tags=a&tags=b",
        {**AUTH, "X-Token": "abcd", "X-Trace-Id": "t1"},
        None,
    ),
    ("GET", "/x/items/0?page=0&flag=maybe", {**AUTH, "X-Token": "toolong"}, None),
    ("GET", "/x/items/abc", {}, None),
    ("GET", "/x/items/3", {}, None),
    ("POST", "/x/items", {**AUTH, "Content-Type": "application/json"}, b'{"name":"a","count":2}'),
    ("POST", "/x/items", {**AUTH, "Content-Type": "application/json"}, b'{"name":"","count":0}'),
    ("POST", "/x/items", {**AUTH, "Content-Type": "application/json"}, b'{"name":'),
    ("POST", "/x/items", {**AUTH, "Content-Type": "application/json"}, b""),
    ("POST", "/x/items", AUTH, b'{"name":"a","count":2}'),  # no type: strict, not read as JSON
    ("POST", "/x/items", {**AUTH, "Content-Type": "text/plain"}, b'{"name":"a","count":2}'),
    (
        "POST",
        "/x/items",
        {**AUTH, "Content-Type": "application/merge-patch+json; charset=utf-8"},
        b'{"name":"a","count":2}',
    ),
    ("POST", "/x/items", {"Content-Type": "application/json"}, b'{"name":"a","count":2}'),
    ("POST", "/x/plain", {"Content-Type": "application/json"}, b'{"name":"b","count":1}'),
    ("POST", "/x/plain", {"Content-Type": "application/json"}, b"[1]"),
    ("DELETE", "/x/items/4", {}, None),
    ("DELETE", "/x/items/four", {}, None),
    ("GET", "/x/yielding", {}, None),
    ("POST", "/x/form", {"Content-Type": "application/x-www-form-urlencoded"}, b"name=z"),
    ("POST", "/x/form", {"Content-Type": "application/x-www-form-urlencoded"}, b""),
]


async def _answers(app: FastAPI, calls: list[str]) -> list[tuple[Any, ...]]:
    answers = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://lean") as client:
        for method, url, headers, body in CASES:
            calls.clear()
            response = await client.request(method, url, headers=headers, content=body)
            answers.append((method, url, response.status_code, response.content, list(calls)))
    return answers


async def test_a_lean_route_answers_as_fastapis_handler_does() -> None:
    lean_calls: list[str] = []
    fastapi_calls: list[str] = []
    lean = _app(LeanRoute, lean_calls)

    by_plan = await _answers(lean, lean_calls)
    by_fastapi = await _answers(_app(APIRoute, fastapi_calls), fastapi_calls)

    assert by_plan == by_fastapi
    statuses = [answer[2] for answer in by_plan]
    assert statuses == [
        200, 200, 422, 401, 401, 201, 422, 422, 422, 422, 422, 201, 401, 200, 422, 204, 422,
        200, 200, 422,
    ]  # fmt: skip
    # A dependency used twice (the account, by the route and by the gate) is called once.
    assert by_plan[0][4] == ["account", "gate", "limit"]


def test_what_the_plan_does_not_cover_is_served_by_fastapis_handler() -> None:
    routes = {
        (route.path, next(iter(route.methods))): route.planned
        for route in _app(LeanRoute, []).routes
        if isinstance(route, LeanRoute)
    }
    assert routes == {
        ("/x/items/{item_id}", "GET"): True,
        ("/x/items", "POST"): True,
        ("/x/plain", "POST"): True,
        ("/x/items/{item_id}", "DELETE"): True,
        ("/x/yielding", "GET"): False,  # a dependency with yield
        ("/x/form", "POST"): False,  # a form body
    }


@pytest.mark.parametrize("overridden", [False, True])
async def test_dependency_overrides_are_honoured(overridden: bool) -> None:
    calls: list[str] = []
    app = _app(LeanRoute, calls)
    [read] = [
        r
        for r in app.routes
        if isinstance(r, LeanRoute) and "GET" in r.methods and r.path == "/x/items/{item_id}"
    ]
    account = read.dependant.dependencies[0].call  # type: ignore[attr-defined]
    if overridden:

        async def someone_else() -> str:
            return "override"

        app.dependency_overrides[account] = someone_else
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lean") as client:
        response = await client.get("/x/items/1", headers=AUTH)
    assert response.json()["who"] == ("override" if overridden else "Bearer a")


PATHS = [
    "/x/items/3",
    "/x/items/three",
    "/x/items",
    "/x/items/",
    "/x/itemsz",
    "/x/items/3/more",
    "/x/plain",
    "/x/form",
    "/x",
    "/x/",
    "/y/items/3",
    "/",
    "",
]


@pytest.mark.parametrize("root_path", ["", "/x", "/y"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_lean_route_matches_every_path_as_fastapis_matching_does(
    root_path: str, method: str
) -> None:
    routes = [r for r in _app(LeanRoute, []).routes if isinstance(r, LeanRoute)]
    for route in routes:
        for path in PATHS:
            scope = {"type": "http", "method": method, "path": root_path + path}
            scope["root_path"] = root_path
            lean = route.matches(dict(scope))
            assert lean == APIRoute.matches(route, dict(scope)), (route.path, scope)


def test_a_path_without_a_routes_fixed_part_is_turned_down_without_fastapis_matching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [read] = [
        r
        for r in _app(LeanRoute, []).routes
        if isinstance(r, LeanRoute) and "GET" in r.methods and r.path == "/x/items/{item_id}"
    ]
    asked: list[str] = []

    def fastapis(self: APIRoute, scope: dict[str, Any]) -> Any:
        asked.append(scope["path"])
        return original(self, scope)

    original = APIRoute.matches
    monkeypatch.setattr(APIRoute, "matches", fastapis)
    scope = {"type": "http", "method": "GET", "root_path": ""}
    assert read.matches({**scope, "path": "/x/plain"}) == (Match.NONE, {})
    assert read.matches({**scope, "path": "/x/items/7"})[0] is Match.FULL
    # Under a root path the route's fixed part may follow it: FastAPI's matching decides.
    assert read.matches({**scope, "root_path": "/api", "path": "/api/x/items/7"})[0] is Match.FULL
    assert asked == ["/x/items/7", "/api/x/items/7"]
