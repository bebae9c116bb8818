"""Scenario 2: PostgreSQL restarted, and all backends terminated, while a sale runs.

What the fans may see (design.md, "When things fail"): never a 500; pooled connections the
server closed are replaced without the fan seeing it (platform/database.py checks each one out);
a read whose connection dies under it is served again on a fresh one (platform/problems.py); a
write that may not be run again answers 503 with Retry-After, never a hang; and the shop serves
again within 5 s of PostgreSQL's return.

Two faults:
- Every backend terminated (pg_terminate_backend, as a failover or an admin does), twice. Once
  while fans hold seats, with reads certainly mid-statement: a lock on `payment` (which no one
  writes before payments open) keeps a burst of fans' payment-list reads waiting on the server
  when their backends are ended. Once more when every
  fan waits at the payment gate, so that each instance's pool holds only connections the server
  has closed, just before every payment goes at once. No read fails, no payment fails, and the
  few writes caught mid-statement answer 503 and are paid or done when retried.
- A full restart: stopped ("fast"), down for 2 s, started. While it is down every request
  answers 503 with Retry-After at once (no request near the deadline), and from 5 s after its
  return nothing fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from tests.faults.checks import assert_sale_clean
from tests.faults.conftest import MakeInstances
from tests.faults.instance_metrics import dependency_faults
from tests.faults.instances import Instances
from tests.faults.own_postgres import OwnPostgres
from tests.faults.sale import Sale, SaleConfig
from tests.faults.sale_report import SaleReport

FANS = 200
SEATS = 250
# The sale's reads (journey.py), and the payment-list reads the first fault holds on a lock.
READS = frozenset({"status", "seat_map", "reservations", "payments"})
HELD_READS = 12
POOL_SIZE = 8
POOL_OVERFLOW = 4
DEADLINE = 5.0  # the instances' REQUEST_DEADLINE_SECONDS (the default)
# What a loaded two-core machine may add to an answer; far below a hang (the client's 10 s).
MARGIN = 2.0
DOWN_SECONDS = 2.0
HEALED_WITHIN = 5.0


async def _until(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.02)


def _read_failures(report: SaleReport) -> dict[str, int]:
    return {k: s.failures for k, s in report.kinds.items() if k in READS and s.failures}


def _write_failures(report: SaleReport) -> dict[str, dict[str, int]]:
    return {
        k: dict(s.failures_by) for k, s in report.kinds.items() if k not in READS and s.failures
    }


def _assert_every_fan_finished(sale: Sale, report: SaleReport) -> None:
    """Every failed request was retried until it succeeded: each fan paid or found no seat."""
    assert report.gave_up == 0, report.summary()
    assert set(report.outcomes) <= {"paid", "sold_out"}, report.summary()
    assert report.figures["seats_sold"] == SEATS, report.summary()
    assert not report.server_errors, report.server_errors[:5]
    assert report.without_retry_after == 0, report.summary()


async def _strike_on_held_reads(sale: Sale, postgres: OwnPostgres) -> int:
    """End every backend while HELD_READS reads wait on a lock, mid-statement."""
    locker = await postgres.connect()
    watcher = await postgres.connect()
    fans = [fan for fan in sale.fans if fan.access][:HELD_READS]
    assert len(fans) == HELD_READS, "too few fans signed in to read their payments"
    try:
        locking = locker.transaction()
        await locking.start()
        await locker.execute("LOCK TABLE payment IN ACCESS EXCLUSIVE MODE")
        reads = [
            asyncio.create_task(sale.shop.request("payments", "GET", "/payments", headers=fan.auth))
            for fan in fans
        ]
        deadline = time.monotonic() + DEADLINE - 1  # before the requests' own deadline
        waiting = 0
        while waiting < HELD_READS:
            assert time.monotonic() < deadline, f"{waiting} reads wait on the lock"
            waiting = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE '%FROM payment%'"
            )
            await asyncio.sleep(0.01)
    finally:
        await watcher.close()
    # The locker's own backend ends too, so every read finds the table free when served again.
    ended = await asyncio.to_thread(postgres.terminate_backends)
    sale.report.mark("terminated_mid_statement")
    with contextlib.suppress(Exception):
        await locker.close()
    answers = await asyncio.gather(*reads)
    assert [a.status for a in answers] == [200] * HELD_READS, [a.status for a in answers]
    return ended


def _end_every_backend(postgres: OwnPostgres, within: float = 30.0) -> int:
    """Terminate every client backend and wait until each has exited: the instances' pools
    then hold only connections the server has closed."""
    before = postgres.sql("SELECT now()", database="postgres")
    ended = postgres.terminate_backends()
    deadline = time.monotonic() + within
    while int(
        postgres.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
            f" AND backend_start <= '{before}'::timestamptz AND pid <> pg_backend_pid()",
            database="postgres",
        )
    ):
        assert time.monotonic() < deadline, f"terminated backends still there after {within} s"
        time.sleep(0.05)
    return ended


def _instances(make_instances: MakeInstances) -> Instances:
    return make_instances(
        2,
        queue_max_active=FANS,
        db_pool_size=POOL_SIZE,
        db_max_overflow=POOL_OVERFLOW,
        request_deadline_seconds=DEADLINE,
    )


async def test_backends_terminated_mid_sale_fail_no_read_and_no_payment(
    make_instances: MakeInstances, own_postgres: OwnPostgres
) -> None:
    instances = _instances(make_instances)
    config = SaleConfig(FANS, SEATS, hold_payments=True)
    sale = Sale(instances.base_urls, instances.admin_key, config, "postgres_backends_terminated")
    async with sale.in_background() as running:
        await _until(lambda: sale.waiting_to_pay >= 40, "40 fans hold seats")
        ended_mid_statement = await _strike_on_held_reads(sale, own_postgres)
        await sale.wait_everyone_ready_to_pay()
        ended_idle = await asyncio.to_thread(_end_every_backend, own_postgres)
        sale.report.mark("terminated_idle")
        sale.release_payments()
        report = await running

    urls = instances.base_urls
    report.figures.update(
        backends_ended_mid_statement=ended_mid_statement,
        backends_ended_idle=ended_idle,
        reads_served_again=await dependency_faults(urls, "postgresql", "retried"),
        stale_connections_replaced=await dependency_faults(urls, "postgresql", "stale_connection"),
        read_failures=sum(_read_failures(report).values()),
        write_failures=_write_failures(report),
        seconds_to_heal=report.seconds_to_heal("terminated_mid_statement"),
    )
    await assert_sale_clean(sale, instances, own_postgres)
    _assert_every_fan_finished(sale, report)
    # A read is served again on a fresh connection: the fan never sees the fault.
    assert not _read_failures(report), report.summary()
    # Every payment went out after every pooled connection was dead: each was replaced unseen.
    assert report.kinds["pay"].failures == 0, report.summary()
    # Only a write caught mid-statement may fail, as a 503 (the fan's retry then succeeded):
    # at most one per connection in use at the strike.
    writes = _write_failures(report)
    assert all(set(by) == {"503"} for by in writes.values()), writes
    in_use_at_most = len(urls) * (POOL_SIZE + POOL_OVERFLOW)
    assert sum(sum(by.values()) for by in writes.values()) <= in_use_at_most, writes
    # The fault struck where meant: held reads were served again (as a rule all HELD_READS; a
    # read may rarely slip past its strike), and every pool held connections the server closed.
    assert report.figures["reads_served_again"] >= 1, report.summary()
    assert report.figures["stale_connections_replaced"] >= len(urls), report.summary()


async def test_a_restarted_postgres_answers_503_at_once_and_serves_again_within_5_s(
    make_instances: MakeInstances, own_postgres: OwnPostgres
) -> None:
    instances = _instances(make_instances)
    sale = Sale(
        instances.base_urls, instances.admin_key, SaleConfig(FANS, SEATS), "postgres_restarted"
    )
    async with sale.in_background() as running:
        await sale.wait_paying(at_least=20)
        sale.report.mark("stopping")
        await asyncio.to_thread(own_postgres.stop, "fast")
        sale.report.mark("stopped")
        await asyncio.sleep(DOWN_SECONDS)  # the outage itself, not a wait for anything
        sale.report.mark("starting")
        await asyncio.to_thread(own_postgres.start)
        sale.report.mark("restarted")
        report = await running

    failed_by = {k: dict(s.failures_by) for k, s in report.kinds.items() if s.failures}
    slowest = max(s.slowest_seconds for s in report.kinds.values())
    report.figures.update(
        failed_by_kind=failed_by,
        slowest_answer_seconds=round(slowest, 3),
        seconds_to_heal=report.seconds_to_heal("restarted"),
        stale_connections_replaced=await dependency_faults(
            instances.base_urls, "postgresql", "stale_connection"
        ),
    )
    await assert_sale_clean(sale, instances, own_postgres)
    _assert_every_fan_finished(sale, report)
    # The outage was met: fans' requests failed while PostgreSQL was away...
    assert report.failures > 0, report.summary()
    # ...each with a 503 that said when to retry, never a 500 or a dropped connection,
    assert all(set(by) == {"503"} for by in failed_by.values()), failed_by
    # ...at once, not after waiting out a deadline or a hang,
    assert slowest < DEADLINE + MARGIN, report.summary()
    # ...and nothing failed from 5 s after PostgreSQL was back.
    assert report.seconds_to_heal("restarted") < HEALED_WITHIN, report.summary()
