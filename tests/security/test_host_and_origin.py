"""Issue 18, item 2: DNS rebinding and cross-site requests cannot reach the server's commands.

Without a credential (the ``make run`` default) only loopback Host names (and ALLOWED_HOSTS)
are answered; a state-changing request or WebSocket from a foreign browser origin is refused
with or without credentials; CORS answers only the configured origins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ADMIN_TOKEN, JWT_SECRET, LiveServer, bearer, jwt_for, start_server, unique
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

EVIL = "http://evil.example"
APP = "https://app.example"
NO_JOB = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """No credential configured, one extra allowed host name."""
    live = start_server(tmp_path_factory.mktemp("no-auth"), allowed_hosts="ci.internal")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("cors"),
        api_tokens=ADMIN_TOKEN,
        jwt_secret=JWT_SECRET,
        cors_origins=APP,
        allow_commands="true",  # the tests create command templates (run on local://)
        allow_local="true",
    )
    yield live
    live.stop()


def job_count(client: httpx.Client) -> int:
    count: int = client.get("/api/v1/jobs").json()["count"]
    return count


def command_template(client: httpx.Client, **headers: str) -> dict[str, Any]:
    body = {"name": unique(), "command": ["true"], "target": "local://"}
    r = client.post("/api/v1/job-templates", json=body, headers=headers)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def test_foreign_host_is_refused_without_credentials(open_server: LiveServer) -> None:
    port = open_server.url.rsplit(":", 1)[1]
    with httpx.Client(base_url=open_server.url, timeout=10) as c:
        template = command_template(c)
        jobs = job_count(c)
        for host in (f"rebound.evil.example:{port}", "evil.example", "127.0.0.1.nip.io", f"10.0.0.1:{port}"):
            r = c.get("/api/v1/templates", headers={"Host": host})
            assert r.status_code == 400, (host, r.text)
            assert "Host" in r.json()["detail"]
            r = c.post(f"/api/v1/job-templates/{template['id']}/launch", headers={"Host": host})
            assert r.status_code == 400, (host, r.text)
        assert job_count(c) == jobs  # nothing launched
        for host in (
            f"localhost:{port}",
            f"127.0.0.1:{port}",
            f"[::1]:{port}",
            "LOCALHOST",
            "ci.internal:80",
        ):
            assert c.get("/api/v1/templates", headers={"Host": host}).status_code == 200, host


def test_cross_site_form_post_cannot_launch(open_server: LiveServer) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with httpx.Client(base_url=open_server.url, timeout=10) as c:
        template = command_template(c)
        launch = f"/api/v1/job-templates/{template['id']}/launch"
        jobs = job_count(c)
        for headers in (
            {**form, "Origin": EVIL},
            {**form, "Origin": "null"},  # sandboxed frames, file: pages
            {**form, "Sec-Fetch-Site": "cross-site"},
            {
                "Content-Type": "text/plain",
                "Origin": f"http://localhost:{open_server.url.rsplit(':', 1)[1]}1",
            },
        ):
            r = c.post(launch, headers=headers)
            assert r.status_code == 403, (headers, r.text)
            assert "origin" in r.json()["detail"].lower()
        for method, path in (("PUT", f"/api/v1/job-templates/{template['id']}"), ("DELETE", launch)):
            assert c.request(method, path, headers={"Origin": EVIL}).status_code == 403
        assert job_count(c) == jobs
        # The server's own pages (the /docs "Try it out") send their own origin: accepted.
        r = c.post(launch, headers={**form, "Origin": open_server.url, "Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 201, r.text
        assert job_count(c) == jobs + 1


def test_websocket_from_a_foreign_origin_is_refused(open_server: LiveServer) -> None:
    ws_url = open_server.url.replace("http", "ws") + f"/api/v1/jobs/{NO_JOB}/ws"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin=EVIL, open_timeout=5).close()  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    with connect(ws_url, origin=open_server.url, open_timeout=5) as ws:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert ws.close_code == 4404  # admitted: the job does not exist


def test_cookie_credential_is_no_use_cross_site(cors_server: LiveServer) -> None:
    cookie = {"ansible_inspec_token": jwt_for("operator")}
    with httpx.Client(base_url=cors_server.url, cookies=cookie, timeout=10) as c:
        body = {"name": unique(), "command": ["true"]}
        r = c.post("/api/v1/templates", json=body, headers={"Origin": EVIL})
        assert r.status_code == 403, r.text
        assert c.get(f"/api/v1/templates/{body['name']}").status_code == 404
        assert c.post("/api/v1/templates", json=body, headers={"Origin": cors_server.url}).status_code == 201


def test_cors_preflight_and_answers_for_allowed_origins(cors_server: LiveServer) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    with httpx.Client(base_url=cors_server.url, timeout=10) as c:
        r = c.options("/api/v1/job-templates", headers={**preflight, "Origin": APP})
        assert r.status_code == 204, r.text
        assert r.headers["access-control-allow-origin"] == APP
        assert "POST" in r.headers["access-control-allow-methods"]
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        assert r.headers["access-control-allow-credentials"] == "true"

        r = c.options("/api/v1/job-templates", headers={**preflight, "Origin": EVIL})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers

        template = command_template(c, Origin=APP, **bearer(ADMIN_TOKEN))
        r = c.post(
            f"/api/v1/job-templates/{template['id']}/launch", headers={"Origin": APP, **bearer(ADMIN_TOKEN)}
        )
        assert r.status_code == 201 and r.headers["access-control-allow-origin"] == APP
        r = c.get("/api/v1/templates", headers={"Origin": APP})  # a refusal the page may read
        assert r.status_code == 401 and r.headers["access-control-allow-origin"] == APP
        r = c.get("/api/v1/templates", headers={"Origin": EVIL, **bearer(ADMIN_TOKEN)})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_settings_refuse_wildcard_cors(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cors_origins"):
        start_server(tmp_path, api_tokens=ADMIN_TOKEN, cors_origins="*")
