"""Limits on sign-up and log-in: per client address, and per username after failed log-ins.

Sign-ups cost an argon2 hash each and every account may hold seats, so one address may open only
so many a minute. Log-ins are counted per address too, and wrong passwords per username: past
the limit the name is refused for the rest of the minute, whoever asks, before its password is
even checked, so guessing one fan's password from many addresses gains nothing either. Each
attempt counts as a failure before it is checked (and is given back once right), so guesses
sent all at once are held to the limit as well as guesses sent one after the other.
"""

from __future__ import annotations

from boxoffice.platform.rate_limit import NO_PACE, Limit, Lockout, RateLimiter, refused
from boxoffice.settings import Settings

_USERNAME_KEY_LENGTH = 64  # usernames are at most 32; a longer guess still gets one key


def _username(username: str) -> str:
    return username.lower()[:_USERNAME_KEY_LENGTH]


async def guard_sign_up(
    limiter: RateLimiter, settings: Settings, client_ip: str, now: float
) -> None:
    """Raise RateLimited if this address signed up too often this minute."""
    if not settings.signup_limit_per_ip:
        return
    limit = Limit.per_minute(f"signup:ip:{client_ip}", settings.signup_limit_per_ip)
    wait = await limiter.check(NO_PACE, [limit], now)
    if wait > 0:
        raise refused("signup", wait, "Too many sign-ups from your address")


def _failures(limiter: RateLimiter, settings: Settings) -> Lockout:
    return Lockout(limiter, "login", settings.login_failures_per_username)


async def guard_log_in(
    limiter: RateLimiter, settings: Settings, client_ip: str, username: str, now: float
) -> None:
    """Count this attempt on the address and, until it proves right, as a failure of the
    username; raise RateLimited if either is past its limit (the password is then not checked)."""
    per_ip = settings.login_limit_per_ip
    counters = [Limit.per_minute(f"login:ip:{client_ip}", per_ip)] if per_ip else []
    wait = await _failures(limiter, settings).attempt(_username(username), now, counters)
    if wait > 0:
        raise refused("login", wait, "Too many log-in attempts")


async def logged_in(limiter: RateLimiter, settings: Settings, username: str, now: float) -> None:
    """The password was right: the attempt is not a failure of the username."""
    await _failures(limiter, settings).succeeded(_username(username), now)
