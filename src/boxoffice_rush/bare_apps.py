"""The bare apps the ceiling compares each endpoint with, as the rush knows them: by their name on
`boxoffice serve-bare`'s command line, the label its reports give them, and the round trips each
makes. The apps themselves are the product's (`boxoffice serve-bare`); the rush only starts them
through that command and sends them `GET /`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PATH", "BareApp"]

# What every bare app answers, and the only thing it answers.
PATH = "/"


class BareApp(StrEnum):
    """A bare app, by the round trips it makes per request; its value is the report's label."""

    NOTHING = "bare"
    REDIS = "one Redis"
    POSTGRES = "one PostgreSQL"
    REDIS_POSTGRES = "one Redis + one PostgreSQL"
    REDIS_POSTGRES_REDIS = "two Redis + one PostgreSQL"

    @property
    def uses_redis(self) -> bool:
        """Whether each request makes a Redis round trip (its name on the command line says)."""
        return "redis" in self.slug.split("_")

    @property
    def uses_postgres(self) -> bool:
        """Whether each request makes a PostgreSQL round trip."""
        return "postgres" in self.slug.split("_")

    @property
    def slug(self) -> str:
        """The app's name on `boxoffice serve-bare`'s command line."""
        return self.name.lower()
