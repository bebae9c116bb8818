"""What `boxoffice migrate` prints of the database URL: never a password, wherever it is given."""

from __future__ import annotations

import pytest

from boxoffice.cli import _safe_url
from boxoffice.settings import Settings


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+asyncpg://fan:secret-password@db.example:5432/shop",
            "postgresql+asyncpg://***@db.example:5432/shop",
        ),
        (
            "postgresql+asyncpg://fan@db.example:5432/shop?password=secret-password&ssl=require",
            "postgresql+asyncpg://***@db.example:5432/shop",
        ),
        (
            "postgresql+asyncpg://db.example/shop?user=fan&password=secret-password",
            "postgresql+asyncpg://db.example/shop",
        ),
        ("sqlite+aiosqlite:///var/boxoffice.db", "sqlite+aiosqlite:///var/boxoffice.db"),
    ],
)
def test_the_database_url_is_shown_without_its_credentials(url: str, shown: str) -> None:
    assert _safe_url(Settings(database_url=url)) == shown
