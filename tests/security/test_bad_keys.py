"""Keys that cannot name anything (a NUL, a slash, 300 characters) in template and job routes:
404 (or an empty page), on SQLite and on PostgreSQL alike. PostgreSQL refuses text holding NUL,
so a key handed to it made a store error: a 503 with Retry-After for a request that can never
succeed."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import httpx
from helpers import bearer, start_server, unique

TOKEN = "bad-keys-token-0123456789"
BAD_KEYS = ["a%00b", "%00", "x" * 300, "%C3%A9t%C3%A9", "a%01b"]


def test_keys_that_name_nothing_are_404_on_every_store(store_url: str, tmp_path: Path) -> None:
    live = start_server(tmp_path, api_tokens=TOKEN, allow_commands="true", store_url=store_url)
    try:
        with httpx.Client(base_url=live.url, headers=bearer(TOKEN), timeout=15) as client:
            name = unique()
            assert (
                client.post("/api/v1/templates", json={"name": name, "command": ["true"]}).status_code == 201
            )
            for key in BAD_KEYS:
                for method, path, body in [
                    ("GET", f"/api/v1/templates/{key}", None),
                    ("DELETE", f"/api/v1/templates/{key}", None),
                    ("GET", f"/api/v1/job-templates/{key}", None),
                    ("PUT", f"/api/v1/job-templates/{key}", {"forks": 2}),
                    ("DELETE", f"/api/v1/job-templates/{key}", None),
                    ("POST", f"/api/v1/job-templates/{key}/launch", {"hosts": ["h1"]}),
                ]:
                    r = client.request(method, path, json=body)
                    assert r.status_code == 404, (method, path, r.status_code, r.text)
                    assert "detail" in r.json()
                text = urllib.parse.unquote(key)
                for form in [{"template_name": text, "hosts": ["h1"]}, {"template_id": text, "target": "h1"}]:
                    r = client.post("/api/v1/jobs", json=form)
                    assert r.status_code in (404, 422), (form, r.status_code, r.text)
                r = client.get(f"/api/v1/jobs?template={key}")
                assert r.status_code == 200 and r.json() == {"count": 0, "results": []}, r.text
            # The good template is still there, and the store still answers.
            assert client.get(f"/api/v1/templates/{name}").status_code == 200
            assert client.get("/health").json()["status"] == "ok"
    finally:
        live.stop()
    assert "Traceback" not in live.log(), live.log()[-4000:]
