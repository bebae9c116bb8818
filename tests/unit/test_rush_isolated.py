"""The isolated phase's pure parts: pool sizes, request sources, windows, what replies mean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from boxoffice_rush import ceiling, endpoints, isolated
from boxoffice_rush.bare_apps import BareApp
from boxoffice_rush.bare_servers import BareFigure
from boxoffice_rush.client import Reply
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanAccount
from boxoffice_rush.isolated import BESIDE, MAX_ACTIVE_POOL, MIN_POOL, pool_sizes
from boxoffice_rush.isolated_prep import PhaseFan, Preparer
from boxoffice_rush.references import rate_against_references
from boxoffice_rush.stats import Recorder, summarize
from boxoffice_rush.window import Job, OneShot, RoundRobin, WindowResult, run_window


def _config(tmp_path: Path, **options: Any) -> RushConfig:
    return RushConfig(("http://127.0.0.1:8000",), "admin", tmp_path, **options)


def test_pools_fill_the_window_at_a_little_more_than_the_targets(tmp_path: Path) -> None:
    join, active = pool_sizes(_config(tmp_path, endpoint_seconds=8.0), 5000.0)
    assert join == 12_000  # 0.25 x 1.2 x 5,000 req/s x 8 s
    assert active == 5_760  # 0.12 x 1.2 x 5,000 req/s x 8 s


def test_pools_given_are_kept_and_small_ones_have_a_floor(tmp_path: Path) -> None:
    config = _config(tmp_path, endpoint_join_fans=300, endpoint_active_fans=250)
    assert pool_sizes(config, 5000.0) == (300, 250)
    assert pool_sizes(_config(tmp_path, endpoint_seconds=1.0), 10.0) == (MIN_POOL, MIN_POOL)
    assert pool_sizes(_config(tmp_path, endpoint_seconds=1000.0), 1e6)[1] == MAX_ACTIVE_POOL


def test_endpoint_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="durations"):
        _config(tmp_path, endpoint_seconds=0)
    with pytest.raises(ValueError, match="endpoint fans"):
        _config(tmp_path, endpoint_join_fans=-1)


def _jobs(count: int) -> list[Job]:
    return [Job("GET /queue/status", "GET", "/s", {}, None, i) for i in range(count)]


def test_round_robin_goes_round_and_one_shot_runs_dry() -> None:
    turn = RoundRobin(_jobs(3))
    assert [turn.take().item for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]  # type: ignore[union-attr]
    once = OneShot(_jobs(2))
    assert [once.take(), once.take()] == _jobs(2)
    assert once.take() is None
    assert once.exhausted
    assert RoundRobin([]).take() is None


class FakeClient:
    """Answers every request at once: 201 with a body naming the path and the job's item."""

    def __init__(self) -> None:
        self.recorder = Recorder(0.0)
        self.sent: list[tuple[str, bytes | None]] = []

    async def call(self, endpoint: str, method: str, path: str, **options: Any) -> Reply:
        self.sent.append((path, options.get("body")))
        self.recorder.record(endpoint, 0.0, 0.001, 201, "")
        return Reply(201, {"path": path}, "", None)

    async def fetch_text(self, path: str) -> tuple[int, str]:
        return 200, ""  # /metrics of servers that sent no batch


async def test_a_window_sends_each_one_shot_request_once_and_says_it_ran_dry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ceiling, "WARM_UP_SECONDS", 0.01)
    monkeypatch.setattr(ceiling, "RAMP_SECONDS", 0.0)
    client = FakeClient()
    before = client.recorder
    result = await run_window(
        [client],  # type: ignore[list-item]
        4,
        60.0,
        [OneShot(_jobs(10))],
        keep_replies=True,
    )
    assert result.exhausted
    assert result.exhausted_at is not None
    assert result.pool == 10
    assert sorted(job.item for job, _ in result.replies) == list(range(10))
    assert len(result.recorder.latencies["GET /queue/status"]) == 10  # warm-up not counted
    assert client.recorder is before  # the client's recorder is given back


def _fans(count: int) -> list[PhaseFan]:
    return [PhaseFan(FanAccount(i, {"Authorization": f"Bearer {i}"}), i) for i in range(count)]


def _window(replies: list[tuple[Job, Reply]]) -> WindowResult:
    return WindowResult(Recorder(0.0), 1.0, 0.0, len(replies), replies=replies)


def test_joins_give_passes_and_only_fans_with_one_wait_in_line() -> None:
    fans = _fans(3)
    window = _window(
        [
            (Job("j", "POST", "/t", {}, None, 0), Reply(201, {"token": "pass-0"}, "", None)),
            (Job("j", "POST", "/t", {}, None, 2), Reply(500, None, "INTERNAL_ERROR", None)),
        ]
    )
    waiting = Preparer.record_passes(fans, window)
    assert [fan.slot for fan in waiting] == [0]
    assert waiting[0].pass_headers() == {"Authorization": "Bearer 0", "X-Queue-Token": "pass-0"}


def test_each_fan_holds_its_own_seat_and_pays_its_own_hold() -> None:
    fans = _fans(3)
    for fan in fans:
        fan.token = f"pass-{fan.slot}"
    job = Preparer.hold_job(fans[2], schedule_id=77)
    assert orjson.loads(job.body or b"") == {"schedule_id": 77, "seat_numbers": [3]}
    assert job.headers["X-Queue-Token"] == "pass-2"
    made = Preparer.record_holds(
        fans,
        _window(
            [
                (job, Reply(201, {"id": 900}, "", None)),
                (Preparer.hold_job(fans[0], 77), Reply(409, None, "SEAT_UNAVAILABLE", None)),
            ]
        ),
    )
    assert made == 1
    assert [fan.reservation_id for fan in fans] == [None, None, 900]
    payment = Preparer.pay_job(fans[2])
    assert orjson.loads(payment.body or b"") == {"reservation_id": 900}
    assert payment.headers["Idempotency-Key"] == "rush-alone-900"
    Preparer.record_payments(fans, _window([(payment, Reply(201, None, "", None))]))
    assert fans[2].paid
    assert fans[2].token is None  # a payment uses the pass up


CLIENTS = [FakeClient()]  # the step's window is stood in for: nothing is sent
FANS = [PhaseFan(FanAccount(0, {}), 0)]


class _Bench:
    """Stands in for the bare apps' bench: each measurement a rate from `rates`, in turn."""

    def __init__(self, events: list[str], rates: list[float]) -> None:
        self.events = events
        self.rates = rates

    async def measure(self, app: BareApp) -> BareFigure:
        self.events.append(f"bare {app.value}")
        rate = self.rates.pop(0)
        return BareFigure(app, ceiling.Ceiling(int(rate), 1.0, rate, summarize([]), 0, 0.1))


def _phase(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    bench: Any,
    events: list[str] | None = None,
    answers: int = 0,
) -> Any:
    """A phase whose step windows are stood in for: each noted in `events` (if given) and
    answering `answers` status polls with 200 in one second."""

    async def window(*_args: Any, **_options: Any) -> WindowResult:
        if events is not None:
            events.append("window")
        recorder = Recorder(0.0)
        for _ in range(answers):
            recorder.record(endpoints.STATUS, 0.0, 0.001, 200, "")
        return WindowResult(recorder, 1.0, 0.1, answers)

    monkeypatch.setattr(isolated, "run_window", window)
    return isolated._Phase(CLIENTS, _config(tmp_path), 1000.0, lambda _: None, bench)


async def test_a_step_is_rated_against_its_app_measured_right_before_and_after_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events: list[str] = []
    phase = _phase(monkeypatch, tmp_path, _Bench(events, [600.0, 400.0]), events, answers=300)
    await phase.step(endpoints.STATUS, FANS, lambda fan: _jobs(1)[0], once=False)

    assert events == ["bare one Redis", "window", "bare one Redis"]
    (row,) = phase.run.rows
    assert row["beside"]["per_second"] == [600.0, 400.0]
    assert row["beside"]["mean_per_second"] == 500.0
    (rated,) = rate_against_references(phase.run.rows, [])
    assert (rated["ratio_to_reference"], rated["mark"]) == (0.6, "met")
    phase.part("")
    assert set(phase.run.timings) == {f"{endpoints.STATUS} (warm-up + window)", BESIDE}


async def test_without_a_bench_a_step_measures_no_bare_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    phase = _phase(monkeypatch, tmp_path, None)
    await phase.step(endpoints.STATUS, FANS, lambda fan: _jobs(1)[0], once=False)
    assert "beside" not in phase.run.rows[0]


async def test_a_step_whose_app_was_lost_beside_it_says_so_and_keeps_the_ceiling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class _Lost(_Bench):
        async def measure(self, app: BareApp) -> BareFigure:
            return BareFigure(app, None, "not measured: exited: boom")

    phase = _phase(monkeypatch, tmp_path, _Lost([], []))
    await phase.step(endpoints.HOLD, FANS, lambda fan: _jobs(1)[0], once=True)
    assert phase.run.rows[0]["beside"] is None
    assert phase.run.notes == [
        f"{endpoints.HOLD}: its bare app was not measured beside its step (not measured: "
        "exited: boom); it is rated against the ceiling's."
    ]


async def test_a_measurement_after_a_step_serves_as_the_next_ones_before_only_if_nothing_ran(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events: list[str] = []
    bench = _Bench(events, [600.0, 400.0, 500.0, 300.0, 200.0, 100.0, 50.0])
    phase = _phase(monkeypatch, tmp_path, bench, events)
    job = lambda fan: _jobs(1)[0]  # noqa: E731
    await phase.step(endpoints.JOIN, FANS, job, once=True)
    await phase.step(endpoints.STATUS, FANS, job, once=False)  # straight after, same app
    phase.part("leaving the line")  # something ran between the steps
    await phase.step(endpoints.SEATS, FANS, job, once=False)
    await phase.step(endpoints.HOLD, FANS, job, once=True)  # another app

    one_redis, redis_postgres = "bare one Redis", "bare one Redis + one PostgreSQL"
    assert events == [
        one_redis, "window", one_redis,  # join
        "window", one_redis,  # status: join's after is its before
        one_redis, "window", one_redis,  # seat map: measured again after the leaving
        redis_postgres, "window", redis_postgres,  # hold
    ]  # fmt: skip
    besides = [row["beside"]["per_second"] for row in phase.run.rows]
    assert besides == [[600.0, 400.0], [400.0, 500.0], [300.0, 200.0], [100.0, 50.0]]
