"""Hot routes (platform/hot_routes.py): a status poll served by Starlette directly answers
exactly as FastAPI's own route does, is counted under its template, and stays documented."""

from __future__ import annotations

from typing import Any

import httpx

from boxoffice.platform.hot_routes import HotRoute

from .support import assert_problem

STATUS = "/api/v1/queue/status"


def _hot_routes(app: Any) -> list[HotRoute]:
    return [route for route in app.router.routes if isinstance(route, HotRoute)]


async def _answers(shop, fan, client: httpx.AsyncClient) -> list[tuple[int, Any]]:
    """A run of polls covering every answer of the endpoint but 429 (tested below)."""
    other = await shop.sign_up()
    await shop.join(other)
    auth = fan.auth["Authorization"]
    cases: list[dict[str, str]] = [
        {},  # no account
        {"Authorization": "Basic " + auth[7:]},  # not a bearer
        {"Authorization": "Bearer"},  # no token
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": auth},  # no pass
        {"Authorization": auth, "X-Queue-Token": "forged"},
        {"Authorization": auth, "X-Queue-Token": str(other.queue_token)},  # another fan's
        fan.with_pass,
    ]
    answers = []
    for headers in cases:
        response = await client.get(STATUS, headers=headers)
        body = response.json()
        answers.append((response.status_code, body))
    return answers


async def test_the_hot_status_route_answers_as_fastapis_route_does(app, shop, client) -> None:
    hot = _hot_routes(app)
    assert [route.path for route in hot] == [STATUS]
    fan = await shop.sign_up()
    await shop.join(fan)
    await shop.sign_up()  # the names below follow on from here in both runs

    served_hot = await _answers(shop, fan, client)
    for route in hot:
        app.router.routes.remove(route)
    try:
        served_by_fastapi = await _answers(shop, fan, client)
    finally:
        app.router.routes[:0] = hot

    assert served_hot == served_by_fastapi
    codes = [body.get("code", status) for status, body in served_hot]
    assert codes == [
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "QUEUE_TOKEN_INVALID",
        "QUEUE_TOKEN_INVALID",
        "QUEUE_TOKEN_FORBIDDEN",
        200,
    ]


async def test_a_paced_poll_is_refused_by_the_hot_route(app, shop, client) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    shop.container.settings.poll_pace_ratio = 1.0
    for _ in range(5):
        await shop.join(await shop.sign_up())  # a line, so the advised interval is > 0
    first = await client.get(STATUS, headers=fan.with_pass)
    assert first.status_code == 200

    again = await client.get(STATUS, headers=fan.with_pass)

    assert_problem(again, 429, "RATE_LIMITED")
    assert int(again.headers["Retry-After"]) >= 1


async def test_a_wrong_method_on_the_hot_path_is_405(client) -> None:
    assert_problem(await client.post(STATUS), 405, "METHOD_NOT_ALLOWED")


async def test_hot_polls_are_counted_under_their_route_template(shop, client) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    await shop.queue_status(fan)

    metrics = (await client.get("/metrics")).text

    assert f'route="{STATUS}",status="200"' in metrics


async def test_the_hot_route_stays_in_the_openapi_document(client) -> None:
    document = (await client.get("/openapi.json")).json()

    operation = document["paths"][STATUS]["get"]
    assert "X-Queue-Token" in [parameter["name"] for parameter in operation["parameters"]]
    assert operation["security"] == [{"HTTPBearer": []}]
