"""ReDoc at ``/redoc`` with nothing fetched from outside this server.

fastapi-offline serves Swagger UI, ReDoc and their bundles from the package itself, without a
CDN, and leaves out ReDoc's Google Fonts link. Two fetches remain in the bundles as shipped:

- ReDoc's side menu ends with "API docs by Redocly" and an ``<img>`` of Redocly's logo from
  their CDN, which it always loads. ``/redoc`` here uses a copy of the bundle, served at
  ``REDOC_JS_URL``, whose logo is an inline transparent image instead.
- Swagger UI shows a badge image from its online validator for a document not served from
  localhost; ``SWAGGER_UI_PARAMETERS`` turns the validator off.

tests/app/test_docs_pages.py loads both pages and checks every URL they reference.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response

STATIC_URL = "/static-offline-docs"  # where fastapi-offline mounts its files
FAVICON_URL = f"{STATIC_URL}/favicon.png"
REDOC_JS_URL = "/docs-assets/redoc.standalone.js"
REDOC_REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
TRANSPARENT_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
SWAGGER_UI_PARAMETERS: dict[str, Any] = {"validatorUrl": None}

_STATIC_DIR = Path(fastapi_offline.__file__).parent / "static"


@cache
def redoc_bundle() -> bytes:
    """fastapi-offline's ReDoc bundle, its one remote image made an inline one."""
    source = (_STATIC_DIR / "redoc.standalone.js").read_text(encoding="utf-8")
    return source.replace(REDOC_REMOTE_LOGO, TRANSPARENT_GIF).encode()


def install_redoc(app: FastAPI, path: str = "/redoc") -> None:
    """Serve ReDoc at ``path`` (create the app with ``redoc_url=None``)."""

    @app.get(path, include_in_schema=False)
    async def redoc_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{REDOC_JS_URL}",
            redoc_favicon_url=f"{root}{FAVICON_URL}",
            with_google_fonts=False,
        )

    @app.get(REDOC_JS_URL, include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(redoc_bundle(), media_type="text/javascript")
