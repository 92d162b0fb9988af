"""/docs works without internet: Swagger UI's assets come from this server (the
swagger-ui-bundle-v2 package), and headless Chromium, unable to resolve any other host,
renders the operations list."""

from __future__ import annotations

import re

import httpx
from chromium import dump_dom
from helpers import LiveServer


def test_docs_page_uses_only_local_assets(anon: httpx.Client) -> None:
    page = anon.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", page.text)
    assert external == [], external  # FastAPI's default page loads cdn.jsdelivr.net
    for asset in re.findall(r"""(?:src|href)=["'](/docs/assets/[^"']+)""", page.text):
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
