"""What every answer of the service carries for the browser's protection, and the API docs
page, served from the service itself (the Swagger UI assets of the pinned ``fastapi-offline``
package: no CDN, nothing fetched from elsewhere)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The pages load scripts, styles and images from the service only. Inline styles are
#: allowed for the SVG plots (matplotlib writes style attributes); no inline script runs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]
DOCS_ASSETS = "/docs-assets"


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _swagger_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def add_docs(app: FastAPI, path: str = "/docs") -> None:
    """``path``: the API's Swagger UI page, its assets served by the service itself."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=_swagger_assets()), name="docs-assets")
    page = DOCS_PAGE.format(title=app.title, assets=DOCS_ASSETS, openapi=app.openapi_url)

    @app.get(path, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page)
