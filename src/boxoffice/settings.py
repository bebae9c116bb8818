"""Typed settings from BOXOFFICE_* environment variables."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.5, 10.1.0.0/16, ::1` as networks; ValueError names an entry that is not one."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError as error:
                raise ValueError(f"not an address or network: {entry!r}") from error
    return tuple(networks)


class Settings(BaseSettings):
    """Every knob of the service; safe defaults for a laptop, strict for production."""

    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    # At least 32 bytes: HS256 wants a key as long as its hash.
    secret_key: SecretStr | None = Field(None, min_length=32)
    # At least 32 characters too: it opens every admin route (wrong ones are limited per
    # address, `admin_failures_per_ip`, but a short key would still fall to a patient guesser).
    admin_key: SecretStr | None = Field(None, min_length=32)
    # When set, GET /metrics needs `Authorization: Bearer <token>` (Prometheus' `authorization`).
    metrics_token: SecretStr | None = Field(None, min_length=32)

    hold_seconds: int = Field(300, ge=5)
    max_seats_per_reservation: int = Field(4, ge=1)
    max_held_seats_per_user: int = Field(4, ge=1)

    queue_max_active: int = Field(100, ge=1)
    queue_admit_per_minute: int = Field(600, ge=1)
    queue_active_ttl_seconds: int = Field(600, ge=10)
    queue_claim_seconds: int = Field(60, ge=5)
    queue_room: str = "main"
    # After the waiting room's store was lost (a new, empty Redis; a restarted embedded server),
    # admission waits this long from the first pass that came back, for the others to come back
    # to their places: longer than the longest poll interval fans are told (60 s).
    queue_recovery_seconds: float = Field(70.0, ge=0)
    admission_interval_seconds: float = Field(0.5, gt=0)
    sweeper_interval_seconds: float = Field(5.0, gt=0)

    # Abuse limits on the waiting room, per minute; 0 turns one off. Polls sooner than
    # `poll_pace_ratio` x the advised `poll_after_seconds` are refused without touching the line.
    join_limit_per_account: int = Field(20, ge=0)
    status_limit_per_account: int = Field(300, ge=0)
    queue_limit_per_ip: int = Field(6000, ge=0)
    poll_pace_ratio: float = Field(0.5, ge=0, le=1)
    stream_interval_seconds: float = Field(0.5, gt=0)

    wallet_currency: str = "KRW"
    wallet_max_balance: int = Field(10_000_000, ge=1)
    wallet_max_charge: int = Field(2_000_000, ge=1)

    # Status polls worked on at once per process (platform/lanes.py); 0: no cap. Fewer while a
    # shop request (dates, seat map, hold, payment) is in flight in that process.
    poll_concurrency: int = Field(16, ge=0)
    poll_concurrency_shop_busy: int = Field(4, ge=1)
    # Seat maps and date lists are read from the database at most once per this long per
    # process. A write here amends the seat maps at once; it makes date lists stale, and a
    # stale one is read again at most this often (0: on the next read).
    hot_read_seconds: float = Field(1.0, gt=0, le=10)
    hot_read_refresh_seconds: float = Field(0.2, ge=0, le=10)
    access_token_ttl_seconds: int = Field(3600, ge=60)
    # Access tokens and queue passes kept once verified, per kind and process (platform/security):
    # more than the fans who poll one process in turn, or their tokens are verified again.
    verified_tokens_kept: int = Field(60_000, ge=0)
    # Encoded seat layouts kept per process, counted in seats (~170 bytes each): the least
    # recently read date is dropped past it. Five of the largest dates (100,000 seats) by
    # default, ~85 MB: dates browsed at once beyond it drop each other, and every map read
    # then builds a layout again (~0.3 s of a worker's CPU for 100,000 seats).
    seat_layouts_kept_seats: int = Field(500_000, ge=1)
    # Join-time wait estimates kept per process to measure their error when the pass is
    # admitted (a sample: the oldest is dropped past it).
    wait_estimates_kept: int = Field(10_000, ge=0)
    # argon2id cost: the defaults are argon2-cffi's (RFC 9106 low-memory); tests and load
    # generators that create thousands of accounts lower them.
    password_time_cost: int = Field(3, ge=1)
    password_memory_kib: int = Field(65536, ge=32)  # argon2: 8 KiB per lane, 4 lanes
    # Hashes worked on at once per process (each takes its memory cost); the rest wait a turn.
    password_hashes_at_once: int = Field(2, ge=1)
    db_pool_size: int = Field(10, ge=1)
    # Overflow connections are closed when returned to a full pool: under a rush that is a new
    # connection for many requests, so by default a request waits for one of the pool's.
    db_max_overflow: int = Field(0, ge=0)
    db_lock_timeout_ms: int = Field(2000, ge=100)
    redis_pool_size: int = Field(50, ge=1)
    # Every request answers within this many seconds (past it: 503 + Retry-After, see
    # platform/deadline.py), and no single call to PostgreSQL or Redis waits longer than this
    # for a connection or an answer, so background work cannot hang on a dependency either.
    request_deadline_seconds: float = Field(5.0, gt=0, le=60)
    # Hostile clients (docs/security.md). What a request may be, checked before any route or
    # credential: a body past `max_body_bytes` answers 413, headers past `max_header_bytes` 431.
    max_body_bytes: int = Field(65536, ge=1024)
    max_header_bytes: int = Field(16384, ge=1024)
    # Event streams (docs/security.md): a browser opens one with a stream ticket good for this
    # long, never with its access token in the URL; at most this many tickets per account a
    # minute (0: no limit). Open streams per pass and per account, per process: past either cap
    # the oldest of them is closed (a fan who reloads keeps the new one).
    stream_ticket_seconds: int = Field(30, ge=5, le=300)
    stream_tickets_per_account: int = Field(30, ge=0)
    stream_max_per_pass: int = Field(2, ge=1)
    stream_max_per_account: int = Field(4, ge=1)
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed for the
    # client's address, as every per-address limit counts it; nothing by default.
    trusted_proxies: str = ""
    # Per minute; 0 turns one off (load generators sign up thousands from one address). Past
    # `login_failures_per_username` wrong passwords, the name is refused for the rest of the
    # minute whoever asks; past `admin_failures_per_ip` wrong admin keys, the address's wrong
    # ones are (a right key never is).
    signup_limit_per_ip: int = Field(10, ge=0)
    login_limit_per_ip: int = Field(30, ge=0)
    login_failures_per_username: int = Field(10, ge=0)
    admin_failures_per_ip: int = Field(10, ge=0)
    # Longer than the fans' polling interval, so a polling client keeps one connection.
    http_keep_alive_seconds: int = Field(75, ge=1)
    log_level: str = "INFO"
    log_json: bool = False

    @model_validator(mode="after")
    def _refresh_within_hot_read_lifetime(self) -> Self:
        # A floor past an entry's lifetime would mean nothing: refuse it rather than ignore it.
        if self.hot_read_refresh_seconds > self.hot_read_seconds:
            raise ValueError("hot_read_refresh_seconds must not exceed hot_read_seconds")
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        parse_networks(value)  # refuse a typo at start, not at the first forwarded request
        return value

    @property
    def trusted_networks(self) -> tuple[Network, ...]:
        """`trusted_proxies` as networks."""
        return parse_networks(self.trusted_proxies)

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'boxoffice.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded default database."""
        return self.effective_database_url.startswith("sqlite")

    @property
    def is_embedded(self) -> bool:
        """True when neither PostgreSQL nor Redis is configured."""
        return self.is_sqlite and not self.redis_url
