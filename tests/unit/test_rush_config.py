"""The rush only targets this machine, and reads the servers' settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice_rush.config import (
    RushConfig,
    TargetRefused,
    check_local_url,
    descriptor_limit_for,
    read_env_file,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://127.255.3.4", "http://127.255.3.4"),
        ("https://localhost:8443", "https://localhost:8443"),
        ("http://LOCALHOST:1", "http://LOCALHOST:1"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        (" http://127.0.0.1:9/prefix/ ", "http://127.0.0.1:9/prefix"),
    ],
)
def test_loopback_urls_are_allowed(url: str, expected: str) -> None:
    assert check_local_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:8000",
        "http://192.168.1.10",
        "http://172.16.0.1",
        "http://8.8.8.8",
        "http://example.com",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:10.0.0.1]",
        "http://[2001:db8::1]",
        "http://0.0.0.0:8000",
        "ftp://127.0.0.1",
        "127.0.0.1:8000",
        "http://",
        "http://127.0.0.1:8000/?next=http://example.com",
    ],
)
def test_other_hosts_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_local_url(url)


def test_env_file_reads_assignments_and_skips_comments(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text(
        "# servers of the bench\n\nBOXOFFICE_DATABASE_URL=postgresql+asyncpg://x@h/db\n"
        "export BOXOFFICE_REDIS_URL='redis://127.0.0.1:6379/14'\n"
        'BOXOFFICE_QUEUE_ROOM="bench=1"\n'
    )
    assert read_env_file(path) == {
        "BOXOFFICE_DATABASE_URL": "postgresql+asyncpg://x@h/db",
        "BOXOFFICE_REDIS_URL": "redis://127.0.0.1:6379/14",
        "BOXOFFICE_QUEUE_ROOM": "bench=1",
    }


def test_env_file_refuses_a_line_without_assignment(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text("BOXOFFICE_DATABASE_URL\n")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        read_env_file(path)


def test_config_counts_seats_and_refuses_nonsense(tmp_path: Path) -> None:
    config = RushConfig(("http://127.0.0.1:8000",), "key", tmp_path, dates=3, seats=7)
    assert config.total_seats == 21
    with pytest.raises(ValueError, match="fans"):
        RushConfig(("http://127.0.0.1:8000",), "key", tmp_path, fans=0)
    with pytest.raises(ValueError, match="url"):
        RushConfig((), "key", tmp_path)


def _config(tmp_path: Path, **options: object) -> RushConfig:
    return RushConfig(
        base_urls=("http://127.0.0.1:8000",), admin_key="k", output_dir=tmp_path, **options
    )


def test_the_open_file_limit_is_raised_to_what_the_streams_need(tmp_path: Path) -> None:
    polling = _config(tmp_path, fans=25_000, concurrency=25_000)
    streaming = _config(tmp_path, fans=25_000, concurrency=25_000, stream=True)

    # Polling fans share the pooled connections: the usual limit is enough.
    assert descriptor_limit_for(polling, 1024, 4096) == 1024
    # Each streaming fan in flight holds a connection of its own, besides the 64 + 64 pooled.
    assert descriptor_limit_for(streaming, 1024, None) == 25_000 + 128 + 256
    assert descriptor_limit_for(streaming, 1024, 30_000) == 25_000 + 128 + 256
    assert descriptor_limit_for(streaming, 40_000, 40_000) == 40_000  # never lowered


def test_a_rush_the_hard_limit_cannot_hold_is_refused_with_what_to_change(tmp_path: Path) -> None:
    streaming = _config(tmp_path, fans=25_000, concurrency=25_000, stream=True)

    with pytest.raises(ValueError, match=r"25,384 .* only 20,000 .* --concurrency.* --stream"):
        descriptor_limit_for(streaming, 20_000, 20_000)
    fewer_at_once = _config(tmp_path, fans=25_000, concurrency=10_000, stream=True)
    assert descriptor_limit_for(fewer_at_once, 1024, 20_000) == 10_000 + 128 + 256
