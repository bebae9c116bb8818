"""The composition root: builds every adapter once from the settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.accounts.dependencies import AccountsDeps, Authenticator
from boxoffice.board.dependencies import BoardDeps
from boxoffice.catalog.dependencies import CatalogDeps, Listings
from boxoffice.catalog.seat_news import RedisSeatNews, SeatNews
from boxoffice.payments.dependencies import PaymentsDeps
from boxoffice.payments.settling_postgres import SettleCombiner
from boxoffice.platform.clock import Clock, SystemClock
from boxoffice.platform.database import create_engine
from boxoffice.platform.dependencies import AdminGate
from boxoffice.platform.provided import Provided
from boxoffice.platform.rate_limit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from boxoffice.platform.secrets import Keys, resolve_keys
from boxoffice.platform.security import PasswordHashing, TokenSigner
from boxoffice.reservations.dependencies import ReservationsDeps
from boxoffice.reservations.holding_postgres import HoldCombiner
from boxoffice.reservations.service import HoldRules
from boxoffice.settings import Settings
from boxoffice.unit_of_work import UnitOfWork, UnitOfWorkFactory
from boxoffice.waiting_room.admissions import AdmissionWatch
from boxoffice.waiting_room.dependencies import PassGate, QueueDeps
from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.lines import Lines, LineStores
from boxoffice.waiting_room.records import SqlLineRecords, SqlPassRecords
from boxoffice.waiting_room.service import WaitingRoom
from boxoffice.waiting_room.store import WaitingRoomStore
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore
from boxoffice.wallet.dependencies import WalletDeps
from boxoffice.wallet.service import WalletLimits


@dataclass
class Container:
    """Everything a request needs, built once per process."""

    settings: Settings
    keys: Keys
    engine: AsyncEngine
    store: WaitingRoomStore  # the house line's (`waiting_room.stores` has every line's)
    clock: Clock
    hashing: PasswordHashing
    signer: TokenSigner
    waiting_room: WaitingRoom
    hold_rules: HoldRules
    wallet_limits: WalletLimits
    write_lock: asyncio.Lock | None
    limiter: RateLimiter
    admission_wakeup: asyncio.Event  # set by the waiting room: admit now, not at the tick
    listings: Listings = field(init=False)
    # PostgreSQL's holds and payments asked for together go as one statement each.
    holds: HoldCombiner = field(init=False, default_factory=HoldCombiner)
    payments: SettleCombiner = field(init=False, default_factory=SettleCombiner)

    def __post_init__(self) -> None:
        settings = self.settings
        self.listings = Listings(
            settings.hot_read_seconds,
            settings.hot_read_refresh_seconds,
            settings.seat_layouts_kept_seats,
        )

    def uow(self, *, readonly: bool = False, autocommit: bool = False) -> UnitOfWork:
        """A unit of work; read-only ones skip SQLite's writer turn-taking."""
        return UnitOfWork(
            self.engine,
            None if readonly else self.write_lock,
            readonly=readonly,
            autocommit=autocommit,
            holds=self.holds,
            payments=self.payments,
        )

    def now_ts(self) -> float:
        return self.clock.now().timestamp()

    def provided(self) -> Provided:
        """What each domain's routes are handed (`platform.provided`): only what they need."""
        settings, clock, uow = self.settings, self.clock, self.uow
        auth = Authenticator(self.signer, clock)
        return Provided(
            auth,
            AdminGate(self.keys.admin_key, self.limiter, settings.admin_failures_per_ip, clock),
            AccountsDeps(uow, clock, self.hashing, self.signer, self.limiter, settings),
            CatalogDeps(uow, clock, self.listings),
            PassGate(self.waiting_room, clock),
            QueueDeps(
                self.waiting_room,
                self.signer,
                self.limiter,
                settings,
                clock,
            ),
            ReservationsDeps(uow, clock, self.hold_rules, self.listings),
            PaymentsDeps(uow, clock, self.waiting_room, self.listings),
            WalletDeps(uow, clock, self.wallet_limits),
            BoardDeps(
                uow,
                self.waiting_room.stores,
                self.waiting_room.lines,
                clock,
                settings.wallet_currency,
            ),
        )

    async def close(self) -> None:
        if self.listings.news is not None:
            await self.listings.news.close()
        await self.waiting_room.watch.close()
        await self.limiter.close()
        await self.waiting_room.stores.close()
        await self.engine.dispose()


def default_policy(settings: Settings) -> QueuePolicy:
    """The admission policy from the settings, until an admin changes it."""
    return QueuePolicy(
        max_active=settings.queue_max_active,
        admit_per_minute=settings.queue_admit_per_minute,
        active_ttl_seconds=settings.queue_active_ttl_seconds,
        claim_seconds=settings.queue_claim_seconds,
    )


def build_store(settings: Settings, limiter: RateLimiter) -> WaitingRoomStore:
    """Redis when configured (shared by every instance), else this process's memory.

    A join and a status poll are checked against `limiter`'s limits in the store's own step: in
    Redis on the limiter's keys of the same room, in memory on `limiter` itself.
    """
    if settings.redis_url:
        from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore

        return RedisWaitingRoomStore.from_url(
            settings.redis_url,
            room=settings.queue_room,
            default_policy=default_policy(settings),
            pool_size=settings.redis_pool_size,
            timeout_seconds=settings.request_deadline_seconds,
        )
    assert isinstance(limiter, MemoryRateLimiter), "without Redis the limits are in memory"
    return MemoryWaitingRoomStore(default_policy(settings), limiter)


def build_line_stores(settings: Settings, house: WaitingRoomStore) -> LineStores:
    """The store of every line: `house`, and each concert line's as a room of its own, named
    after the house room and the concert (on Redis over the house store's connections; in
    memory with limits of its own, as a Redis room has its own rate limiter keys)."""
    from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore

    # In memory a room is its store: a line given again gets the room it had, as a Redis
    # room's keys outlive its line (a pass of the line's earlier sale is then known there, not
    # taken for one of a lost room and put back in line).
    rooms: dict[int, MemoryWaitingRoomStore] = {}

    def make(concert_id: int) -> WaitingRoomStore:
        if isinstance(house, RedisWaitingRoomStore):
            return house.for_room(f"{settings.queue_room}:c{concert_id}")
        room = rooms.get(concert_id)
        if room is None:
            room = rooms[concert_id] = MemoryWaitingRoomStore(default_policy(settings))
        return room

    return LineStores(house, make)


class CatalogConcerts:
    """The waiting room's ConcertIndex, from the catalog (a concert once seen is kept: none is
    ever deleted)."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self._seen: set[int] = set()

    async def exists(self, concert_id: int) -> bool:
        if concert_id in self._seen:
            return True
        async with self._unit_of_work(readonly=True) as uow:
            found = await uow.catalog.concert(concert_id) is not None
        if found:
            self._seen.add(concert_id)
        return found


def build_limiter(settings: Settings) -> RateLimiter:
    """Limits shared through Redis when configured, else kept in this process."""
    if settings.redis_url:
        return RedisRateLimiter.from_url(
            settings.redis_url,
            room=settings.queue_room,
            pool_size=settings.redis_pool_size,
            timeout_seconds=settings.request_deadline_seconds,
        )
    return MemoryRateLimiter()


def build_container(
    settings: Settings,
    clock: Clock | None = None,
    store: WaitingRoomStore | None = None,
    *,
    long_statements: bool = False,
) -> Container:
    """Wire the service from its settings (`long_statements`: see `create_engine`)."""
    keys = resolve_keys(settings)
    signer = TokenSigner(
        keys.secret_key, settings.access_token_ttl_seconds, kept=settings.verified_tokens_kept
    )
    limiter = build_limiter(settings)
    store = store or build_store(settings, limiter)
    stores = build_line_stores(settings, store)
    clock = clock or SystemClock()
    watch = AdmissionWatch(
        lambda: (line_store for _, line_store in stores.made()),
        lambda: clock.now().timestamp(),
        settings.stream_interval_seconds,
    )
    engine = create_engine(settings, long_statements=long_statements)
    write_lock = asyncio.Lock() if settings.is_sqlite else None

    def unit_of_work(*, readonly: bool = False, autocommit: bool = False) -> UnitOfWork:
        return UnitOfWork(
            engine, None if readonly else write_lock, readonly=readonly, autocommit=autocommit
        )

    # What the admission loop waits on; the waiting room sets it when a line wants admitting.
    wakeup = asyncio.Event()
    container = Container(
        settings=settings,
        keys=keys,
        engine=engine,
        store=store,
        clock=clock,
        hashing=PasswordHashing(
            PasswordHasher(
                time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib
            ),
            at_once=settings.password_hashes_at_once,
        ),
        signer=signer,
        waiting_room=WaitingRoom(
            stores,
            Lines(SqlLineRecords(unit_of_work), settings.hot_read_seconds),
            CatalogConcerts(unit_of_work),
            signer,
            watch,
            SqlPassRecords(unit_of_work),
            recovery_seconds=settings.queue_recovery_seconds,
            estimates_kept=settings.wait_estimates_kept,
            wakeup=wakeup,
        ),
        hold_rules=HoldRules(
            hold_seconds=settings.hold_seconds,
            max_seats_per_reservation=settings.max_seats_per_reservation,
            max_held_seats_per_user=settings.max_held_seats_per_user,
            max_balance=settings.wallet_max_balance,
        ),
        wallet_limits=WalletLimits(
            max_balance=settings.wallet_max_balance, max_charge=settings.wallet_max_charge
        ),
        write_lock=write_lock,
        limiter=limiter,
        admission_wakeup=wakeup,
    )
    if settings.redis_url:
        # Several processes may serve: each tells the others what its writes did to seats.
        container.listings.news = SeatNews(
            RedisSeatNews.from_url(
                settings.redis_url,
                room=settings.queue_room,
                pool_size=2,
                timeout_seconds=settings.request_deadline_seconds,
            )
        )
    return container
