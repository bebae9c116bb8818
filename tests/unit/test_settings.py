"""Settings and keys: safe on a laptop with nothing configured, strict once production is."""

from __future__ import annotations

import json
import os

import pytest

from boxoffice.platform.secrets import ConfigurationError, resolve_keys
from boxoffice.settings import Settings

POSTGRES = "postgresql+asyncpg://boxoffice@db.example:5432/boxoffice"
REDIS = "redis://cache.example:6379/0"


@pytest.fixture(autouse=True)
def _no_boxoffice_environment(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("BOXOFFICE_"):
            monkeypatch.delenv(name)


def test_the_default_is_the_embedded_sqlite_file_under_the_data_directory(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)

    assert settings.is_sqlite
    assert settings.is_embedded
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'boxoffice.db'}"
    assert settings.redis_url is None


def test_the_design_defaults_hold() -> None:
    settings = Settings()

    assert settings.hold_seconds == 300
    assert settings.max_seats_per_reservation == 4


def test_settings_come_from_boxoffice_variables(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BOXOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOXOFFICE_HOLD_SECONDS", "120")
    monkeypatch.setenv("BOXOFFICE_QUEUE_MAX_ACTIVE", "7")
    monkeypatch.setenv("BOXOFFICE_DATABASE_URL", POSTGRES)

    settings = Settings()

    assert settings.data_dir == tmp_path
    assert settings.hold_seconds == 120
    assert settings.queue_max_active == 7
    assert not settings.is_sqlite
    assert not settings.is_embedded


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hold_seconds", 0),
        ("queue_max_active", 0),
        ("wallet_max_charge", -1),
        ("admin_key", "a"),  # keys: at least 32 characters
        ("admin_key", "a" * 31),
        ("secret_key", "s" * 31),
    ],
)
def test_nonsense_values_are_refused(name, value) -> None:
    with pytest.raises(ValueError):
        Settings(**{name: value})


def test_the_embedded_default_makes_its_keys_once_and_keeps_them(tmp_path) -> None:
    first = resolve_keys(Settings(data_dir=tmp_path))

    stored = json.loads((tmp_path / "secrets.json").read_text())
    again = resolve_keys(Settings(data_dir=tmp_path))

    assert len(first.secret_key) >= 32
    assert first.admin_key
    assert first.secret_key != first.admin_key
    assert stored == {"secret_key": first.secret_key, "admin_key": first.admin_key}
    assert again == first
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


def test_each_data_directory_gets_its_own_keys(tmp_path) -> None:
    first = resolve_keys(Settings(data_dir=tmp_path / "a"))
    second = resolve_keys(Settings(data_dir=tmp_path / "b"))

    assert first.secret_key != second.secret_key
    assert first.admin_key != second.admin_key


def test_configured_keys_win_and_nothing_is_written(tmp_path) -> None:
    keys = resolve_keys(Settings(data_dir=tmp_path, secret_key="s" * 40, admin_key="a" * 40))

    assert (keys.secret_key, keys.admin_key) == ("s" * 40, "a" * 40)
    assert not (tmp_path / "secrets.json").exists()


def test_one_configured_key_is_kept_and_the_other_generated(tmp_path) -> None:
    keys = resolve_keys(Settings(data_dir=tmp_path, admin_key="my-admin-key-" * 3))

    assert keys.admin_key == "my-admin-key-" * 3
    assert keys.secret_key == json.loads((tmp_path / "secrets.json").read_text())["secret_key"]


@pytest.mark.parametrize(
    "backends",
    [
        {"database_url": POSTGRES},
        {"redis_url": REDIS},
        {"database_url": POSTGRES, "redis_url": REDIS},
    ],
    ids=["postgresql", "redis", "both"],
)
@pytest.mark.parametrize(
    "keys",
    [{}, {"secret_key": "s" * 40}, {"admin_key": "a" * 40}],
    ids=["no keys", "no admin key", "no secret key"],
)
def test_production_backends_refuse_to_start_without_both_keys(tmp_path, backends, keys) -> None:
    settings = Settings(data_dir=tmp_path, **backends, **keys)

    with pytest.raises(ConfigurationError) as refused:
        resolve_keys(settings)

    for name, value in (
        ("BOXOFFICE_SECRET_KEY", "secret_key"),
        ("BOXOFFICE_ADMIN_KEY", "admin_key"),
    ):
        assert (name in str(refused.value)) is (value not in keys)
    assert not (tmp_path / "secrets.json").exists()


def test_production_backends_start_with_both_keys(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=POSTGRES,
        redis_url=REDIS,
        secret_key="s" * 40,
        admin_key="a" * 32,
    )

    assert resolve_keys(settings).admin_key == "a" * 32
