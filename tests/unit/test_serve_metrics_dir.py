"""`serve --workers N` keeps the workers' metric files in a directory that holds no earlier
run's files: one of its own, removed when it stops, or the one set, emptied first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice import cli

ENV = {
    "BOXOFFICE_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "BOXOFFICE_REDIS_URL": "redis://127.0.0.1:6379/0",
    "BOXOFFICE_SECRET_KEY": "s" * 32,
    "BOXOFFICE_ADMIN_KEY": "a" * 32,
}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, list[str]]]:
    """What the server would have started with: its metrics directory and the files in it."""
    seen: list[tuple[Path, list[str]]] = []

    def run(*_args: object) -> None:
        directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        seen.append((directory, sorted(p.name for p in directory.iterdir())))

    monkeypatch.setattr(cli, "_run", run)
    # Nothing connects: the database's schema is tests/abuse's (a server on a database behind).
    monkeypatch.setattr(cli, "_check_schema", lambda _settings: None)
    # Recorded first (as it was, unset), so that what serve sets is undone after the test.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    return seen


def test_a_directory_of_its_own_is_removed_when_the_server_stops(served) -> None:
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "2"], env=ENV)

    assert result.exit_code == 0, result.output
    ((directory, files),) = served
    assert files == []
    assert not directory.exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_directory_set_is_emptied_of_an_earlier_runs_metric_files(
    served, tmp_path: Path, workers: str
) -> None:
    """/metrics adds the directory's files up whenever it is set, one worker or more."""
    for name in ("counter_4242.db", "gauge_livesum_4242.db", "histogram_7.db", "summary_7.db"):
        (tmp_path / name).write_bytes(b"an earlier run's figures")
    (tmp_path / "notes.txt").write_text("not a metric file")
    (tmp_path / "keep.db").write_bytes(b"someone else's database")

    result = CliRunner().invoke(
        cli.app,
        ["serve", "--workers", workers],
        env={**ENV, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
    )

    assert result.exit_code == 0, result.output
    assert served == [(tmp_path, ["keep.db", "notes.txt"])]
