"""The checks every fault scenario ends with, after its fault is over.

`boxoffice audit` judges the database; the rest compares the fans' own view (what each was
told) with what the shop shows them afterwards, through the API: a seat sold once, a
reservation paid at most once, a paid one CONFIRMED, a refused one not, each balance equal to
its ledger and to what the fan charged minus what the fan paid. And no answer was a 5xx but 503.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx

from tests.faults.instances import Instances
from tests.faults.journey import FanRecord
from tests.faults.own_postgres import OwnPostgres
from tests.faults.sale import Sale
from tests.faults.sale_report import write_report
from tests.faults.shop_client import API

__all__ = ["assert_sale_clean", "sale_problems"]


def _audit(instances: Instances) -> list[str]:
    audit = instances.run_cli("audit")
    if audit.returncode == 0 and "audit passed" in audit.stdout:
        return []
    return [f"boxoffice audit exit {audit.returncode}:\n{audit.stdout}{audit.stderr}"]


def _database(postgres: OwnPostgres, schedule_id: int) -> tuple[list[str], int]:
    """Seats in two CONFIRMED reservations (must be none), and the date's SOLD seats."""
    doubles = postgres.sql(
        "SELECT rs.seat_id FROM reservation_seat rs JOIN reservation r"
        " ON r.id = rs.reservation_id WHERE r.status = 'CONFIRMED'"
        " GROUP BY rs.seat_id HAVING count(*) > 1"
    )
    sold = int(
        postgres.sql(
            f"SELECT count(*) FROM seat WHERE schedule_id = {schedule_id} AND status = 'SOLD'"
        )
    )
    return ([f"seats sold twice (ids): {doubles.split()}"] if doubles else []), sold


async def _fan_view(client: httpx.AsyncClient, fan: FanRecord) -> dict[str, Any]:
    """What the shop shows the fan now: payments, reservations, balance, ledger."""
    view: dict[str, Any] = {}
    for name, path in (
        ("payments", "/payments"),
        ("reservations", "/reservations"),
        ("wallet", "/wallet"),
        ("ledger", "/wallet/transactions?limit=200"),
    ):
        answer = await client.get(f"{API}{path}", headers=fan.auth)
        answer.raise_for_status()
        view[name] = answer.json()
    return view


def _fan_problems(fan: FanRecord, view: dict[str, Any]) -> list[str]:
    who = fan.username
    problems: list[str] = []
    per_reservation = Counter(p["reservation_id"] for p in view["payments"])
    problems += [
        f"{who}: {n} payments for reservation {r}" for r, n in per_reservation.items() if n > 1
    ]
    confirmed = {r["id"] for r in view["reservations"] if r["status"] == "CONFIRMED"}
    if confirmed != set(per_reservation):
        problems.append(f"{who}: confirmed {sorted(confirmed)} but paid {sorted(per_reservation)}")
    mine = fan.reservation_id
    if fan.paid is True:
        ids = [p["id"] for p in view["payments"] if p["reservation_id"] == mine]
        if ids != [fan.payment_id] or mine not in confirmed:
            problems.append(f"{who}: told paid {fan.payment_id} for {mine}; shop shows {ids}")
    elif fan.paid is False and mine in per_reservation:
        problems.append(f"{who}: told {fan.refusal} for {mine}, yet the shop shows it paid")
    balance = view["wallet"]["balance"]
    if balance != sum(entry["amount"] for entry in view["ledger"]):
        problems.append(f"{who}: balance {balance} is not the sum of its ledger")
    debits = [e for e in view["ledger"] if e["kind"] == "PAYMENT"]
    if len(debits) != len(view["payments"]):
        problems.append(f"{who}: {len(debits)} debits for {len(view['payments'])} payments")
    paid_total = sum(p["amount"] for p in view["payments"])
    if fan.charge_known and balance != fan.charged - paid_total:
        problems.append(f"{who}: balance {balance}, charged {fan.charged}, paid {paid_total}")
    return problems


async def sale_problems(
    sale: Sale, instances: Instances, postgres: OwnPostgres, check_url: str
) -> list[str]:
    """Every broken promise of the sale; puts its figures into the sale's report."""
    started = time.monotonic()
    problems = [f"a 5xx other than 503: {e}" for e in sale.report.server_errors]
    problems += await asyncio.to_thread(_audit, instances)
    sale.report.figures["audit_seconds"] = round(time.monotonic() - started, 1)
    doubles, sold = await asyncio.to_thread(_database, postgres, sale.schedule_id)
    problems += doubles
    gate = asyncio.Semaphore(16)
    fans = [fan for fan in sale.fans if fan.access]
    async with httpx.AsyncClient(base_url=check_url, timeout=30) as client:

        async def view(fan: FanRecord) -> dict[str, Any]:
            async with gate:
                return await _fan_view(client, fan)

        views = await asyncio.gather(*(view(fan) for fan in fans))
    owners: dict[int, str] = {}
    for fan, seen in zip(fans, views, strict=True):
        problems += _fan_problems(fan, seen)
        for reservation in seen["reservations"]:
            if reservation["status"] != "CONFIRMED":
                continue
            for seat in reservation["seats"]:
                if seat["number"] in owners:
                    problems.append(
                        f"seat {seat['number']}: {owners[seat['number']]}, {fan.username}"
                    )
                owners[seat["number"]] = fan.username
    if len(owners) != sold:
        problems.append(f"{sold} seats SOLD but fans hold {len(owners)} confirmed seats")
    sale.report.figures.update(
        seats_sold=sold,
        fans_paid=sum(fan.paid is True for fan in sale.fans),
        payments_retried=sum(fan.payment_retried for fan in sale.fans),
        check_seconds=round(time.monotonic() - started, 1),
    )
    return problems


async def assert_sale_clean(
    sale: Sale, instances: Instances, postgres: OwnPostgres, check_url: str | None = None
) -> None:
    """Run every check, write the report (figures and problems), then fail on any problem."""
    problems = await sale_problems(sale, instances, postgres, check_url or instances.base_urls[0])
    sale.report.figures["problems"] = len(problems)
    path = write_report(sale.report)
    assert not problems, f"{len(problems)} problems (report: {path}):\n" + "\n".join(problems[:40])
