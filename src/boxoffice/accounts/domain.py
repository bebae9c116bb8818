"""Account rules with no I/O: what a username may be."""

from __future__ import annotations

import re

__all__ = ["USERNAME_PATTERN", "is_username"]

# Lower-case letters, digits and `_.-`, 3 to 32 of them: what sign-up accepts.
USERNAME_PATTERN = r"^[a-z0-9_.-]{3,32}$"
_USERNAME = re.compile(USERNAME_PATTERN)


def is_username(name: str) -> bool:
    """Whether an account could have this name (a log-in with any other finds none)."""
    return _USERNAME.fullmatch(name) is not None
