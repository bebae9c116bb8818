"""Limits on what a request may be, enforced before any route, dependency or credential check.

A body is refused as soon as it is known to be too large: at once from its `Content-Length`,
or, sent in chunks without one, at the first chunk past the limit. Nothing is then read further
and the route never runs, so an unauthenticated client cannot make the service read 50 MB to
learn it is not logged in. Headers are refused past their own limit (431). The HTTP server has
parsed them by then, so the first line against huge headers is the load balancer's buffer limit
(docs/operations.md); this check keeps them out of the service either way.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.platform.problems import HEADERS_TOO_LARGE, PAYLOAD_TOO_LARGE

# HTTP/1.x frames a request's body by its Content-Length or in chunks (Transfer-Encoding), and
# one with neither has none (RFC 9112, 6.3); the server holds a body to its declared length.
# Other versions (HTTP/2 frames, a scope that does not say) are counted as they come.
_FRAMED_BY_LENGTH = frozenset({"1.0", "1.1"})


class _BodyTooLarge(HTTPException):
    """The body went past the limit while a route was reading it: FastAPI lets an HTTPException
    out of its body reading as it is (any other error there becomes a 400), and the problem
    handlers answer it as 413 PAYLOAD_TOO_LARGE."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"A request body may be at most {limit} bytes.", {"Connection": "close"}
        )
        # As the 413 answered from the declared length has them.
        self.problem_extra = {"limit": limit}


class RequestSizeMiddleware:
    """413 PAYLOAD_TOO_LARGE past `max_body_bytes`; 431 HEADERS_TOO_LARGE past the headers'."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self._max_body = max_body_bytes
        self._max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal, chunked = self._refusal(scope["headers"])
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if not chunked and scope.get("http_version") in _FRAMED_BY_LENGTH:
            # No body but one of the length it declared (checked above), or none at all: there
            # is nothing to count as it comes (nor, for every GET, a wrapper to pay for).
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request, its body counted as it comes and cut at the limit."""
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_body:
                    if started:
                        # Answering already (an event stream listening for its client to go):
                        # a body past the limit now ends the request as if the client left.
                        return {"type": "http.disconnect"}
                    raise _BodyTooLarge(self._max_body)
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, noting_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    def _refusal(self, headers: list[tuple[bytes, bytes]]) -> tuple[Response | None, bool]:
        """The answer to a request refused on its headers alone (or None), and whether its body
        comes in chunks (`Transfer-Encoding`), its length unknown until it has come."""
        declared = None
        chunked = False
        header_bytes = 0
        for name, value in headers:
            header_bytes += len(name) + len(value) + 4  # ": " and CRLF, as sent
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if header_bytes > self._max_headers:
            refusal = HEADERS_TOO_LARGE.answer(
                f"A request's headers may be at most {self._max_headers} bytes in all.",
                limit=self._max_headers,
                headers={"Connection": "close"},
            )
            return refusal, chunked
        if declared is not None and (not declared.isdigit() or int(declared) > self._max_body):
            return self._body_too_large(), chunked
        return None, chunked

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._body_too_large()(scope, receive, send)

    def _body_too_large(self) -> Response:
        return PAYLOAD_TOO_LARGE.answer(
            f"A request body may be at most {self._max_body} bytes.",
            limit=self._max_body,
            # The client may still be sending: the connection is not worth keeping.
            headers={"Connection": "close"},
        )
