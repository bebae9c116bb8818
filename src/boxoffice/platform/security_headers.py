"""Security headers on every response: what a browser may load, run, frame, sniff and refer.

The web client (`web/`) and /docs load only files of this origin, with no inline script or
style, so the Content-Security-Policy can allow nothing else: an injected `<script>` or a
stylesheet from elsewhere is refused by the browser, and no other site may frame a page of ours
(clickjacking a Pay button). `X-Content-Type-Options` stops a browser from running an answer as
what it guesses it is; `Referrer-Policy` keeps our URLs out of other sites' logs.
HSTS is left to the TLS terminator in front (docs/security.md): only it knows the scheme.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "SecurityHeadersMiddleware"]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # the pages' empty icon is a data: URL, as are Swagger UI's
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
)

_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


class SecurityHeadersMiddleware:
    """Adds `SECURITY_HEADERS` to every HTTP response (a route may send its own instead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if any(name.lower() in _NAMES for name, _ in headers):
                    present = {name.lower() for name, _ in headers}
                    added: tuple[tuple[bytes, bytes], ...] = tuple(
                        h for h in SECURITY_HEADERS if h[0] not in present
                    )
                else:  # almost every answer: none of them set by the route
                    added = SECURITY_HEADERS
                message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
