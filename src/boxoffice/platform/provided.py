"""What routes are handed: each domain declares the one typed object its routes need (its
`...Deps` dataclass), the app provides one of each, and a route asks for it by type.

No route sees the whole wiring (`bootstrap.Container`), and no domain imports it: the domains
declare what they need, the composition root (`app`) builds it. One dependency a route, as
before, so a request costs FastAPI no more to solve. An app that lacks an object some route asks
for fails when it is built (`Provided.check`), not at a fan's request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request

__all__ = ["Provided", "provided"]

T = TypeVar("T")

# Every type a route may ask for: declared by `provided`, when the route module is imported.
_ASKED: set[type[Any]] = set()


class Provided:
    """One object of each type the routes ask for, kept in the app's state."""

    def __init__(self, *objects: object) -> None:
        self._by_type: dict[type[Any], object] = {}
        for found in objects:
            if type(found) in self._by_type:
                raise ValueError(f"two {type(found).__name__} provided")
            self._by_type[type(found)] = found

    def get(self, kind: type[T]) -> T:
        found = self._by_type[kind]
        assert isinstance(found, kind)
        return found

    def check(self) -> None:
        """Fail now if a route asks for a type nothing provides."""
        missing = sorted(kind.__qualname__ for kind in _ASKED - self._by_type.keys())
        if missing:
            raise LookupError(f"the routes ask for what the app does not provide: {missing}")


def provided(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A FastAPI dependency handing the route the app's object of type `kind` (a route served
    without FastAPI's dependencies awaits it with its request)."""
    _ASKED.add(kind)

    async def provide(request: Request) -> T:
        found: Provided = request.app.state.provided
        return found.get(kind)

    provide.__name__ = f"provide_{kind.__name__}"
    return provide
