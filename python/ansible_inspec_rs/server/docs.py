"""``/docs`` without internet: Swagger UI's assets are served by this server from the
``swagger-ui-bundle-v2`` package (module ``swagger_ui_bundle``) instead of a CDN, so the page
renders offline, behind a proxy and in air-gapped installations."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def install_offline_docs(app: FastAPI) -> None:
    """Adds ``/docs`` (create the app with ``docs_url=None``) and its assets under ``/docs/assets``."""
    import swagger_ui_bundle  # type: ignore[import-untyped]

    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
