"""A fan giving up their pass is written down as one statement: on PostgreSQL it commits as it
runs, without the BEGIN and COMMIT round trips a transaction takes (a sale does this nearly once
a ticket), and the restore of a lost line reads it back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from boxoffice.waiting_room.domain import PassPlace
from boxoffice.waiting_room.lines import HOUSE, LineSet
from boxoffice.waiting_room.records import SqlPassRecords
from tests.contract.money import T0, prepare, venue

FAN = 1


@pytest.fixture(autouse=True)
def _postgres() -> None:
    prepare("postgresql")


async def test_a_pass_given_up_is_one_statement_that_commits_by_itself() -> None:
    async with venue("postgresql") as shop:
        sent: list[str] = []

        def log_queries(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own connection, which logs the statements it runs by name.
            dbapi_connection.driver_connection.add_query_logger(
                lambda record: sent.append(record.query.split()[0].rstrip(";").upper())
            )

        event.listen(shop.engine.sync_engine, "connect", log_queries)

        records = SqlPassRecords(shop.uow)
        await shop.engine.dispose()  # the pool's connections are made again, logged
        await records.record_left(FAN, "pass-given-up", T0.timestamp())
        # (The driver logs the statements it runs by name, such as a transaction's own, soon
        # after each has run; those it runs prepared, as the INSERT, it does not log.)
        await asyncio.sleep(0.05)
        assert sent == []
        async with shop.uow() as uow:  # a transaction's write, for contrast
            await uow.passes.record_left(FAN, "pass-in-a-transaction", T0)
            await uow.commit()
        await asyncio.sleep(0.05)
        assert sent == ["BEGIN", "COMMIT"]

        await records.record_left(FAN, "pass-given-up", T0.timestamp() + 1)  # a second note
        place = PassPlace("pass-given-up", FAN, joined_at=T0.timestamp() - 60, place=1)
        assert await records.spent(place, HOUSE, LineSet())
        other = PassPlace("pass-kept", FAN, joined_at=T0.timestamp() - 60, place=2)
        assert not await records.spent(other, HOUSE, LineSet())
