"""The waiting room in Redis, shared by every instance of the service.

Every state change is one Lua script (`lua/`), so it is atomic however many instances call it at
once: that is what keeps admission under `max_active` and the rate with no leader. The scripts
mirror `MemoryWaitingRoomStore` step for step; the contract suite holds both to the same answers.
All keys of a room carry the room's name as their hash tag, so they live on one Cluster slot.

No key has a Redis TTL. A waiting pass must keep its place however long its fan stays away, and
every other pass is deleted by the script that ends it (leave, use_up, or the expiry that admit,
view, authorize, join and stats perform), which is also where it is counted as expired or
abandoned: a TTL firing first would lose that count and leave the line pointing at nothing.
(A join and a status poll also check and set the rate limiter's keys, which do expire: they are
its.)
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from boxoffice.platform.rate_limit import (
    LUA_CHECK_FUNCTION,
    NO_PACE,
    Limit,
    lua_script_names,
    redis_counter_args,
    redis_key_prefix,
)
from boxoffice.platform.readiness import Answering
from boxoffice.platform.redis import (
    RedisClient,
    decodes_responses,
    no_pooled_connection,
    redis_client,
)
from boxoffice.platform.redis_batching import ScriptBatcher
from boxoffice.waiting_room.domain import (
    SAMPLES_KEPT,
    PassPlace,
    PassStatus,
    PassView,
    QueuePolicy,
    Restored,
    RestoreOutcome,
    RoomSample,
    RoomStats,
)
from boxoffice.waiting_room.store import PollGuard, Refused

__all__ = ["RedisWaitingRoomStore"]

# The order is the KEYS order that lua/common.lua expects.
_ROOM_KEYS = ("policy", "line", "seq", "active", "prequeue", "bucket", "admissions", "totals")
_ADMISSIONS = _ROOM_KEYS.index("admissions")
_SCRIPTS = (
    "join", "view", "poll", "leave", "admit", "policy", "stats", "restore", "replaced", "sample"
)  # fmt: skip
# Scripts that also check the rate limiter's limits get its check function after the prelude.
_CHECKS_LIMITS = frozenset({"join", "poll"})

_Arg = str | int | float


@cache
def _lua(name: str) -> str:
    """A script's source: the shared prelude, then the command itself."""
    folder = resources.files("boxoffice.waiting_room").joinpath("lua")
    prelude = folder.joinpath("common.lua").read_text(encoding="utf-8")
    if name in _CHECKS_LIMITS:
        prelude += LUA_CHECK_FUNCTION
    return prelude + "\n" + folder.joinpath(f"{name}.lua").read_text(encoding="utf-8")


def _policy_args(policy: QueuePolicy) -> list[_Arg]:
    opens_at = "" if policy.opens_at is None else repr(policy.opens_at)
    return [
        policy.max_active,
        policy.admit_per_minute,
        policy.active_ttl_seconds,
        policy.claim_seconds,
        opens_at,
    ]


def _optional_float(value: str) -> float | None:
    return None if value == "" else float(value)


def _pass_view(fields: list[Any]) -> PassView:
    pass_id, user_id, status, joined_at, position, active_until, opens_at, recent = fields[:8]
    oldest, admit_per_minute, place = fields[8:]
    return PassView(
        pass_id=pass_id,
        user_id=int(user_id),
        status=PassStatus(status),
        joined_at=float(joined_at),
        position=None if position == "" else int(position),
        active_until=_optional_float(active_until),
        opens_at=_optional_float(opens_at),
        recent_admissions=int(recent),
        oldest_admission_at=_optional_float(oldest),
        admit_per_minute=int(admit_per_minute),
        place=int(place),
    )


def _policy(fields: list[str]) -> QueuePolicy:
    max_active, admit_per_minute, active_ttl_seconds, claim_seconds, opens_at = fields
    return QueuePolicy(
        max_active=int(max_active),
        admit_per_minute=int(admit_per_minute),
        active_ttl_seconds=int(active_ttl_seconds),
        claim_seconds=int(claim_seconds),
        opens_at=_optional_float(opens_at),
    )


class RedisWaitingRoomStore:
    """Line, passes and admission of one room in Redis; any number of instances may share it."""

    def __init__(
        self,
        client: RedisClient,
        *,
        room: str,
        default_policy: QueuePolicy,
        owns_client: bool = True,
        batcher: ScriptBatcher | None = None,
        answering: Answering | None = None,
    ) -> None:
        """A store over `client`, which it then owns (`close` closes it) unless `owns_client`
        is False; replies must be str. `answering`: what the calls over `client` found, shared
        by the stores over it."""
        if not room or "{" in room or "}" in room:
            raise ValueError(f"room name {room!r} must be non-empty and without braces")
        if not decodes_responses(client):
            raise ValueError("the Redis client must be made with decode_responses=True")
        # The braces make the room name the Cluster hash tag of every key below.
        prefix = f"bx:{{{room}}}:"
        self._client = client
        self._owns_client = owns_client
        self._default_policy = default_policy
        self._keys = [prefix + name for name in _ROOM_KEYS]
        self._samples_key = prefix + "samples"  # lua/sample.lua's
        # The rate limiter's keys of the same room, for the polls checked here.
        self._limits_prefix = redis_key_prefix(room)
        # Every script may be the first to touch the room, so each one carries the default
        # policy and writes it only if the room has none: an admin's change is never overwritten.
        self._head: list[_Arg] = [prefix, *_policy_args(default_policy)]
        # register_script calls EVALSHA and loads the script again on NOSCRIPT (after a restart).
        self._scripts = {name: client.register_script(_lua(name)) for name in _SCRIPTS}
        # Script calls asked for together go as one pipeline (platform/redis_batching.py), the
        # rooms over one client sharing one batcher. On a Redis Cluster each goes alone: a
        # batch would mix rooms, which live in different slots.
        if batcher is None and isinstance(client, Redis):
            batcher = ScriptBatcher(client)
        self._batcher = batcher
        self._answering = answering or Answering()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        room: str,
        default_policy: QueuePolicy,
        pool_size: int,
        timeout_seconds: float = 5.0,
    ) -> RedisWaitingRoomStore:
        """A store with its own pool of at most `pool_size` connections to the Redis at `url`."""
        client = redis_client(url, pool_size=pool_size, timeout_seconds=timeout_seconds)
        return cls(client, room=room, default_policy=default_policy)

    def for_room(self, room: str) -> RedisWaitingRoomStore:
        """The store of another room (a concert's own line) over this store's connections,
        which stay this store's to close. Its keys carry its own name as their hash tag, so on
        a Redis Cluster its keys share one slot and rooms spread over the nodes."""
        return RedisWaitingRoomStore(
            self._client,
            room=room,
            default_policy=self._default_policy,
            owns_client=False,
            batcher=self._batcher,
            answering=self._answering,
        )

    def script_names(self) -> dict[str, str]:
        """The Lua scripts run on this store's room, its own and the rate limiter's, by the SHA1
        that EVALSHA names them with (in SLOWLOG, say)."""
        own = {script.sha: name for name, script in self._scripts.items()}
        return {**lua_script_names(), **own}

    async def _run(self, script: str, *args: _Arg) -> Any:
        return await self._call(script, self._keys, [*self._head, *args])

    async def _call(self, script: str, keys: list[str], args: list[_Arg]) -> Any:
        try:
            if self._batcher is None:
                answer = await self._scripts[script](keys=keys, args=args)
            else:
                answer = await self._batcher.call(self._scripts[script], keys, args)
        except (RedisConnectionError, RedisTimeoutError) as error:
            if not no_pooled_connection(error):
                self._answering.failed()
            raise
        self._answering.answered()
        return answer

    async def join(
        self, user_id: int, pass_id: str, now: float, limits: Sequence[Limit] = ()
    ) -> tuple[PassView, bool]:
        # One round trip: the limits, then the join, in one script (lua/join.lua).
        keys = self._limit_keys(NO_PACE, limits)
        seed = secrets.randbits(31)  # the pre-queue's shuffle, if this join opens it
        args = [*self._head, user_id, pass_id, now, seed, *redis_counter_args(limits)]
        reply = await self._call("join", keys, args)
        if isinstance(reply, int):
            raise Refused(reply / 1000)
        created, *fields = reply
        return _pass_view(fields), bool(created)

    def _limit_keys(self, pace_key: str, limits: Sequence[Limit]) -> list[str]:
        """The room's keys, then the rate limiter's pacing key and counters of the same room."""
        prefix = self._limits_prefix
        return [*self._keys, prefix + pace_key, *(prefix + limit.key for limit in limits)]

    async def view(self, pass_id: str, now: float) -> PassView | None:
        fields = await self._run("view", pass_id, now, 0)
        return None if fields is None else _pass_view(fields)

    async def poll(self, pass_id: str, now: float, guard: PollGuard) -> PassView | None:
        # One round trip: limits, the pass and the pace in one script (lua/poll.lua).
        keys = self._limit_keys(guard.pace_key or NO_PACE, guard.limits)
        pace_ratio = guard.pace_ratio if guard.pace_key else 0
        args = [*self._head, pass_id, now, pace_ratio, *redis_counter_args(guard.limits)]
        reply = await self._call("poll", keys, args)
        if isinstance(reply, int):
            raise Refused(reply / 1000)
        return None if reply is None else _pass_view(reply)

    async def authorize(self, pass_id: str, now: float) -> PassView | None:
        fields = await self._run("view", pass_id, now, 1)
        return None if fields is None else _pass_view(fields)

    async def leave(self, pass_id: str, now: float) -> bool:
        return bool(await self._run("leave", pass_id, now, 0))

    async def use_up(self, pass_id: str, now: float) -> bool:
        return bool(await self._run("leave", pass_id, now, 1))

    async def restore(
        self, place: PassPlace, now: float, recovery_seconds: float, *, commit: bool
    ) -> Restored:
        outcome, *fields = await self._run(
            "restore",
            place.pass_id,
            place.user_id,
            place.joined_at,
            place.place,
            now,
            recovery_seconds,
            int(commit),
        )
        return Restored(RestoreOutcome(outcome), _pass_view(fields) if fields else None)

    async def hold_if_replaced(
        self, known_first_seq: str, now: float, recovery_seconds: float
    ) -> str:
        return str(await self._run("replaced", known_first_seq, now, recovery_seconds))

    async def admit(self, now: float) -> list[str]:
        # The seed of the pre-queue shuffle; Redis's seeding takes a 32-bit signed integer.
        return list(await self._run("admit", now, secrets.randbits(31)))

    async def admitted_since(self, since: float) -> list[tuple[str, float]]:
        # A read of one key, no script: the admissions set (pass id -> admitted_at) that admit
        # writes and trims to the last minute.
        found: list[Any] = await self._client.zrangebyscore(
            self._keys[_ADMISSIONS], f"({since!r}", "+inf", withscores=True
        )
        return [(str(pass_id), float(at)) for pass_id, at in found]

    async def sample(self, slot: int, now: float) -> None:
        await self._run("sample", now, slot, SAMPLES_KEPT)

    async def samples_since(self, slot: int) -> dict[int, RoomSample]:
        # A read of one key, no script: the samples hash (slot -> "waiting,active,admitted").
        found: dict[Any, Any] = await self._client.hgetall(self._samples_key)
        samples = {}
        for kept, figures in found.items():
            if int(kept) >= slot:
                waiting, active, admitted = (int(x) for x in str(figures).split(","))
                samples[int(kept)] = RoomSample(waiting, active, admitted)
        return samples

    async def get_policy(self) -> QueuePolicy:
        """The room's policy; the first instance to ask writes its default if there is none."""
        return self._remember(_policy(await self._run("policy")))

    async def set_policy(self, policy: QueuePolicy) -> None:
        self._remember(_policy(await self._run("policy", *_policy_args(policy))))

    def _remember(self, policy: QueuePolicy) -> QueuePolicy:
        # The policy this instance last saw is the one it writes into a room that has none:
        # should Redis lose the room, the admin's policy comes back with the first step any
        # instance takes, not the settings' default (the admission loop reads it every few s).
        self._head[1:6] = _policy_args(policy)
        return policy

    async def stats(self, now: float) -> RoomStats:
        figures = [int(value) for value in await self._run("stats", now)]
        waiting, active, last_minute, admitted, expired, abandoned, prequeue, kept = figures
        return RoomStats(
            waiting=waiting,
            active=active,
            admitted_last_minute=last_minute,
            admitted_total=admitted,
            expired_total=expired,
            abandoned_total=abandoned,
            prequeue=prequeue,
            kept_from_higher_cap=kept,
        )

    async def ping(self) -> bool:
        return bool(await self._client.ping())

    def answered_lately(self, window: float) -> bool:
        return self._answering.lately(window)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()
