"""What a rush is asked to do, and the checks on it made before any request is sent."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "RushConfig",
    "TargetRefused",
    "check_local_url",
    "descriptor_limit_for",
    "read_env_file",
]

_LOCAL_NAMES = frozenset({"localhost"})
# Files a rush holds besides its connections: standard streams, the audit's pipes, sockets
# still closing.
_SPARE_DESCRIPTORS = 256


class TargetRefused(ValueError):
    """The URL names a host that is not this machine's loopback."""


def check_local_url(url: str) -> str:
    """The URL without a trailing slash, if it is http(s) on a loopback host; else TargetRefused.

    Only 127.0.0.0/8, ::1 and `localhost` pass: a load generator must never be pointed at
    another machine, so names that could resolve elsewhere are refused rather than resolved.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"{url!r}: only http:// or https:// URLs are allowed")
    host = parts.hostname
    if not host:
        raise TargetRefused(f"{url!r}: no host")
    if host.lower() not in _LOCAL_NAMES:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise TargetRefused(
                f"{url!r}: host {host!r} is not 127.0.0.0/8, ::1 or localhost"
            ) from None
        if not address.is_loopback:
            raise TargetRefused(f"{url!r}: {host} is not a loopback address")
    if parts.query or parts.fragment:
        raise TargetRefused(f"{url!r}: give the base URL only, without query or fragment")
    return url.strip().rstrip("/")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (optionally `export KEY=VALUE`, quoted values); blanks and # comments."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}: not KEY=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass(frozen=True)
class RushConfig:
    """Every option of a rush; see `boxoffice rush --help` for the meaning of each."""

    base_urls: tuple[str, ...]
    admin_key: str
    output_dir: Path
    dates: int = 2
    seats: int = 500
    fans: int = 1500
    price: int = 50_000
    concurrency: int = 1000
    connections: int = 64
    shop_connections: int = 64  # 0: the shop shares the line's connections
    max_active: int = 300
    admit_per_minute: int = 60_000
    active_ttl_seconds: int = 300
    duration: float = 180.0
    setup_timeout: float = 300.0
    stream: bool = False
    ceiling: bool = False
    ceiling_seconds: float = 10.0
    ceiling_workers: int = 1  # the servers' worker count: the bare apps run with as many
    endpoints: bool = False  # each hot endpoint alone, after the ceiling and before the sale
    endpoint_seconds: float = 8.0
    endpoint_join_fans: int = 0  # fresh fans for the join step; 0: sized from the ceiling
    endpoint_active_fans: int = 0  # admitted fans for seat map, hold, pay; 0: likewise
    hold_tries: int = 3
    max_seats_per_fan: int = 4
    audit: bool = True
    audit_env: tuple[tuple[str, str], ...] = ()
    progress: bool = True
    seed: int | None = None
    lines: int = 1  # >1: that many sales at once, each a concert with a line of its own
    quiet_seconds: float = 10.0  # with lines: the quiet line timed this long alone and beside

    def __post_init__(self) -> None:
        if not self.base_urls:
            raise ValueError("give at least one --url")
        names = ("dates", "seats", "fans", "concurrency", "connections", "max_active")
        for name in (*names, "ceiling_workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 1 <= self.max_seats_per_fan <= 4:
            raise ValueError("max_seats_per_fan must be within 1..4")
        if self.duration <= 0 or self.ceiling_seconds <= 0 or self.endpoint_seconds <= 0:
            raise ValueError("durations must be positive")
        if self.shop_connections < 0:
            raise ValueError("shop_connections must be 0 (share the line's) or more")
        if self.endpoint_join_fans < 0 or self.endpoint_active_fans < 0:
            raise ValueError("endpoint fans must be 0 (sized from the ceiling) or more")
        self._check_lines()

    def _check_lines(self) -> None:
        if self.lines < 1 or self.quiet_seconds <= 0:
            raise ValueError("lines must be at least 1 and quiet_seconds positive")
        if self.lines > 1 and (self.ceiling or self.endpoints):
            raise ValueError("--lines plays sales only: run --ceiling and --endpoints without it")
        if self.lines > self.fans:
            raise ValueError("every line needs a fan: give at least as many --fans as --lines")

    @property
    def total_seats(self) -> int:
        """Seats on sale over every date."""
        return self.dates * self.seats


def descriptor_limit_for(config: RushConfig, soft: int, hard: int | None) -> int:
    """The open-file limit the rush needs, given the process's `soft` and `hard` limits (None:
    unlimited): its pooled connections and, with `stream`, one connection per fan in flight.

    Never lower than `soft`; a ValueError that says what to change when `hard` is too low.
    """
    # Each line of --lines has connections of its own; the first line's are the setup's too.
    pooled = (config.connections + config.shop_connections) * len(config.base_urls) * config.lines
    streams = min(config.fans, config.concurrency) if config.stream else 0
    needed = pooled + streams + _SPARE_DESCRIPTORS
    if needed <= soft:
        return soft
    if hard is not None and needed > hard:
        raise ValueError(
            f"this rush may hold {needed:,} connections and files at once ({streams:,} event "
            f"streams, {pooled:,} pooled connections), but this process may open only "
            f"{hard:,} (ulimit -Hn): lower --concurrency, or run without --stream"
        )
    return needed
