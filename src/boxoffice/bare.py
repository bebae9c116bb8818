"""Bare apps: the physical limit `boxoffice rush --ceiling` compares each endpoint with.

Five Starlette apps, each answering `GET /` with `{"status":"ok"}` rendered by orjson, as the
product renders its hot answers: one does nothing, one makes one Redis round trip (a GET of a
key nobody writes), one one PostgreSQL round trip (`SELECT 1` on an asyncpg pool), one both,
and one a Redis round trip, a PostgreSQL one and a Redis one again (as a payment checks the
pass, pays, and uses the pass up).
They run under the server `boxoffice serve` runs, with its options (`cli._run` serves both), its
worker count and the pools its settings size, so that what an endpoint costs beyond its bare
app is the product's own stack.

Served by `boxoffice serve-bare KIND` (cli.py), exactly as `boxoffice serve` serves the product;
the load generator starts them with the servers' BOXOFFICE_* settings in the environment.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from enum import StrEnum

import asyncpg
import orjson
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from boxoffice.platform.redis import packing_with_hiredis
from boxoffice.settings import Settings

__all__ = ["KIND_VARIABLE", "PATH", "BareApp", "create_app"]

KIND_VARIABLE = "BOXOFFICE_BARE_APP"
PATH = "/"
# Read, never written: a round trip that finds nothing, and leaves every room's data alone.
REDIS_KEY = "bx:rush:bare-app"
_ANSWER = orjson.dumps({"status": "ok"})


class BareApp(StrEnum):
    """A bare app, by the round trips it makes per request; its value is its name on
    `boxoffice serve-bare`'s command line, and names them in order."""

    NOTHING = "nothing"
    REDIS = "redis"
    POSTGRES = "postgres"
    REDIS_POSTGRES = "redis_postgres"
    REDIS_POSTGRES_REDIS = "redis_postgres_redis"

    @property
    def trips(self) -> tuple[str, ...]:
        """Its round trips in order, each "redis" or "postgres"."""
        return () if self is BareApp.NOTHING else tuple(self.value.split("_"))

    @property
    def uses_redis(self) -> bool:
        """Whether each request makes a Redis round trip."""
        return "redis" in self.trips

    @property
    def uses_postgres(self) -> bool:
        """Whether each request makes a PostgreSQL round trip."""
        return "postgres" in self.trips


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """What a bare app's connection needs on its way back to its pool: nothing. asyncpg's own
    reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` as each request
    gives its connection back, a second round trip a request of the product never makes (its
    pool, SQLAlchemy's, sends nothing for an autocommit connection); `SELECT 1` changes nothing
    a reset would undo, and a transaction left open is still rolled back by asyncpg first."""


class _Pools:
    """One worker's connections, sized as the product sizes its own from the same settings."""

    def __init__(self, app: BareApp, settings: Settings) -> None:
        self.app = app
        self._trips = app.trips
        self.settings = settings
        self.redis: Redis | None = None
        self.postgres: asyncpg.Pool | None = None

    async def open(self) -> None:
        settings, deadline = self.settings, self.settings.request_deadline_seconds
        if self.app.uses_redis:
            if not settings.redis_url:
                raise RuntimeError(f"the {self.app} app needs BOXOFFICE_REDIS_URL")
            pool = BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=settings.redis_pool_size,
                timeout=deadline,
                decode_responses=True,
            )
            # Its commands packed as the product's are (platform/redis.py).
            self.redis = Redis.from_pool(packing_with_hiredis(pool))
        if self.app.uses_postgres:
            if not settings.database_url:
                raise RuntimeError(f"the {self.app} app needs BOXOFFICE_DATABASE_URL")
            size = settings.db_pool_size + settings.db_max_overflow
            self.postgres = await asyncpg.create_pool(
                # The settings' SQLAlchemy URL (postgresql+asyncpg://) as asyncpg's own DSN.
                make_url(settings.database_url)
                .set(drivername="postgresql")
                .render_as_string(hide_password=False),
                min_size=size,
                max_size=size,
                timeout=deadline,
                reset=_keep_session,
            )

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        if self.postgres is not None:
            await self.postgres.close()

    async def round_trips(self) -> None:
        """The app's round trips for one request, one after the other."""
        for trip in self._trips:
            if trip == "redis":
                assert self.redis is not None  # opened for every app that uses it
                await self.redis.get(REDIS_KEY)
            else:
                assert self.postgres is not None
                async with self.postgres.acquire() as connection:
                    await connection.fetchval("SELECT 1")


def create_app() -> Starlette:
    """The bare app named by BOXOFFICE_BARE_APP (a `BareApp` value)."""
    pools = _Pools(BareApp(os.environ.get(KIND_VARIABLE, BareApp.NOTHING)), Settings())

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await pools.open()
        try:
            yield
        finally:
            await pools.close()

    async def answer(_request: Request) -> Response:
        await pools.round_trips()
        return Response(_ANSWER, media_type="application/json")

    return Starlette(routes=[Route(PATH, answer)], lifespan=lifespan)
