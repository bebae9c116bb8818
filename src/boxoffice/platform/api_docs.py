"""The API's interactive documentation (Swagger UI) at /docs, served from the package itself.

FastAPI's own /docs and /redoc load their scripts from a CDN: a blank page on a deployment
without internet, code from a third party run on our origin without an integrity check, and
inline script that the Content-Security-Policy (`platform.security_headers`) forbids. Here
Swagger UI's bundle is vendored in the package (`web/docs/swagger-ui/`, its version and
checksums pinned in `PINNED` there) and started by a file of our own. ReDoc is not offered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, HTMLResponse

__all__ = ["DOCS_PATH", "install_api_docs"]

DOCS_PATH = "/docs"
_FILES = Path(str(files("boxoffice") / "web" / "docs"))
_ASSETS = {
    "swagger-ui.css": _FILES / "swagger-ui" / "swagger-ui.css",
    "swagger-ui-bundle.js": _FILES / "swagger-ui" / "swagger-ui-bundle.js",
    "swagger-init.js": _FILES / "swagger-init.js",
}


def _page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)} — API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
  <script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_PATH}/swagger-init.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve /docs and its three files (build the app with `docs_url=None, redoc_url=None`)."""
    page = _page(app.title, app.openapi_url or "/openapi.json")

    async def docs() -> HTMLResponse:
        return HTMLResponse(page)

    app.add_api_route(DOCS_PATH, docs, include_in_schema=False)
    for name, path in _ASSETS.items():
        app.add_api_route(f"{DOCS_PATH}/{name}", _file(path), include_in_schema=False)


def _file(path: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve_file() -> FileResponse:
        return FileResponse(path)

    return serve_file
