"""Secret and admin keys: from settings, or generated once and kept beside the embedded database."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from boxoffice.settings import Settings


class ConfigurationError(RuntimeError):
    """The service cannot start safely with these settings."""


@dataclass(frozen=True)
class Keys:
    secret_key: str = field(repr=False)
    admin_key: str = field(repr=False)
    # Where a generated admin key is kept; None when it came from the settings.
    admin_key_kept_at: Path | None = None


def resolve_keys(settings: Settings) -> Keys:
    """Configured keys win; the embedded default makes and keeps its own; production needs both."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    admin = settings.admin_key.get_secret_value() if settings.admin_key else None
    if secret and admin:
        return Keys(secret, admin)
    if not settings.is_embedded:
        missing = [
            name
            for name, value in (("BOXOFFICE_SECRET_KEY", secret), ("BOXOFFICE_ADMIN_KEY", admin))
            if not value
        ]
        raise ConfigurationError(
            f"{' and '.join(missing)} must be set when PostgreSQL or Redis is configured: every "
            "instance must share them. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    stored = _load_or_create(settings)
    if admin:
        return Keys(secret or stored.secret_key, admin)
    return replace(stored, secret_key=secret or stored.secret_key)


def _load_or_create(settings: Settings) -> Keys:
    path = settings.data_dir / "secrets.json"
    if path.exists():
        data = json.loads(path.read_text())
        return Keys(data["secret_key"], data["admin_key"], path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = Keys(secrets.token_urlsafe(32), secrets.token_urlsafe(32), path)
    # Written with O_EXCL so two processes starting at once agree on one pair of keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_or_create(settings)
    with os.fdopen(fd, "w") as handle:
        json.dump({"secret_key": keys.secret_key, "admin_key": keys.admin_key}, handle)
    return keys
