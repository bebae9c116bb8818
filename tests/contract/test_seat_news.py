"""Seat news through Redis (catalog/seat_news.py): what one process tells, every other one reads
once, in order, and none reads its own or what was told before it began."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.exceptions import RedisError

from boxoffice.catalog.domain import SeatStatus
from boxoffice.catalog.seat_news import RedisSeatNews, SeatChange, SeatNews, decode, encode
from tests.contract.rooms import REDIS_REQUIRED, REDIS_URL
from tests.servers import drop_room_async

HELD = SeatChange(7, (1, 2), SeatStatus.HELD)
SOLD = SeatChange(7, (1, 2), SeatStatus.SOLD)
TAKEN = SeatChange(8, (5,))
SWEPT = SeatChange(None)


def test_a_change_survives_its_encoding() -> None:
    for change in (HELD, SOLD, TAKEN, SWEPT):
        assert decode(encode("p1", change)) == ("p1", change)


@pytest.fixture
async def processes() -> AsyncIterator[Callable[[], SeatNews]]:
    room = f"test-{uuid.uuid4().hex}"
    opened: list[SeatNews] = []

    def open_process() -> SeatNews:
        news = SeatNews(
            RedisSeatNews.from_url(REDIS_URL, room=room, pool_size=2, timeout_seconds=5)
        )
        opened.append(news)
        return news

    yield open_process
    for news in opened:
        await news.close()
    await drop_room_async(REDIS_URL, room)


async def test_each_process_reads_the_others_news_once_in_order(processes) -> None:
    first, second = processes(), processes()
    try:
        assert await first.exchange() == []  # begun: from now on
    except (RedisError, OSError) as error:
        if REDIS_REQUIRED:
            raise
        pytest.skip(f"Redis at {REDIS_URL} does not answer: {error!r}")
    assert await second.exchange() == []

    first.tell(HELD)
    first.tell(SOLD)
    second.tell(TAKEN)
    assert await first.exchange() == []  # sent its own; none of the second's yet
    assert await second.exchange() == [HELD, SOLD]  # and sent TAKEN
    assert await first.exchange() == [TAKEN]
    assert await first.exchange() == []
    assert await second.exchange() == []

    late = processes()
    assert await late.exchange() == []  # what was told before it began is not its news
    second.tell(SWEPT)
    await second.exchange()
    assert await late.exchange() == [SWEPT]
    assert await first.exchange() == [SWEPT]
