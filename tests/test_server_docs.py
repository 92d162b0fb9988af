"""/docs and /redoc work without internet: Swagger UI's and Redoc's assets come from this
server (the fastapi-offline package), and headless Chromium, unable to resolve any other host,
renders the operations list."""

from __future__ import annotations

import re

import httpx
import pytest
from chromium import dump_dom
from helpers import LiveServer


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_use_only_local_assets(anon: httpx.Client, path: str) -> None:
    page = anon.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # FastAPI's default pages load cdn.jsdelivr.net (and Redoc's fonts.googleapis.com).
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", page.text)
    assert external == [], external
    assets = re.findall(r"""(?:src|href)=["'](/docs/assets/[^"']+)""", page.text)
    assert assets, page.text
    for asset in assets:
        r = anon.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    assert (
        anon.get("/docs/assets/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith(("application/javascript", "text/javascript"))
    )


def test_docs_render_offline_in_chromium(server: LiveServer) -> None:
    dom = dump_dom(f"{server.url}/docs", wait_ms=15000)
    assert 'class="swagger-ui"' in dom
    # The rendered operations: one block per route, the report route among them.
    assert dom.count('class="opblock ') >= 20, dom[:2000]
    assert "/api/v1/jobs/{job_id}/report" in dom
    assert "Authorize" in dom  # the bearer scheme is documented


def test_redoc_renders_offline_in_chromium(server: LiveServer) -> None:
    dom = dump_dom(f"{server.url}/redoc", wait_ms=15000)
    # Redoc's rendered reference: one section per operation, the report route among them.
    assert dom.count('data-section-id="operation/') >= 20, dom[:2000]
    assert "/api/v1/jobs/{job_id}/report" in dom
