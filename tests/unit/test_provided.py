"""What routes are handed (platform/provided.py): one object of each type, asked for by type,
and an app that lacks one fails when it is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from boxoffice.app import create_app
from boxoffice.bootstrap import Container
from boxoffice.catalog.dependencies import CatalogDeps
from boxoffice.payments.dependencies import PaymentsDeps
from boxoffice.platform import provided as provided_module
from boxoffice.platform.provided import Provided, provided
from boxoffice.reservations.dependencies import ReservationsDeps
from boxoffice.settings import Settings
from boxoffice.waiting_room.dependencies import PassGate, QueueDeps


@pytest.fixture(autouse=True)
def _asked_here_stays_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """What this module's own routes ask for is not asked of the apps of other tests."""
    monkeypatch.setattr(provided_module, "_ASKED", set(provided_module._ASKED))


@dataclass(frozen=True)
class Greeting:
    text: str


@dataclass(frozen=True)
class NeverProvided:
    pass


async def test_a_route_gets_the_object_of_the_type_it_asks_for() -> None:
    app = FastAPI()
    app.state.provided = Provided(Greeting("hello"), 42)

    @app.get("/")
    async def greet(greeting: Annotated[Greeting, Depends(provided(Greeting))]) -> str:
        return greeting.text

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/")).json() == "hello"


def test_two_objects_of_one_type_are_refused() -> None:
    with pytest.raises(ValueError, match="two Greeting"):
        Provided(Greeting("a"), Greeting("b"))


def test_an_app_missing_what_a_route_asks_for_fails_when_built() -> None:
    provided(NeverProvided)  # as a route module declaring it does, when it is imported
    with pytest.raises(LookupError, match="NeverProvided"):
        Provided(Greeting("hello")).check()


def test_the_app_provides_what_its_routes_ask_for_and_shares_one_of_each(
    settings: Settings,
) -> None:
    app = create_app(settings, background=False)  # checks, and would fail, as it builds
    container: Container = app.state.container
    found: Provided = app.state.provided
    listings = {
        id(found.get(kind).listings) for kind in (CatalogDeps, ReservationsDeps, PaymentsDeps)
    }
    assert listings == {id(container.listings)}  # a hold here makes the maps here stale
    assert found.get(QueueDeps).waiting_room is container.waiting_room
    assert found.get(PassGate).waiting_room is container.waiting_room
    assert found.get(PaymentsDeps).waiting_room is container.waiting_room
