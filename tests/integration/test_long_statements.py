"""A request's call to PostgreSQL answers within the request deadline, but a tool that reads a
sale's worth of rows does not: `boxoffice audit` of a full-size sale (25,000 fans, 20,000
tickets) ran past the 5 s deadline in one check and failed with a TimeoutError instead of a
report. Its engine has no deadline on an answer (`create_engine(long_statements=True)`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from boxoffice import audit
from boxoffice.bootstrap import Container, build_container
from boxoffice.platform.database import create_engine
from boxoffice.settings import Settings
from tests.conftest import TEST_SETTINGS
from tests.integration.cluster import DATABASE_URL, REDIS_URL

pytestmark = pytest.mark.integration
DEADLINE = 0.2
SLOW = "SELECT pg_sleep(0.6)"


def _settings(tmp_path: Path) -> Settings:
    assert DATABASE_URL is not None
    return Settings(
        **{
            **TEST_SETTINGS,
            "data_dir": tmp_path,
            "database_url": DATABASE_URL,
            "redis_url": REDIS_URL,
            "request_deadline_seconds": DEADLINE,
        }
    )


@pytest.mark.parametrize("long_statements", [False, True])
async def test_only_a_long_statement_engine_waits_past_the_deadline(
    tmp_path: Path, long_statements: bool
) -> None:
    engine = create_engine(_settings(tmp_path), long_statements=long_statements)
    try:
        async with engine.connect() as connection:
            if long_statements:
                await connection.execute(text(SLOW))
            else:
                with pytest.raises(TimeoutError):
                    await connection.execute(text(SLOW))
    finally:
        await engine.dispose()


async def test_the_audit_reads_without_the_request_deadline(
    tmp_path: Path, migrated_database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[bool] = []

    def recording(settings: Settings, **options: bool) -> Container:
        built.append(options.get("long_statements", False))
        return build_container(settings, **options)

    monkeypatch.setattr(audit, "build_container", recording)
    settings = _settings(tmp_path)

    report = await audit.run_audit(settings)

    assert report.ok, report.lines()
    assert built == [True]
