"""Issue 18, item 12 (server part): JWT time claims must be numbers; /metrics is closed by
default on a server with credentials."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
from helpers import JWT_SECRET, LiveServer, bearer, jwt_for, start_server


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("jwt"), jwt_secret=JWT_SECRET)
    yield live
    live.stop()


def test_numeric_string_exp_is_refused(jwt_server: LiveServer) -> None:
    claims = {"user_id": 1, "username": "u", "roles": ["admin"]}
    later = int(time.time()) + 3600
    with httpx.Client(base_url=jwt_server.url, timeout=10) as c:
        for bad in ({"exp": str(later)}, {"exp": f"{later}.0"}, {"exp": True}, {"exp": later, "nbf": "0"}):
            token = jwt.encode({**claims, **bad}, JWT_SECRET, algorithm="HS256")
            r = c.get("/api/v1/templates", headers=bearer(token))
            assert r.status_code == 401, (bad, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
        good = jwt.encode({**claims, "exp": later}, JWT_SECRET, algorithm="HS256")
        assert c.get("/api/v1/templates", headers=bearer(good)).status_code == 200


def test_metrics_closed_when_credentials_exist(jwt_server: LiveServer) -> None:
    with httpx.Client(base_url=jwt_server.url, timeout=10) as c:
        r = c.get("/metrics")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        r = c.get("/metrics", headers=bearer(jwt_for("viewer")))
        assert r.status_code == 200 and "ansible_inspec_queue_pending" in r.text
        assert c.get("/metrics", headers=bearer(jwt_for("nobody"))).status_code == 403
        assert c.get("/health").status_code == 200
        spec = c.get("/openapi.json").json()
        assert spec["paths"]["/metrics"]["get"]["security"] == [{"bearerAuth": []}]


def test_metrics_can_be_opened_explicitly(tmp_path_factory: pytest.TempPathFactory) -> None:
    live = start_server(tmp_path_factory.mktemp("metrics-open"), jwt_secret=JWT_SECRET, metrics_auth="false")
    try:
        assert httpx.get(live.url + "/metrics", timeout=10).status_code == 200
    finally:
        live.stop()
