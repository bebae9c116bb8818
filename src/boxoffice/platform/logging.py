"""structlog set-up: readable lines on a terminal, JSON lines in production."""

from __future__ import annotations

import logging

import structlog


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """Route structlog (and the standard library's loggers) to stderr at `level`."""
    logging.basicConfig(format="%(message)s", level=level.upper())
    # Plain tracebacks: rich ones print every local variable (secrets included) and take
    # seconds of the event loop to render.
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        processors += [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()]
    else:
        processors.append(
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )


class Failing:
    """A background step's failures logged once while they last: the first failure of a kind
    (`key`: a line, say) as `event`, the rest counted, and `event`_over once it succeeds again,
    with how many failed. A dependency down for a minute is then two lines a kind and worker,
    not one every tick of every loop of every worker."""

    def __init__(self, logger: structlog.typing.FilteringBoundLogger, event: str) -> None:
        self._log = logger
        self._event = event
        self._failures: dict[object, int] = {}

    def failed(self, error: BaseException, key: object = None, **fields: object) -> None:
        count = self._failures.get(key, 0)
        if count == 0:
            self._log.warning(self._event, error=repr(error), **fields)
        self._failures[key] = count + 1

    def succeeded(self, key: object = None, **fields: object) -> None:
        count = self._failures.pop(key, 0)
        if count:  # at the failure's level: whoever saw it start sees it end
            self._log.warning(f"{self._event}_over", failures=count, **fields)
