"""Integration tests need real PostgreSQL and Redis: BOXOFFICE_TEST_DATABASE_URL/_REDIS_URL."""

from __future__ import annotations

import pytest

from tests.integration.cluster import DATABASE_URL, REDIS_URL


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if DATABASE_URL and REDIS_URL:
        return
    skip = pytest.mark.skip(reason="set BOXOFFICE_TEST_DATABASE_URL and BOXOFFICE_TEST_REDIS_URL")
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(skip)
