"""Fixtures of the fault suite: servers of its own, instances on them, proxies in between.

The suite starts everything it breaks: a PostgreSQL cluster (initdb) and a Redis server on free
ports, never the machine's shared ones. Every fixture stops what it started when the test ends,
failed or not. `make faults` runs the fast scenarios, `make faults-full` the `slow` ones too;
`make test` does not collect this folder (pyproject's testpaths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.instances import Instances
from tests.faults.own_postgres import OwnPostgres
from tests.faults.own_redis import OwnRedis
from tests.faults.proxy import FaultProxy
from tests.faults.sale_report import reports_folder

MakeInstances = Callable[..., Instances]
MakeProxy = Callable[[str], FaultProxy]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a soak or slow variant, only in `make faults-full`")


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by it
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A started PostgreSQL cluster of the test's own, with an empty database `boxoffice`."""
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A started Redis of the test's own, persistent (AOF, fsync every second)."""
    server = OwnRedis(persistent=True)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def log_folder(request: pytest.FixtureRequest) -> Path:
    """bench-results/faults/<test>/: the instances' logs, kept after the run."""
    folder = reports_folder() / str(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.log"):
        old.unlink()
    return folder


@pytest.fixture
def make_proxy() -> Iterator[MakeProxy]:
    """`make_proxy(url)`: a started FaultProxy in front of the server at `url`."""
    proxies: list[FaultProxy] = []

    def make(url: str) -> FaultProxy:
        proxy = FaultProxy.in_front_of(url)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def make_instances(
    own_postgres: OwnPostgres, own_redis: OwnRedis, log_folder: Path
) -> Iterator[MakeInstances]:
    """`make_instances(count, serve_database_url=..., serve_redis_url=..., **settings)`: started
    and ready instances on the test's own servers (by default reached directly)."""
    started: list[Instances] = []

    def make(count: int = 2, **options: Any) -> Instances:
        instances = Instances(count, own_postgres.url, own_redis.url, log_folder, **options)
        started.append(instances)
        instances.start_all()
        return instances

    yield make
    for instances in started:
        instances.close()
